// The sys/ paths for leases, as framework paths relative to the sys mount:
//
//   leases/lookup               PUT {lease_id} -> {id, issue_time, expire_time,
//                               last_renewal, renewable, ttl}
//   leases/lookup/*prefix       LIST (sudo) -> {keys}
//   leases/renew[/*lease_id]    PUT {lease_id, increment} -> lease fields
//   leases/revoke[/*lease_id]   PUT {lease_id, sync} -> 204 (sync) / 202
//   leases/revoke-prefix/*prefix  PUT {sync} (sudo)
//   leases/revoke-force/*prefix   PUT (sudo): drops leases whatever the engine says
//   leases/tidy                 PUT
// and the legacy renew[/*], revoke[/*], revoke-prefix/*, revoke-force/*.
// Sudo is enforced by the core (IsSudoPath lists the sudo ones).
//
// Thread-safety: the handlers keep no state; the manager must outlive them.
#pragma once

#include <vector>

#include "core/expiration.h"
#include "engines/framework.h"

namespace coffer::core {

std::vector<framework::Path> SysLeasePaths(ExpirationManager& leases);

// The data of a lease lookup at `now`.
Json LeaseLookupData(const LeaseEntry& e, int64_t now);

}  // namespace coffer::core
