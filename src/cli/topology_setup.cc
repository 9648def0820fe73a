#include "cli/topology_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <ostream>

#include "cli/token_file.h"
#include "cli/topology_cluster_api.h"
#include "cli/topology_process.h"

namespace coffer::cli {
namespace {

namespace fs = std::filesystem;

constexpr auto kStartWait = std::chrono::seconds(30);
constexpr auto kStopGrace = std::chrono::seconds(15);
constexpr auto kRoleVisible = std::chrono::seconds(15);

Result<std::string> MakeDir(const UpOptions& options, const std::string& name) {
  if (options.dir.empty()) {
    std::string templ = "/tmp/coffer-topology-" + name + "-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      return IOError("creating " + templ + ": " + std::strerror(errno));
    }
    return std::string(buf.data());
  }
  std::error_code ec;
  fs::path dir = fs::absolute(options.dir, ec);
  if (ec) return InvalidArgument("-dir " + options.dir + ": " + ec.message());
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return InvalidArgument(dir.string() + " is not empty (a topology may be up there: "
                           "coffer topology down -dir " + dir.string() +
                           "; or choose another -dir)");
  }
  fs::create_directories(dir, ec);
  if (ec) return IOError("creating " + dir.string() + ": " + ec.message());
  return dir.string();
}

std::string ServerConfig(const ClusterState& c) {
  return "# coffer topology: cluster " + c.name + " (site " + c.site + ")\n" +
         "storage \"rocksdb\" {\n  path = \"" + c.dir + "/data\"\n}\n" +
         "listener \"tcp\" {\n  address = \"127.0.0.1:" + std::to_string(c.api_port) + "\"\n" +
         "  cluster_address = \"127.0.0.1:" + std::to_string(c.cluster_port) + "\"\n" +
         "  tls_disable = true\n}\n" + "api_addr = \"" + c.api_addr() + "\"\n" +
         "cluster_addr = \"" + c.cluster_addr() + "\"\n" + "disable_mlock = true\n";
}

// Clients for a cluster with its root token.
Result<ApiClient> RootClient(const TransportFactory& factory, const ClusterState& c) {
  return ClusterClient(factory, c.api_addr(), c.root_token);
}

bool HasDownstream(const TopologyState& state, const std::string& name, ClusterRole role) {
  return std::any_of(state.clusters.begin(), state.clusters.end(), [&](const ClusterState& c) {
    return c.of == name && c.role == role;
  });
}

// A batch DR token on a performance replica: the policy and role it writes
// go to the primary and come back by replication, so retry a while.
Result<std::string> PrepareBatchDrTokenPatiently(const ApiClient& client) {
  Result<std::string> token = Internal("not tried");
  Status polled = PollUntil(
      [&]() -> Result<bool> {
        token = PrepareBatchDrToken(client);
        if (!token.ok()) return token.status();
        return true;
      },
      kRoleVisible, "a batch DR operation token");
  if (!polled.ok()) return polled;
  return token;
}

Status ConfigureOne(TopologyState& state, ClusterState& c, const TransportFactory& factory,
                    std::ostream& progress) {
  auto step = [&](const std::string& what) { progress << "  " << c.name << ": " << what << "\n"; };
  ClusterState* up = c.of.empty() ? nullptr : state.Find(c.of);
  ASSIGN_OR_RETURN(ApiClient client, RootClient(factory, c));
  if (c.role == ClusterRole::kPrimary || c.role == ClusterRole::kStandalone) {
    if (c.role == ClusterRole::kPrimary) {
      if (HasDownstream(state, c.name, ClusterRole::kPerformance)) {
        RETURN_IF_ERROR(EnablePrimary(client, "performance"));
        step("performance primary");
      }
      if (HasDownstream(state, c.name, ClusterRole::kDr)) {
        RETURN_IF_ERROR(EnablePrimary(client, "dr"));
        ASSIGN_OR_RETURN(c.dr_operation_token, PrepareBatchDrToken(client));
        step("DR primary, batch DR operation token prepared");
      }
    }
    RETURN_IF_ERROR(MountKv(client));
    step("secret/ (KV v2) mounted");
    return Status::Ok();
  }
  if (up == nullptr) return Internal(c.name + ": upstream " + c.of + " missing");
  ASSIGN_OR_RETURN(ApiClient upstream, RootClient(factory, *up));
  std::string kind = c.role == ClusterRole::kDr ? "dr" : "performance";
  ASSIGN_OR_RETURN(std::string activation, SecondaryToken(upstream, kind, c.name));
  RETURN_IF_ERROR(EnableSecondary(client, kind, activation));
  // From now on it unseals with its upstream's keys.
  c.keys = up->keys;
  if (c.role == ClusterRole::kDr) {
    c.root_token = up->root_token;  // a DR replica holds its primary's tokens
    step("DR replica of " + up->name + ", streaming");
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(c.root_token, GenerateRootToken(client, c.keys));
  client.set_token(c.root_token);
  step("performance replica of " + up->name + ", streaming, root token generated");
  if (HasDownstream(state, c.name, ClusterRole::kDr)) {
    RETURN_IF_ERROR(EnablePrimary(client, "dr"));
    Result<std::string> batch = PrepareBatchDrTokenPatiently(client);
    if (batch.ok()) {
      c.dr_operation_token = *batch;
      step("DR primary, batch DR operation token prepared");
    } else {
      step("DR primary (no batch DR operation token: " + batch.status().message() +
           "; failover will generate a one-shot one from the unseal keys)");
    }
  }
  return Status::Ok();
}

// Upstream before downstream: primaries and standalones, then performance
// replicas, then DR replicas.
int Rank(ClusterRole role) {
  switch (role) {
    case ClusterRole::kPrimary:
    case ClusterRole::kStandalone: return 0;
    case ClusterRole::kPerformance: return 1;
    case ClusterRole::kDr: return 2;
  }
  return 0;
}

}  // namespace

Result<TopologyState> PlanTopology(const Topology& topology, const UpOptions& options) {
  size_t ports_needed = topology.clusters.size() * 2;
  std::vector<int> ports;
  if (options.base_port > 0) {
    if (options.base_port < 1024 || options.base_port + ports_needed > 65535) {
      return InvalidArgument("-base-port must leave room for " + std::to_string(ports_needed) +
                             " ports between 1024 and 65535");
    }
    for (size_t i = 0; i < ports_needed; ++i) ports.push_back(options.base_port + int(i));
  } else {
    ASSIGN_OR_RETURN(ports, FreeLoopbackPorts(ports_needed));
  }
  ASSIGN_OR_RETURN(std::string dir, MakeDir(options, topology.name));
  TopologyState state;
  state.topology = topology.name;
  state.dir = dir;
  state.binary = options.binary;
  for (size_t i = 0; i < topology.clusters.size(); ++i) {
    const ClusterSpec& spec = topology.clusters[i];
    ClusterState c;
    c.name = spec.name;
    c.site = spec.site;
    c.role = spec.role;
    c.of = spec.of;
    c.api_port = ports[2 * i];
    c.cluster_port = ports[2 * i + 1];
    c.dir = dir + "/" + spec.name;
    c.condition = "stopped";
    std::error_code ec;
    fs::create_directories(c.dir, ec);
    if (ec) return IOError("creating " + c.dir + ": " + ec.message());
    RETURN_IF_ERROR(WritePrivateFile(c.config_path(), ServerConfig(c)));
    state.clusters.push_back(std::move(c));
  }
  RETURN_IF_ERROR(SaveState(state));
  return state;
}

Status StartClusters(TopologyState& state) {
  for (ClusterState& c : state.clusters) {
    ASSIGN_OR_RETURN(c.pid, SpawnServer(state.binary, c.config_path(), c.log_path()));
    c.condition = "running";
    RETURN_IF_ERROR(SaveState(state));
  }
  return Status::Ok();
}

Status ConfigureClusters(TopologyState& state, const TransportFactory& factory,
                         std::ostream& progress) {
  for (ClusterState& c : state.clusters) {
    ASSIGN_OR_RETURN(ApiClient client, ClusterClient(factory, c.api_addr(), ""));
    Status ready = WaitResponding(client, kStartWait);
    if (!ready.ok()) {
      return Unavailable(c.name + " did not start (see " + c.log_path() + "): " +
                         ready.message());
    }
    ASSIGN_OR_RETURN(InitResult init, InitCluster(client));
    c.keys = init.keys_base64;
    c.root_token = init.root_token;
    RETURN_IF_ERROR(Unseal(client, c.keys));
    progress << "  " << c.name << ": initialised and unsealed\n";
  }
  RETURN_IF_ERROR(SaveState(state));
  for (int rank = 0; rank <= 2; ++rank) {
    for (ClusterState& c : state.clusters) {
      if (Rank(c.role) != rank) continue;
      Status s = ConfigureOne(state, c, factory, progress);
      if (!s.ok()) return Status(s.code(), c.name + ": " + s.message());
      RETURN_IF_ERROR(SaveState(state));
    }
  }
  return Status::Ok();
}

Status StopClusters(TopologyState& state, std::ostream& progress) {
  Status first = Status::Ok();
  std::vector<ClusterState*> stopping;
  for (ClusterState& c : state.clusters) {
    if (!ServerRunning(c.pid, c.config_path())) continue;
    Status s = SignalStop(c.pid, c.config_path());
    if (!s.ok() && first.ok()) first = s;
    stopping.push_back(&c);
  }
  auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  for (ClusterState* c : stopping) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    Status s = WaitStopped(c->pid, c->config_path(), std::max(left, std::chrono::milliseconds(0)));
    if (!s.ok() && first.ok()) first = s;
    progress << "  " << c->name << ": stopped\n";
  }
  for (ClusterState& c : state.clusters) {
    if (c.condition == "running") c.condition = "stopped";
  }
  Status saved = SaveState(state);
  return first.ok() ? saved : first;
}

}  // namespace coffer::cli
