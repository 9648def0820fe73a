#include "storage/leaf_index.h"

#include <algorithm>

namespace coffer::storage {

LeafIndex::LeafIndex(size_t capacity) : capacity_(capacity), complete_(capacity > 0) {}

std::optional<std::string> LeafIndex::Find(int tree, const MerkleKeyDigest& key) const {
  const Tree& t = trees_[tree];
  auto it = t.find(key);
  if (it == t.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

void LeafIndex::Set(int tree, const MerkleKeyDigest& key, std::string_view leaf) {
  Tree& t = trees_[tree];
  auto it = t.find(key);
  if (it == t.end()) {
    if (size() >= capacity_) {
      complete_ = false;
      return;
    }
    it = t.emplace(key, Leaf{}).first;
  }
  std::copy_n(leaf.data(), std::min(leaf.size(), it->second.size()), it->second.data());
}

void LeafIndex::Erase(int tree, const MerkleKeyDigest& key) { trees_[tree].erase(key); }

}  // namespace coffer::storage
