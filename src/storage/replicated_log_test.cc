// The replicated log over both real backends: WAL indexes, hash chain,
// retention, Merkle index, restart recovery and crash safety.
#include "storage/replicated_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <mutex>
#include <condition_variable>
#include <random>
#include <set>
#include <thread>
#include <unistd.h>
#include <optional>
#include <sstream>
#include <fstream>
#include <filesystem>
#include <sys/resource.h>

#include "crypto/hash.h"
#include "common/fiber_scheduler_for_test.h"
#include "storage/faulty_backend_for_test.h"
#include "storage/inmem_backend.h"
#include "storage/log_node_for_test.h"
#include "storage/rocksdb_backend.h"
#include "storage/temp_dir_for_test.h"

namespace coffer::storage {
namespace {

using ::testing::ElementsAre;

constexpr StorageClass R = StorageClass::kReplicated;
constexpr StorageClass L = StorageClass::kLocal;

using testing::FaultyBackend;
using testing::SharedMountU;

struct Kind {
  std::string name;
  bool persistent;
  // 0: every written key's old leaf is read from the backend.
  size_t leaf_index_capacity = kDefaultLeafIndexCapacity;
};

class ReplicatedLogTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    OpenPhysical();
    Reopen({});
  }
  void OpenPhysical() {
    if (GetParam().persistent) {
      auto opened = OpenRocksdbBackend(dir_.path());
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      physical_ = std::move(opened).value();
    } else if (!physical_) {
      physical_ = NewInmemBackend();  // an inmem "restart" keeps the same map
    }
  }
  // A new log over the same physical store (a process restart).
  void Reopen(ReplicatedLogOptions options) {
    log_.reset();
    options.leaf_index_capacity = GetParam().leaf_index_capacity;
    log_ = std::make_unique<ReplicatedLog>(physical_.get(), options);
    log_->SetMountClasses(SharedMountU());
  }
  // Closes and reopens RocksDB too.
  void Restart(ReplicatedLogOptions options = {}) {
    log_.reset();
    if (GetParam().persistent) {
      physical_.reset();
      OpenPhysical();
    }
    Reopen(options);
  }
  WalPosition Last() {
    auto p = log_->LastPosition();
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : WalPosition{};
  }
  std::vector<WalEntry> ReadAll(uint64_t after, const std::string& hash) {
    auto r = log_->ReadAfter(after, hash, 1 << 20);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_FALSE(r->gap) << r->gap_reason;
    return r->entries;
  }
  std::string Root(StorageClass c) {
    auto r = log_->MerkleRoot(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : "";
  }
  void Put(const std::string& k, const std::string& v) {
    ASSERT_TRUE(log_->Put(k, v).ok()) << k;
  }

  testing::TempDir dir_;
  BackendPtr physical_;
  std::unique_ptr<ReplicatedLog> log_;
};

TEST_P(ReplicatedLogTest, TypeIsThePhysicalBackends) {
  EXPECT_EQ(log_->Type(), GetParam().persistent ? "rocksdb" : "inmem");
}

TEST_P(ReplicatedLogTest, EmptyLogStartsAtGenesis) {
  WalPosition p = Last();
  EXPECT_EQ(p.index, 0u);
  EXPECT_EQ(p.hash, WalGenesisHash());
  auto r = log_->ReadAfter(0, WalGenesisHash(), 10);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->gap);
  EXPECT_TRUE(r->entries.empty());
}

TEST_P(ReplicatedLogTest, EachBatchTakesTheNextIndexWithItsOpsAndClasses) {
  ASSERT_TRUE(log_->Write({Op::Put("sys/policy/p", "ct-policy"), Op::Put("sys/token/id/ab", "ct-tok")}).ok());
  ASSERT_TRUE(log_->Write({Op::Delete("sys/policy/p")}).ok());
  auto entries = ReadAll(0, WalGenesisHash());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].index, 1u);
  EXPECT_THAT(entries[0].ops,
              ElementsAre(WalOp{WalOp::Kind::kPut, R, "sys/policy/p", "ct-policy"},
                          WalOp{WalOp::Kind::kPut, L, "sys/token/id/ab", "ct-tok"}));
  EXPECT_EQ(entries[1].index, 2u);
  EXPECT_THAT(entries[1].ops, ElementsAre(WalOp{WalOp::Kind::kDelete, R, "sys/policy/p", ""}));
  EXPECT_EQ(Last().index, 2u);
  EXPECT_EQ(Last().hash, entries[1].hash);
  // The data itself is stored as given.
  EXPECT_EQ(*log_->Get("sys/token/id/ab").value(), "ct-tok");
  EXPECT_EQ(*physical_->Get("sys/token/id/ab").value(), "ct-tok");
}

TEST_P(ReplicatedLogTest, NodeClassWritesTakeNoIndex) {
  Put("node/replication/conn", "x");
  EXPECT_EQ(Last().index, 0u);
  ASSERT_TRUE(log_->Write({Op::Put("node/replication/conn", "y"), Op::Put("sys/policy/a", "z")}).ok());
  auto entries = ReadAll(0, WalGenesisHash());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_THAT(entries[0].ops, ElementsAre(WalOp{WalOp::Kind::kPut, R, "sys/policy/a", "z"}));
  EXPECT_EQ(*log_->Get("node/replication/conn").value(), "y");
}

TEST_P(ReplicatedLogTest, CallersCannotTouchTheLogsOwnKeys) {
  for (const char* key : {"node/wal/state", "node/wal/entry/0000000000000001", "node/merkle/local/bucket/000"}) {
    Status st = log_->Put(key, "forged");
    EXPECT_EQ(st.code(), Code::kPermissionDenied) << key;
    EXPECT_EQ(log_->Delete(key).code(), Code::kPermissionDenied) << key;
  }
  EXPECT_EQ(Last().index, 0u);
}

TEST_P(ReplicatedLogTest, InvalidKeysFailOnlyTheirOwnBatch) {
  EXPECT_EQ(log_->Write({Op::Put("", "x")}).code(), Code::kInvalidArgument);
  Put("sys/policy/ok", "v");
  EXPECT_EQ(Last().index, 1u);
}

TEST_P(ReplicatedLogTest, IndexesAreGaplessUnderConcurrentWriters) {
  constexpr int kThreads = 8, kPerThread = 150;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string k = "logical/u" + std::to_string(t) + "/k" + std::to_string(i);
        if (!log_->Write({Op::Put(k, "a"), Op::Put(k + "/b", "b")}).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  auto entries = ReadAll(0, WalGenesisHash());
  ASSERT_EQ(entries.size(), size_t{kThreads * kPerThread});
  std::set<std::string> seen;
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(entries[i].index, i + 1);
    ASSERT_EQ(entries[i].ops.size(), 2u);  // one entry per batch, never merged or split
    EXPECT_EQ(entries[i].ops[1].key, entries[i].ops[0].key + "/b");
    seen.insert(entries[i].ops[0].key);
  }
  EXPECT_EQ(seen.size(), size_t{kThreads * kPerThread});
  EXPECT_TRUE(VerifyWalChain(0, WalGenesisHash(), entries).ok());
  // Per-writer order is commit order.
  for (int t = 0; t < kThreads; ++t) {
    int last = -1;
    for (const WalEntry& e : entries) {
      std::string prefix = "logical/u" + std::to_string(t) + "/k";
      if (!e.ops[0].key.starts_with(prefix)) continue;
      int i = std::stoi(e.ops[0].key.substr(prefix.size()));
      EXPECT_GT(i, last);
      last = i;
    }
  }
}

// The hand-off between a group's leader, its members and the next leader:
// writers queued behind a slow commit all get their own group's status, a
// failed group hands leadership on, and the log continues without a gap.
// A backend that holds the first write made once it is armed until it is
// opened, and records the thread of every write made once armed.
struct Gate final : public Backend {
  explicit Gate(Backend* inner) : inner(inner) {}
  Result<std::optional<std::string>> Get(std::string_view key) override { return inner->Get(key); }
  Status Write(const Batch& batch) override {
    std::unique_lock<std::mutex> lock(mu);
    if (armed) {
      writers.push_back(std::this_thread::get_id());
      if (!opened) {
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return opened; });
      }
    }
    return inner->Write(batch);
  }
  Result<std::vector<std::string>> List(std::string_view p) override { return inner->List(p); }
  Result<std::vector<std::string>> ListAll(std::string_view p) override {
    return inner->ListAll(p);
  }
  std::string_view Type() const override { return inner->Type(); }
  void Arm() {
    std::lock_guard<std::mutex> lock(mu);
    armed = true;
  }
  void AwaitEntered() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu);
      opened = true;
    }
    cv.notify_all();
  }
  Backend* inner;
  std::mutex mu;
  std::condition_variable cv;
  bool armed = false, entered = false, opened = false;
  std::vector<std::thread::id> writers;  // the thread of each write once armed
};

// Waits (bounded) until `n` writers are in the log's commit queue.
bool AwaitQueued(const ReplicatedLog& log, size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log.queued_writers() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  return log.queued_writers() == n;
}

// Writers started on threads of their own, each putting sys/policy/q<i>.
struct QueuedPuts {
  QueuedPuts(ReplicatedLog& log, int n) : statuses(static_cast<size_t>(n), Internal("not run")) {
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([this, &log, i] {
        statuses[static_cast<size_t>(i)] = log.Put("sys/policy/q" + std::to_string(i), "v");
      });
    }
  }
  // Waits for every writer; their statuses, in order.
  const std::vector<Status>& Join() {
    for (auto& t : threads) t.join();
    threads.clear();
    return statuses;
  }
  std::vector<Status> statuses;
  std::vector<std::thread> threads;
};

TEST(ReplicatedLogGroupCommit, QueuedWritersGetTheirOwnGroupsStatus) {
  auto physical = NewInmemBackend();
  // log -> faulty -> gate -> physical. The gate holds the first write (once
  // armed) until released.
  Gate gate(physical.get());
  FaultyBackend faulty(&gate);
  ReplicatedLog log(&faulty, ReplicatedLogOptions{});
  ASSERT_TRUE(log.Open().ok());  // writes the empty index: not held
  gate.Arm();

  Status first;
  std::thread leader([&] { first = log.Put("sys/policy/first", "1"); });
  gate.AwaitEntered();
  // Every later commit fails, however the queued writers are grouped.
  faulty.fail = true;
  QueuedPuts queued(log, 6);
  gate.Open();
  leader.join();
  EXPECT_TRUE(first.ok()) << first.ToString();
  for (const Status& st : queued.Join()) {
    EXPECT_EQ(st.code(), Code::kIOError) << st.ToString();
  }
  faulty.fail = false;
  ASSERT_TRUE(log.Put("sys/policy/after", "2").ok());
  auto last = log.LastPosition();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->index, 2u);  // the failed groups took no index
  EXPECT_EQ(physical->Get("sys/policy/q0").value(), std::nullopt);
}

TEST(ReplicatedLogGroupCommit, ALeaderAlsoCommitsTheGroupsQueuedBehindItsOwn) {
  // The writers queued while a group commits are committed by that group's
  // leader, which is running, rather than by one of them woken to lead.
  auto physical = NewInmemBackend();
  Gate gate(physical.get());
  ReplicatedLog log(&gate, ReplicatedLogOptions{});
  ASSERT_TRUE(log.Open().ok());
  gate.Arm();
  std::thread::id leader_id;
  Status first;
  std::thread leader([&] {
    leader_id = std::this_thread::get_id();
    first = log.Put("sys/policy/first", "1");
  });
  gate.AwaitEntered();
  constexpr int kQueued = 3;
  QueuedPuts queued(log, kQueued);
  ASSERT_TRUE(AwaitQueued(log, 1 + kQueued));
  gate.Open();
  leader.join();
  EXPECT_TRUE(first.ok()) << first.ToString();
  for (const Status& st : queued.Join()) EXPECT_TRUE(st.ok()) << st.ToString();
  // Two groups (the leader's, then the three queued behind it), both
  // written by the leader's thread.
  ASSERT_EQ(gate.writers.size(), 2u);
  for (std::thread::id id : gate.writers) EXPECT_EQ(id, leader_id);
  EXPECT_EQ(log.commit_stats().batches, 1u + kQueued);
  EXPECT_EQ(log.queued_writers(), 0u);
  auto last = log.LastPosition();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->index, 1u + kQueued);
}

TEST(ReplicatedLogGroupCommit, EveryWriterOfALargeGroupLearnsItsStatus) {
  // The leader signals two members and each member two more: every one of a
  // large group is released, with the group's status, whatever the order in
  // which their threads run.
  auto physical = NewInmemBackend();
  Gate gate(physical.get());
  FaultyBackend faulty(&gate);
  ReplicatedLog log(&faulty, ReplicatedLogOptions{});
  ASSERT_TRUE(log.Open().ok());
  gate.Arm();
  Status first;
  std::thread leader([&] { first = log.Put("sys/policy/first", "1"); });
  gate.AwaitEntered();
  constexpr int kQueued = 45;
  QueuedPuts queued(log, kQueued);
  ASSERT_TRUE(AwaitQueued(log, 1 + kQueued));
  faulty.fail = true;  // the queued writers' group fails
  gate.Open();
  leader.join();
  const std::vector<Status>& statuses = queued.Join();
  EXPECT_TRUE(first.ok()) << first.ToString();
  for (const Status& st : statuses) EXPECT_EQ(st.code(), Code::kIOError) << st.ToString();
  faulty.fail = false;
  ASSERT_TRUE(log.Put("sys/policy/after", "2").ok());
  EXPECT_EQ(log.LastPosition()->index, 2u);
}

TEST_P(ReplicatedLogTest, ReadAfterReportsGapsAndFutureIndexes) {
  for (int i = 0; i < 5; ++i) Put("sys/policy/p" + std::to_string(i), "v");
  auto all = ReadAll(0, WalGenesisHash());
  ASSERT_EQ(all.size(), 5u);
  // From the middle, with the right hash.
  auto tail = ReadAll(2, all[1].hash);
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].index, 3u);
  // At the end: nothing, no gap.
  EXPECT_TRUE(ReadAll(5, all[4].hash).empty());
  // A different history at index 2.
  auto diverged = log_->ReadAfter(2, all[2].hash, 10);
  ASSERT_TRUE(diverged.ok());
  EXPECT_TRUE(diverged->gap);
  EXPECT_TRUE(diverged->entries.empty());
  auto diverged_end = log_->ReadAfter(5, all[3].hash, 10);
  ASSERT_TRUE(diverged_end.ok());
  EXPECT_TRUE(diverged_end->gap);
  // Beyond the end.
  EXPECT_EQ(log_->ReadAfter(6, all[4].hash, 10).status().code(), Code::kInvalidArgument);
  // Bounded reads.
  auto two = log_->ReadAfter(0, WalGenesisHash(), 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->entries.size(), 2u);
  auto none = log_->ReadAfter(1, all[0].hash, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->gap);
  auto none_bad = log_->ReadAfter(1, all[1].hash, 0);
  ASSERT_TRUE(none_bad.ok());
  EXPECT_TRUE(none_bad->gap);
}

TEST_P(ReplicatedLogTest, RetentionTrimsByEntries) {
  Reopen({.max_entries = 10});
  for (int i = 0; i < 25; ++i) Put("sys/policy/p" + std::to_string(i), "v");
  auto state = log_->State();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->first_index, 16u);
  EXPECT_EQ(state->last_index, 25u);
  auto keys = physical_->ListAll(kWalEntryPrefix);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 10u);
  EXPECT_EQ(keys->front(), WalEntryKey(16));
  // Trimmed: a gap. Just before the oldest retained: fine, with the right hash.
  auto trimmed = log_->ReadAfter(3, WalGenesisHash(), 10);
  ASSERT_TRUE(trimmed.ok());
  EXPECT_TRUE(trimmed->gap);
  auto from16 = log_->ReadAfter(16, std::string(32, 'x'), 100);
  ASSERT_TRUE(from16.ok());
  ASSERT_TRUE(from16->gap);  // wrong hash
  auto raw16 = physical_->Get(WalEntryKey(16));
  ASSERT_TRUE(raw16.ok() && raw16->has_value());
  auto e16 = DecodeWalEntry(**raw16);
  ASSERT_TRUE(e16.ok());
  auto from15 = log_->ReadAfter(15, e16->prev_hash, 100);
  ASSERT_TRUE(from15.ok());
  EXPECT_FALSE(from15->gap) << from15->gap_reason;
  EXPECT_EQ(from15->entries.size(), 10u);
}

TEST_P(ReplicatedLogTest, RetentionTrimsByBytesAndKeepsTheNewest) {
  Reopen({.max_entries = 1000, .max_bytes = 4096});
  const std::string big(1000, 'v');
  for (int i = 0; i < 20; ++i) Put("sys/policy/p" + std::to_string(i), big);
  auto state = log_->State();
  ASSERT_TRUE(state.ok());
  EXPECT_LE(state->retained_bytes, 4096u);
  EXPECT_EQ(state->last_index, 20u);
  EXPECT_GE(state->first_index, 17u);  // each record is > 1000 bytes
  uint64_t sum = 0;
  for (uint64_t i = state->first_index; i <= state->last_index; ++i) {
    auto raw = physical_->Get(WalEntryKey(i));
    ASSERT_TRUE(raw.ok() && raw->has_value()) << i;
    sum += (*raw)->size();
  }
  EXPECT_EQ(sum, state->retained_bytes);
  // One entry larger than the byte bound is still kept (the newest always is).
  Put("sys/policy/huge", std::string(10000, 'h'));
  state = log_->State();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->first_index, 21u);
  EXPECT_EQ(state->last_index, 21u);
}

TEST_P(ReplicatedLogTest, RestartRecoversPositionAndContinuesTheChain) {
  for (int i = 0; i < 7; ++i) Put("sys/policy/p" + std::to_string(i), "v" + std::to_string(i));
  WalPosition before = Last();
  std::string root_before = Root(R);
  Restart();
  WalPosition after = Last();
  EXPECT_EQ(after.index, before.index);
  EXPECT_EQ(after.hash, before.hash);
  EXPECT_EQ(Root(R), root_before);
  Put("sys/policy/next", "n");
  auto entries = ReadAll(0, WalGenesisHash());
  ASSERT_EQ(entries.size(), 8u);
  EXPECT_EQ(entries.back().index, 8u);
  EXPECT_EQ(entries.back().prev_hash, before.hash);
}

// Bucket hashes are not stored: a restart XORs them up from the leaves, to
// the same trees; bucket records an older store kept are dropped unread.
TEST_P(ReplicatedLogTest, BucketHashesAreRebuiltFromTheLeavesAndNotStored) {
  for (int i = 0; i < 40; ++i) Put("sys/policy/p" + std::to_string(i), "v" + std::to_string(i));
  for (int i = 0; i < 10; ++i) Put("sys/token/id/t" + std::to_string(i), "e");
  ASSERT_TRUE(log_->Delete("sys/policy/p3").ok());
  ASSERT_TRUE(log_->Delete("sys/token/id/t3").ok());
  auto buckets = [&](StorageClass c) {
    auto b = log_->MerkleBuckets(c);
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? *b : std::vector<std::string>{};
  };
  const std::vector<std::string> replicated = buckets(R), local = buckets(L);
  const std::string root_r = Root(R), root_l = Root(L);
  for (const char* prefix : {"node/merkle/replicated/bucket/", "node/merkle/local/bucket/"}) {
    EXPECT_TRUE(physical_->ListAll(prefix).value().empty()) << prefix;
  }
  // An older store's bucket record (its value is not read: the leaves rule).
  ASSERT_TRUE(physical_->Write({Op::Put("node/merkle/replicated/bucket/0a3",
                                        std::string(kMerkleHashSize, 'x'))}).ok());
  Restart();
  EXPECT_EQ(buckets(R), replicated);
  EXPECT_EQ(buckets(L), local);
  EXPECT_EQ(Root(R), root_r);
  EXPECT_EQ(Root(L), root_l);
  EXPECT_NE(root_r, MerkleTree().Root());
  EXPECT_TRUE(physical_->ListAll("node/merkle/replicated/bucket/").value().empty());
  // And the rebuilt trees keep being updated.
  Put("sys/policy/p3", "back");
  EXPECT_NE(Root(R), root_r);
}

// A writer looks its keys' leaves up before it queues. A commit that changes
// such a leaf's bucket in between must make the group's leader look again:
// otherwise the leaf it replaced would stay XORed into the bucket.
TEST(ReplicatedLogLookups, ALeafChangedAfterTheWriterLookedIsLookedUpAgain) {
  BackendPtr inner = NewInmemBackend();
  FaultyBackend gate(inner.get());
  const std::string key = "sys/policy/raced";
  const std::string leaf = MerkleLeafKey(R, key);
  std::mutex mu;
  std::condition_variable cv;
  bool armed = true, held = false, released = false;  // GUARDED_BY(mu)
  gate.after_get = [&](std::string_view k) {
    std::unique_lock<std::mutex> lock(mu);
    if (!armed || k != leaf) return;
    armed = false;
    held = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
  };
  // Without the leaf index: with it the leader finds the leaf in memory and
  // no writer looks before it queues.
  ReplicatedLog log(&gate, ReplicatedLogOptions{.leaf_index_capacity = 0});
  log.SetMountClasses(SharedMountU());
  ASSERT_TRUE(log.Open().ok());
  ASSERT_FALSE(log.leaf_index_complete());

  std::thread writer([&] { EXPECT_TRUE(log.Put(key, "second").ok()); });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return held; });  // the writer saw no leaf
  }
  ASSERT_TRUE(log.Put(key, "first").ok());  // committed while it waits
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
  }
  cv.notify_all();
  writer.join();

  EXPECT_EQ(log.Get(key).value(), "second");
  // The trees as a load rebuilds them from the stored leaves.
  ReplicatedLog reloaded(inner.get(), ReplicatedLogOptions{});
  reloaded.SetMountClasses(SharedMountU());
  ASSERT_TRUE(reloaded.Open().ok());
  EXPECT_EQ(log.MerkleRoot(R).value(), reloaded.MerkleRoot(R).value());
  EXPECT_EQ(log.MerkleBuckets(R).value(), reloaded.MerkleBuckets(R).value());
}

TEST_P(ReplicatedLogTest, CrashSafetyDataAndWalAgreeAfterReopen) {
  // Every acknowledged write is in both the data and the WAL after a reopen;
  // replaying the WAL onto an empty map reproduces the data exactly.
  std::mt19937 rng(1234);
  for (int i = 0; i < 200; ++i) {
    std::string k = "logical/u/k" + std::to_string(rng() % 40);
    if (rng() % 4 == 0) {
      ASSERT_TRUE(log_->Delete(k).ok());
    } else {
      Put(k, "v" + std::to_string(i));
    }
  }
  Restart();
  std::map<std::string, std::string> replay;
  for (const WalEntry& e : ReadAll(0, WalGenesisHash())) {
    for (const WalOp& op : e.ops) {
      if (op.kind == WalOp::Kind::kPut) {
        replay[op.key] = op.value;
      } else {
        replay.erase(op.key);
      }
    }
  }
  auto keys = physical_->ListAll("logical/");
  ASSERT_TRUE(keys.ok());
  std::map<std::string, std::string> stored;
  for (const auto& k : *keys) stored[k] = *physical_->Get(k).value();
  EXPECT_EQ(stored, replay);
}

TEST_P(ReplicatedLogTest, AFailedWriteConsumesNoIndexAndLeavesNoData) {
  FaultyBackend faulty(physical_.get());
  log_ = std::make_unique<ReplicatedLog>(&faulty, ReplicatedLogOptions{});
  Put("sys/policy/a", "1");
  std::string root = Root(R);
  faulty.fail = true;
  EXPECT_EQ(log_->Put("sys/policy/b", "2").code(), Code::kIOError);
  faulty.fail = false;
  EXPECT_EQ(*log_->Get("sys/policy/b"), std::nullopt);
  EXPECT_EQ(Last().index, 1u);
  EXPECT_EQ(Root(R), root);
  Put("sys/policy/c", "3");
  auto entries = ReadAll(0, WalGenesisHash());
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].ops[0].key, "sys/policy/c");
}

TEST_P(ReplicatedLogTest, MerkleRootsIgnoreWriteOrderAndSeeAnyChange) {
  struct Step {
    bool put;
    std::string key, value;
  };
  std::vector<Step> steps;
  for (int i = 0; i < 300; ++i) steps.push_back({true, "logical/u/k" + std::to_string(i), "v" + std::to_string(i)});
  for (int i = 0; i < 300; i += 7) steps.push_back({false, "logical/u/k" + std::to_string(i), ""});
  for (int i = 0; i < 10; ++i) steps.push_back({true, "sys/token/id/t" + std::to_string(i), "tok"});

  Put("logical/u/k1", "overwritten later");
  for (const Step& s : steps) {
    ASSERT_TRUE((s.put ? log_->Put(s.key, s.value) : log_->Delete(s.key)).ok());
  }
  const std::string root_r = Root(R), root_l = Root(L);

  // A second store, the final content written in another order.
  auto other_physical = NewInmemBackend();
  ReplicatedLog other(other_physical.get(), {});
  other.SetMountClasses(SharedMountU());
  std::map<std::string, std::string> final_content;
  for (const Step& s : steps) {
    if (s.put) final_content[s.key] = s.value; else final_content.erase(s.key);
  }
  std::vector<std::pair<std::string, std::string>> shuffled(final_content.begin(), final_content.end());
  std::mt19937 rng(99);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  ASSERT_TRUE(other.Put("logical/u/extra", "x").ok());
  for (const auto& [k, v] : shuffled) ASSERT_TRUE(other.Put(k, v).ok());
  ASSERT_TRUE(other.Delete("logical/u/extra").ok());
  EXPECT_EQ(*other.MerkleRoot(R), root_r);
  EXPECT_EQ(*other.MerkleRoot(L), root_l);
  EXPECT_EQ(*other.MerkleBuckets(R), *log_->MerkleBuckets(R));

  // Any single change shows: a value, a deletion, an addition.
  ASSERT_TRUE(other.Put("logical/u/k1", "changed").ok());
  EXPECT_NE(*other.MerkleRoot(R), root_r);
  ASSERT_TRUE(other.Put("logical/u/k1", final_content["logical/u/k1"]).ok());
  EXPECT_EQ(*other.MerkleRoot(R), root_r);
  ASSERT_TRUE(other.Delete("logical/u/k2").ok());
  EXPECT_NE(*other.MerkleRoot(R), root_r);
  ASSERT_TRUE(other.Put("logical/u/k2", final_content["logical/u/k2"]).ok());
  ASSERT_TRUE(other.Put("logical/u/new", "n").ok());
  EXPECT_NE(*other.MerkleRoot(R), root_r);
  ASSERT_TRUE(other.Delete("logical/u/new").ok());
  EXPECT_EQ(*other.MerkleRoot(R), root_r);
  ASSERT_TRUE(other.Put("sys/token/id/t0", "changed").ok());
  EXPECT_NE(*other.MerkleRoot(L), root_l);
  EXPECT_EQ(*other.MerkleRoot(R), root_r);  // classes have separate trees
}

TEST_P(ReplicatedLogTest, MerkleBucketKeysListTheKeysAndValueHashes) {
  Put("logical/u/a", "va");
  Put("logical/u/b", "vb");
  uint32_t bucket = MerkleBucketOf("logical/u/a");
  auto keys = log_->MerkleBucketKeys(R, bucket);
  ASSERT_TRUE(keys.ok());
  EXPECT_THAT(*keys, ::testing::Contains(std::make_pair(std::string("logical/u/a"), crypto::Sha256("va"))));
  auto buckets = log_->MerkleBuckets(R);
  ASSERT_TRUE(buckets.ok());
  std::string expected(kMerkleHashSize, '\0');
  for (const auto& [k, h] : *keys) XorInto(expected, MerkleLeafHash(k, h));
  EXPECT_EQ((*buckets)[bucket], expected);
  EXPECT_EQ(log_->MerkleBucketKeys(R, kMerkleBuckets).status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(log_->MerkleRoot(StorageClass::kNode).ok());
}

TEST_P(ReplicatedLogTest, MountDataFollowsTheMountSnapshot) {
  MountEntry local_kv;
  local_kv.uuid = "lkv";
  local_kv.local = true;
  MountEntry shared_kv;
  shared_kv.uuid = "skv";
  log_->SetMountClasses(std::make_shared<const MountClasses>(
      MountClassesFromEntries({local_kv, shared_kv})));
  std::string empty_local = Root(L);
  ASSERT_TRUE(log_->Write({Op::Put("logical/lkv/x", "1"), Op::Put("logical/skv/x", "2")}).ok());
  auto entries = ReadAll(0, WalGenesisHash());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].ops[0].storage_class, L);
  EXPECT_EQ(entries[0].ops[1].storage_class, R);
  // The mount goes away (unmount publishes first, then clears the data): the
  // delete still goes to the clusters that had the key, and the index is clean.
  log_->SetMountClasses(std::make_shared<const MountClasses>(MountClassesFromEntries({shared_kv})));
  ASSERT_TRUE(log_->Delete("logical/lkv/x").ok());
  entries = ReadAll(1, entries[0].hash);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].ops[0].storage_class, L);
  EXPECT_EQ(Root(L), empty_local);
}

TEST_P(ReplicatedLogTest, AnExistingStoreIsIndexedOnFirstOpen) {
  // Data written before the log existed, straight to the backend.
  ASSERT_TRUE(physical_->Put("sys/policy/a", "1").ok());
  ASSERT_TRUE(physical_->Put("sys/token/id/t", "2").ok());
  Reopen({});
  auto reference_physical = NewInmemBackend();
  ReplicatedLog reference(reference_physical.get(), {});
  ASSERT_TRUE(reference.Put("sys/policy/a", "1").ok());
  ASSERT_TRUE(reference.Put("sys/token/id/t", "2").ok());
  EXPECT_EQ(Root(R), *reference.MerkleRoot(R));
  EXPECT_EQ(Root(L), *reference.MerkleRoot(L));
  EXPECT_EQ(Last().index, 0u);
  // And the index is maintained from there.
  ASSERT_TRUE(log_->Delete("sys/policy/a").ok());
  ASSERT_TRUE(reference.Delete("sys/policy/a").ok());
  EXPECT_EQ(Root(R), *reference.MerkleRoot(R));
}


// Writers on fibers (common/fiber.h) suspend for their group commit instead
// of blocking their thread, and never lead: the log's committer thread does.
// So on ONE thread all 48 fibers' writes are in flight at once, free to share
// group commits (blocking, each would return before the next one started),
// and plain-thread writers mixed in still commit. Everything is in the log
// and the trees match a fresh load. (How many writes each group takes is up
// to the committer's timing, so it is not asserted: under a loaded CI machine
// it took as few as two.)
TEST(ReplicatedLogFibers, WritersOnOneThreadsFibersShareGroupCommits) {
  testing::TempDir dir;
  auto physical = OpenRocksdbBackend(dir.path());
  ASSERT_TRUE(physical.ok());
  ReplicatedLog log(physical->get(), {});
  ASSERT_TRUE(log.Open().ok());
  constexpr int kFibers = 48;
  std::atomic<int> ok{0};
  int in_flight = 0, most_in_flight = 0;  // fibers only: one thread
  std::vector<std::function<void()>> jobs;
  for (int i = 0; i < kFibers; ++i) {
    jobs.push_back([&, i] {
      most_in_flight = std::max(most_in_flight, ++in_flight);
      if (log.Put("logical/u/f" + std::to_string(i), "v" + std::to_string(i)).ok()) ++ok;
      --in_flight;
    });
  }
  std::thread plain([&] {
    for (int i = 0; i < 10; ++i) {
      if (log.Put("logical/u/t" + std::to_string(i), "t").ok()) ++ok;
    }
  });
  coffer::testing::FiberThread scheduler;  // starts every job before it continues any
  scheduler.Run(std::move(jobs));
  plain.join();
  EXPECT_EQ(ok.load(), kFibers + 10);
  EXPECT_EQ(most_in_flight, kFibers);
  auto state = log.State();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->last_index, static_cast<uint64_t>(kFibers + 10));
  const auto stats = log.commit_stats();
  EXPECT_LT(stats.groups, stats.batches) << "no two writes shared a group";
  ReplicatedLog reloaded(physical->get(), {});
  ASSERT_TRUE(reloaded.Open().ok());
  for (StorageClass c : {StorageClass::kReplicated, StorageClass::kLocal}) {
    EXPECT_EQ(*log.MerkleRoot(c), *reloaded.MerkleRoot(c));
  }
  auto value = log.Get("logical/u/f7");
  ASSERT_TRUE(value.ok() && value->has_value());
  EXPECT_EQ(**value, "v7");
}

// Every write from a fiber waits for the committer, so it runs at a higher
// priority where the process may raise it (as root; CI runs as root), at the
// process's own otherwise.
TEST(ReplicatedLogFibers, TheCommitterAsksForAHigherPriority) {
  auto physical = NewInmemBackend();
  ReplicatedLog log(physical.get(), {});
  ASSERT_TRUE(log.Open().ok());
  std::vector<std::function<void()>> jobs;
  for (int i = 0; i < 4; ++i) {
    jobs.push_back([&, i] { ASSERT_TRUE(log.Put("logical/u/p" + std::to_string(i), "v").ok()); });
  }
  // Fibers alone: the first finds nobody committing and starts the committer.
  coffer::testing::FiberThread scheduler;
  scheduler.Run(std::move(jobs));
  // It has run (it committed the writes), so it has named itself.
  auto committer_nice_now = []() -> std::optional<int> {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      if (name != "coffer-commit") continue;
      std::ifstream stat_file(task.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(stat_file)),
                       std::istreambuf_iterator<char>());
      std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
      std::string field;
      for (int i = 3; i <= 19 && fields >> field; ++i) {
        if (i == 19) return std::stoi(field);  // proc(5): nice is field 19
      }
    }
    return std::nullopt;
  };
  const std::optional<int> committer_nice = committer_nice_now();
  ASSERT_TRUE(committer_nice.has_value()) << "no coffer-commit thread";
  if (geteuid() == 0) {
    EXPECT_EQ(*committer_nice, -10);
  } else {
    EXPECT_EQ(*committer_nice, getpriority(PRIO_PROCESS, 0));
  }
}

// Throughput on RocksDB, without and with the log: writer threads each
// writing batches of random keys (as kv v2 writes and tokens do), synced, for
// a few seconds; requests per second and CPU seconds of the process per
// 1,000 batches. Not run by default (timing, not correctness):
//   build/storage_test --gtest_also_run_disabled_tests --gtest_filter='*WriteThroughput*'
// COFFER_BENCH_THREADS (8), COFFER_BENCH_OPS (puts per batch, 1),
// COFFER_BENCH_VALUE (bytes per value, 130) change the shape. The storage
// layer's own ceiling for a given shape, with no HTTP in front
// (docs/performance.md).
TEST(ReplicatedLogBench, DISABLED_WriteThroughput) {
  auto setting = [](const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : fallback;
  };
  const int threads_n = setting("COFFER_BENCH_THREADS", 8);
  const int ops = setting("COFFER_BENCH_OPS", 1);
  const int value_bytes = setting("COFFER_BENCH_VALUE", 130);
  const auto kDuration = std::chrono::seconds(3);
  auto cpu_seconds = [] {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  };
  struct Rate {
    double per_second;
    double cpu_per_1k;
  };
  auto run = [&](Backend* target) {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> writes{0};
    std::vector<std::thread> threads;
    const double cpu_before = cpu_seconds();
    for (int t = 0; t < threads_n; ++t) {
      threads.emplace_back([&, t] {
        const std::string value(static_cast<size_t>(value_bytes), 'c');
        std::mt19937_64 random(static_cast<uint64_t>(t) + 1);
        while (!stop.load()) {
          Batch batch;
          for (int k = 0; k < ops; ++k) {
            batch.push_back(Op::Put("logical/u/" + std::to_string(random()), value));
          }
          if (!target->Write(batch).ok()) return;
          writes.fetch_add(1);
        }
      });
    }
    std::this_thread::sleep_for(kDuration);
    stop = true;
    for (auto& th : threads) th.join();
    const double seconds = std::chrono::duration<double>(kDuration).count();
    const double n = static_cast<double>(writes.load());
    return Rate{n / seconds, n > 0 ? (cpu_seconds() - cpu_before) * 1000.0 / n : 0.0};
  };
  std::printf("%d threads, %d puts of %d bytes per batch\n", threads_n, ops, value_bytes);
  for (int round = 0; round < 2; ++round) {
    testing::TempDir raw_dir, log_dir;
    auto raw = OpenRocksdbBackend(raw_dir.path());
    auto under_log = OpenRocksdbBackend(log_dir.path());
    ASSERT_TRUE(raw.ok() && under_log.ok());
    ReplicatedLog log(under_log->get(), {});
    const Rate plain = run(raw->get());
    const Rate logged = run(&log);
    std::printf(
        "round %d: rocksdb %.0f batches/s (%.3f CPU s per 1,000), with replicated log %.0f "
        "(%.3f)\n",
        round, plain.per_second, plain.cpu_per_1k, logged.per_second, logged.cpu_per_1k);
    auto state = log.State();
    ASSERT_TRUE(state.ok());
    auto stats = log.commit_stats();
    std::printf("  wal: last index %llu, %.2f batches per group commit\n",
                static_cast<unsigned long long>(state->last_index),
                stats.groups ? static_cast<double>(stats.batches) / stats.groups : 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplicatedLogTest,
                         ::testing::Values(Kind{"inmem", false}, Kind{"rocksdb", true},
                                           Kind{"inmem_leaves_read_from_storage", false, 0},
                                           // a table of 8 and a filter of 32: most tests
                                           // outgrow both
                                           Kind{"inmem_small_leaf_index", false, 8}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace coffer::storage

namespace coffer::storage {
namespace {

// The in-memory tail serves ReadAfter exactly as storage would: a log
// reopened over the same backend (empty tail) reads the same entries, and a
// wrong hash or a trimmed index are gaps either way.
TEST(ReplicatedLogTail, ServesTheSameEntriesAsStorage) {
  auto physical = NewInmemBackend();
  ReplicatedLog log(physical.get(), ReplicatedLogOptions{.max_entries = 20});
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(log.Put("sys/policy/p" + std::to_string(i % 7), "v" + std::to_string(i)).ok());
  }
  ReplicatedLog reopened(physical.get(), ReplicatedLogOptions{.max_entries = 20});
  ASSERT_TRUE(reopened.Open().ok());
  auto state = log.State();
  ASSERT_TRUE(state.ok());
  ASSERT_EQ(state->first_index, 11u);
  ASSERT_EQ(state->last_index, 30u);
  // The chain hash at 12 is entry 13's prev_hash.
  auto raw = physical->Get(WalEntryKey(13));
  ASSERT_TRUE(raw.ok() && raw->has_value());
  auto entry13 = DecodeWalEntry(**raw);
  ASSERT_TRUE(entry13.ok());
  const std::string hash12 = entry13->prev_hash;
  for (size_t max : {size_t{1}, size_t{5}, size_t{100}}) {
    auto mem = log.ReadAfter(12, hash12, max);
    auto disk = reopened.ReadAfter(12, hash12, max);
    ASSERT_TRUE(mem.ok() && disk.ok());
    EXPECT_FALSE(mem->gap);
    EXPECT_FALSE(disk->gap);
    EXPECT_EQ(mem->entries, disk->entries);
    EXPECT_EQ(mem->entries.size(), std::min<size_t>(max, 18));
  }
  auto at_end = log.ReadAfter(30, state->last_hash, 10);
  ASSERT_TRUE(at_end.ok());
  EXPECT_FALSE(at_end->gap);
  EXPECT_TRUE(at_end->entries.empty());
  EXPECT_TRUE(log.ReadAfter(12, std::string(32, '\x01'), 10)->gap);       // another history
  EXPECT_TRUE(reopened.ReadAfter(12, std::string(32, '\x01'), 10)->gap);
  EXPECT_TRUE(log.ReadAfter(5, std::string(32, '\0'), 10)->gap);           // trimmed
  EXPECT_TRUE(reopened.ReadAfter(5, std::string(32, '\0'), 10)->gap);
  EXPECT_EQ(log.ReadAfter(31, state->last_hash, 10).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::storage

namespace coffer::storage {
namespace {

// Counts the reads of keys under one prefix (WAL records, Merkle leaves).
class ReadCounter final : public Backend {
 public:
  ReadCounter(Backend* inner, std::string_view prefix) : inner_(inner), prefix_(prefix) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    if (key.starts_with(prefix_)) ++reads;
    return inner_->Get(key);
  }
  Status Write(const Batch& batch) override { return inner_->Write(batch); }
  Result<std::vector<std::string>> List(std::string_view p) override { return inner_->List(p); }
  Result<std::vector<std::string>> ListAll(std::string_view p) override {
    return inner_->ListAll(p);
  }
  std::string_view Type() const override { return inner_->Type(); }
  int reads = 0;

 private:
  Backend* inner_;
  std::string prefix_;
};

uint64_t StoredRecordBytes(Backend& physical, const WalState& state) {
  uint64_t sum = 0;
  for (uint64_t i = state.first_index; i <= state.last_index; ++i) {
    auto raw = physical.Get(WalEntryKey(i));
    if (raw.ok() && raw->has_value()) sum += (*raw)->size();
  }
  return sum;
}

// Retention trims with the record sizes it committed, without reading the
// records back; after a reopen (sizes unknown) it reads them and the byte
// count stays exact either way.
TEST(ReplicatedLogRetention, TrimsWithoutReadingRecordsBack) {
  auto physical = NewInmemBackend();
  ReadCounter counted(physical.get(), kWalEntryPrefix);
  {
    ReplicatedLog log(&counted, ReplicatedLogOptions{.max_entries = 10});
    for (int i = 0; i < 25; ++i) {
      ASSERT_TRUE(log.Put("sys/policy/p" + std::to_string(i), std::string(i, 'v')).ok());
    }
    EXPECT_EQ(counted.reads, 0);
    auto state = log.State();
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(state->first_index, 16u);
    EXPECT_EQ(state->retained_bytes, StoredRecordBytes(*physical, *state));
  }
  ReplicatedLog reopened(&counted, ReplicatedLogOptions{.max_entries = 10});
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(reopened.Put("sys/policy/q" + std::to_string(i), std::string(30 - i, 'w')).ok());
  }
  EXPECT_EQ(counted.reads, 10);  // the 10 records retained before the reopen
  auto state = reopened.State();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->first_index, 31u);
  EXPECT_EQ(state->retained_bytes, StoredRecordBytes(*physical, *state));
}

// Keeps the last batch written through it.
class BatchRecorder final : public Backend {
 public:
  explicit BatchRecorder(Backend* inner) : inner_(inner) {}
  Result<std::optional<std::string>> Get(std::string_view key) override { return inner_->Get(key); }
  Status Write(const Batch& batch) override {
    last = batch;
    return inner_->Write(batch);
  }
  Result<std::vector<std::string>> List(std::string_view p) override { return inner_->List(p); }
  Result<std::vector<std::string>> ListAll(std::string_view p) override {
    return inner_->ListAll(p);
  }
  std::string_view Type() const override { return inner_->Type(); }
  Batch last;

 private:
  Backend* inner_;
};

// Overwriting a key rewrites its Merkle leaf with one put (no delete of the
// same leaf key before it: one memtable entry less per overwrite); a delete
// still deletes the leaf.
TEST(ReplicatedLogMerkle, AnOverwriteRewritesTheLeafWithoutDeletingItFirst) {
  auto physical = NewInmemBackend();
  BatchRecorder recorded(physical.get());
  ReplicatedLog log(&recorded, ReplicatedLogOptions{});
  const std::string key = "sys/policy/p";
  const std::string leaf = MerkleLeafKey(StorageClass::kReplicated, key);
  auto ops_on_leaf = [&] {
    std::vector<std::pair<Op::Kind, std::string>> out;
    for (const Op& op : recorded.last) {
      if (op.key == leaf) out.emplace_back(op.kind, op.value);
    }
    return out;
  };
  ASSERT_TRUE(log.Put(key, "v1").ok());
  ASSERT_TRUE(log.Put(key, "v2").ok());
  EXPECT_THAT(ops_on_leaf(), ElementsAre(std::make_pair(Op::Kind::kPut, crypto::Sha256("v2"))));
  EXPECT_EQ(physical->Get(leaf).value(), std::optional<std::string>(crypto::Sha256("v2")));
  ASSERT_TRUE(log.Delete(key).ok());
  EXPECT_THAT(ops_on_leaf(), ElementsAre(std::make_pair(Op::Kind::kDelete, std::string())));
  EXPECT_EQ(physical->Get(leaf).value(), std::nullopt);
  // The buckets agree with a store that only ever saw the final state.
  auto fresh_physical = NewInmemBackend();
  ReplicatedLog fresh(fresh_physical.get(), ReplicatedLogOptions{});
  ASSERT_TRUE(log.Put(key, "v3").ok());
  ASSERT_TRUE(fresh.Put(key, "v3").ok());
  EXPECT_EQ(log.MerkleRoot(StorageClass::kReplicated).value(),
            fresh.MerkleRoot(StorageClass::kReplicated).value());
}

}  // namespace
}  // namespace coffer::storage

namespace coffer::storage {
namespace {

using testing::FaultyBackend;
using testing::SharedMountU;

// Trees as a load rebuilds them from the stored leaves equal the live ones.
void ExpectTreesMatchAFreshLoad(ReplicatedLog& live, Backend* physical) {
  ReplicatedLog reloaded(physical, ReplicatedLogOptions{});
  reloaded.SetMountClasses(SharedMountU());
  ASSERT_TRUE(reloaded.Open().ok());
  for (StorageClass c : {StorageClass::kReplicated, StorageClass::kLocal}) {
    EXPECT_EQ(live.MerkleBuckets(c).value(), reloaded.MerkleBuckets(c).value())
        << StorageClassName(c);
  }
}

// Puts, overwrites (also within one batch), deletes, and keys moving between
// the trees (a mount changing class) over `log`.
void WriteMixedWorkload(ReplicatedLog& log, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(log.Put("logical/u/k" + std::to_string(i), "v" + std::to_string(r)).ok());
      ASSERT_TRUE(log.Put("sys/token/id/t" + std::to_string(i), std::to_string(r)).ok());
    }
    for (int i = r % 3; i < 20; i += 3) {
      ASSERT_TRUE(log.Delete("logical/u/k" + std::to_string(i)).ok());
    }
    Batch b{Op::Put("logical/u/same", "a" + std::to_string(r)),
            Op::Put("logical/u/same", "b" + std::to_string(r)),
            Op::Put("logical/u/gone", "x"), Op::Delete("logical/u/gone")};
    ASSERT_TRUE(log.Write(b).ok());
  }
}

TEST(ReplicatedLogLeafIndex, WritersReadNoLeafFromStorageWhileTheIndexHoldsThemAll) {
  auto physical = NewInmemBackend();
  ReadCounter counted(physical.get(), kMerklePrefix);
  ReplicatedLog log(&counted, ReplicatedLogOptions{});
  log.SetMountClasses(SharedMountU());
  ASSERT_TRUE(log.Open().ok());
  EXPECT_TRUE(log.leaf_index_complete());
  counted.reads = 0;
  WriteMixedWorkload(log, 6);
  // A mount changing class moves its keys' leaves to the other tree.
  MountEntry local_u;
  local_u.uuid = "u";
  local_u.local = true;
  log.SetMountClasses(std::make_shared<const MountClasses>(MountClassesFromEntries({local_u})));
  ASSERT_TRUE(log.Put("logical/u/k1", "moved").ok());
  ASSERT_TRUE(log.Delete("logical/u/k2").ok());
  log.SetMountClasses(SharedMountU());
  ASSERT_TRUE(log.Put("logical/u/k1", "moved back").ok());

  EXPECT_EQ(counted.reads, 0);
  EXPECT_TRUE(log.leaf_index_complete());
  ExpectTreesMatchAFreshLoad(log, physical.get());
}

// Past its capacity the index takes no new keys into its table but keeps
// them in a filter: the leaves it holds stay exact and answer, a new key is
// known to have none, and only the keys it left out are read from storage.
TEST(ReplicatedLogLeafIndex, PastItsCapacityOnlyTheKeysItLeftOutAreReadFromStorage) {
  auto physical = NewInmemBackend();
  ReadCounter counted(physical.get(), kMerklePrefix);
  {
    ReplicatedLog log(&counted, ReplicatedLogOptions{.leaf_index_capacity = 30});
    log.SetMountClasses(SharedMountU());
    ASSERT_TRUE(log.Open().ok());
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(log.Put("logical/u/k" + std::to_string(i), "v").ok());
    EXPECT_EQ(log.leaf_index_stats().held, 30u);
    ASSERT_TRUE(log.Put("logical/u/one-too-many", "v").ok());
    EXPECT_EQ(log.leaf_index_stats().unheld, 1u);
    EXPECT_TRUE(log.leaf_index_complete());
    for (int i = 0; i < 60; ++i) {  // new keys, past the capacity
      ASSERT_TRUE(log.Put("sys/token/id/new" + std::to_string(i), "v").ok());
    }
    EXPECT_EQ(counted.reads, 0);
    EXPECT_EQ(log.leaf_index_stats().held, 30u);
    EXPECT_EQ(log.leaf_index_stats().unheld, 61u);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(log.Put("logical/u/k" + std::to_string(i), "w").ok());
    EXPECT_EQ(counted.reads, 0);  // all held
    ASSERT_TRUE(log.Put("logical/u/one-too-many", "w").ok());
    EXPECT_EQ(counted.reads, 1);  // left out: found in its own tree
    ASSERT_TRUE(log.Delete("sys/token/id/new3").ok());
    EXPECT_EQ(counted.reads, 2);
    ASSERT_TRUE(log.Put("sys/token/id/new3", "again").ok());
    EXPECT_EQ(counted.reads, 4);  // still claimed: looked for in both trees
    WriteMixedWorkload(log, 3);
    ExpectTreesMatchAFreshLoad(log, physical.get());
  }
  // A load of more leaves than the table holds puts the rest in the filter;
  // one with room holds them all again.
  ReplicatedLog small(&counted, ReplicatedLogOptions{.leaf_index_capacity = 30});
  small.SetMountClasses(SharedMountU());
  ASSERT_TRUE(small.Open().ok());
  EXPECT_TRUE(small.leaf_index_complete());
  EXPECT_EQ(small.leaf_index_stats().held, 30u);
  EXPECT_GT(small.leaf_index_stats().unheld, 60u);
  WriteMixedWorkload(small, 2);
  ExpectTreesMatchAFreshLoad(small, physical.get());
  ReplicatedLog roomy(&counted, ReplicatedLogOptions{.leaf_index_capacity = 1000});
  roomy.SetMountClasses(SharedMountU());
  ASSERT_TRUE(roomy.Open().ok());
  EXPECT_TRUE(roomy.leaf_index_complete());
  EXPECT_EQ(roomy.leaf_index_stats().unheld, 0u);
  counted.reads = 0;
  WriteMixedWorkload(roomy, 2);
  EXPECT_EQ(counted.reads, 0);
  ExpectTreesMatchAFreshLoad(roomy, physical.get());
}

// The filter takes 4 keys per leaf of capacity; past that the index is no
// longer complete and every key it does not hold is read from storage.
TEST(ReplicatedLogLeafIndex, OnceItsFilterIsFullEveryKeyNotHeldIsReadFromStorage) {
  auto physical = NewInmemBackend();
  ReadCounter counted(physical.get(), kMerklePrefix);
  ReplicatedLog log(&counted, ReplicatedLogOptions{.leaf_index_capacity = 10});
  log.SetMountClasses(SharedMountU());
  ASSERT_TRUE(log.Open().ok());
  int i = 0;
  while (log.leaf_index_complete()) {
    ASSERT_TRUE(log.Put("sys/token/id/t" + std::to_string(i++), "v").ok());
    ASSERT_LT(i, 100);
  }
  EXPECT_EQ(log.leaf_index_stats().held, 10u);
  EXPECT_EQ(log.leaf_index_stats().unheld, 40u);
  counted.reads = 0;
  ASSERT_TRUE(log.Put("sys/token/id/brand-new", "v").ok());
  EXPECT_EQ(counted.reads, 2);  // both trees
  counted.reads = 0;
  ASSERT_TRUE(log.Put("sys/token/id/t0", "w").ok());  // held
  EXPECT_EQ(counted.reads, 0);
  WriteMixedWorkload(log, 2);
  ExpectTreesMatchAFreshLoad(log, physical.get());
}

// A write whose batch reached storage but reported failure (say, an fsync
// error after the data went in) leaves the index unknown: the next write
// reloads it from the stored leaves instead of trusting memory.
TEST(ReplicatedLogLeafIndex, AfterAFailedWriteTheIndexIsReloadedFromStorage) {
  auto physical = NewInmemBackend();
  FaultyBackend faulty(physical.get());
  ReplicatedLog log(&faulty, ReplicatedLogOptions{});
  log.SetMountClasses(SharedMountU());
  ASSERT_TRUE(log.Put("logical/u/a", "1").ok());
  ASSERT_TRUE(log.Put("logical/u/b", "1").ok());
  faulty.fail_after_write = true;
  EXPECT_EQ(log.Put("logical/u/a", "2").code(), Code::kIOError);
  EXPECT_EQ(log.Delete("logical/u/b").code(), Code::kIOError);
  faulty.fail_after_write = false;
  ASSERT_TRUE(log.Put("logical/u/a", "3").ok());
  ASSERT_TRUE(log.Put("logical/u/b", "3").ok());
  EXPECT_TRUE(log.leaf_index_complete());
  ExpectTreesMatchAFreshLoad(log, physical.get());
}

// WipeData's last step rebuilds the trees from the leaves it kept, and the
// index with them: a leaf whose key has no data (an index out of step) is
// dropped from both.
TEST(ReplicatedLogLeafIndex, AWipeLeavesAnEmptyIndexThatKeepsUp) {
  auto physical = NewInmemBackend();
  {
    ReplicatedLog first(physical.get(), ReplicatedLogOptions{});
    first.SetMountClasses(SharedMountU());
    WriteMixedWorkload(first, 2);
  }
  const std::string ghost = "logical/u/ghost";
  ASSERT_TRUE(physical->Put(MerkleLeafKey(R, ghost), crypto::Sha256("no such value")).ok());
  ReadCounter counted(physical.get(), kMerklePrefix);
  ReplicatedLog log(&counted, ReplicatedLogOptions{});
  log.SetMountClasses(SharedMountU());
  ASSERT_TRUE(log.Open().ok());
  ASSERT_TRUE(log.WipeData().ok());
  ASSERT_TRUE(log.Put(ghost, "now it has data").ok());
  EXPECT_TRUE(log.leaf_index_complete());
  counted.reads = 0;
  WriteMixedWorkload(log, 2);
  EXPECT_EQ(counted.reads, 0);
  ExpectTreesMatchAFreshLoad(log, physical.get());
}

}  // namespace
}  // namespace coffer::storage
