// PolicyStore: ACL policies kept through the barrier, and the compiled Acl
// for a token's set of policy names.
//
// Storage: "sys/policy/<name>" holds {"name": <name>, "policy": <raw text>}.
// Built-ins are not stored: "root" (grants everything; reads as empty text)
// and "response-wrapping" (what a wrapping token may do). "default" is stored
// like any other policy: Setup() writes it when missing and never overwrites
// an operator's edited copy.
//
// Rules: names are lower-cased and trimmed; "root" and "response-wrapping"
// cannot be written or deleted; "default" cannot be deleted. Put validates by
// parsing, so every stored policy compiles.
//
// Caching: AclFor caches one compiled Acl per distinct set of names. Any
// Put/Delete empties the cache, so a change applies from the next request.
// A compile that raced with a change is used once but never cached.
//
// Thread-safety: all methods may be called concurrently. The cache is behind
// mu_, held only to look up or insert a shared_ptr<const Acl>; storage reads
// and compiling happen outside the lock, and callers check requests against
// their own snapshot without any lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "coffer/status.h"
#include "coffer/storage.h"
#include "core/acl.h"
#include "core/policy.h"

namespace coffer::core {

inline constexpr char kPolicyStoragePrefix[] = "sys/policy/";

class PolicyStore {
 public:
  explicit PolicyStore(storage::Backend* barrier);

  // After unseal: writes the built-in "default" policy if it is missing.
  Status Setup();
  // On seal: drops every cached Acl.
  void Reset();
  // A policy changed below the barrier (replication): drops every cached
  // Acl, so the change applies from the next request.
  void Invalidate();

  // nullopt when there is no such policy. "root" and "response-wrapping"
  // always exist.
  Result<std::optional<Policy>> Get(const std::string& name);
  // Parses `text` and stores it under the normalised name.
  Status Put(const std::string& name, const std::string& text);
  // Deleting a missing policy is not an error.
  Status Delete(const std::string& name);
  // Stored names plus "root", sorted (never "response-wrapping").
  Result<std::vector<std::string>> List();

  // The Acl for a token's policies. Unknown names are ignored (a token may
  // outlive a policy); "root" makes a root Acl.
  Result<std::shared_ptr<const Acl>> AclFor(const std::vector<std::string>& policy_names);

  // The text Setup() writes for "default".
  static const std::string& DefaultPolicyText();

 private:
  storage::Backend* barrier_;
  std::mutex mu_;
  uint64_t generation_ = 0;  // GUARDED_BY(mu_); bumped by every change
  std::map<std::string, std::shared_ptr<const Acl>> acl_cache_;  // GUARDED_BY(mu_)
};

}  // namespace coffer::core
