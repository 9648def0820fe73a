// The failover drill of one site (`coffer topology failover SITE`):
//
//   1. a writer starts KV v2 writes (secret/drill/<run>/<n>) on the site's
//      active cluster and counts the acknowledged ones;
//   2. the active cluster is killed (SIGKILL) or, planned, demoted
//      (sys/replication/dr/primary/demote);
//   3. the writer turns to the site's DR replica, which is promoted with the
//      batch DR operation token prepared on the old cluster (a one-shot token
//      from the unseal keys if that one is refused);
//   4. performance replicas that followed a promoted primary are re-pointed
//      (update-primary with update_primary_addrs); a promoted DR replica of a
//      performance replica takes that replica's place by itself;
//   5. measured: time from the kill/demotion to the first write acknowledged
//      by the promoted cluster, and acknowledged writes missing there.
// The state records the promoted cluster as the site's active one.
//
// Thread-safety: one caller; the writer thread is joined before returning.
// Invariants: no token or key appears in the report or the progress lines.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/topology_state.h"
#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::cli {

struct DrillReport {
  std::string site;
  bool planned = false;
  std::string old_active;
  std::string promoted;
  std::string promoted_role;   // its role now: "primary" or "performance"
  std::string token_used;      // "batch" or "one-shot"
  double restore_seconds = 0;  // kill/demotion -> first write acknowledged by the promoted cluster
  double promote_seconds = 0;  // promote call -> promotion finished
  long long acknowledged = 0;  // writes acknowledged during the drill (both clusters)
  long long acknowledged_before = 0;  // of those, by the old cluster
  long long failed_attempts = 0;      // writes refused or unanswered while service was down
  long long missing_writes = 0;       // acknowledged, but not on the promoted cluster
  std::vector<std::string> missing_sample;  // up to 5 missing keys
  std::vector<std::string> repointed;       // "<cluster>: streaming from <promoted>"
};

Result<DrillReport> RunFailoverDrill(TopologyState& state, const std::string& site, bool planned,
                                     const TransportFactory& factory, std::ostream& progress);

std::string FormatDrillReport(const DrillReport& report);
Json DrillReportJson(const DrillReport& report);

}  // namespace coffer::cli
