// The read cache on its own, and the replicated log's use of it: every write
// path of the log (caller writes, upstream apply, Merkle sync, wipe, a failed
// write) is seen by the next read of a cached key, and a read that races with
// a write never leaves the old value behind.
#include "storage/read_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/inmem_backend.h"
#include "storage/log_node_for_test.h"
#include "storage/replicated_log.h"

namespace coffer::storage {
namespace {

constexpr char kPrefix[] = "sys/token/id/";  // local class: replicated to DR secondaries
const std::string kKey = std::string(kPrefix) + "aa";

TEST(ReadCache, CoversOnlyItsPrefixesAndIsOffWithoutAny) {
  ReadCache cache(16);
  EXPECT_FALSE(cache.Covers(kKey));
  cache.SetPrefixes({kPrefix, "x/"});
  EXPECT_TRUE(cache.Covers(kKey));
  EXPECT_TRUE(cache.Covers("x/1"));
  EXPECT_FALSE(cache.Covers("sys/token/accessor/aa"));
}

TEST(ReadCache, AnInsertAfterAWriteBeganOrEndedIsDropped) {
  ReadCache cache(16);
  cache.SetPrefixes({kPrefix});
  const Batch write = {Op::Put(kKey, "new")};

  // The write ended between the read's generation and its insert (of a key
  // the cache held, so the write's value went in).
  cache.Insert(kKey, "older", cache.Generation());
  uint64_t gen = cache.Generation();
  cache.BeginWrite(write);
  cache.EndWrite(write, true);
  cache.Insert(kKey, "old", gen);
  EXPECT_EQ(cache.Find(kKey), "new");  // written through; the stale insert did not replace it

  // A write still in flight: nothing goes in, whatever the generation.
  cache.BeginWrite(write);
  cache.Insert(kKey, "old", cache.Generation());
  EXPECT_FALSE(cache.Find(kKey).has_value());
  cache.EndWrite(write, true);

  // Nothing in between: cached.
  gen = cache.Generation();
  cache.Insert(kKey, "new", gen);
  EXPECT_EQ(cache.Find(kKey), "new");
  // The next write's begin drops it at once.
  cache.BeginWrite({Op::Delete(kKey)});
  EXPECT_FALSE(cache.Find(kKey).has_value());
  cache.EndWrite({Op::Delete(kKey)}, true);
}

TEST(ReadCache, OverlappingWritesOfOneKeyKeepItMarkedUntilTheLastEnds) {
  ReadCache cache(16);
  cache.SetPrefixes({kPrefix});
  const Batch twice = {Op::Put(kKey, "a"), Op::Put(kKey, "b")};
  const Batch once = {Op::Put(kKey, "c")};
  cache.BeginWrite(twice);
  cache.BeginWrite(once);
  cache.EndWrite(twice, true);
  cache.Insert(kKey, "b", cache.Generation());
  EXPECT_FALSE(cache.Find(kKey).has_value());
  // Which of the two the backend applied last is unknown here: neither
  // value is written through.
  cache.EndWrite(once, true);
  EXPECT_FALSE(cache.Find(kKey).has_value());
  cache.Insert(kKey, "c", cache.Generation());
  EXPECT_EQ(cache.Find(kKey), "c");
  // The overlap is forgotten once both ended: the next write goes through.
  cache.BeginWrite(once);
  cache.EndWrite({Op::Put(kKey, "d")}, true);
  EXPECT_EQ(cache.Find(kKey), "d");
}

TEST(ReadCache, ACommittedWriteLeavesTheValuesItPutCachedAFailedOneNothing) {
  ReadCache cache(16);
  cache.SetPrefixes({kPrefix});
  const std::string k2 = std::string(kPrefix) + "bb";
  const std::string k3 = std::string(kPrefix) + "cc";
  const std::string k4 = std::string(kPrefix) + "dd";
  // Keys read before (one of them known absent): the write keeps them fresh.
  cache.Insert(kKey, "old", cache.Generation());
  cache.Insert(k2, SharedValue(), cache.Generation());
  cache.Insert(k3, "stale", cache.Generation());
  cache.Insert(k4, "old", cache.Generation());
  // The ops of one key apply in batch order: the last one is what is stored.
  const Batch batch = {Op::Put(kKey, "a"),   Op::Put(k2, "b1"), Op::Put(k2, "b2"),
                       Op::Delete(k3),       Op::Put(k4, "d"),  Op::Delete(k4),
                       Op::Put("other/x", "y")};
  cache.BeginWrite(batch);
  EXPECT_FALSE(cache.Find(k3).has_value());
  cache.EndWrite(batch, true);
  EXPECT_EQ(cache.Find(kKey), "a");
  EXPECT_EQ(cache.Find(k2), "b2");
  EXPECT_FALSE(cache.Lookup(k3).has_value());  // not even known absent: a delete
  EXPECT_FALSE(cache.Lookup(k4).has_value());
  EXPECT_FALSE(cache.Find("other/x").has_value());  // not a cached prefix
  EXPECT_EQ(cache.size(), 2u);

  const Batch failed = {Op::Put(kKey, "z"), Op::Put(k3, "z")};
  cache.BeginWrite(failed);
  cache.EndWrite(failed, false);
  EXPECT_FALSE(cache.Find(kKey).has_value());
  EXPECT_FALSE(cache.Find(k3).has_value());
}

// A write of a key the cache did not hold leaves it out: a token just
// created is cached by its first read, and keys written but never read (a
// flood of new tokens) neither fill the cache nor push out what is read.
TEST(ReadCache, AWriteOfAKeyTheCacheDidNotHoldLeavesItOut) {
  ReadCache cache(16);
  cache.SetPrefixes({kPrefix});
  const std::string fresh = std::string(kPrefix) + "new";
  cache.Insert(kKey, "v", cache.Generation());
  const Batch batch = {Op::Put(fresh, "n"), Op::Put(kKey, "w")};
  cache.BeginWrite(batch);
  cache.EndWrite(batch, true);
  EXPECT_FALSE(cache.Lookup(fresh).has_value());
  EXPECT_EQ(cache.Find(kKey), "w");
  EXPECT_EQ(cache.stats().written_through, 1u);
  // Many new keys written: the read one stays, nothing is evicted.
  for (int i = 0; i < 200; ++i) {
    const Batch one = {Op::Put(std::string(kPrefix) + "t" + std::to_string(i), "x")};
    cache.BeginWrite(one);
    cache.EndWrite(one, true);
  }
  EXPECT_EQ(cache.Find(kKey), "w");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.stats().evictions, 0u);
  // Once read (and inserted), the next write of it is written through.
  cache.Insert(fresh, "n", cache.Generation());
  const Batch again = {Op::Put(fresh, "n2")};
  cache.BeginWrite(again);
  cache.EndWrite(again, true);
  EXPECT_EQ(cache.Find(fresh), "n2");
}

TEST(ReadCache, StatsCountHitsMissesEvictionsAndWritesThrough) {
  ReadCache cache(16);
  cache.SetPrefixes({kPrefix});
  EXPECT_FALSE(cache.Find(kKey).has_value());
  cache.Insert(kKey, "v", cache.Generation());
  EXPECT_EQ(cache.Find(kKey), "v");
  EXPECT_EQ(cache.Find(kKey), "v");
  ReadCache::Stats s = cache.stats();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.written_through, 0u);
  EXPECT_EQ(s.entries, 1u);

  const Batch batch = {Op::Put(kKey, "w"), Op::Put(std::string(kPrefix) + "bb", "x"),
                       Op::Delete(std::string(kPrefix) + "cc")};
  cache.BeginWrite(batch);
  cache.EndWrite(batch, true);
  s = cache.stats();
  EXPECT_EQ(s.written_through, 1u);  // the put of the key it held; not bb, not the delete
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.evictions, 0u);  // replacing a key's value is not an eviction

  // Far more keys than the capacity: every entry beyond it dropped one.
  for (int i = 0; i < 200; ++i) {
    cache.Insert(std::string(kPrefix) + "k" + std::to_string(i), "v", cache.Generation());
  }
  s = cache.stats();
  EXPECT_LE(s.entries, 16u + 16u);  // per-shard bounds round up
  EXPECT_EQ(s.evictions, 201u - s.entries);
  EXPECT_EQ(s.entries, cache.size());
}

TEST(ReadCache, ClearDropsEverythingAndRacingInserts) {
  ReadCache cache(16);
  cache.SetPrefixes({kPrefix});
  cache.Insert(kKey, "v", cache.Generation());
  const uint64_t gen = cache.Generation();
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  cache.Insert(kKey, "v", gen);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ReadCache, ValuesOverSixtyFourKibibytesAreNeverKept) {
  ReadCache cache(16);
  cache.SetPrefixes({kPrefix});
  const std::string big(64 * 1024 + 1, 'b');
  const std::string fits(64 * 1024, 'f');
  cache.Insert(kKey, big, cache.Generation());
  EXPECT_FALSE(cache.Find(kKey).has_value());
  cache.Insert(kKey, fits, cache.Generation());
  EXPECT_EQ(cache.Find(kKey), fits);
  // Written through: the big value replaces nothing stale, it just is not kept.
  const Batch write = {Op::Put(kKey, big)};
  cache.BeginWrite(write);
  cache.EndWrite(write, true);
  EXPECT_FALSE(cache.Find(kKey).has_value());
}

TEST(ReadCache, IsBounded) {
  ReadCache cache(64);
  cache.SetPrefixes({kPrefix});
  for (int i = 0; i < 10000; ++i) {
    cache.Insert(std::string(kPrefix) + std::to_string(i), "v", cache.Generation());
  }
  EXPECT_LE(cache.size(), 64u + 16u);  // capacity / shards + 1 per shard
  EXPECT_GT(cache.size(), 0u);
}

// A key read as absent is known absent (a hit) until a write of it begins;
// an insert of the absence that raced with a write is dropped like a value's.
TEST(ReadCache, AnAbsentKeyIsRememberedUntilAWriteOfIt) {
  ReadCache cache(16);
  cache.SetPrefixes({kPrefix});
  EXPECT_EQ(cache.Lookup(kKey), std::nullopt);
  cache.Insert(kKey, SharedValue(), cache.Generation());
  std::optional<SharedValue> known = cache.Lookup(kKey);
  ASSERT_TRUE(known.has_value());
  EXPECT_EQ(*known, nullptr);
  EXPECT_EQ(cache.FindShared(kKey), nullptr);
  EXPECT_EQ(cache.stats().absent, 1u);
  EXPECT_EQ(cache.stats().entries, 0u);

  const Batch put = {Op::Put(kKey, "v")};
  cache.BeginWrite(put);
  EXPECT_EQ(cache.Lookup(kKey), std::nullopt);  // no longer known absent
  cache.EndWrite(put, true);
  EXPECT_EQ(cache.Find(kKey), "v");

  const Batch del = {Op::Delete(kKey)};
  const uint64_t before_delete = cache.Generation();
  cache.BeginWrite(del);
  cache.EndWrite(del, true);
  EXPECT_EQ(cache.Lookup(kKey), std::nullopt);
  cache.Insert(kKey, SharedValue(), before_delete);  // read began before the delete ended
  EXPECT_EQ(cache.Lookup(kKey), std::nullopt);
  cache.Insert(kKey, SharedValue(), cache.Generation());
  EXPECT_EQ(cache.Lookup(kKey), std::optional<SharedValue>(SharedValue()));
  cache.Clear();
  EXPECT_EQ(cache.Lookup(kKey), std::nullopt);
}

// Absent keys have a bound of their own: looking up many keys that do not
// exist (unknown tokens) never pushes a value out.
TEST(ReadCache, AbsentKeysAreBoundedApartFromValues) {
  ReadCache cache(64);
  cache.SetPrefixes({kPrefix});
  for (int i = 0; i < 32; ++i) {
    cache.Insert(std::string(kPrefix) + "v" + std::to_string(i), "v", cache.Generation());
  }
  const size_t values = cache.stats().entries;
  for (int i = 0; i < 10000; ++i) {
    cache.Insert(std::string(kPrefix) + "absent" + std::to_string(i), SharedValue(),
                 cache.Generation());
  }
  ReadCache::Stats s = cache.stats();
  EXPECT_EQ(s.entries, values);
  EXPECT_GT(s.absent, 0u);
  EXPECT_LE(s.absent, 16u * 64u);
  for (int i = 0; i < 32; ++i) {
    if (cache.Find(std::string(kPrefix) + "v" + std::to_string(i)) != "v") {
      ADD_FAILURE() << "value " << i << " was pushed out by absent keys";
    }
  }
}

// A backend that counts reads of kKey and can hold one read of it, after it
// read the inner backend, until released; and can fail a write after applying
// it (a write whose outcome the caller cannot know).
class GateBackend final : public Backend {
 public:
  explicit GateBackend(Backend* inner) : inner_(inner) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    auto value = inner_->Get(key);
    if (key == kKey) {
      reads.fetch_add(1);
      std::unique_lock<std::mutex> lock(mu_);
      if (hold_next_) {
        hold_next_ = false;
        held_ = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return !held_; });
      }
    }
    return value;
  }
  Status Write(const Batch& batch) override {
    Status st = inner_->Write(batch);
    if (st.ok() && fail_after_write.exchange(false)) return IOError("injected: outcome unknown");
    return st;
  }
  Result<std::vector<std::string>> List(std::string_view p) override { return inner_->List(p); }
  Result<std::vector<std::string>> ListAll(std::string_view p) override {
    return inner_->ListAll(p);
  }
  std::string_view Type() const override { return "gate"; }

  void HoldNextRead() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_next_ = true;
  }
  void WaitUntilHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return held_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    cv_.notify_all();
  }

  std::atomic<int> reads{0};
  std::atomic<bool> fail_after_write{false};

 private:
  Backend* inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_next_ = false;  // GUARDED_BY(mu_)
  bool held_ = false;       // GUARDED_BY(mu_)
};

class LogReadCacheTest : public ::testing::Test {
 protected:
  LogReadCacheTest() : inner_(NewInmemBackend()), gate_(inner_.get()) {
    log_ = std::make_unique<ReplicatedLog>(&gate_, ReplicatedLogOptions{});
    log_->SetMountClasses(testing::SharedMountU());
    log_->CacheReadsUnder({kPrefix});
    EXPECT_TRUE(log_->Open().ok());
  }
  std::optional<std::string> Read(const std::string& key = kKey) {
    auto v = log_->Get(key);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::nullopt;
  }
  // Reads kKey twice; the second read must not reach the backend (an absent
  // key is remembered as absent).
  void ReadCached(const std::optional<std::string>& expected) {
    EXPECT_EQ(Read(), expected);
    const int before = gate_.reads.load();
    EXPECT_EQ(Read(), expected);
    EXPECT_EQ(gate_.reads.load(), before) << "a cached read went to the backend";
  }

  BackendPtr inner_;
  GateBackend gate_;
  std::unique_ptr<ReplicatedLog> log_;
};

TEST_F(LogReadCacheTest, ARepeatedReadIsServedFromMemoryAndOtherKeysAreNot) {
  ASSERT_TRUE(log_->Put(kKey, "v1").ok());
  ASSERT_TRUE(log_->Put("sys/token/accessor/x", "a").ok());
  ReadCached("v1");
  EXPECT_EQ(log_->cached_reads(), 1u);
  EXPECT_EQ(Read("sys/token/accessor/x"), "a");
  EXPECT_EQ(log_->cached_reads(), 1u);
}

TEST_F(LogReadCacheTest, ARewrittenValueIsReadFromMemoryTheFirstTime) {
  ASSERT_TRUE(log_->Put(kKey, "v1").ok());
  ReadCached("v1");  // the first read of a new key goes to the backend
  ASSERT_TRUE(log_->Put(kKey, "v2").ok());
  const int before = gate_.reads.load();
  EXPECT_EQ(Read(), "v2");
  EXPECT_EQ(gate_.reads.load(), before) << "the write did not leave its value cached";
}

TEST_F(LogReadCacheTest, ANewKeyIsCachedByItsFirstReadNotByItsWrite) {
  ASSERT_TRUE(log_->Put(kKey, "v1").ok());
  const int before = gate_.reads.load();
  EXPECT_EQ(Read(), "v1");
  EXPECT_EQ(gate_.reads.load(), before + 1);
  ReadCached("v1");
}

// GetShared hands out the cached value itself: the same pointer on every hit
// until a write of the key replaces it; a key the cache does not cover is
// read from the backend each time.
TEST_F(LogReadCacheTest, GetSharedAnswersTheCachedValueItselfUntilAWrite) {
  ASSERT_TRUE(log_->Put(kKey, "v1").ok());
  SharedValue first = log_->GetShared(kKey).value();  // read from the backend, cached
  const int before = gate_.reads.load();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, "v1");
  EXPECT_EQ(log_->GetShared(kKey).value(), first);
  EXPECT_EQ(gate_.reads.load(), before);
  ASSERT_TRUE(log_->Put(kKey, "v2").ok());
  SharedValue second = log_->GetShared(kKey).value();
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second, first);
  EXPECT_EQ(*second, "v2");
  EXPECT_EQ(*first, "v1");
  ASSERT_TRUE(log_->Delete(kKey).ok());
  EXPECT_EQ(log_->GetShared(kKey).value(), nullptr);
  ASSERT_TRUE(log_->Put("logical/u/x", "1").ok());
  SharedValue uncovered = log_->GetShared("logical/u/x").value();
  ASSERT_NE(uncovered, nullptr);
  EXPECT_EQ(*uncovered, "1");
  EXPECT_NE(log_->GetShared("logical/u/x").value(), uncovered);
}

// A covered key that does not exist (a kv v2 mount's config before anyone
// set it) is read from the backend once, not on every request.
TEST_F(LogReadCacheTest, AnAbsentKeyIsReadFromTheBackendOnce) {
  const int before = gate_.reads.load();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Read(), std::nullopt);
  EXPECT_EQ(gate_.reads.load(), before + 1);
  ASSERT_TRUE(log_->Put(kKey, "v1").ok());
  ReadCached("v1");
}

TEST_F(LogReadCacheTest, CallerPutsAndDeletesAreSeenByTheNextRead) {
  ASSERT_TRUE(log_->Put(kKey, "v1").ok());
  ReadCached("v1");
  ASSERT_TRUE(log_->Put(kKey, "v2").ok());
  ReadCached("v2");
  // In a batch with other keys.
  ASSERT_TRUE(log_->Write({Op::Put("logical/u/x", "1"), Op::Put(kKey, "v3")}).ok());
  ReadCached("v3");
  ASSERT_TRUE(log_->Delete(kKey).ok());
  ReadCached(std::nullopt);
  ASSERT_TRUE(log_->Put(kKey, "v4").ok());
  ReadCached("v4");
}

TEST_F(LogReadCacheTest, AWriteThatFailedAfterReachingTheBackendIsSeen) {
  ASSERT_TRUE(log_->Put(kKey, "v1").ok());
  ReadCached("v1");
  gate_.fail_after_write = true;
  EXPECT_FALSE(log_->Put(kKey, "v2").ok());
  EXPECT_EQ(Read(), "v2");
}

TEST_F(LogReadCacheTest, UpstreamApplyMerkleSyncAndWipeAreSeenByTheNextRead) {
  // The upstream: another log whose entries this one applies, as a DR
  // secondary does (token entries are local class: they go to DR replicas).
  testing::Node primary;
  ASSERT_TRUE(primary.log->Put(kKey, "p1").ok());
  ASSERT_TRUE(log_->Put(kKey, "mine").ok());
  ReadCached("mine");

  auto stream = [&](uint64_t after, const std::string& hash) {
    auto read = primary.log->ReadAfter(after, hash, 100);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ASSERT_FALSE(read->entries.empty());
    ASSERT_TRUE(log_->ApplyUpstream("dr", read->entries, testing::PositionOf(read->entries.back()))
                    .ok());
  };
  stream(0, WalGenesisHash());
  ReadCached("p1");

  // A revocation upstream (a delete) applied here.
  const WalPosition at = primary.Last();
  ASSERT_TRUE(primary.log->Delete(kKey).ok());
  stream(at.index, at.hash);
  ReadCached(std::nullopt);

  // Merkle sync puts and deletes.
  ASSERT_TRUE(log_->ApplySync("dr", {Op::Put(kKey, "synced")}, std::nullopt,
                              StorageClass::kLocal).ok());
  ReadCached("synced");
  ASSERT_TRUE(log_->ApplySync("dr", {Op::Delete(kKey)}, std::nullopt, StorageClass::kLocal).ok());
  ReadCached(std::nullopt);

  // Secondary enable's wipe.
  ASSERT_TRUE(log_->ApplySync("dr", {Op::Put(kKey, "again")}, std::nullopt,
                              StorageClass::kLocal).ok());
  ReadCached("again");
  ASSERT_TRUE(log_->WipeData().ok());
  ReadCached(std::nullopt);
}

// The read reached the backend before the write, the write committed and
// returned, then the read finished: it may answer the old value (it was
// concurrent with the write), but must not leave it cached.
TEST_F(LogReadCacheTest, AReadThatRacedWithAWriteLeavesNothingStale) {
  for (const bool remove : {false, true}) {
    SCOPED_TRACE(remove ? "delete" : "put");
    ASSERT_TRUE(log_->Put(kKey, "old").ok());
    log_->ClearReadCache();  // the write left "old" cached: this read goes to the backend
    gate_.HoldNextRead();
    std::optional<std::string> raced;
    std::thread reader([&] { raced = Read(); });
    gate_.WaitUntilHeld();
    EXPECT_TRUE((remove ? log_->Delete(kKey) : log_->Put(kKey, "new")).ok());
    gate_.Release();
    reader.join();
    EXPECT_EQ(raced, "old");
    ReadCached(remove ? std::nullopt : std::optional<std::string>("new"));
  }
}

// Many readers against one writer: once a write returned, no read that
// starts after it sees an older value, and no reader ever sees a value go
// backwards.
TEST_F(LogReadCacheTest, ReadsNeverGoBackwardsUnderConcurrentWrites) {
  ASSERT_TRUE(log_->Put(kKey, "0").ok());
  std::atomic<int> committed{0};
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      int last = 0;
      while (!stop.load()) {
        const int floor = committed.load();
        auto v = log_->Get(kKey);
        if (!v.ok() || !v->has_value()) {
          failures.fetch_add(1);
          continue;
        }
        const int seen = std::stoi(**v);
        if (seen < floor || seen < last) failures.fetch_add(1);
        last = seen;
      }
    });
  }
  for (int i = 1; i <= 300; ++i) {
    Status st = log_->Put(kKey, std::to_string(i));
    EXPECT_TRUE(st.ok()) << st.ToString();
    if (!st.ok()) break;
    committed.store(i);
  }
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures.load(), 0);
  ReadCached("300");
}

}  // namespace
}  // namespace coffer::storage
