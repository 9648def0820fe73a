#include "storage/leaf_index.h"

#include <algorithm>

namespace coffer::storage {
namespace {

constexpr size_t kMinSlots = 16;

}  // namespace

size_t LeafIndex::Table::Probe(const MerkleKeyDigest& key) const {
  const size_t mask = slots_.size() - 1;
  size_t i = Home(key);
  while (slots_[i].used && slots_[i].key != key) i = (i + 1) & mask;
  return i;
}

const LeafIndex::Leaf* LeafIndex::Table::Find(const MerkleKeyDigest& key) const {
  if (size_ == 0) return nullptr;
  const Slot& slot = slots_[Probe(key)];
  return slot.used ? &slot.leaf : nullptr;
}

LeafIndex::Leaf* LeafIndex::Table::FindOrAdd(const MerkleKeyDigest& key, bool may_add) {
  size_t i = slots_.empty() ? 0 : Probe(key);
  if (!slots_.empty() && slots_[i].used) return &slots_[i].leaf;
  if (!may_add) return nullptr;
  // At most 70% full, so a probe for a missing key ends after a few slots.
  if (10 * (size_ + 1) > 7 * slots_.size()) {
    Grow();
    i = Probe(key);
  }
  Slot& slot = slots_[i];
  slot.key = key;
  slot.leaf.fill('\0');
  slot.used = true;
  ++size_;
  return &slot.leaf;
}

void LeafIndex::Table::Erase(const MerkleKeyDigest& key) {
  if (size_ == 0) return;
  const size_t mask = slots_.size() - 1;
  size_t hole = Probe(key);
  if (!slots_[hole].used) return;
  --size_;
  // Shift back each following entry whose home lies at or before the hole
  // (cyclically), so every entry stays reachable from its home without
  // crossing an empty slot.
  for (size_t j = (hole + 1) & mask; slots_[j].used; j = (j + 1) & mask) {
    const size_t home = Home(slots_[j].key);
    const bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole].used = false;
}

void LeafIndex::Table::Grow() {
  std::vector<Slot> old(std::max(kMinSlots, 2 * slots_.size()), Slot{{}, {}, false});
  old.swap(slots_);
  for (const Slot& s : old) {
    if (s.used) slots_[Probe(s.key)] = s;
  }
}

LeafIndex::LeafIndex(size_t capacity)
    : capacity_(capacity), complete_(capacity > 0), unheld_(kUnheldPerCapacity * capacity) {}

std::optional<std::string> LeafIndex::Find(int tree, const MerkleKeyDigest& key) const {
  const Leaf* leaf = trees_[tree].Find(key);
  if (leaf == nullptr) return std::nullopt;
  return std::string(leaf->data(), leaf->size());
}

void LeafIndex::Set(int tree, const MerkleKeyDigest& key, std::string_view leaf) {
  Leaf* held = trees_[tree].FindOrAdd(key, size() < capacity_);
  if (held == nullptr) {  // a new key past the capacity
    if (!unheld_.Add(key)) complete_ = false;
    return;
  }
  std::copy_n(leaf.data(), std::min(leaf.size(), held->size()), held->data());
}

void LeafIndex::Erase(int tree, const MerkleKeyDigest& key) { trees_[tree].Erase(key); }

}  // namespace coffer::storage
