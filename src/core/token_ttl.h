// token_ttl: the arithmetic behind a token's lifetime, apart from storage.
//
// A token's TTL is chosen once at creation (InitialTtl) and recomputed on every
// renewal (RenewedTtl). The rules follow Vault's documented behaviour:
//  - Creation: the requested ttl, else the role's, else the mount's default,
//    else the system default; capped by the effective max (mount max, else the
//    system max), an auth role's max and explicit_max_ttl, whichever is least.
//  - Periodic tokens: the period replaces the ttl (creation and every renewal)
//    and only explicit_max_ttl caps it; the mount/system max does not.
//  - Renewal: the new TTL is `increment` (or the token's creation TTL when the
//    increment is 0) counted from now, never past creation + the effective
//    max (including explicit_max_ttl).
//
// Thread-safety: pure functions.
// Invariants: every returned TTL is >= 0. A 0 TTL from InitialTtl means the
// token never expires, which only happens when no default exists at all;
// RenewedTtl never returns 0 (it reports an error instead).
#pragma once

#include <cstdint>
#include <string>

#include "coffer/status.h"
#include "common/time_format.h"  // FormatRfc3339, used with the TTLs

namespace coffer::core {

// Inputs for a new token's TTL. Every value is in seconds; 0 means "not set".
struct TtlInputs {
  int64_t requested_ttl = 0;     // the request's ttl (or an auth method's lease)
  int64_t role_ttl = 0;          // a role's default ttl (auth roles: token_ttl)
  int64_t role_max_ttl = 0;      // a role's max ttl (auth roles: token_max_ttl)
  int64_t explicit_max_ttl = 0;  // hard cap that no renewal can pass
  int64_t period = 0;            // periodic token: replaces the ttl
  int64_t mount_default_ttl = 0;
  int64_t mount_max_ttl = 0;
  int64_t system_default_ttl = 0;
  int64_t system_max_ttl = 0;
};

struct TtlDecision {
  int64_t ttl = 0;
  // Set when the chosen ttl was lowered by a cap: Vault's wording,
  //   TTL of "<x>" exceeded the effective max_ttl of "<y>"; TTL value is
  //   capped accordingly
  std::string warning;
};

// The mount's value when set, else the system's.
int64_t EffectiveDefaultTtl(int64_t mount_default, int64_t system_default);
int64_t EffectiveMaxTtl(int64_t mount_max, int64_t system_max);

// The TTL of a new token.
TtlDecision InitialTtl(const TtlInputs& in);

// Inputs for a renewal. Times are unix seconds.
struct RenewInputs {
  int64_t now = 0;
  int64_t creation_time = 0;
  int64_t creation_ttl = 0;  // the TTL the token was issued with
  int64_t current_ttl = 0;   // 0: the token never expires
  int64_t increment = 0;     // 0: renew by creation_ttl
  int64_t period = 0;
  int64_t explicit_max_ttl = 0;
  int64_t max_ttl = 0;  // effective mount/system max; 0 = none
  bool renewable = false;
};

// The token's new TTL counted from `now`. Errors (kInvalidArgument):
//   "lease not found or lease is not renewable"  a non-expiring token
//   "lease is not renewable"                      renewable == false
//   "lease expired"                               nothing is left to extend
Result<int64_t> RenewedTtl(const RenewInputs& in);

}  // namespace coffer::core
