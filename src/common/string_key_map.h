// StringKeyMap: an unordered_map keyed by std::string that is looked up by
// std::string_view without building a std::string, and by a HashedKey whose
// hash was computed once.
//
//   StringKeyMap<int> m;
//   const HashedKey k = HashKey("logical/abc/metadata/x");  // hashed here only
//   Shard& s = shards[k.hash % kShards];                     // no second hash
//   auto it = s.map.find(k);                                 // nor a third, nor a copy
//
// The caches on the request path (read cache, decoded caches) look up long
// storage keys several times per request; a temporary std::string per lookup
// is an allocation and a copy, and hashing the key again for the shard and
// for the map doubles the hashing.
//
// std::hash<std::string_view> and std::hash<std::string> agree (the standard
// requires it), so a HashedKey finds what its text was stored under.
//
// Thread-safety: as std::unordered_map.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace coffer {

struct HashedKey {
  std::string_view text;
  size_t hash = 0;
};

inline HashedKey HashKey(std::string_view text) {
  return HashedKey{text, std::hash<std::string_view>{}(text)};
}

// Not noexcept, on purpose: libstdc++ stores each node's hash code only when
// the hasher may throw (or is one it knows to be slow, as std::hash<string>).
// Without stored codes a lookup walking a bucket hashes every node's key again
// to find where the bucket ends and compares each key in full, which for our
// long storage keys was ~4% of a kv v2 write's CPU (the read cache's maps).
struct StringKeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  size_t operator()(const std::string& s) const { return std::hash<std::string_view>{}(s); }
  size_t operator()(const HashedKey& k) const { return k.hash; }
};

struct StringKeyEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  bool operator()(const HashedKey& a, std::string_view b) const noexcept { return a.text == b; }
  bool operator()(std::string_view a, const HashedKey& b) const noexcept { return a == b.text; }
  bool operator()(const HashedKey& a, const HashedKey& b) const noexcept {
    return a.text == b.text;
  }
};

template <class V>
using StringKeyMap = std::unordered_map<std::string, V, StringKeyHash, StringKeyEqual>;

#ifdef __GLIBCXX__
static_assert(std::__cache_default<std::string, StringKeyHash>::value,
              "StringKeyMap nodes must keep their hash codes (see StringKeyHash)");
#endif

}  // namespace coffer
