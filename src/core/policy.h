// Policy: one ACL policy document, parsed from HCL or JSON into path rules.
//
//   path "secret/data/app/*" {
//     capabilities       = ["read", "list"]
//     allowed_parameters = { "ttl" = [] }
//   }
//
// A policy is a list of PathRules; the Acl (core/acl.h) compiles the rules of
// all of a token's policies into one matcher. Parsing validates everything a
// client can get wrong (unknown keys, unknown capabilities, bad TTLs) so a
// stored policy always compiles.
//
// Thread-safety: plain values and pure functions.
// Invariants of a parsed Policy:
//  - name is lower-cased and trimmed (NormalizePolicyName);
//  - raw is the text exactly as given (what reads return);
//  - a rule's pattern has no leading '/';
//  - a rule whose capabilities include kCapDeny has no other capability and
//    no parameter constraints;
//  - parameter names in allowed/denied maps and required_parameters are
//    lower-cased; a "*" key maps to an empty value list;
//  - max_wrapping_ttl >= min_wrapping_ttl when both are set.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::core {

// Capability bits. kCapSudo grants nothing by itself: it is an extra
// requirement on root-protected paths.
enum Capability : uint32_t {
  kCapCreate = 1u << 0,
  kCapRead = 1u << 1,
  kCapUpdate = 1u << 2,
  kCapPatch = 1u << 3,
  kCapDelete = 1u << 4,
  kCapList = 1u << 5,
  kCapSudo = 1u << 6,
  kCapDeny = 1u << 7,
};

// "create" -> kCapCreate, ...; nullopt for an unknown name.
std::optional<uint32_t> CapabilityFromName(std::string_view name);
// Names of the set bits, sorted alphabetically ("create", "delete", ...).
// A set containing kCapDeny renders as ["deny"].
std::vector<std::string> CapabilityNames(uint32_t caps);

// The text Vault's reference policy names are kept in: lower case, without
// surrounding whitespace.
std::string NormalizePolicyName(std::string_view name);

// Parameter constraints: parameter name (or a glob on names, see acl.h) ->
// values. An empty list means "any value".
using ParameterMap = std::map<std::string, std::vector<Json>>;

struct PathRule {
  std::string pattern;  // as written, leading '/' removed
  uint32_t capabilities = 0;
  ParameterMap allowed_parameters;
  ParameterMap denied_parameters;
  std::vector<std::string> required_parameters;
  int64_t min_wrapping_ttl = 0;  // seconds; 0 = none
  int64_t max_wrapping_ttl = 0;
};

struct Policy {
  std::string name;
  std::string raw;
  std::vector<PathRule> paths;
};

// Parses `text` (HCL, or JSON when it starts with '{'). Errors are
// InvalidArgument "failed to parse policy: <detail>"; syntax errors carry the
// position as "<name>:<line>:<column>: <what>". A policy with no path blocks
// is valid (it grants nothing).
Result<Policy> ParsePolicy(const std::string& name, const std::string& text);

}  // namespace coffer::core
