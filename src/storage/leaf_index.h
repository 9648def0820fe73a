// LeafIndex: the Merkle leaf hash of every indexed key, in memory, so a write
// learns the leaf it replaces without reading node/merkle/<class>/leaf/... back
// from the backend (those reads were ~10% of a durable write's CPU).
//
//   LeafIndex index(capacity);
//   index.Set(tree, MerkleKeyOf(key).digest, leaf_hash);
//   auto leaf = index.Find(tree, digest);  // a miss is "no leaf" only if complete()
//
// Keys are named by the first 16 bytes of SHA-256(key) (the hash the bucket
// is taken from, docs/formats/merkle.md), so an entry is ~76 bytes whatever
// the key's length. Two keys would have to share 128 bits of SHA-256 to be
// confused; like the Merkle index itself, this is no defence against an
// adversary, who would need ~2^64 work.
//
// The index is complete while it holds every stored leaf: then a miss means
// "no leaf". Past its capacity it stops taking new keys and is no longer
// complete, but every leaf it holds stays exact (a commit updates or erases
// the leaves of every key it touches), so a hit still answers and only a
// miss is read from storage. A load builds it afresh.
//
// Thread-safety: none; ReplicatedLog guards it with its state mutex.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/merkle_index.h"

namespace coffer::storage {

class LeafIndex {
 public:
  // `capacity`: leaves at most over both trees; 0 makes an index that holds
  // nothing and is never complete.
  explicit LeafIndex(size_t capacity = 0);

  bool complete() const { return complete_; }
  size_t size() const { return trees_[0].size() + trees_[1].size(); }

  // The leaf hash of the key in tree `tree` (0 or 1) when the index holds
  // it. A miss means the key has no leaf there only while complete().
  std::optional<std::string> Find(int tree, const MerkleKeyDigest& key) const;
  // Records the key's leaf in `tree` (kMerkleHashSize bytes). A new key past
  // the capacity is not recorded, and the index is no longer complete.
  void Set(int tree, const MerkleKeyDigest& key, std::string_view leaf);
  // Forgets the key's leaf in `tree`, if held.
  void Erase(int tree, const MerkleKeyDigest& key);

 private:
  struct DigestHash {
    size_t operator()(const MerkleKeyDigest& d) const {
      size_t h;  // the digest is already uniform: any 8 bytes of it will do
      std::memcpy(&h, d.data(), sizeof(h));
      return h;
    }
  };
  using Leaf = std::array<char, kMerkleHashSize>;
  using Tree = std::unordered_map<MerkleKeyDigest, Leaf, DigestHash>;

  size_t capacity_;
  bool complete_;
  Tree trees_[2];
};

}  // namespace coffer::storage
