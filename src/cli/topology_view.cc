#include "cli/topology_view.h"

#include <set>

#include "cli/output.h"
#include "cli/reply_fields.h"

namespace coffer::cli {
namespace {

std::string ModeText(const Json& s) {
  if (!s.is_object()) return "-";
  std::string mode = StringField(s, "mode", "-");
  std::string state = StringField(s, "state");
  if (mode == "secondary" && !state.empty()) return mode + " (" + state + ")";
  return mode;
}

std::string HealthText(int status) {
  switch (status) {
    case 0: return "unreachable";
    case 200: return "active";
    case 429: return "standby";
    case 472: return "dr-secondary";
    case 473: return "perf-standby";
    case 501: return "uninitialised";
    case 503: return "sealed";
    default: return std::to_string(status);
  }
}

}  // namespace

std::string ClusterTable(const TopologyState& state) {
  std::vector<std::vector<std::string>> rows = {
      {"SITE", "CLUSTER", "ROLE", "API ADDRESS", "CLUSTER ADDRESS", "ROOT TOKEN"}};
  for (const ClusterState& c : state.clusters) {
    std::string role(RoleName(c.role));
    if (!c.of.empty()) role += " of " + c.of;
    if (c.condition != "running") role += " [" + c.condition + "]";
    rows.push_back({c.site, c.name, role, c.api_addr(), c.cluster_addr(), c.root_token});
  }
  return FormatColumns(rows);
}

std::string SiteExports(const TopologyState& state) {
  std::string out;
  std::set<std::string> seen;
  for (const ClusterState& c : state.clusters) {
    if (!seen.insert(c.site).second) continue;
    const ClusterState* active = nullptr;
    for (const ClusterState& a : state.clusters) {
      if (a.site == c.site && a.role != ClusterRole::kDr && a.condition == "running") active = &a;
    }
    if (active == nullptr) continue;
    out += "export VAULT_ADDR=" + active->api_addr() + " VAULT_TOKEN=" + active->root_token +
           "   # site " + c.site + ": " + active->name + " (" +
           std::string(RoleName(active->role)) + ")\n";
  }
  return out;
}

std::string StatusTable(const TopologyState& state, const std::vector<ClusterHealth>& health) {
  std::vector<std::vector<std::string>> rows = {
      {"SITE", "CLUSTER", "ROLE", "PROCESS", "HEALTH", "PERFORMANCE", "DR", "LAG"}};
  for (size_t i = 0; i < state.clusters.size() && i < health.size(); ++i) {
    const ClusterState& c = state.clusters[i];
    const ClusterHealth& h = health[i];
    std::string role(RoleName(c.role));
    if (!c.of.empty()) role += " of " + c.of;
    std::string process = h.process_running ? "pid " + std::to_string(c.pid) : c.condition;
    std::string lag = "-";
    if (h.lag_entries >= 0) {
      lag = std::to_string(h.lag_entries) + " entries";
      const Json& side = c.role == ClusterRole::kDr ? h.dr : h.performance;
      if (side.is_object() && side.contains("apply_lag_ms")) {
        lag += ", " + std::to_string(IntField(side, "apply_lag_ms")) + " ms";
      }
    }
    rows.push_back({c.site, c.name, role, process,
                    h.process_running ? HealthText(h.health) : "-", ModeText(h.performance),
                    ModeText(h.dr), lag});
  }
  return FormatColumns(rows);
}

}  // namespace coffer::cli
