// LeafIndex: the Merkle leaf hash of every indexed key, in memory, so a write
// learns the leaf it replaces without reading node/merkle/<class>/leaf/... back
// from the backend (those reads were ~10% of a durable write's CPU).
//
//   LeafIndex index(capacity);
//   index.Set(tree, MerkleKeyOf(key).digest, leaf_hash);
//   auto leaf = index.Find(tree, digest);
//   if (!leaf && index.MissIsFinal(digest)) { /* the key has no leaf */ }
//
// Keys are named by the first 16 bytes of SHA-256(key) (the hash the bucket
// is taken from, docs/formats/merkle.md), so an entry is 49 bytes in a table
// kept between 35% and 70% full (70–140 bytes a key) whatever the key's
// length. Two keys would have to share 128 bits of SHA-256 to be
// confused; like the Merkle index itself, this is no defence against an
// adversary, who would need ~2^64 work.
//
// The table holds up to `capacity` leaves. A new key past that goes into a
// filter of the keys it has no room for (storage/digest_filter.h, 2 bytes a
// key instead of 70-140), so a key that is neither held nor in the filter
// still has no leaf and a write of a new key reads nothing from storage; a
// key the filter claims is read from storage. Every leaf the table holds is
// exact (a commit updates or erases the leaves of every key it touches). The
// index is complete while every stored leaf is held or in the filter; the
// filter takes up to kUnheldPerCapacity x capacity keys (it forgets nothing,
// so deleted keys count too), and past that the index is no longer complete:
// then only a hit answers and every miss is read from storage. A load builds
// it afresh.
//
// Thread-safety: none; ReplicatedLog guards it with its state mutex.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/digest_filter.h"
#include "storage/merkle_index.h"

namespace coffer::storage {

class LeafIndex {
 public:
  // The filter of keys left out takes this many per leaf of capacity.
  static constexpr size_t kUnheldPerCapacity = 4;

  // `capacity`: leaves at most over both trees; 0 makes an index that holds
  // nothing and is never complete.
  explicit LeafIndex(size_t capacity = 0);

  bool complete() const { return complete_; }
  // Complete with nothing left out: every miss is final without asking the
  // filter.
  bool holds_all() const { return complete_ && unheld_.empty(); }
  size_t size() const { return trees_[0].size() + trees_[1].size(); }
  // Keys left out of the table (as the filter counts them).
  size_t unheld() const { return unheld_.size(); }

  // The leaf hash of the key in tree `tree` (0 or 1) when the index holds it.
  std::optional<std::string> Find(int tree, const MerkleKeyDigest& key) const;
  // Whether a key Find misses (in either tree) has no leaf at all: the index
  // is complete and the key was never left out (nor looks as if it was).
  bool MissIsFinal(const MerkleKeyDigest& key) const {
    return complete_ && !unheld_.MayContain(key);
  }
  // Records the key's leaf in `tree` (kMerkleHashSize bytes). A new key past
  // the capacity goes into the filter instead; once that is full too, the
  // index is no longer complete.
  void Set(int tree, const MerkleKeyDigest& key, std::string_view leaf);
  // Forgets the key's leaf in `tree`, if held.
  void Erase(int tree, const MerkleKeyDigest& key);

 private:
  using Leaf = std::array<char, kMerkleHashSize>;

  // One tree: an open-addressing table of digest -> leaf (linear probing,
  // deletion by shifting the following entries back, so no tombstones). A
  // lookup reads one or two adjacent slots where std::unordered_map read a
  // bucket pointer, then a node of its own elsewhere: LeafIndex::Find/Set
  // were ~3% of a service token's CPU, most of it those cache misses.
  class Table {
   public:
    size_t size() const { return size_; }
    const Leaf* Find(const MerkleKeyDigest& key) const;
    // The key's leaf if held; else a new zeroed one when `may_add`, or
    // nullptr. One probe either way.
    Leaf* FindOrAdd(const MerkleKeyDigest& key, bool may_add);
    void Erase(const MerkleKeyDigest& key);

   private:
    struct Slot {
      MerkleKeyDigest key;
      Leaf leaf;
      bool used;
    };
    // The digest is already uniform: any 8 bytes of it make a home slot.
    size_t Home(const MerkleKeyDigest& key) const {
      size_t h;
      std::memcpy(&h, key.data(), sizeof(h));
      return h & (slots_.size() - 1);
    }
    // The slot holding key, or the empty slot where it would go.
    size_t Probe(const MerkleKeyDigest& key) const;
    void Grow();

    std::vector<Slot> slots_;  // a power of two in size, or empty
    size_t size_ = 0;
  };

  size_t capacity_;
  bool complete_;
  Table trees_[2];
  DigestFilter unheld_;
};

}  // namespace coffer::storage
