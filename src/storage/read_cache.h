// ReadCache: a bounded cache of stored values for keys under a few chosen
// prefixes (the token entries every authenticated request reads), so a hot
// record is read from the physical backend once rather than per request.
//
// It is owned by the one layer every write passes through (ReplicatedLog's
// group commit: caller writes, upstream apply, Merkle sync, wipes), which
// brackets every physical write with BeginWrite (before) and EndWrite (after
// it returned, whether or not it succeeded, and before the writers are told
// it committed). Readers follow a generation protocol:
//
//   if (auto hit = cache.Find(key)) return *hit;
//   uint64_t gen = cache.Generation();          // BEFORE reading the backend
//   auto value = backend->Get(key);
//   if (value) cache.Insert(key, *value, gen);  // dropped if a write interfered
//
// Why a hit is always what the backend holds at that moment: BeginWrite
// erases the batch's keys and marks them as being written; EndWrite erases
// them again, unmarks them and advances the generation, all under the key's
// shard lock. Insert (under the same lock) refuses a marked key and refuses
// when the generation moved since the read began. So a value goes in only if
// no write of its key was in flight when it was inserted and none ended
// between the backend read and the insert: it is the backend's current value,
// and it stays in only until the next write of the key begins. Hits are thus
// as fresh as backend reads (no read sees an older value after a newer one),
// and a write's effect is visible to every read that starts after it returns.
// The one other way in is write-through: EndWrite of a committed write caches
// the values it put, under the same lock, when no other write of the key was
// in flight alongside it (then the backend holds exactly that value) and the
// cache held the key (a value or an absence) when the write began: a key
// nobody has read, such as a token just created, is cached by its first read.
//
// REQUIRES of the owner: nothing writes the covered keys in the backend
// except between its BeginWrite and EndWrite.
//
// Holds stored bytes as the backend has them (under the barrier: ciphertext),
// at most `capacity` entries (spread over shards; a full shard drops an
// arbitrary entry), each at most kMaxValueBytes (a larger value is read from
// the backend every time, so the cache's memory stays near capacity times
// the typical record). A key read as absent is remembered as such too (a kv
// v2 mount without a stored config reads its config key on every write):
// at most kMaxAbsentPerShard of them per shard, apart from the values, so
// lookups of keys that do not exist (unknown tokens) never push a value out.
//
// Thread-safety: every method may be called concurrently; SetPrefixes only
// before the cache is used.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "coffer/storage.h"
#include "common/string_key_map.h"

namespace coffer::storage {

// Whether key starts with one of prefixes.
bool HasPrefixIn(std::string_view key, const std::vector<std::string>& prefixes);

class ReadCache {
 public:
  explicit ReadCache(size_t capacity);
  ReadCache(const ReadCache&) = delete;
  ReadCache& operator=(const ReadCache&) = delete;

  // The keys to cache: those starting with one of `prefixes` (none: the cache
  // is off); `capacity` entries at most (0: the constructor's). Call before
  // serving.
  void SetPrefixes(std::vector<std::string> prefixes, size_t capacity = 0);
  bool Covers(std::string_view key) const;

  // What the cache knows of key: nullopt when nothing; a null SharedValue
  // when the key is known to be absent; else its value, the same pointer
  // until a write of the key replaces or drops it (values are never changed
  // in place).
  std::optional<SharedValue> Lookup(std::string_view key);
  // Lookup's value, null when not cached or known absent.
  SharedValue FindShared(std::string_view key);
  std::optional<std::string> Find(std::string_view key);  // a copy of FindShared's
  uint64_t Generation() const { return generation_.load(); }
  // Caches `value` (null: the key is absent) unless a write of `key` is in
  // flight or one ended since `generation` was read.
  void Insert(std::string_view key, SharedValue value, uint64_t generation);
  void Insert(std::string_view key, std::string_view value, uint64_t generation);

  // Bracket a physical write of `batch` (its covered keys, puts and deletes
  // alike). Every BeginWrite needs its EndWrite with the same batch.
  // `committed`: the backend write succeeded, so the batch's puts of keys the
  // cache held are cached as written (write-through: the next read of a key
  // rewritten, e.g. a kv v2 metadata record, is a hit even while other writes
  // keep the generation moving). A failed write caches nothing: the backend
  // may hold all, part or none of it.
  void BeginWrite(const Batch& batch);
  void EndWrite(const Batch& batch, bool committed);
  void Clear();

  size_t size();

  // Since construction: Find calls answered and not, entries dropped to stay
  // within capacity (not those a write replaced), values a committed write
  // left cached (write-through).
  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t evictions = 0;
    uint64_t written_through = 0;
    size_t entries = 0;  // values
    size_t absent = 0;   // keys known absent
  };
  Stats stats();

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxValueBytes = 64 << 10;
  static constexpr size_t kMaxAbsentPerShard = 64;
  // A key's writes in flight: ops of it in the bracketed batches; `batch`
  // tags the last BeginWrite that counted it; `overlapped` when two batches
  // wrote it at once (their order in the backend is unknown to the cache, so
  // neither value is cached when they end).
  struct InFlight {
    uint32_t ops = 0;
    uint64_t batch = 0;
    bool overlapped = false;
    bool known = false;  // a BeginWrite found the key cached (value or absence)
  };
  struct Shard {
    std::mutex mu;
    StringKeyMap<SharedValue> entries;  // GUARDED_BY(mu)
    StringKeyMap<char> absent;          // GUARDED_BY(mu); keys known absent
    // Keyed by the key's hash alone: a write brackets each key it writes,
    // and building a string per op cost ~1.5% of a kv v2 write's CPU. Two
    // keys with one hash share an entry, which only makes the cache more
    // careful (a read of either is not cached while either is written; a
    // write-through may cache the other's committed value).
    std::unordered_map<size_t, InFlight> writing;  // GUARDED_BY(mu)
    uint64_t hits = 0, misses = 0, evictions = 0, written_through = 0;  // GUARDED_BY(mu)
  };
  // Erases each covered key of the batch and calls under_lock(shard, key,
  // op, known) with its shard locked (`key`: op.key, hashed; `known`: the
  // cache held a value or an absence for it until then).
  template <class F>
  void ForEachCoveredKey(const Batch& batch, F&& under_lock);
  // Caches key -> value, or key as absent for a null value (false: too big
  // to keep); a full shard drops an arbitrary entry of the same kind.
  // REQUIRES: shard.mu held.
  bool StoreLocked(Shard& shard, const HashedKey& key, SharedValue value);
  Shard& ShardFor(const HashedKey& key) { return shards_[key.hash % kShards]; }

  size_t per_shard_;  // set before use, then read-only
  std::vector<std::string> prefixes_;  // set before use, then read-only
  // Advanced by every EndWrite and Clear, under the lock of the shard it touches.
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> batches_{0};  // tags BeginWrite calls
  std::array<Shard, kShards> shards_;
};

}  // namespace coffer::storage
