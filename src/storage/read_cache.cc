#include "storage/read_cache.h"

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

std::optional<std::string> ReadCache::Find(std::string_view key) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.entries.find(std::string(key));
  if (it == shard.entries.end()) return std::nullopt;
  return it->second;
}

void ReadCache::Insert(std::string_view key, std::string_view value, uint64_t generation) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  // Under the shard lock: a write of this key that ended since the read
  // began moved the generation; one still in flight has its key marked; one
  // that begins later erases what goes in now.
  if (generation_.load() != generation) return;
  std::string k(key);
  if (shard.writing.contains(k)) return;
  auto it = shard.entries.find(k);
  if (it != shard.entries.end()) {
    it->second.assign(value);
    return;
  }
  if (shard.entries.size() >= per_shard_) shard.entries.erase(shard.entries.begin());
  shard.entries.emplace(std::move(k), std::string(value));
}

template <class F>
void ReadCache::ForEachCoveredKey(const Batch& batch, F&& under_lock) {
  if (prefixes_.empty()) return;
  for (const Op& op : batch) {
    if (!Covers(op.key)) continue;
    Shard& shard = ShardFor(op.key);
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.entries.erase(op.key);
    under_lock(shard, op.key);
  }
}

void ReadCache::BeginWrite(const Batch& batch) {
  ForEachCoveredKey(batch, [](Shard& shard, const std::string& key) { ++shard.writing[key]; });
}

void ReadCache::EndWrite(const Batch& batch) {
  ForEachCoveredKey(batch, [this](Shard& shard, const std::string& key) {
    if (auto it = shard.writing.find(key); it != shard.writing.end() && --it->second == 0) {
      shard.writing.erase(it);
    }
    generation_.fetch_add(1);
  });
}

void ReadCache::Clear() {
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    generation_.fetch_add(1);
    shard.entries.clear();
  }
}

size_t ReadCache::size() {
  size_t n = 0;
  for (Shard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace coffer::storage
