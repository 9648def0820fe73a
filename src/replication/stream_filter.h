// What a secondary may receive. A performance secondary: the replicated
// class, minus the mounts its paths filter withholds. A DR secondary: the
// replicated and local classes, unfiltered. The primary applies this to every WAL
// entry it streams and to every key it lists or hands out for a Merkle sync.
//
// A filter names mount paths ("secret/", "auth/userpass/"). In "deny" mode
// the data of those mounts is withheld; in "allow" mode the data of every
// other secret or auth mount is. The built-in mounts (sys/, auth/token/,
// cubbyhole/) keep their data under their own prefixes and are never filtered.
// The mount tables themselves always replicate (a filtered mount exists on
// the secondary but holds nothing there).
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "coffer/engine.h"
#include "replication/state.h"
#include "storage/wal_entry.h"
#include "replication.pb.h"

namespace coffer::replication {

struct StreamFilter {
  bool replicated_only = true;           // performance: drop local-class ops
  std::vector<std::string> withheld;     // storage prefixes ("logical/<uuid>/")
  bool Admits(storage::StorageClass c, std::string_view key) const;
};

StreamFilter PerformanceFilter(const PathsFilter* filter, const std::vector<MountEntry>& mounts);
// What a DR secondary may receive: both classes, every mount (node-class keys
// never travel).
StreamFilter DrFilter();

// An entry as it goes on the wire: the ops the filter admits; `redacted` when
// some were left out (the receiver then checks only the chain link).
v1::WalEntry ToWire(const storage::WalEntry& entry, const StreamFilter& filter);
// Back, with the checks a receiver makes: classes and kinds known, hash and
// prev_hash 32 bytes, and for an unredacted entry hash == SHA-256(prev||body).
// kCorruption naming the index otherwise.
Result<storage::WalEntry> FromWire(const v1::WalEntry& wire);

}  // namespace coffer::replication
