// DigestFilter: a set of Merkle key digests that never forgets one it was
// given and rarely claims one it was not (a Bloom filter). The leaf index
// keeps one beside its table for the keys it has no room for, so a key
// neither held nor in the filter is known to have no leaf without reading
// storage.
//
//   DigestFilter unheld(max_keys);
//   if (!unheld.Add(digest)) { /* full: nothing added */ }
//   unheld.MayContain(digest);  // true for every digest added
//
// Each digest sets 7 bits in one 64-byte block (one cache line per lookup),
// 16 bits per key of `max_keys`: about 1 in 1,000 digests never added is
// claimed when the filter is full, far fewer before. Digests are already
// uniform (the first 16 bytes of SHA-256), so their bytes are used as they
// are: 8 pick the block, 8 the bits. Memory (2 bytes per key of max_keys) is
// taken at the first Add. Nothing is ever removed.
//
// Thread-safety: none.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "storage/merkle_index.h"

namespace coffer::storage {

class DigestFilter {
 public:
  // `max_keys`: how many distinct digests Add accepts; 0 accepts none.
  explicit DigestFilter(size_t max_keys = 0) : max_keys_(max_keys) {}

  bool empty() const { return added_ == 0; }
  // Adds that changed the filter (a digest it already claimed is not counted).
  size_t size() const { return added_; }

  bool MayContain(const MerkleKeyDigest& digest) const;
  // Adds the digest; false (and nothing added) when max_keys are already in.
  // A digest the filter already claims is accepted without counting.
  bool Add(const MerkleKeyDigest& digest);

 private:
  struct Block {
    std::array<uint64_t, 8> words;
  };
  struct Bits {
    size_t block;
    std::array<uint64_t, 8> mask;
  };
  Bits BitsOf(const MerkleKeyDigest& digest) const;
  static bool Holds(const Block& block, const Bits& b);

  size_t max_keys_;
  size_t added_ = 0;
  std::vector<Block> blocks_;  // empty until the first Add
};

}  // namespace coffer::storage
