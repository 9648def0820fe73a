// A bounded cache of values decoded from stored bytes, so a hot record read
// on every request (a token entry, a KV v2 metadata record) is parsed once
// rather than per request.
//
//   DecodedCache<TokenEntry> cache(4096);
//   std::string bytes = ...read from storage...;
//   if (auto hit = cache.Find(key, bytes)) return *hit;      // no parse
//   TokenEntry e = Decode(bytes);
//   cache.Put(key, bytes, e);
//
// Correct by construction: an entry is returned only when the bytes just read
// are exactly the bytes it was decoded from, and decoding is a pure function
// of the bytes. So the cache never needs invalidating when storage changes
// (by this process, a replica stream or a restore); a changed record is
// simply a miss. The key only chooses the slot.
//
// Memory: at most `capacity` entries (spread over shards; a full shard drops
// an arbitrary entry). The cached bytes are decrypted storage plaintext: use
// it only for records the process reads on every request anyway (no secret
// data), and Clear() it when the barrier seals.
//
// Thread-safety: every method may be called concurrently (one mutex per
// shard, held only for the map operation and a copy of a shared_ptr).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "common/string_key_map.h"

namespace coffer {

template <class T>
class DecodedCache {
 public:
  explicit DecodedCache(size_t capacity) : per_shard_(capacity / kShards + 1) {}

  DecodedCache(const DecodedCache&) = delete;
  DecodedCache& operator=(const DecodedCache&) = delete;

  using Bytes = std::shared_ptr<const std::string>;

  // The value decoded from exactly `bytes` under `key`, or null.
  std::shared_ptr<const T> Find(std::string_view key, std::string_view bytes) {
    const HashedKey k = HashKey(key);
    Shard& shard = ShardFor(k);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.entries.find(k);
    if (it == shard.entries.end() || *it->second.bytes != bytes) return nullptr;
    return it->second.value;
  }
  // As above; `bytes` (non-null) is compared by pointer first, and on a match
  // by content the entry keeps this pointer for the next lookup.
  std::shared_ptr<const T> Find(std::string_view key, const Bytes& bytes) {
    const HashedKey k = HashKey(key);
    Shard& shard = ShardFor(k);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.entries.find(k);
    if (it == shard.entries.end()) return nullptr;
    Entry& e = it->second;
    if (e.bytes != bytes) {
      if (*e.bytes != *bytes) return nullptr;
      e.bytes = bytes;
    }
    return e.value;
  }

  // Remembers `value` as the decoding of `bytes` under `key`; returns it.
  std::shared_ptr<const T> Put(std::string_view key, std::string_view bytes, T value) {
    return Put(key, std::make_shared<const std::string>(bytes), std::move(value));
  }
  std::shared_ptr<const T> Put(std::string_view key, Bytes bytes, T value) {
    auto decoded = std::make_shared<const T>(std::move(value));
    const HashedKey k = HashKey(key);
    Shard& shard = ShardFor(k);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.entries.find(k);
    if (it == shard.entries.end()) {
      if (shard.entries.size() >= per_shard_) shard.entries.erase(shard.entries.begin());
      shard.entries.emplace(std::string(key), Entry{std::move(bytes), decoded});
    } else {
      it->second = Entry{std::move(bytes), decoded};
    }
    return decoded;
  }

  // Whether `key` has an entry (for whatever bytes).
  bool Holds(std::string_view key) {
    const HashedKey k = HashKey(key);
    Shard& shard = ShardFor(k);
    std::lock_guard<std::mutex> lock(shard.mu);
    return shard.entries.find(k) != shard.entries.end();
  }

  size_t size() {
    size_t n = 0;
    for (Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mu);
      n += shard.entries.size();
    }
    return n;
  }

  void Clear() {
    for (Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mu);
      shard.entries.clear();
    }
  }

 private:
  static constexpr size_t kShards = 16;

  struct Entry {
    Bytes bytes;  // never null
    std::shared_ptr<const T> value;
  };
  struct Shard {
    std::mutex mu;
    StringKeyMap<Entry> entries;  // guarded by mu
  };

  Shard& ShardFor(const HashedKey& key) { return shards_[key.hash % kShards]; }

  const size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace coffer
