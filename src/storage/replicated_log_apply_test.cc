// The secondary side of the replicated log: read-only mode, applying upstream
// WAL entries and Merkle-sync fetches, the upstream position, crash safety and
// the wipe of secondary enable. Two logs over in-memory backends stand for a
// primary and a secondary; everything runs the real code paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <random>
#include <set>

#include "storage/faulty_backend_for_test.h"
#include "storage/inmem_backend.h"
#include "storage/log_node_for_test.h"
#include "storage/replicated_log.h"

namespace coffer::storage {
namespace {

using testing::ClassDiff;
using testing::DiffClass;
using testing::EmptyRoot;
using testing::FaultyBackend;
using testing::Node;
using testing::PositionOf;
using testing::SharedMountU;
using testing::TreeKeys;

constexpr StorageClass R = StorageClass::kReplicated;
constexpr StorageClass L = StorageClass::kLocal;
constexpr std::string_view kPerf = "performance";

// What a performance primary ships: each entry with only its replicated ops.
std::vector<WalEntry> ReplicatedOnly(std::vector<WalEntry> entries) {
  for (WalEntry& e : entries) {
    std::erase_if(e.ops, [](const WalOp& op) { return op.storage_class != R; });
  }
  return entries;
}

// Streams everything after the secondary's position, `chunk` entries per apply.
// Returns the number of ApplyUpstream calls.
int Stream(Node& primary, Node& secondary, size_t chunk) {
  int applies = 0;
  for (;;) {
    auto at = secondary.log->LoadUpstream(kPerf);
    EXPECT_TRUE(at.ok());
    UpstreamPosition pos = at->value_or(UpstreamPosition{0, WalGenesisHash(), 0});
    auto read = primary.log->ReadAfter(pos.index, pos.hash, chunk);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    EXPECT_FALSE(read->gap) << read->gap_reason;
    if (!read.ok() || read->gap || read->entries.empty()) return applies;
    Status st = secondary.log->ApplyUpstream(kPerf, ReplicatedOnly(read->entries),
                                             PositionOf(read->entries.back()));
    EXPECT_TRUE(st.ok()) << st.ToString();
    if (!st.ok()) return applies;
    ++applies;
  }
}

struct SyncCount {
  size_t fetched = 0;
  size_t removed = 0;
};

// merkle-diff + merkle-sync of the replicated class: fetch only the differing
// keys, ApplySync with the position the buckets matched.
SyncCount SyncByDiff(Node& primary, Node& secondary) {
  ClassDiff d = DiffClass(primary, secondary, R);
  Status st = secondary.log->ApplySync(kPerf, d.ops, d.at);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return {d.fetched, d.removed};
}

std::set<std::string> LocalTreeKeys(Node& node) { return TreeKeys(node, L); }

TEST(ReplicatedReadOnly, RefusesReplicatedWritesAndWritesNothing) {
  Node node;
  ASSERT_TRUE(node.log->Put("sys/policy/p", "1").ok());
  ASSERT_TRUE(node.log->Put("sys/token/id/t", "1").ok());
  const WalPosition before = node.Last();
  const std::string root_r = node.Root(R), root_l = node.Root(L);

  EXPECT_FALSE(node.log->ReplicatedReadOnly());
  node.log->SetReplicatedReadOnly(true);
  EXPECT_TRUE(node.log->ReplicatedReadOnly());
  // A batch mixing classes is refused as a whole.
  Status st = node.log->Write({Op::Put("sys/token/id/u", "2"), Op::Put("logical/u/data", "x")});
  EXPECT_EQ(st.code(), Code::kReadOnly);
  EXPECT_EQ(st.message(), "cannot write to readonly storage");
  EXPECT_EQ(node.log->Delete("sys/policy/p").code(), Code::kReadOnly);
  EXPECT_EQ(node.Get("sys/token/id/u"), std::nullopt);
  EXPECT_EQ(node.Get("logical/u/data"), std::nullopt);
  EXPECT_EQ(node.Get("sys/policy/p"), "1");
  EXPECT_EQ(node.Last().index, before.index);
  EXPECT_EQ(node.Root(R), root_r);
  EXPECT_EQ(node.Root(L), root_l);

  // Local and node writes still work.
  ASSERT_TRUE(node.log->Put("sys/token/id/u", "2").ok());
  ASSERT_TRUE(node.log->Put("node/own", "n").ok());
  EXPECT_EQ(node.Last().index, before.index + 1);
  EXPECT_EQ(node.Root(R), root_r);

  // The apply paths bypass it.
  WalEntry e;
  e.ops.push_back({WalOp::Kind::kPut, R, "sys/policy/q", "from-primary"});
  ASSERT_TRUE(node.log->ApplyUpstream(kPerf, {e}, {1, std::string(32, 'h'), 5}).ok());
  ASSERT_TRUE(node.log->ApplySync(kPerf, {Op::Delete("sys/policy/p")}, std::nullopt).ok());
  EXPECT_EQ(node.Get("sys/policy/q"), "from-primary");
  EXPECT_EQ(node.Get("sys/policy/p"), std::nullopt);

  node.log->SetReplicatedReadOnly(false);
  EXPECT_TRUE(node.log->Put("sys/policy/r", "3").ok());
}

TEST(ApplyUpstream, TwoLogsConvergeOnTheReplicatedClass) {
  const unsigned seed = 20261128;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  Node primary;
  // The secondary has not loaded the primary's mount table: data of mount u
  // takes the class the primary logged.
  Node secondary({}, /*knows_mount_u=*/false);
  ASSERT_TRUE(secondary.log->Put("sys/token/id/secondary-own", "mine").ok());
  ASSERT_TRUE(secondary.log->Put("sys/expire/own", "lease").ok());

  const char* prefixes[] = {"sys/policy/p", "logical/u/k", "sys/token/id/t", "sys/expire/x"};
  auto random_op = [&] {
    std::string k = prefixes[rng() % 4] + std::to_string(rng() % 60);
    return rng() % 4 == 0 ? Op::Delete(k) : Op::Put(k, "v" + std::to_string(rng()));
  };
  for (int i = 0; i < 400; ++i) {
    Batch b = {random_op()};
    if (rng() % 3 == 0) b.push_back(random_op());
    ASSERT_TRUE(primary.log->Write(b).ok());
  }
  ASSERT_NE(primary.Root(L), EmptyRoot());  // the primary has local data the secondary must not get

  const WalPosition secondary_before = secondary.Last();
  const int applies = Stream(primary, secondary, 37);
  EXPECT_EQ(applies, (400 + 36) / 37);
  EXPECT_EQ(secondary.Root(R), primary.Root(R));
  // The local tree holds the secondary's own keys and its position, nothing of the primary's.
  EXPECT_EQ(LocalTreeKeys(secondary),
            (std::set<std::string>{"sys/token/id/secondary-own", "sys/expire/own",
                                   "replication/upstream/performance"}));

  auto pos = secondary.log->LoadUpstream(kPerf);
  ASSERT_TRUE(pos.ok() && pos->has_value());
  const WalPosition primary_last = primary.Last();
  EXPECT_EQ((*pos)->index, primary_last.index);
  EXPECT_EQ((*pos)->hash, primary_last.hash);

  // Each shipped entry with ops is one entry of the secondary's own WAL (its
  // replicated ops in order, so records stay the size of upstream's), and
  // the position goes with the last entry of each apply.
  auto own = secondary.log->ReadAfter(secondary_before.index, secondary_before.hash, 1 << 20);
  ASSERT_TRUE(own.ok() && !own->gap);
  std::vector<std::vector<WalOp>> shipped, logged;
  auto all = primary.log->ReadAfter(0, WalGenesisHash(), 1 << 20);
  ASSERT_TRUE(all.ok() && !all->gap);
  for (const WalEntry& e : ReplicatedOnly(all->entries)) {
    if (!e.ops.empty()) shipped.push_back(e.ops);
  }
  int positions = 0;
  for (const WalEntry& e : own->entries) {
    ASSERT_FALSE(e.ops.empty());
    std::vector<WalOp> ops = e.ops;
    if (ops.back().key == "replication/upstream/performance") {
      EXPECT_EQ(ops.back().storage_class, L);
      ops.pop_back();
      ++positions;
    }
    for (const WalOp& op : ops) EXPECT_NE(op.key, "replication/upstream/performance");
    if (!ops.empty()) logged.push_back(std::move(ops));
  }
  EXPECT_EQ(positions, applies);
  EXPECT_GE(own->entries.size(), shipped.size());
  EXPECT_EQ(logged, shipped);

  // A restart recovers the position and the roots.
  secondary.Restart();
  EXPECT_EQ(*secondary.log->LoadUpstream(kPerf), *pos);
  EXPECT_EQ(secondary.Root(R), primary.Root(R));
  EXPECT_TRUE(secondary.log->WaitForUpstream(kPerf, primary_last.index, std::chrono::milliseconds(0)));
  EXPECT_FALSE(secondary.log->WaitForUpstream(kPerf, primary_last.index + 1, std::chrono::milliseconds(0)));
}

TEST(ApplyUpstream, CatchUpByDiffFetchesOnlyTheChangedKeys) {
  Node primary(ReplicatedLogOptions{.max_entries = 10});
  Node secondary;
  // 5,000 replicated keys (and some local ones) in batches of 100.
  for (int b = 0; b < 50; ++b) {
    Batch batch;
    for (int i = 0; i < 100; ++i) {
      const int n = b * 100 + i;
      batch.push_back(Op::Put((n % 2 ? "logical/u/k" : "sys/policy/p") + std::to_string(n),
                              "v" + std::to_string(n)));
    }
    batch.push_back(Op::Put("sys/token/id/t" + std::to_string(b), "token"));
    ASSERT_TRUE(primary.log->Write(batch).ok());
  }
  // First bootstrap: the WAL was trimmed, so everything comes by diff.
  SyncCount first = SyncByDiff(primary, secondary);
  EXPECT_EQ(first.fetched, 5000u);
  EXPECT_EQ(first.removed, 0u);
  EXPECT_EQ(secondary.Root(R), primary.Root(R));
  UpstreamPosition synced = **secondary.log->LoadUpstream(kPerf);
  EXPECT_EQ(synced.index, primary.Last().index);

  // 50 changes, one write each: more than the 10 retained entries.
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(primary.log->Put("logical/u/k" + std::to_string(2 * i + 1), "new").ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(primary.log->Delete("sys/policy/p" + std::to_string(200 + 2 * i)).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(primary.log->Put("sys/policy/added" + std::to_string(i), "a").ok());
  auto read = primary.log->ReadAfter(synced.index, synced.hash, 100);
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->gap);

  SyncCount second = SyncByDiff(primary, secondary);
  EXPECT_EQ(second.fetched, 40u);
  EXPECT_EQ(second.removed, 10u);
  EXPECT_EQ(secondary.Root(R), primary.Root(R));
  EXPECT_EQ(secondary.Get("logical/u/k1"), "new");
  EXPECT_EQ(secondary.Get("sys/policy/p200"), std::nullopt);
  // From the synced position the stream continues without a gap.
  UpstreamPosition now = **secondary.log->LoadUpstream(kPerf);
  EXPECT_EQ(now.index, primary.Last().index);
  ASSERT_TRUE(primary.log->Put("sys/policy/after", "x").ok());
  EXPECT_EQ(Stream(primary, secondary, 10), 1);
  EXPECT_EQ(secondary.Root(R), primary.Root(R));
}

TEST(ApplyUpstream, IsOnePhysicalBatchAndAFailureLeavesNothing) {
  BackendPtr inner = NewInmemBackend();
  FaultyBackend faulty(inner.get());
  auto log = std::make_unique<ReplicatedLog>(&faulty, ReplicatedLogOptions{});
  ASSERT_TRUE(log->Open().ok());
  std::vector<WalEntry> entries(3);
  for (int e = 0; e < 3; ++e) {
    for (int i = 0; i < 4; ++i) {
      entries[e].ops.push_back({WalOp::Kind::kPut, R, "sys/policy/e" + std::to_string(e) + "-" + std::to_string(i), "v"});
    }
  }
  entries[2].ops.push_back({WalOp::Kind::kDelete, R, "sys/policy/e0-0", ""});
  const UpstreamPosition first{3, std::string(32, '3'), 30};
  int writes = faulty.writes.load();
  const uint64_t index_before = log->LastPosition()->index;
  ASSERT_TRUE(log->ApplyUpstream(kPerf, entries, first).ok());
  EXPECT_EQ(faulty.writes.load(), writes + 1);
  // One entry of this log per upstream entry, all in that one write.
  EXPECT_EQ(log->LastPosition()->index, index_before + 3);
  EXPECT_EQ(*log->Get("sys/policy/e0-0"), std::nullopt);
  EXPECT_EQ(*log->Get("sys/policy/e2-3"), "v");

  const std::string root = *log->MerkleRoot(R), root_l = *log->MerkleRoot(L);
  const WalPosition last = *log->LastPosition();
  WalEntry more;
  more.ops.push_back({WalOp::Kind::kPut, R, "sys/policy/more", "m"});
  more.ops.push_back({WalOp::Kind::kDelete, R, "sys/policy/e1-1", ""});
  faulty.fail = true;
  EXPECT_EQ(log->ApplyUpstream(kPerf, {more}, {4, std::string(32, '4'), 40}).code(), Code::kIOError);
  faulty.fail = false;
  EXPECT_EQ(*log->Get("sys/policy/more"), std::nullopt);
  EXPECT_EQ(*log->Get("sys/policy/e1-1"), "v");
  EXPECT_EQ(**log->LoadUpstream(kPerf), first);
  EXPECT_EQ(*log->MerkleRoot(R), root);
  EXPECT_EQ(*log->MerkleRoot(L), root_l);
  EXPECT_EQ(log->LastPosition()->index, last.index);
  EXPECT_FALSE(log->WaitForUpstream(kPerf, 4, std::chrono::milliseconds(0)));

  // The retry applies; a restart finds it all.
  ASSERT_TRUE(log->ApplyUpstream(kPerf, {more}, {4, std::string(32, '4'), 40}).ok());
  const std::string root_after = *log->MerkleRoot(R);
  log = std::make_unique<ReplicatedLog>(&faulty, ReplicatedLogOptions{});
  EXPECT_EQ(*log->MerkleRoot(R), root_after);
  EXPECT_EQ((**log->LoadUpstream(kPerf)).index, 4u);
  EXPECT_EQ(log->LastPosition()->index, last.index + 1);
}

TEST(ApplyUpstream, RefusesNodeKeysAndBadPositions) {
  Node node;
  const WalPosition before = node.Last();
  WalEntry e;
  e.ops.push_back({WalOp::Kind::kPut, R, "sys/policy/ok", "v"});
  e.ops.push_back({WalOp::Kind::kPut, L, "node/wal/state", "evil"});
  EXPECT_EQ(node.log->ApplyUpstream(kPerf, {e}, {1, std::string(32, 'h'), 0}).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(node.log->ApplySync(kPerf, {Op::Put("node/merkle/x", "y")}, std::nullopt).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(node.log->ApplySync(kPerf, {Op::Put("sys/policy/ok", "v")},
                                UpstreamPosition{1, "short", 0})
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(node.log->ApplySync("", {Op::Put("sys/policy/ok", "v")}, std::nullopt).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(node.Get("sys/policy/ok"), std::nullopt);
  EXPECT_EQ(node.Last().index, before.index);
  EXPECT_EQ(*node.log->LoadUpstream(kPerf), std::nullopt);
  // Callers cannot forge a position.
  EXPECT_EQ(node.log->Put(UpstreamPositionKey(kPerf), "x").code(), Code::kPermissionDenied);
}

TEST(ApplyUpstream, ObserverSeesTheDataKeysAfterCommit) {
  Node node;
  std::vector<std::vector<std::string>> seen;
  node.log->SetApplyObserver([&](const std::vector<std::string>& keys) {
    // Called after the commit: the data is readable already.
    for (const auto& k : keys) EXPECT_TRUE(node.log->Get(k).ok());
    seen.push_back(keys);
  });
  WalEntry e;
  e.ops.push_back({WalOp::Kind::kPut, R, "core/mounts", "table"});
  e.ops.push_back({WalOp::Kind::kDelete, R, "sys/policy/gone", ""});
  ASSERT_TRUE(node.log->ApplyUpstream(kPerf, {e}, {1, std::string(32, 'h'), 0}).ok());
  ASSERT_TRUE(node.log->ApplySync(kPerf, {Op::Put("sys/policy/p", "x")}, std::nullopt).ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::vector<std::string>{"core/mounts", "sys/policy/gone"}));
  EXPECT_EQ(seen[1], (std::vector<std::string>{"sys/policy/p"}));
}

// Populates `n` keys of both classes through the log, in batches.
void Populate(ReplicatedLog& log, int n) {
  Batch batch;
  for (int i = 0; i < n; ++i) {
    std::string k = (i % 3 == 0 ? "sys/token/id/t" : i % 3 == 1 ? "logical/u/k" : "sys/policy/p") +
                    std::to_string(i);
    batch.push_back(Op::Put(std::move(k), std::string(100, 'c')));
    if (batch.size() == 1000) {
      ASSERT_TRUE(log.Write(batch).ok());
      batch.clear();
    }
  }
  if (!batch.empty()) {
    ASSERT_TRUE(log.Write(batch).ok());
  }
}

std::vector<std::string> NonNodeKeys(Backend& b) {
  std::vector<std::string> out;
  auto all = b.ListAll("");
  if (!all.ok()) return {"<ListAll failed>"};
  for (std::string& k : *all) {
    if (!k.starts_with("node/")) out.push_back(std::move(k));
  }
  return out;
}

TEST(WipeData, LeavesOnlyNodeKeysAndEmptyTrees) {
  Node node;
  Populate(*node.log, 3000);
  ASSERT_TRUE(node.log->ApplySync(kPerf, {Op::Put("core/keyring", "k")}, UpstreamPosition{9, std::string(32, '9'), 0}).ok());
  ASSERT_TRUE(node.log->Put("node/identity", "stays").ok());
  node.log->SetReplicatedReadOnly(true);  // a wipe bypasses it
  size_t observed = 0;
  node.log->SetApplyObserver([&](const std::vector<std::string>& keys) { observed += keys.size(); });
  const WalPosition before = node.Last();

  ASSERT_TRUE(node.log->WipeData().ok());
  EXPECT_TRUE(NonNodeKeys(*node.physical).empty());
  EXPECT_TRUE(node.physical->ListAll("node/merkle/")->empty());
  EXPECT_EQ(node.Get("node/identity"), "stays");
  EXPECT_EQ(node.Root(R), EmptyRoot());
  EXPECT_EQ(node.Root(L), EmptyRoot());
  EXPECT_EQ(*node.log->LoadUpstream(kPerf), std::nullopt);
  EXPECT_FALSE(node.log->WaitForUpstream(kPerf, 1, std::chrono::milliseconds(0)));
  EXPECT_EQ(observed, 3002u);  // the data, the keyring and the position
  // The deletions are in the WAL, ~1000 keys an entry, for this cluster's DR.
  auto wal = node.log->ReadAfter(before.index, before.hash, 100);
  ASSERT_TRUE(wal.ok() && !wal->gap);
  EXPECT_EQ(wal->entries.size(), 3u);
  size_t deletes = 0;
  for (const WalEntry& e : wal->entries) {
    for (const WalOp& op : e.ops) deletes += op.kind == WalOp::Kind::kDelete;
  }
  EXPECT_EQ(deletes, 3002u);

  node.Restart();
  EXPECT_EQ(node.Root(R), EmptyRoot());
  EXPECT_EQ(node.Root(L), EmptyRoot());
  // A second wipe of an empty store is a no-op.
  ASSERT_TRUE(node.log->WipeData().ok());
  EXPECT_EQ(node.Last().index, wal->entries.back().index);
}

TEST(WipeData, AnInterruptedWipeIsConsistentAndARepeatFinishesIt) {
  BackendPtr inner = NewInmemBackend();
  FaultyBackend faulty(inner.get());
  auto log = std::make_unique<ReplicatedLog>(&faulty, ReplicatedLogOptions{});
  log->SetMountClasses(SharedMountU());
  Populate(*log, 5000);
  faulty.succeed_writes = 2;  // two batches of the wipe land, then the "crash"
  EXPECT_EQ(log->WipeData().code(), Code::kIOError);
  faulty.succeed_writes = -1;

  // After a restart the index matches what is left: a fresh index of the same
  // keys has the same roots.
  log = std::make_unique<ReplicatedLog>(&faulty, ReplicatedLogOptions{});
  log->SetMountClasses(SharedMountU());
  std::vector<std::string> left = NonNodeKeys(*inner);
  ASSERT_GT(left.size(), 0u);
  ASSERT_LT(left.size(), 5000u);
  BackendPtr copy = NewInmemBackend();
  for (const std::string& k : left) ASSERT_TRUE(copy->Put(k, **inner->Get(k)).ok());
  ReplicatedLog fresh(copy.get(), {});
  fresh.SetMountClasses(SharedMountU());
  EXPECT_EQ(*log->MerkleRoot(R), *fresh.MerkleRoot(R));
  EXPECT_EQ(*log->MerkleRoot(L), *fresh.MerkleRoot(L));

  ASSERT_TRUE(log->WipeData().ok());
  EXPECT_TRUE(NonNodeKeys(*inner).empty());
  EXPECT_EQ(*log->MerkleRoot(R), EmptyRoot());
  EXPECT_EQ(*log->MerkleRoot(L), EmptyRoot());
}

TEST(WipeData, RepairsAnIndexOutOfStepWithTheData) {
  Node node;
  Populate(*node.log, 50);
  // Data gone behind the index's back: its leaves and bucket hashes remain.
  ASSERT_TRUE(node.physical->Delete("sys/policy/p2").ok());
  ASSERT_TRUE(node.log->WipeData().ok());
  EXPECT_TRUE(node.physical->ListAll("node/merkle/")->empty());
  EXPECT_EQ(node.Root(R), EmptyRoot());
  node.Restart();
  EXPECT_EQ(node.Root(R), EmptyRoot());
}

// Timed in CPU time: the test machine is shared, so wall time measures the
// neighbours as much as the wipe (the wall time is printed too).
TEST(WipeData, HundredThousandKeysInUnderTwoSeconds) {
  Node node;
  Populate(*node.log, 100000);
  const std::clock_t cpu_start = std::clock();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(node.log->WipeData().ok());
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const auto wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  std::printf("wipe of 100000 keys: %.2f s cpu, %lld ms wall\n", cpu_s, static_cast<long long>(wall_ms));
  EXPECT_LT(cpu_s, 2.0);
  EXPECT_TRUE(NonNodeKeys(*node.physical).empty());
  EXPECT_EQ(node.Root(R), EmptyRoot());
  EXPECT_EQ(node.Root(L), EmptyRoot());
}

}  // namespace
}  // namespace coffer::storage
