#include "cli/topology_drill.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <ostream>
#include <set>
#include <thread>

#include "cli/output.h"
#include "cli/reply_fields.h"
#include "cli/topology_cluster_api.h"
#include "cli/topology_process.h"
#include "cli/topology_writer.h"

namespace coffer::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kWriterWarmUp = std::chrono::seconds(15);
constexpr auto kDemoteWait = std::chrono::seconds(20);
constexpr auto kPromoteTries = std::chrono::seconds(20);
constexpr auto kForceAfter = std::chrono::seconds(10);
constexpr auto kPromotionWait = std::chrono::seconds(60);
constexpr auto kRepointWait = std::chrono::seconds(60);
constexpr auto kServiceWait = std::chrono::seconds(60);
// How long acknowledged writes may take to show on the promoted cluster: a
// promoted performance replica gets them by replication from the primary; a
// promoted primary has what it has (more waiting cannot bring back what a
// killed primary never shipped).
constexpr auto kConvergeWait = std::chrono::seconds(30);
constexpr auto kPromotedPrimarySettle = std::chrono::seconds(2);
constexpr size_t kWritesAfterRestore = 20;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string Fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// Keys under secret/drill/<run>/ on `client`.
Result<std::set<std::string>> ListDrillKeys(const ApiClient& client, const std::string& run) {
  ASSIGN_OR_RETURN(std::optional<Json> reply,
                   client.Read("secret/metadata/drill/" + run + "/?list=true"));
  std::set<std::string> keys;
  if (!reply) return keys;
  const Json& list = Member(DataOf(*reply), "keys");
  if (list.is_array()) {
    for (const Json& k : list) {
      if (k.is_string()) keys.insert(run + "/" + k.get<std::string>());
    }
  }
  return keys;
}

// The server's error text of a failed call (the last "* " line of the
// vault-style message), for one-line progress output.
std::string LastError(const Status& status) {
  const std::string& m = status.message();
  size_t at = m.rfind("* ");
  std::string line = at == std::string::npos ? m : m.substr(at + 2);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  return line;
}

// Promotes `dr` with the batch token, falling back to a one-shot token from
// the keys; retries while the old primary still looks connected, forcing
// after kForceAfter.
Status Promote(const ApiClient& dr, const ClusterState& old_active, const ClusterState& dr_state,
               DrillReport* report, std::ostream& progress) {
  std::string token = old_active.dr_operation_token;
  report->token_used = "batch";
  if (token.empty()) {
    ASSIGN_OR_RETURN(token, GenerateDrOperationToken(dr, dr_state.keys));
    report->token_used = "one-shot";
  }
  auto started = Clock::now();
  Status last = Status::Ok();
  int refusals = 0;
  for (;;) {
    bool force = Clock::now() - started > kForceAfter;
    Json body = {{"dr_operation_token", token}};
    if (force) body["force"] = true;
    Result<Json> r = dr.Call("PUT", "sys/replication/dr/secondary/promote", body);
    if (r.ok()) {
      if (force) progress << "  promoted with force (the old primary still looked connected)\n";
      return Status::Ok();
    }
    last = r.status();
    bool token_refused = last.code() == Code::kPermissionDenied ||
                         last.message().find("operation token") != std::string::npos;
    if (token_refused && report->token_used == "batch") {
      progress << "  the batch DR operation token was refused (" << LastError(last)
               << "); generating a one-shot token from the unseal keys\n";
      ASSIGN_OR_RETURN(token, GenerateDrOperationToken(dr, dr_state.keys));
      report->token_used = "one-shot";
      continue;
    }
    if (Clock::now() - started > kPromoteTries) return last;
    if (++refusals == 1) progress << "  promote refused (" << LastError(last) << "); retrying\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // retry pace
  }
}

}  // namespace

Result<DrillReport> RunFailoverDrill(TopologyState& state, const std::string& site, bool planned,
                                     const TransportFactory& factory, std::ostream& progress) {
  bool known = std::any_of(state.clusters.begin(), state.clusters.end(),
                           [&](const ClusterState& c) { return c.site == site; });
  if (!known) {
    std::set<std::string> sites;
    for (const ClusterState& c : state.clusters) sites.insert(c.site);
    std::string list;
    for (const std::string& s : sites) list += (list.empty() ? "" : ", ") + s;
    return InvalidArgument("no site \"" + site + "\" in " + state.topology + " (sites: " + list +
                           ")");
  }
  ClusterState* active = state.ActiveOf(site);
  if (active == nullptr) return InvalidArgument("site " + site + " has no active cluster");
  ClusterState* dr = state.DrReplicaOf(active->name);
  if (dr == nullptr) {
    return InvalidArgument("site " + site + ": " + active->name +
                           " has no DR replica to fail over to");
  }
  if (!ServerRunning(active->pid, active->config_path())) {
    return Unavailable(active->name + " is not running (pid " + std::to_string(active->pid) +
                       "); see coffer topology status");
  }
  DrillReport report;
  report.site = site;
  report.planned = planned;
  report.old_active = active->name;
  report.promoted = dr->name;
  ClusterRole old_role = active->role;

  std::string run = site + "-" + std::to_string(std::time(nullptr));
  DrillWriter writer(factory, active->root_token, run);
  writer.Start(active->api_addr());
  progress << "Drill of site " << site << ": " << (planned ? "planned (demote " : "unplanned (kill -9 ")
           << active->name << "), promote " << dr->name << "\n";
  RETURN_IF_ERROR(PollUntil([&]() -> Result<bool> { return writer.AckCount() >= 20; },
                            kWriterWarmUp, "the writer's first writes on " + active->name));
  progress << "  writer: " << writer.AckCount() << " writes acknowledged by " << active->name
           << "\n";

  ASSIGN_OR_RETURN(ApiClient old_client,
                   ClusterClient(factory, active->api_addr(), active->root_token));
  auto outage = Clock::now();
  if (planned) {
    RETURN_IF_ERROR(old_client.Call("PUT", "sys/replication/dr/primary/demote", Json::object())
                        .status());
    RETURN_IF_ERROR(PollUntil(
        [&]() -> Result<bool> {
          ASSIGN_OR_RETURN(int code, HealthStatus(old_client));
          return code == 472;
        },
        kDemoteWait, active->name + " to step down"));
    active->condition = "demoted";
    progress << "  " << active->name << " demoted (a DR secondary connected nowhere)\n";
  } else {
    RETURN_IF_ERROR(KillServer(active->pid, active->config_path()));
    active->condition = "killed";
    progress << "  " << active->name << " killed (pid " << active->pid << ")\n";
  }
  RETURN_IF_ERROR(SaveState(state));
  int new_target = writer.SwitchTo(dr->api_addr());
  long long acked_before = static_cast<long long>(writer.AckCount());

  ASSIGN_OR_RETURN(ApiClient dr_client, ClusterClient(factory, dr->api_addr(), dr->root_token));
  auto promote_started = Clock::now();
  RETURN_IF_ERROR(Promote(dr_client, *active, *dr, &report, progress));
  RETURN_IF_ERROR(PollUntil(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(Json s, ReplicationStatus(dr_client, "dr"));
        if (StringField(s, "mode") != "primary" || BoolField(s, "reconfiguring")) return false;
        ASSIGN_OR_RETURN(int code, HealthStatus(dr_client));
        return code == 200;
      },
      kPromotionWait, dr->name + "'s promotion to finish"));
  report.promote_seconds = Seconds(Clock::now() - promote_started);
  progress << "  " << dr->name << " promoted with the " << report.token_used
           << " DR operation token in " << Fixed(report.promote_seconds, 2) << "s\n";

  // The state: the DR replica is the site's active cluster, in the old one's place.
  dr->role = old_role;
  dr->of = active->of;
  dr->dr_operation_token.clear();
  if (planned) {
    active->role = ClusterRole::kDr;
    active->of = dr->name;
  }
  std::string promoted_name = dr->name;
  std::string promoted_addr = dr->cluster_addr();
  std::string old_name = active->name;
  RETURN_IF_ERROR(SaveState(state));

  if (old_role == ClusterRole::kPrimary) {
    for (ClusterState& c : state.clusters) {
      if (c.role != ClusterRole::kPerformance || c.of != old_name || c.condition != "running") {
        continue;
      }
      ASSIGN_OR_RETURN(ApiClient follower, ClusterClient(factory, c.api_addr(), c.root_token));
      RETURN_IF_ERROR(follower
                          .Call("PUT", "sys/replication/performance/secondary/update-primary",
                                Json{{"update_primary_addrs", {promoted_addr}}})
                          .status());
      c.of = promoted_name;
      RETURN_IF_ERROR(SaveState(state));
      Status streaming = WaitStreaming(follower, "performance", kRepointWait);
      report.repointed.push_back(c.name + ": " + (streaming.ok() ? "streaming from " + promoted_name
                                                                 : streaming.message()));
      progress << "  re-pointed " << report.repointed.back() << "\n";
    }
  } else {
    progress << "  " << promoted_name << " took " << old_name
             << "'s place as performance replica (same identity)\n";
  }

  Clock::time_point first{};
  RETURN_IF_ERROR(PollUntil(
      [&]() -> Result<bool> { return writer.FirstAckBy(new_target, outage, &first); },
      kServiceWait, "a write acknowledged by " + promoted_name));
  report.restore_seconds = Seconds(first - outage);
  size_t enough = writer.AckCount() + kWritesAfterRestore;
  (void)PollUntil([&]() -> Result<bool> { return writer.AckCount() >= enough; },
                  std::chrono::seconds(5), "more writes");
  writer.Stop();

  std::vector<DrillWriter::Ack> acks = writer.Acks();
  report.acknowledged = static_cast<long long>(acks.size());
  report.acknowledged_before = acked_before;
  report.failed_attempts = writer.Failures();
  // Every acknowledged write must be on the promoted cluster (on a promoted
  // performance replica they arrive by replication from the primary).
  std::set<std::string> present;
  Status converged = PollUntil(
      [&]() -> Result<bool> {
        ASSIGN_OR_RETURN(present, ListDrillKeys(dr_client, run));
        return std::all_of(acks.begin(), acks.end(),
                           [&](const DrillWriter::Ack& a) { return present.count(a.key) > 0; });
      },
      old_role == ClusterRole::kPrimary ? kPromotedPrimarySettle : kConvergeWait,
      "the acknowledged writes on " + promoted_name);
  for (const DrillWriter::Ack& a : acks) {
    if (present.count(a.key) > 0) continue;
    ++report.missing_writes;
    if (report.missing_sample.size() < 5) report.missing_sample.push_back("secret/drill/" + a.key);
  }
  report.promoted_role = std::string(RoleName(old_role));
  RETURN_IF_ERROR(SaveState(state));
  return report;
}

std::string FormatDrillReport(const DrillReport& r) {
  std::vector<Row> rows = {
      {"Site", r.site},
      {"Kind", r.planned ? "planned (demote)" : "unplanned (kill -9)"},
      {"Old active cluster", r.old_active},
      {"Promoted cluster", r.promoted + " (now " + r.promoted_role + ")"},
      {"DR operation token", r.token_used},
      {"Promotion took", Fixed(r.promote_seconds, 3) + "s"},
      {"Service restored after", Fixed(r.restore_seconds, 3) + "s"},
      {"Writes acknowledged", std::to_string(r.acknowledged) + " (" +
                                  std::to_string(r.acknowledged_before) + " by " + r.old_active +
                                  ")"},
      {"Write attempts refused", std::to_string(r.failed_attempts)},
      {"Acknowledged writes lost", std::to_string(r.missing_writes)},
  };
  for (const std::string& k : r.missing_sample) rows.push_back({"  missing", k});
  for (const std::string& p : r.repointed) rows.push_back({"Re-pointed", p});
  return FormatTable(rows);
}

Json DrillReportJson(const DrillReport& r) {
  return Json{{"site", r.site},
              {"planned", r.planned},
              {"old_active", r.old_active},
              {"promoted", r.promoted},
              {"promoted_role", r.promoted_role},
              {"token_used", r.token_used},
              {"promote_seconds", r.promote_seconds},
              {"restore_seconds", r.restore_seconds},
              {"acknowledged", r.acknowledged},
              {"acknowledged_before", r.acknowledged_before},
              {"failed_attempts", r.failed_attempts},
              {"missing_writes", r.missing_writes},
              {"missing_sample", r.missing_sample},
              {"repointed", r.repointed}};
}

}  // namespace coffer::cli
