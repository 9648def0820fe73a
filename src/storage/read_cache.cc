#include "storage/read_cache.h"

#include <memory>
#include <utility>

namespace coffer::storage {

ReadCache::ReadCache(size_t capacity) : per_shard_(capacity / kShards + 1) {}

void ReadCache::SetPrefixes(std::vector<std::string> prefixes, size_t capacity) {
  prefixes_ = std::move(prefixes);
  if (capacity > 0) per_shard_ = capacity / kShards + 1;
}

bool HasPrefixIn(std::string_view key, const std::vector<std::string>& prefixes) {
  for (const std::string& prefix : prefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

bool ReadCache::Covers(std::string_view key) const { return HasPrefixIn(key, prefixes_); }

std::optional<SharedValue> ReadCache::Lookup(std::string_view key) {
  const HashedKey k = HashKey(key);
  Shard& shard = ShardFor(k);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (auto it = shard.entries.find(k); it != shard.entries.end()) {
    ++shard.hits;
    return it->second;
  }
  if (shard.absent.find(k) != shard.absent.end()) {
    ++shard.hits;
    return SharedValue();
  }
  ++shard.misses;
  return std::nullopt;
}

SharedValue ReadCache::FindShared(std::string_view key) {
  std::optional<SharedValue> known = Lookup(key);
  return known ? std::move(*known) : nullptr;
}

std::optional<std::string> ReadCache::Find(std::string_view key) {
  SharedValue hit = FindShared(key);
  if (!hit) return std::nullopt;
  return *hit;
}

void ReadCache::Insert(std::string_view key, SharedValue value, uint64_t generation) {
  const HashedKey k = HashKey(key);
  Shard& shard = ShardFor(k);
  std::lock_guard<std::mutex> lock(shard.mu);
  // Under the shard lock: a write of this key that ended since the read
  // began moved the generation; one still in flight has its key marked; one
  // that begins later erases what goes in now.
  if (generation_.load() != generation) return;
  if (shard.writing.contains(k.hash)) return;
  StoreLocked(shard, k, std::move(value));
}

void ReadCache::Insert(std::string_view key, std::string_view value, uint64_t generation) {
  Insert(key, std::make_shared<const std::string>(value), generation);
}

bool ReadCache::StoreLocked(Shard& shard, const HashedKey& key, SharedValue value) {
  if (!value) {
    if (shard.absent.find(key) != shard.absent.end()) return true;
    if (shard.absent.size() >= kMaxAbsentPerShard) {
      shard.absent.erase(shard.absent.begin());
      ++shard.evictions;
    }
    shard.absent.emplace(std::string(key.text), 0);
    return true;
  }
  // Too big to keep. Nothing older is left behind: EndWrite erased the key
  // first, and an Insert only ever meets an entry holding the same value.
  if (value->size() > kMaxValueBytes) return false;
  auto it = shard.entries.find(key);
  if (it != shard.entries.end()) {
    it->second = std::move(value);
    return true;
  }
  if (shard.entries.size() >= per_shard_) {
    shard.entries.erase(shard.entries.begin());
    ++shard.evictions;
  }
  shard.entries.emplace(std::string(key.text), std::move(value));
  return true;
}

template <class F>
void ReadCache::ForEachCoveredKey(const Batch& batch, F&& under_lock) {
  if (prefixes_.empty()) return;
  for (const Op& op : batch) {
    if (!Covers(op.key)) continue;
    const HashedKey key = HashKey(op.key);
    Shard& shard = ShardFor(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    bool known = false;  // the cache held a value or an absence for the key
    if (auto it = shard.entries.find(key); it != shard.entries.end()) {
      shard.entries.erase(it);
      known = true;
    }
    if (auto it = shard.absent.find(key); it != shard.absent.end()) {
      shard.absent.erase(it);
      known = true;
    }
    under_lock(shard, key, op, known);
  }
}

void ReadCache::BeginWrite(const Batch& batch) {
  const uint64_t tag = batches_.fetch_add(1) + 1;
  ForEachCoveredKey(batch, [tag](Shard& shard, const HashedKey& key, const Op&, bool known) {
    InFlight& w = shard.writing[key.hash];
    if (w.ops > 0 && w.batch != tag) w.overlapped = true;
    w.batch = tag;
    w.known = w.known || known;
    ++w.ops;
  });
}

void ReadCache::EndWrite(const Batch& batch, bool committed) {
  ForEachCoveredKey(batch, [this, committed](Shard& shard, const HashedKey& key, const Op& op,
                                             bool) {
    bool last = false;  // the key's last op in flight, from this batch alone
    bool known = false;
    if (auto it = shard.writing.find(key.hash); it != shard.writing.end()) {
      if (--it->second.ops == 0) {
        last = !it->second.overlapped;
        known = it->second.known;
        shard.writing.erase(it);
      }
    }
    generation_.fetch_add(1);
    // Write-through: the committed value is what the backend now holds. A
    // later op of the same key in this batch replaces or erases it (ops are
    // visited in order), and the last one's count reaches zero last. Only
    // for a key the cache held when the write began: a key nobody read (a
    // token just created, say) stays out until it is read, so writes of new
    // keys neither fill the cache with values never asked for nor push out
    // the ones that are.
    if (committed && last && known && op.kind == Op::Kind::kPut &&
        op.value.size() <= kMaxValueBytes &&
        StoreLocked(shard, key, std::make_shared<const std::string>(op.value))) {
      ++shard.written_through;
    }
  });
}

void ReadCache::Clear() {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    generation_.fetch_add(1);
    shard.entries.clear();
    shard.absent.clear();
  }
}

ReadCache::Stats ReadCache::stats() {
  Stats out;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    out.hits += shard.hits;
    out.misses += shard.misses;
    out.evictions += shard.evictions;
    out.written_through += shard.written_through;
    out.entries += shard.entries.size();
    out.absent += shard.absent.size();
  }
  return out;
}

size_t ReadCache::size() { return stats().entries; }

}  // namespace coffer::storage
