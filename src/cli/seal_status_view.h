// How `status` and `operator unseal` show a seal-status object (and, for
// `status`, the sys/leader object) as table rows or as one JSON object.
//
// Thread-safety: pure functions.
// Invariants: missing or mistyped fields render as their zero value; nothing
// here fails on a malformed server reply.
#pragma once

#include <vector>

#include "cli/output.h"
#include "coffer/json.h"

namespace coffer::cli {

// Rows: Seal Type, Initialized, Sealed, Total Shares, Threshold, then while
// sealed Unseal Progress ("p/t") and Unseal Nonce ("n/a" when none), Version,
// Build Date, Storage Type, Cluster Name/ID when the server sent them, and
// with a `leader` object HA Enabled (plus HA Cluster/HA Mode/Active Since
// when HA is on). `leader` may be null.
std::vector<Row> SealStatusRows(const Json& seal_status, const Json& leader);

// The seal-status object with the leader fields merged in (JSON output).
Json SealStatusJson(const Json& seal_status, const Json& leader);

}  // namespace coffer::cli
