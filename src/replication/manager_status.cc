// Replication status (sys/replication/{performance,dr}/status, Vault's
// fields plus ours), the sys/health fields and the Prometheus gauges.
#include <sstream>

#include "common/clock.h"
#include "common/time_format.h"
#include "core/token_ttl.h"
#include "crypto/encoding.h"
#include "replication/manager.h"
#include "replication/manager_internal.h"

namespace coffer::replication {

using namespace internal;

namespace {

std::string HexOr(const Result<std::string>& r) { return r.ok() ? crypto::HexEncode(*r) : ""; }

}  // namespace

Json Manager::TypeStatus(Type t) {
  storage::ReplicatedLog& log = core_.replicated_log();
  auto last = log.LastPosition();
  const uint64_t last_wal = last.ok() ? last->index : 0;
  const std::string merkle_root = HexOr(log.MerkleRoot(storage::StorageClass::kReplicated));
  const std::string name(TypeName(t));
  std::lock_guard<std::mutex> lock(mu_);
  const Role& r = role(t);
  if (r.bootstrapping) {
    Json j = {{"mode", "bootstrapping"}, {"state", "merkle-sync"}, {"last_wal", last_wal}};
    if (r.pending.has_value()) j["cluster_id"] = r.pending->cluster_id;
    return j;
  }
  Json common = {{"last_wal", last_wal},
                 {"merkle_root", merkle_root},
                 {"corrupted_merkle_tree", false},
                 {"last_corruption_check_epoch", kNever},
                 {"last_reindex_epoch", std::to_string(r.last_reindex_s)},
                 {"ssct_generation_counter", 0}};
  if (t == Type::kDr) {
    common["merkle_root_local"] = HexOr(log.MerkleRoot(storage::StorageClass::kLocal));
  }
  if (reconfiguring_ && t == Type::kDr) common["reconfiguring"] = true;
  if (!reconfigure_error_.empty() && t == Type::kDr) common["last_error"] = reconfigure_error_;
  if (r.primary.has_value()) {
    Json j = common;
    j["mode"] = "primary";
    j["state"] = "running";
    j["cluster_id"] = r.primary->cluster_id;
    j["primary_cluster_addr"] = r.primary->primary_cluster_addr;
    j["last_" + name + "_wal"] = last_wal;
    j["generation"] = r.primary->generation;
    Json known = Json::array(), secondaries = Json::array();
    const int64_t now = UnixMillis();
    for (const auto& [id, rec] : r.primary->secondaries) {
      known.push_back(id);
      auto link = r.links.find(id);
      const bool connected = link != r.links.end() && link->second.connected &&
                             now - link->second.last_seen_ms < 5000;
      secondaries.push_back(
          {{"node_id", id},
           {"api_address", ""},
           {"cluster_address", ""},
           {"connection_status", connected ? "connected" : "disconnected"},
           {"last_heartbeat", link == r.links.end() ? "" : TimeText(link->second.last_seen_ms)},
           {"last_heartbeat_duration_ms", "0"},
           {"clock_skew_ms", "0"},
           {"replication_primary_canary_age_ms", "0"}});
    }
    j["known_secondaries"] = known;
    j["secondaries"] = secondaries;
    return j;
  }
  if (r.secondary.has_value()) {
    Json j = common;
    ClientStatus cs = r.client ? r.client->status() : ClientStatus{};
    j["mode"] = "secondary";
    j["state"] = cs.state;
    j["connection_state"] = cs.connection_state;
    j["cluster_id"] = r.secondary->cluster_id;
    j["secondary_id"] = r.secondary->secondary_id;
    j["primary_cluster_addr"] = r.secondary->primary_cluster_addr;
    j["known_primary_cluster_addrs"] = r.secondary->known_primary_cluster_addrs;
    j["generation"] = r.secondary->generation;
    auto pos = log.LoadUpstream(name);
    const uint64_t remote = pos.ok() && pos->has_value() ? (*pos)->index : 0;
    const uint64_t applied_ms = pos.ok() && pos->has_value() ? (*pos)->commit_time_ms : 0;
    j["last_remote_wal"] = remote;
    j["last_start"] = cs.last_start_s > 0 ? FormatRfc3339(cs.last_start_s) : "";
    const int64_t now = UnixMillis();
    const uint64_t lag_entries = cs.primary_last_index > remote ? cs.primary_last_index - remote : 0;
    const int64_t lag_ms =
        lag_entries == 0 || cs.primary_last_commit_ms <= applied_ms
            ? 0
            : static_cast<int64_t>(cs.primary_last_commit_ms - applied_ms);
    const int64_t canary_age =
        applied_ms == 0 ? 0 : std::max<int64_t>(0, now + cs.clock_skew_ms - static_cast<int64_t>(applied_ms));
    j["lag_entries"] = lag_entries;
    j["lag_ms"] = lag_ms;
    if (t == Type::kDr) {
      // What a promotion now would lose: what the primary committed (as last
      // heard) and this cluster has not applied.
      j["promotion_data_loss"] = {{"entries", lag_entries},
                                  {"ms", lag_ms},
                                  {"as_of", TimeText(cs.last_heartbeat_ms)}};
    }
    j["primaries"] = Json::array(
        {{{"api_address", r.secondary->primary_api_addr},
          {"cluster_address", r.secondary->primary_cluster_addr},
          {"connection_status", cs.connection_state == "ready" ? "connected" : "disconnected"},
          {"last_heartbeat", TimeText(cs.last_heartbeat_ms)},
          {"last_heartbeat_duration_ms", "0"},
          {"clock_skew_ms", std::to_string(cs.clock_skew_ms)},
          {"replication_primary_canary_age_ms", std::to_string(canary_age)}}});
    if (cs.state == "merkle-sync") {
      j["merkle_sync_progress"] = {{"sync_progress", cs.sync_progress},
                                   {"sync_total_keys", cs.sync_total_keys}};
    }
    j["merkle_sync_stats"] = {{"syncs", cs.syncs},
                              {"keys_fetched", cs.keys_fetched},
                              {"keys_removed", cs.keys_removed}};
    j["stream_stats"] = {{"entries_applied", cs.entries_applied},
                         {"apply_batches", cs.apply_batches}};
    j["apply_lag_ms"] = {{"p50", cs.apply_lag_p50_ms},
                         {"p99", cs.apply_lag_p99_ms},
                         {"max", cs.apply_lag_max_ms},
                         {"samples", cs.lag_samples}};
    if (r.bootstrap_keys > 0 || r.bootstrap_ms > 0) {
      j["bootstrap"] = {{"keys_fetched", r.bootstrap_keys}, {"duration_ms", r.bootstrap_ms}};
    }
    if (!cs.last_error.empty()) j["last_error"] = cs.last_error;
    return j;
  }
  Json j = {{"mode", "disabled"}};
  if (!r.bootstrap_error.empty()) j["last_error"] = r.bootstrap_error;
  if (!reconfigure_error_.empty() && t == Type::kDr) j["last_error"] = reconfigure_error_;
  return j;
}

Json Manager::Health() {
  auto last = core_.replicated_log().LastPosition();
  std::string modes[2];
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Type t : {Type::kPerformance, Type::kDr}) {
      const Role& r = role(t);
      std::string& mode = modes[static_cast<size_t>(t)];
      if (r.bootstrapping) {
        mode = "bootstrapping";
      } else if (r.primary.has_value()) {
        mode = "primary";
      } else if (r.secondary.has_value()) {
        mode = "secondary";
      } else {
        mode = "disabled";
      }
    }
    // Before the first unseal a restarted DR secondary knows its role only
    // from its node marker.
    if (dr_secondary_.load() && modes[static_cast<size_t>(Type::kDr)] == "disabled") {
      modes[static_cast<size_t>(Type::kDr)] = "secondary";
    }
  }
  return Json{{"replication_performance_mode", modes[static_cast<size_t>(Type::kPerformance)]},
              {"replication_dr_mode", modes[static_cast<size_t>(Type::kDr)]},
              {"last_wal", last.ok() ? last->index : 0}};
}

std::string Manager::Metrics() {
  std::ostringstream out;
  for (Type t : {Type::kPerformance, Type::kDr}) {
    const std::string name(TypeName(t));
    const std::string prefix = "coffer_replication_" + name + "_";
    Json status = TypeStatus(t);
    const std::string mode = status.value("mode", "disabled");
    auto gauge = [&](const std::string& metric, const std::string& help, const auto& value) {
      out << "# HELP " << prefix << metric << " " << help << "\n"
          << "# TYPE " << prefix << metric << " gauge\n"
          << prefix << metric << " " << value << "\n";
    };
    out << "# HELP " << prefix << "mode This cluster's " << name << " replication mode.\n"
        << "# TYPE " << prefix << "mode gauge\n";
    for (const char* m : {"disabled", "primary", "secondary", "bootstrapping"}) {
      out << prefix << "mode{mode=\"" << m << "\"} " << (mode == m ? 1 : 0) << "\n";
    }
    if (mode == "secondary") {
      std::string canary = "0";
      if (status.contains("primaries") && !status["primaries"].empty()) {
        canary = status["primaries"][0].value("replication_primary_canary_age_ms", "0");
      }
      gauge("last_remote_wal", "Last upstream WAL index applied.",
            status.value("last_remote_wal", uint64_t{0}));
      gauge("lag_entries", "Upstream WAL entries not applied yet.",
            status.value("lag_entries", uint64_t{0}));
      gauge("lag_ms", "Commit-time distance to the primary's newest entry.",
            status.value("lag_ms", int64_t{0}));
      gauge("canary_age_ms", "Age of the newest primary write seen.", canary);
      gauge("connected", "Whether the stream to the primary is up.",
            status.value("connection_state", "") == "ready" ? 1 : 0);
    }
    if (mode == "primary") {
      size_t connected = 0;
      for (const Json& s : status["secondaries"]) {
        if (s.value("connection_status", "") == "connected") ++connected;
      }
      gauge("known_secondaries", "Registered secondaries.", status["known_secondaries"].size());
      gauge("connected_secondaries", "Secondaries streaming now.", connected);
    }
  }
  return out.str();
}

}  // namespace coffer::replication
