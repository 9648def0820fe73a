// `coffer topology up|down|status|failover`: reference topologies of real
// clusters on loopback (docs/topologies/README.md). This file holds the
// command handlers: flags, which topology, and the order of the steps; the
// steps are in topology_setup.cc, topology_drill.cc and topology_view.cc.
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/reply_fields.h"
#include "cli/topology_cluster_api.h"
#include "cli/topology_drill.h"
#include "cli/topology_process.h"
#include "cli/topology_setup.h"
#include "cli/topology_view.h"

namespace coffer::cli {
namespace {

constexpr char kUpUsage[] =
    "Usage: coffer topology up NAME [options]\n"
    "       coffer topology up -file PATH [options]\n"
    "\n"
    "  Brings up a reference topology of Coffer clusters on loopback: one\n"
    "  `coffer server` process per cluster (RocksDB storage under -dir),\n"
    "  initialised, unsealed, replication enabled and activated, batch DR\n"
    "  operation tokens prepared. Prints each cluster's site, role, addresses\n"
    "  and root token, and how to point a client at each site. Unseal keys\n"
    "  and tokens are kept in DIR/secrets.json (mode 0600).\n"
    "\n"
    "  Without -detach it runs until Ctrl-C, then stops every cluster. With\n"
    "  -detach it returns; `coffer topology down -dir DIR` stops them.\n"
    "\n"
    "  Topologies: two-dc, aws, global, onprem, hybrid (docs/topologies/).\n";

constexpr char kDownUsage[] =
    "Usage: coffer topology down -dir DIR\n"
    "\n"
    "  Stops every cluster of the topology running in DIR (SIGTERM, then\n"
    "  SIGKILL after 15s). Data, logs and secrets stay in DIR.\n";

constexpr char kStatusUsage[] =
    "Usage: coffer topology status -dir DIR\n"
    "\n"
    "  Shows each cluster of the topology in DIR: its role, process, health,\n"
    "  performance and DR replication state, and how far it is behind its\n"
    "  upstream (log entries, and apply lag when known).\n";

constexpr char kFailoverUsage[] =
    "Usage: coffer topology failover SITE -dir DIR [-planned]\n"
    "\n"
    "  The failover drill of a site: kills its active cluster (kill -9), or\n"
    "  with -planned demotes it; promotes its DR replica with the prepared\n"
    "  batch DR operation token; re-points the performance replicas that\n"
    "  followed it. A writer keeps writing through the drill; reported are the\n"
    "  time to restore service (to the first acknowledged write after the\n"
    "  kill or demotion) and whether any acknowledged write is missing on the\n"
    "  promoted cluster. The state in DIR records the promoted cluster as the\n"
    "  site's active one.\n";

// The topology text: a built-in by name, or a file.
Result<std::string> TopologyText(const std::string& name, const std::string& file) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return InvalidArgument("cannot read topology file " + file);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
  }
  std::string known;
  for (const BuiltinTopology& b : BuiltinTopologies()) {
    if (b.name == name) return std::string(b.text);
    known += (known.empty() ? "" : ", ") + std::string(b.name);
  }
  return InvalidArgument("unknown topology \"" + name + "\" (built in: " + known +
                         "; or -file PATH)");
}

// Waits for SIGINT/SIGTERM (blocked by the caller) while the clusters run;
// says so once when a cluster the state calls running has exited, and
// returns early when none is running any more (stopped by `down`).
void Supervise(const std::string& dir, const sigset_t& signals, std::ostream& out) {
  std::set<std::string> reported;
  for (;;) {
    timespec tick{1, 0};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) return;
    Result<TopologyState> now = LoadState(dir);
    if (!now.ok()) return;
    bool any = false;
    for (const ClusterState& c : now->clusters) {
      bool running = ServerRunning(c.pid, c.config_path());
      any = any || running;
      if (!running && c.condition == "running" && reported.insert(c.name).second) {
        out << c.name << " (pid " << c.pid << ") has exited; its log: " << c.log_path() << "\n";
        out.flush();
      }
    }
    if (!any) {
      out << "every cluster has stopped\n";
      return;
    }
  }
}

// Registers -dir (required), parses `args` with `positional` arguments and
// loads the state in DIR; an exit code when the command must stop.
std::optional<int> ParseAndLoad(Invocation& inv, const std::vector<std::string>& args,
                                size_t positional, std::optional<TopologyState>* state) {
  std::string dir;
  inv.flags().String("dir", &dir, "the topology's directory (state.json, secrets.json)");
  if (auto exit = inv.Parse(args, positional, positional)) return exit;
  if (dir.empty()) return inv.UsageError("-dir is required");
  Result<TopologyState> loaded = LoadState(dir);
  if (!loaded.ok()) return inv.Fail("Error", loaded.status(), kExitLocalError);
  *state = std::move(*loaded);
  return std::nullopt;
}

// `up NAME -dir D` and `failover SITE -planned` as the usage shows them: the
// flag parser stops at the first positional, so a leading NAME/SITE moves
// to the end.
std::vector<std::string> NameLast(const std::vector<std::string>& args) {
  if (args.empty() || args[0].empty() || args[0][0] == '-') return args;
  std::vector<std::string> moved(args.begin() + 1, args.end());
  moved.push_back(args[0]);
  return moved;
}

}  // namespace

int RunTopologyUp(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kUpUsage);
  std::string dir, file;
  int base_port = 0, regions = 0;
  bool detach = false;
  inv.flags().String("dir", &dir, "directory for the clusters' data, logs and state "
                                  "(default: a fresh /tmp/coffer-topology-NAME-XXXXXX)");
  inv.flags().Int("base-port", &base_port,
                  "first port: API ports P, P+2, ..., cluster ports P+1, P+3, ... "
                  "(default: free ports from the OS)");
  inv.flags().Bool("detach", &detach, "return once the topology is up; `down` stops it");
  inv.flags().Int("regions", &regions, "regions of a topology with per-region clusters (global)");
  inv.flags().String("file", &file, "bring up the topology in this file instead of a built-in");
  if (auto exit = inv.Parse(NameLast(args), 0, 1)) return *exit;
  if (file.empty() == inv.positional().empty()) {
    return inv.UsageError(file.empty() ? "name a topology (or give -file PATH)"
                                       : "give a topology NAME or -file, not both");
  }
  Result<std::string> text = TopologyText(file.empty() ? inv.positional()[0] : "", file);
  if (!text.ok()) return inv.Fail("Error", text.status(), kExitLocalError);
  std::optional<int> regions_override;
  if (inv.flags().IsSet("regions")) regions_override = regions;
  Result<Topology> topology = ParseTopology(*text, regions_override);
  if (!topology.ok()) return inv.Fail("Error", topology.status(), kExitLocalError);
  Result<std::string> binary = SelfExecutable();
  if (!binary.ok()) return inv.Fail("Error", binary.status(), kExitLocalError);

  // Ctrl-C and SIGTERM are taken by sigtimedwait below; blocked before the
  // children start (they unblock them before exec).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (!detach) pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Result<TopologyState> state =
      PlanTopology(*topology, UpOptions{.dir = dir, .base_port = base_port, .binary = *binary});
  if (!state.ok()) return inv.Fail("Error", state.status(), kExitLocalError);
  inv.out() << "Bringing up " << topology->name << " (" << topology->clusters.size()
            << " clusters) in " << state->dir << "\n";
  inv.out().flush();
  auto started = std::chrono::steady_clock::now();
  Status up = StartClusters(*state);
  if (up.ok()) up = ConfigureClusters(*state, ctx.transport_factory, inv.out());
  if (!up.ok()) {
    inv.err() << "Error bringing up " << topology->name << ": " << up.message()
              << "\nStopping the clusters; logs are in " << state->dir << "\n";
    (void)StopClusters(*state, inv.out());
    return kExitRemoteError;
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  state->supervisor_pid = detach ? 0 : getpid();
  if (Status s = SaveState(*state); !s.ok()) return inv.Fail("Error", s, kExitLocalError);

  std::ostream& out = inv.out();
  out << "\n" << ClusterTable(*state) << "\n";
  char took_text[32];
  std::snprintf(took_text, sizeof(took_text), "%.1f", took);
  out << "Up in " << took_text << "s. Use a site:\n" << SiteExports(*state) << "\n"
      << "Unseal keys and tokens: " << SecretsPath(state->dir) << " (mode 0600)\n"
      << "Status:   coffer topology status -dir " << state->dir << "\n"
      << "Failover: coffer topology failover SITE -dir " << state->dir << " [-planned]\n";
  if (detach) {
    out << "Stop:     coffer topology down -dir " << state->dir << "\n";
    return kExitOk;
  }
  out << "Press Ctrl-C to stop every cluster.\n";
  out.flush();
  Supervise(state->dir, signals, out);
  out << "\nStopping " << topology->name << "\n";
  Result<TopologyState> latest = LoadState(state->dir);  // a failover may have changed it
  TopologyState& final_state = latest.ok() ? *latest : *state;
  Status stopped = StopClusters(final_state, out);
  if (!stopped.ok()) return inv.Fail("Error stopping", stopped, kExitRemoteError);
  out << "Stopped. Data and logs are in " << state->dir << "\n";
  return kExitOk;
}

int RunTopologyDown(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kDownUsage);
  std::optional<TopologyState> state;
  if (auto exit = ParseAndLoad(inv, args, 0, &state)) return *exit;
  Status stopped = StopClusters(*state, inv.out());
  if (!stopped.ok()) return inv.Fail("Error stopping", stopped, kExitRemoteError);
  inv.out() << "Stopped " << state->topology << ". Data and logs are in " << state->dir << "\n";
  return kExitOk;
}

int RunTopologyStatus(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kStatusUsage);
  std::optional<TopologyState> state;
  if (auto exit = ParseAndLoad(inv, args, 0, &state)) return *exit;
  std::vector<ClusterHealth> health;
  for (const ClusterState& c : state->clusters) {
    ClusterHealth h;
    h.process_running = ServerRunning(c.pid, c.config_path());
    if (h.process_running) {
      Result<ApiClient> client = ClusterClient(ctx.transport_factory, c.api_addr(), c.root_token, 3);
      if (client.ok()) {
        if (auto code = HealthStatus(*client); code.ok()) h.health = *code;
        if (auto s = ReplicationStatus(*client, "performance"); s.ok()) h.performance = *s;
        if (auto s = ReplicationStatus(*client, "dr"); s.ok()) h.dr = *s;
      }
    }
    health.push_back(std::move(h));
  }
  // Lag (of a streaming secondary): the upstream's last WAL index minus what
  // this secondary applied.
  for (size_t i = 0; i < state->clusters.size(); ++i) {
    const ClusterState& c = state->clusters[i];
    if (c.of.empty() || !health[i].process_running) continue;
    for (size_t j = 0; j < state->clusters.size(); ++j) {
      if (state->clusters[j].name != c.of) continue;
      const Json& mine = c.role == ClusterRole::kDr ? health[i].dr : health[i].performance;
      const Json& theirs = c.role == ClusterRole::kDr ? health[j].dr : health[j].performance;
      if (mine.is_object() && theirs.is_object() && theirs.contains("last_wal") &&
          mine.contains("last_remote_wal") && StringField(mine, "state") == "stream-wals") {
        health[i].lag_entries =
            std::max(0LL, IntField(theirs, "last_wal") - IntField(mine, "last_remote_wal"));
      }
    }
  }
  if (inv.format() == OutputFormat::kJson) {
    Json doc = {{"topology", state->topology}, {"clusters", Json::array()}};
    for (size_t i = 0; i < state->clusters.size(); ++i) {
      const ClusterState& c = state->clusters[i];
      doc["clusters"].push_back({{"name", c.name}, {"site", c.site},
                                 {"role", RoleName(c.role)}, {"of", c.of},
                                 {"api_addr", c.api_addr()}, {"cluster_addr", c.cluster_addr()},
                                 {"condition", c.condition},
                                 {"running", health[i].process_running},
                                 {"health", health[i].health},
                                 {"performance", health[i].performance}, {"dr", health[i].dr},
                                 {"lag_entries", health[i].lag_entries}});
    }
    inv.out() << FormatJson(doc);
  } else {
    inv.out() << state->topology << " in " << state->dir << "\n\n"
              << StatusTable(*state, health);
  }
  return kExitOk;
}

int RunTopologyFailover(CommandContext& ctx, const std::vector<std::string>& args) {
  Invocation inv(ctx, kFailoverUsage);
  bool planned = false;
  inv.flags().Bool("planned", &planned, "demote the active cluster instead of killing it");
  std::optional<TopologyState> state;
  if (auto exit = ParseAndLoad(inv, NameLast(args), 1, &state)) return *exit;
  Result<DrillReport> report =
      RunFailoverDrill(*state, inv.positional()[0], planned, ctx.transport_factory, inv.out());
  if (!report.ok()) {
    int code = report.status().code() == Code::kInvalidArgument ? kExitLocalError
                                                                 : kExitRemoteError;
    return inv.Fail("Error in the failover drill", report.status(), code);
  }
  if (inv.format() == OutputFormat::kJson) {
    inv.out() << FormatJson(DrillReportJson(*report));
  } else {
    inv.out() << FormatDrillReport(*report);
  }
  return report->missing_writes == 0 || !planned ? kExitOk : kExitRemoteError;
}

}  // namespace coffer::cli
