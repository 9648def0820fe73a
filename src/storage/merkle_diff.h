// Merkle diff: the pure comparisons of merkle-diff / merkle-sync
// (docs/formats/merkle.md). A secondary compares its bucket hashes with the
// primary's, lists the (key, value hash) pairs of only the differing buckets on
// both sides, and derives exactly the keys to fetch and the keys to delete.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace coffer::storage {

// Indexes of the buckets whose hashes differ, ascending. A bucket present on
// one side only (a malformed, short list) counts as differing.
std::vector<uint32_t> DifferingBuckets(const std::vector<std::string>& local,
                                       const std::vector<std::string>& remote);

struct KeyDiff {
  std::vector<std::string> fetch;   // remote has it, local lacks it or holds another value
  std::vector<std::string> remove;  // local has it, remote does not
  bool operator==(const KeyDiff&) const = default;
};

// local/remote: (key, value hash) sorted by key, each key at most once (what
// ReplicatedLog::MerkleBucketKeys returns). Both outputs are sorted.
KeyDiff DiffKeys(const std::vector<std::pair<std::string, std::string>>& local,
                 const std::vector<std::pair<std::string, std::string>>& remote);

}  // namespace coffer::storage
