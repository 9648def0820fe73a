// Storage classes: which clusters a physical key travels to.
//
// Every key the barrier writes belongs to exactly one class, decided by its
// prefix (DESIGN §4):
//   replicated  goes to performance and DR secondaries (keyring, seal config,
//               mount and auth tables, policies, token roles, data of
//               non-local mounts)
//   local       goes to this cluster's DR secondaries only (tokens, accessors,
//               leases, the cluster identity, local mount tables, data of
//               local=true mounts and of the cubbyhole)
//   node        never leaves this node (its replication bookkeeping: the WAL
//               and the Merkle index themselves live here)
// A key matching no rule is *local* (kDefaultClass): an unknown key is never
// shipped to a performance secondary, whose operators may be a different
// trust domain, yet a DR secondary still has it after failover. The
// classification table is documented in docs/formats/wal.md.
//
// Mount data ("logical/<uuid>/..." and "auth/<uuid>/...") is classified
// through a MountClasses snapshot built from the mount tables: the router
// publishes a new one whenever its tables change.
//
// Thread-safety: pure functions; MountClasses is an immutable value shared by
// pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "coffer/engine.h"

namespace coffer::storage {

enum class StorageClass : uint8_t { kReplicated = 0, kLocal = 1, kNode = 2 };

inline constexpr StorageClass kDefaultClass = StorageClass::kLocal;

// "replicated", "local", "node".
std::string_view StorageClassName(StorageClass c);

// Storage prefix of every mount ("logical/<uuid>/", "auth/<uuid>/") -> its
// class: local for local=true mounts and the cubbyhole, replicated otherwise.
struct MountClasses {
  std::unordered_map<std::string, StorageClass> by_prefix;
};
using MountClassesPtr = std::shared_ptr<const MountClasses>;

MountClasses MountClassesFromEntries(const std::vector<MountEntry>& entries);

struct Classification {
  StorageClass storage_class = kDefaultClass;
  // The rule that decided: a prefix or key of the table, "mount" for mount
  // data, "default" when nothing matched (tests assert no known key does).
  std::string_view rule;
};

Classification Classify(std::string_view key, const MountClasses& mounts);

// Node-class prefix; the WAL and Merkle index live under it.
inline constexpr std::string_view kNodePrefix = "node/";

}  // namespace coffer::storage
