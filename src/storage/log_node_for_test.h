// Test-only helpers for tests of the replicated log: a "cluster" (a physical
// in-memory store and the log over it, restartable) and small accessors.
// Header-only so it stays out of coffer_storage; include it from *_test.cc
// files only.
//
// Thread-safety: none; one test thread.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "storage/inmem_backend.h"
#include "storage/merkle_diff.h"
#include "storage/merkle_index.h"
#include "storage/replicated_log.h"

namespace coffer::storage::testing {

// A replicated mount whose data lives under "logical/u/".
inline MountClassesPtr SharedMountU() {
  MountEntry u;
  u.uuid = "u";
  return std::make_shared<const MountClasses>(MountClassesFromEntries({u}));
}

inline std::string EmptyRoot() { return MerkleTree().Root(); }

// One cluster: a physical store and the log over it.
struct Node {
  explicit Node(ReplicatedLogOptions options = {}, bool knows_mount_u = true)
      : physical(NewInmemBackend()), options(options), knows_mount_u(knows_mount_u) {
    Restart();
  }
  // A new log over the same store (a process restart).
  void Restart() {
    log.reset();
    log = std::make_unique<ReplicatedLog>(physical.get(), options);
    if (knows_mount_u) log->SetMountClasses(SharedMountU());
    EXPECT_TRUE(log->Open().ok());
  }
  std::string Root(StorageClass c) { return *log->MerkleRoot(c); }
  WalPosition Last() { return *log->LastPosition(); }
  std::optional<std::string> Get(const std::string& k) { return *log->Get(k); }

  BackendPtr physical;
  ReplicatedLogOptions options;
  bool knows_mount_u;
  std::unique_ptr<ReplicatedLog> log;
};

inline UpstreamPosition PositionOf(const WalEntry& e) {
  return {e.index, e.hash, e.commit_time_ms};
}

// Every key in the Merkle tree of class c of a node.
inline std::set<std::string> TreeKeys(Node& node, StorageClass c) {
  std::set<std::string> out;
  for (uint32_t b = 0; b < kMerkleBuckets; ++b) {
    auto keys = node.log->MerkleBucketKeys(c, b);
    EXPECT_TRUE(keys.ok());
    if (!keys.ok()) return out;
    for (const auto& [k, h] : *keys) out.insert(k);
  }
  return out;
}

// merkle-diff of class c, as a secondary's client does it: differing buckets
// -> keys of those buckets -> exact key diff -> the ops that make the
// secondary's class-c keys the primary's, and the primary's WAL position the
// buckets matched.
struct ClassDiff {
  std::vector<Op> ops;
  UpstreamPosition at;
  size_t fetched = 0;
  size_t removed = 0;
};

inline ClassDiff DiffClass(Node& primary, Node& secondary, StorageClass c) {
  ClassDiff out;
  auto remote = primary.log->Snapshot(c);
  auto local = secondary.log->Snapshot(c);
  EXPECT_TRUE(remote.ok() && local.ok());
  if (!remote.ok() || !local.ok()) return out;
  out.at = UpstreamPosition{remote->position.index, remote->position.hash, 0};
  for (uint32_t b : DifferingBuckets(local->buckets, remote->buckets)) {
    auto mine = secondary.log->MerkleBucketKeys(c, b);
    auto theirs = primary.log->MerkleBucketKeys(c, b);
    EXPECT_TRUE(mine.ok() && theirs.ok());
    if (!mine.ok() || !theirs.ok()) return out;
    KeyDiff d = DiffKeys(*mine, *theirs);
    for (const std::string& k : d.fetch) {
      std::optional<std::string> v = primary.Get(k);
      out.ops.push_back(v.has_value() ? Op::Put(k, *v) : Op::Delete(k));
    }
    for (const std::string& k : d.remove) out.ops.push_back(Op::Delete(k));
    out.fetched += d.fetch.size();
    out.removed += d.remove.size();
  }
  return out;
}

}  // namespace coffer::storage::testing
