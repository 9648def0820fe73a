// What `coffer topology` prints: the cluster table after `up`, the
// VAULT_ADDR/VAULT_TOKEN lines per site, and the `status` table.
//
// Thread-safety: pure functions.
// Invariants: root tokens appear only in ClusterTable and SiteExports (the
// table the issue asks `up` to print); status output holds none.
#pragma once

#include <string>
#include <vector>

#include "cli/topology_state.h"
#include "coffer/json.h"

namespace coffer::cli {

// SITE, CLUSTER, ROLE, API ADDRESS, CLUSTER ADDRESS, ROOT TOKEN.
std::string ClusterTable(const TopologyState& state);

// One "export VAULT_ADDR=... VAULT_TOKEN=...  # site ..." line per site, for
// its active cluster.
std::string SiteExports(const TopologyState& state);

// What status learned about one cluster.
struct ClusterHealth {
  bool process_running = false;
  int health = 0;           // sys/health status, 0 when unreachable
  Json performance;         // sys/replication/performance/status data (null if unknown)
  Json dr;                  // sys/replication/dr/status data
  long long lag_entries = -1;  // behind its upstream, -1 when not a streaming secondary
};

// SITE, CLUSTER, ROLE, PROCESS, HEALTH, PERFORMANCE, DR, LAG.
std::string StatusTable(const TopologyState& state, const std::vector<ClusterHealth>& health);

}  // namespace coffer::cli
