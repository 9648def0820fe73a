// TokenRole: a named template for tokens created at
// auth/token/create/<role>: which policies they may carry, whether they are
// orphans, renewable, periodic, batch... Stored by the TokenStore at
// "sys/token/roles/<name>"; written and read through auth/token/roles/<name>.
//
// Thread-safety: plain values and pure functions.
// Invariants of a role returned by ApplyRoleFields or FromStored:
//  - policy lists are lower-cased, trimmed, de-duplicated and sorted;
//  - token_type is one of "service", "batch", "default-service",
//    "default-batch";
//  - a role whose token_type is "batch" is an orphan, non-renewable, and has
//    no period and no explicit max TTL;
//  - path_suffix uses only [A-Za-z0-9._/-] and contains no "..".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::core {

struct TokenRole {
  std::string name;
  std::vector<std::string> allowed_policies;
  std::vector<std::string> disallowed_policies;
  std::vector<std::string> allowed_policies_glob;
  std::vector<std::string> disallowed_policies_glob;
  std::vector<std::string> allowed_entity_aliases;
  std::vector<std::string> bound_cidrs;
  std::string path_suffix;
  std::string token_type = "default-service";
  int64_t period = 0;
  int64_t explicit_max_ttl = 0;
  int64_t num_uses = 0;
  bool orphan = false;
  bool renewable = true;
  bool no_default_policy = false;

  Json ToStored() const;
  static Result<TokenRole> FromStored(const Json& j);
};

// `current` with the fields present in `data` applied (a role write; absent
// fields keep their value, so an update leaves the rest alone). Accepts the
// token_* names and the legacy ones (period, explicit_max_ttl, bound_cidrs);
// the token_* name wins when both are sent. Bad values are InvalidArgument.
Result<TokenRole> ApplyRoleFields(const Json& data, TokenRole current);

// The read view (data of GET auth/token/roles/<name>).
Json RoleToJson(const TokenRole& role);

// Whether `policy` matches `pattern`, where '*' matches any run of characters.
bool PolicyGlobMatch(const std::string& pattern, const std::string& policy);

// Lower-cases, trims, drops empties, de-duplicates and sorts.
std::vector<std::string> NormalizePolicies(std::vector<std::string> policies);

}  // namespace coffer::core
