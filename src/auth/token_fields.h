// TokenFields: the token settings every auth user or role carries (Vault's
// "tokenutil" set): token_ttl, token_max_ttl, token_policies,
// token_bound_cidrs, token_explicit_max_ttl, token_no_default_policy,
// token_num_uses, token_period, token_type, and the deprecated spellings each
// method still accepts (policies, ttl, max_ttl, period, bound_cidrs).
//
// Thread-safety: pure functions and plain values.
// Invariants of a TokenFields returned by ParseTokenFields:
//  - policies are lower-cased, trimmed, de-duplicated and sorted;
//  - every bound CIDR parses; TTLs and num_uses are non-negative;
//  - max_ttl is 0 or >= ttl; type is one of kTokenTypes;
//  - a batch token has no period.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coffer/engine.h"
#include "coffer/json.h"
#include "coffer/logical.h"
#include "coffer/status.h"

namespace coffer::auth {

struct TokenFields {
  int64_t ttl = 0;      // seconds; 0 = the mount's default
  int64_t max_ttl = 0;  // seconds; 0 = the mount's maximum
  int64_t explicit_max_ttl = 0;
  int64_t period = 0;
  int64_t num_uses = 0;
  std::vector<std::string> policies;
  std::vector<std::string> bound_cidrs;
  bool no_default_policy = false;
  std::string type = "default";

  Json ToStored() const;
  static Result<TokenFields> FromStored(const Json& j);
};

// Which deprecated keys a method accepts on write and echoes on read (when
// non-empty). `policies` is accepted by every method.
struct LegacyTokenKeys {
  bool ttl = false;          // "ttl", "max_ttl"
  bool period = false;       // "period"
  bool bound_cidrs = false;  // "bound_cidrs"
};
inline constexpr LegacyTokenKeys kUserpassLegacyKeys{.ttl = true, .bound_cidrs = true};
inline constexpr LegacyTokenKeys kAppRoleLegacyKeys{.period = true};

// `current` with the fields present in `data` applied (absent and null keys
// leave a field alone). When both a token_* key and its deprecated alias are
// sent, the token_* key wins. Bad values are InvalidArgument.
Result<TokenFields> ParseTokenFields(const Json& data, TokenFields current,
                                     const LegacyTokenKeys& legacy);

// The read view: every token_* key, plus the method's deprecated keys whose
// value is set.
Json TokenFieldsToJson(const TokenFields& fields, const LegacyTokenKeys& legacy);

// Fills what the token for a login should be: policies (plus "default" unless
// no_default_policy), token_policies, lease_duration (token_ttl, else the
// mount default from `system`, capped by token_max_ttl, the mount maximum and
// token_explicit_max_ttl; a periodic token gets its period), explicit_max_ttl,
// period, num_uses, no_default_policy, token_type ("service" or "batch"),
// bound_cidrs, renewable (false for batch) and orphan (true: login tokens
// have no parent).
void FillAuth(const TokenFields& fields, AuthInfo* auth, const SystemView* system = nullptr);

}  // namespace coffer::auth
