// Acl: the compiled access rules of one set of policies, and the decision for
// a request (operation, path, data).
//
// Patterns (policy paths):
//   exact      "secret/foo"        only that path
//   glob       "secret/foo*"       any path starting with "secret/foo" (the
//                                  '*' counts only as the last character)
//   segment    "secret/+/config"   '+' as a whole segment matches exactly one
//                                  non-empty segment; combinable with a
//                                  trailing '*' ("secret/+/data/*").
// Patterns containing an identity template ("{{...}}") never match: Coffer
// has no identity store to resolve them.
//
// Which rule applies (Vault's documented order):
//   1. an exact rule for the path wins outright;
//   2. else, among the matching glob and segment rules, the highest priority
//      wins, comparing in order (first difference decides):
//        a. the later first wildcard ('+' or '*') wins;
//        b. a pattern not ending in '*' beats one that does;
//        c. fewer '+' segments win;
//        d. the longer pattern (without its trailing '*') wins;
//        e. the lexicographically larger pattern wins.
//   Rules with the same pattern from several policies are merged first:
//   capabilities are united, a deny in any of them leaves only deny, and
//   parameter constraints are united key by key (an empty value list, "any
//   value", absorbs a non-empty one). Different patterns never merge.
//   3. LIST of "p/": rules for "p/" and for "p" both compete; the most
//      specific deny among them wins if it is at least as specific as the
//      most specific rule granting list, else that list rule applies.
//
// Parameters (read, create, update, patch): every required parameter must be
// present; a request without data is then allowed; "*" in denied refuses any
// data; a denied key refuses its listed values (all values when the list is
// empty); when allowed_parameters is non-empty, every key must be allowed
// (by name, by "*", or by a name glob like "ttl_*" / "*_ttl") and its value
// must be one of the listed values (empty list = any). Values match as text;
// a listed string value may start and/or end with '*' as a glob. A list value
// in the request is checked element by element. Parameter names compare case
// insensitively.
//
// Thread-safety: an Acl is immutable after Compile and shared between
// requests as std::shared_ptr<const Acl>; Check may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "coffer/json.h"
#include "coffer/logical.h"
#include "coffer/status.h"
#include "core/policy.h"

namespace coffer::core {

struct AclDecision {
  bool allowed = false;
  // The applying rule grants sudo (or the ACL is root). Root-protected paths
  // (IsSudoPath) need allowed && sudo; the core enforces that.
  bool sudo = false;
  bool root = false;
  // Wrapping bounds of the applying rule, in seconds (0 = none). A non-zero
  // min means the response must be wrapped; the core enforces both.
  int64_t min_wrapping_ttl = 0;
  int64_t max_wrapping_ttl = 0;
  // Why it was denied (or which rule allowed), for logs. Never contains
  // request values.
  std::string reason;
};

class Acl {
 public:
  // One rule after merging every policy's rules for the same pattern.
  struct Rule {
    std::string pattern;
    std::string base;                   // pattern without its trailing '*'
    bool glob = false;                  // ends in '*'
    std::vector<std::string> segments;  // of base, when it has '+' segments
    int plus_count = 0;
    size_t first_wildcard = 0;  // npos for exact rules
    PathRule perms;
  };

  // A policy named "root" makes the ACL root: everything is allowed,
  // including sudo.
  static Result<std::shared_ptr<const Acl>> Compile(const std::vector<Policy>& policies);

  AclDecision Check(Operation op, const std::string& path, const Json& data) const;

  // Capability names for sys/capabilities: sorted; ["root"] for a root ACL;
  // ["deny"] when no rule applies or the rule denies or grants nothing.
  std::vector<std::string> Capabilities(const std::string& path) const;

  bool IsRoot() const { return root_; }

  // Whether any rule grants some capability on `prefix` or on a path below
  // it (sys/internal/ui/mounts: may the caller see this mount at all?).
  bool GrantsAnythingUnder(const std::string& prefix) const;

 private:
  Acl() = default;

  // The applying rule for `path`, or null.
  const Rule* Lookup(const std::string& path) const;
  const Rule* LookupForList(const std::string& path) const;
  void Candidates(const std::string& path, std::vector<const Rule*>* out) const;

  bool root_ = false;
  std::unordered_map<std::string, Rule> exact_;
  std::vector<Rule> wildcard_;  // glob and segment rules
};

// Root-protected paths (Vault's "sudo" paths): a request needs the sudo
// capability on the path in addition to the operation's capability. Paths as
// requested, without "/v1/" and without a leading '/'. Covers the core's own
// paths (sys/..., auth/token/...); engines declare theirs (e.g. PKI's
// root/sign-self-issued) relative to their mount.
bool IsSudoPath(const std::string& path);

}  // namespace coffer::core
