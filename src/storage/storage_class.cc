#include "storage/storage_class.h"

namespace coffer::storage {
namespace {

// A rule ending in '/' matches every key under it; any other rule matches
// exactly that key. The most specific (longest) matching rule wins.
struct Rule {
  std::string_view pattern;
  StorageClass storage_class;
};

constexpr StorageClass kR = StorageClass::kReplicated;
constexpr StorageClass kL = StorageClass::kLocal;
constexpr StorageClass kN = StorageClass::kNode;

constexpr Rule kRules[] = {
    // Barrier and seal: a secondary unseals with the primary's keys.
    {"core/keyring", kR},
    {"core/seal-config", kR},
    // Mount and auth tables (core/router.cc), audit tables (Vault's names).
    {"core/mounts", kR},
    {"core/auth", kR},
    {"core/audit", kR},
    {"core/local-mounts", kL},
    {"core/local-auth", kL},
    {"core/local-audit", kL},
    // This cluster's name and id: a performance secondary keeps its own.
    {"core/cluster-info", kL},
    // Response-wrapping key material of this cluster.
    {"core/wrapping/", kL},
    // Replication state through the barrier: each cluster's own (set CAs,
    // secondaries, its role), except the primary's lag canary and the key
    // that signs X-Vault-Index states, which secondaries must see.
    {"core/replication/", kL},
    {"core/replication/canary", kR},
    {"core/replication/index-key", kR},
    // A DR secondary's own role state and the hash of its one-shot DR
    // operation token: they describe this node's place in its DR set, which
    // its DR primary must never overwrite (and would not know).
    {"core/replication/dr/secondary", kN},
    {"core/replication/dr/operation-token", kN},
    // Replication metadata below the barrier (upstream positions).
    {"replication/", kL},
    // A DR follower's own position in its DR primary's log. A performance
    // secondary's position (replication/upstream/performance) stays local:
    // its DR secondaries need it to take over in the performance set.
    {"replication/upstream/dr", kN},
    // Policies and token roles are configuration.
    {"sys/policy/", kR},
    {"sys/token/roles/", kR},
    // Tokens (core/token_store_keys.h) and leases (core/lease.h).
    {"sys/token/salt", kL},
    {"sys/token/id/", kL},
    {"sys/token/accessor/", kL},
    {"sys/token/parent/", kL},
    {"sys/expire/", kL},
    {kNodePrefix, kN},
};

bool Matches(std::string_view pattern, std::string_view key) {
  if (!pattern.empty() && pattern.back() == '/') return key.starts_with(pattern);
  return key == pattern;
}

// "logical/<uuid>/" or "auth/<uuid>/" of a mount-data key, or "".
std::string_view MountPrefix(std::string_view key) {
  size_t first = key.find('/');
  if (first == std::string_view::npos) return {};
  std::string_view root = key.substr(0, first + 1);
  if (root != "logical/" && root != "auth/") return {};
  size_t second = key.find('/', first + 1);
  if (second == std::string_view::npos || second == first + 1) return {};
  return key.substr(0, second + 1);
}

}  // namespace

std::string_view StorageClassName(StorageClass c) {
  switch (c) {
    case StorageClass::kReplicated:
      return "replicated";
    case StorageClass::kLocal:
      return "local";
    case StorageClass::kNode:
      return "node";
  }
  return "unknown";
}

MountClasses MountClassesFromEntries(const std::vector<MountEntry>& entries) {
  MountClasses out;
  for (const MountEntry& e : entries) {
    // A cubbyhole is per-token, hence per-cluster, whatever its entry says.
    const bool local = e.local || (!e.is_auth && e.type == "cubbyhole");
    out.by_prefix[e.StoragePrefix()] = local ? kL : kR;
  }
  return out;
}

Classification Classify(std::string_view key, const MountClasses& mounts) {
  if (std::string_view prefix = MountPrefix(key); !prefix.empty()) {
    auto it = mounts.by_prefix.find(std::string(prefix));
    if (it != mounts.by_prefix.end()) return {it->second, "mount"};
    return {kDefaultClass, "default"};
  }
  const Rule* best = nullptr;
  for (const Rule& rule : kRules) {
    if (Matches(rule.pattern, key) && (best == nullptr || rule.pattern.size() > best->pattern.size())) {
      best = &rule;
    }
  }
  if (best == nullptr) return {kDefaultClass, "default"};
  return {best->storage_class, best->pattern};
}

}  // namespace coffer::storage
