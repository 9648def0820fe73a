#include "core/policy_store.h"

#include <algorithm>
#include <utility>

#include "common/log.h"

namespace coffer::core {
namespace {

// Distinct policy sets cached at once; past this the cache starts over (a
// bound against tokens with ever-new combinations, not a tuning knob).
constexpr size_t kMaxCachedAcls = 4096;

constexpr char kDefaultPolicyText[] =
    R"(# Built-in "default" policy: attached to every token created without
# no_default_policy. Operators may edit it; it cannot be deleted.

# A token may inspect, renew and revoke itself.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}

# ...and ask what it may do.
path "sys/capabilities-self" {
  capabilities = ["update"]
}
path "sys/internal/ui/resultant-acl" {
  capabilities = ["read"]
}

# Renew and look up the leases it holds.
path "sys/renew" {
  capabilities = ["update"]
}
path "sys/leases/renew" {
  capabilities = ["update"]
}
path "sys/leases/lookup" {
  capabilities = ["update"]
}

# Its own cubbyhole, private to the token.
path "cubbyhole/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap data, inspect and unwrap wrapping tokens.
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}

# Hashing helpers.
path "sys/tools/hash" {
  capabilities = ["update"]
}
path "sys/tools/hash/*" {
  capabilities = ["update"]
}
)";

// A wrapping token may only read its wrapped response and make the
// sys/wrapping/* calls on itself (unwrap, lookup, rewrap).
constexpr char kResponseWrappingText[] = R"(path "cubbyhole/response" {
  capabilities = ["create", "read"]
}
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}
path "sys/wrapping/rewrap" {
  capabilities = ["update"]
}
)";

constexpr char kRootName[] = "root";
constexpr char kDefaultName[] = "default";
constexpr char kResponseWrappingName[] = "response-wrapping";
constexpr char kControlGroupName[] = "control-group";

bool Immutable(const std::string& name) {
  return name == kRootName || name == kResponseWrappingName || name == kControlGroupName;
}

bool Undeletable(const std::string& name) { return Immutable(name) || name == kDefaultName; }

// Names are one path segment; anything else can never be stored.
bool StorableName(const std::string& name) {
  return !name.empty() && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// Unambiguous cache key for a sorted name set.
std::string CacheKey(const std::vector<std::string>& names) {
  std::string key;
  for (const std::string& n : names) {
    key += std::to_string(n.size());
    key += ':';
    key += n;
  }
  return key;
}

}  // namespace

PolicyStore::PolicyStore(storage::Backend* barrier) : barrier_(barrier) {}

const std::string& PolicyStore::DefaultPolicyText() {
  static const std::string text(kDefaultPolicyText);
  return text;
}

Status PolicyStore::Setup() {
  Invalidate();
  ASSIGN_OR_RETURN(auto existing, barrier_->Get(std::string(kPolicyStoragePrefix) + kDefaultName));
  if (existing.has_value()) return Status::Ok();
  COFFER_LOG(kInfo, "policy") << "creating the built-in default policy";
  return Put(kDefaultName, DefaultPolicyText());
}

void PolicyStore::Reset() { Invalidate(); }

void PolicyStore::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  acl_cache_.clear();
}

Result<std::optional<Policy>> PolicyStore::Get(const std::string& name) {
  const std::string n = NormalizePolicyName(name);
  if (n == kRootName) return std::optional<Policy>(Policy{.name = kRootName});
  if (n == kResponseWrappingName) {
    ASSIGN_OR_RETURN(Policy p, ParsePolicy(n, kResponseWrappingText));
    return std::optional<Policy>(std::move(p));
  }
  if (!StorableName(n)) return std::optional<Policy>();
  ASSIGN_OR_RETURN(auto raw, barrier_->Get(kPolicyStoragePrefix + n));
  if (!raw.has_value()) return std::optional<Policy>();
  Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("policy") || !j["policy"].is_string()) {
    return Corruption("stored policy \"" + n + "\" is malformed");
  }
  Result<Policy> p = ParsePolicy(n, j["policy"].get<std::string>());
  if (!p.ok()) {
    // Put only stores what parses; reaching this means the entry was damaged
    // or written by an incompatible version.
    return Corruption("stored policy \"" + n + "\" no longer parses: " + p.status().message());
  }
  return std::optional<Policy>(std::move(p).value());
}

Status PolicyStore::Put(const std::string& name, const std::string& text) {
  const std::string n = NormalizePolicyName(name);
  if (Immutable(n)) return InvalidArgument("cannot update \"" + n + "\" policy");
  if (!StorableName(n)) return InvalidArgument("invalid policy name");
  ASSIGN_OR_RETURN(Policy policy, ParsePolicy(n, text));
  std::string value;
  try {
    value = Json{{"name", n}, {"policy", policy.raw}}.dump();
  } catch (const Json::exception&) {
    // The text was checked by ParsePolicy; only the name can be bad here.
    return InvalidArgument("policy name is not valid UTF-8");
  }
  RETURN_IF_ERROR(barrier_->Put(kPolicyStoragePrefix + n, std::move(value)));
  Invalidate();
  return Status::Ok();
}

Status PolicyStore::Delete(const std::string& name) {
  const std::string n = NormalizePolicyName(name);
  if (Undeletable(n)) return InvalidArgument("cannot delete " + n + " policy");
  if (!StorableName(n)) return Status::Ok();
  RETURN_IF_ERROR(barrier_->Delete(kPolicyStoragePrefix + n));
  Invalidate();
  return Status::Ok();
}

Result<std::vector<std::string>> PolicyStore::List() {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, barrier_->List(kPolicyStoragePrefix));
  std::vector<std::string> names;
  for (std::string& k : keys) {
    if (!k.empty() && k.back() != '/') names.push_back(std::move(k));
  }
  names.push_back(kRootName);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Result<std::shared_ptr<const Acl>> PolicyStore::AclFor(
    const std::vector<std::string>& policy_names) {
  std::vector<std::string> names;
  names.reserve(policy_names.size());
  for (const std::string& n : policy_names) names.push_back(NormalizePolicyName(n));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const std::string key = CacheKey(names);

  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = acl_cache_.find(key);
    if (it != acl_cache_.end()) return it->second;
    generation = generation_;
  }

  std::vector<Policy> policies;
  for (const std::string& n : names) {
    ASSIGN_OR_RETURN(std::optional<Policy> p, Get(n));
    if (p.has_value()) policies.push_back(std::move(*p));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const Acl> acl, Acl::Compile(policies));

  std::lock_guard<std::mutex> lock(mu_);
  // A Put/Delete since we read storage may have made this Acl stale: serve
  // it to this request (which started before the change) but don't keep it.
  if (generation == generation_) {
    if (acl_cache_.size() >= kMaxCachedAcls) acl_cache_.clear();
    acl_cache_.emplace(key, acl);
  }
  return acl;
}

}  // namespace coffer::core
