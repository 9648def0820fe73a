// The replicated log on a DR secondary: its own upstream position is node
// class yet tracked, read-only mode for both classes, a wipe that forgets
// every position, and cascading (a performance secondary's DR replica gets the
// secondary's data and its performance position). Logs over in-memory
// backends stand for the clusters; everything runs the real code paths.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "storage/log_node_for_test.h"
#include "storage/replicated_log.h"

namespace coffer::storage {
namespace {

using testing::ClassDiff;
using testing::DiffClass;
using testing::EmptyRoot;
using testing::Node;
using testing::PositionOf;
using testing::TreeKeys;

constexpr StorageClass R = StorageClass::kReplicated;
constexpr StorageClass L = StorageClass::kLocal;
constexpr std::string_view kPerf = "performance";
constexpr std::string_view kDr = "dr";
constexpr std::chrono::milliseconds kNow(0);

const std::string kDrPositionKey = UpstreamPositionKey(kDr);
const std::string kPerfPositionKey = UpstreamPositionKey(kPerf);

// The entries after `after` (all of them from the start).
std::vector<WalEntry> EntriesAfter(Node& node, const UpstreamPosition& after) {
  auto read = node.log->ReadAfter(after.index, after.hash, 1 << 20);
  EXPECT_TRUE(read.ok() && !read->gap);
  if (!read.ok()) return {};
  return read->entries;
}

UpstreamPosition Genesis() { return {0, WalGenesisHash(), 0}; }

// Streams `from`'s whole log after `name`'s stored position into `to`, as one
// apply (a DR stream: every class as logged; a performance stream: only the
// replicated ops).
void Follow(Node& from, Node& to, std::string_view name) {
  auto at = to.log->LoadUpstream(name);
  ASSERT_TRUE(at.ok());
  std::vector<WalEntry> entries = EntriesAfter(from, at->value_or(Genesis()));
  if (entries.empty()) return;
  const UpstreamPosition next = PositionOf(entries.back());
  if (name == kPerf) {
    for (WalEntry& e : entries) {
      std::erase_if(e.ops, [](const WalOp& op) { return op.storage_class != R; });
    }
  }
  Status st = to.log->ApplyUpstream(name, entries, next);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

TEST(DrPosition, IsNodeClassYetStoredTrackedAndReloaded) {
  Node node;
  const WalPosition before = node.Last();
  WalEntry e;
  e.ops.push_back({WalOp::Kind::kPut, R, "sys/policy/p", "policy"});
  e.ops.push_back({WalOp::Kind::kPut, L, "sys/token/id/t", "token"});
  const UpstreamPosition pos{7, std::string(32, '7'), 70};
  ASSERT_TRUE(node.log->ApplyUpstream(kDr, {e}, pos).ok());

  EXPECT_EQ(node.Get("sys/token/id/t"), "token");
  EXPECT_EQ(**node.log->LoadUpstream(kDr), pos);
  EXPECT_TRUE(node.physical->Get(kDrPositionKey)->has_value());
  EXPECT_TRUE(node.log->WaitForUpstream(kDr, 7, kNow));
  EXPECT_FALSE(node.log->WaitForUpstream(kDr, 8, kNow));
  // Never indexed, never logged: this node's own DR secondaries cannot get it.
  EXPECT_EQ(TreeKeys(node, L), (std::set<std::string>{"sys/token/id/t"}));
  std::vector<WalEntry> logged = EntriesAfter(node, {before.index, before.hash, 0});
  ASSERT_EQ(logged.size(), 1u);
  ASSERT_EQ(logged[0].ops.size(), 2u);
  for (const WalOp& op : logged[0].ops) EXPECT_NE(op.key, kDrPositionKey);

  // A Merkle sync writes it the same way; a restart reloads it.
  ASSERT_TRUE(node.log->ApplySync(kDr, {Op::Put("sys/expire/id/l", "lease")},
                                  UpstreamPosition{9, std::string(32, '9'), 0}, L)
                  .ok());
  EXPECT_TRUE(node.log->WaitForUpstream(kDr, 9, kNow));
  node.Restart();
  EXPECT_EQ((**node.log->LoadUpstream(kDr)).index, 9u);
  EXPECT_TRUE(node.log->WaitForUpstream(kDr, 9, kNow));
  EXPECT_EQ(TreeKeys(node, L), (std::set<std::string>{"sys/token/id/t", "sys/expire/id/l"}));
}

TEST(DrPosition, UpstreamDataCannotCarryNodeClassKeys) {
  Node node;
  const WalPosition before = node.Last();
  for (const std::string& key : {kDrPositionKey, std::string("core/replication/dr/secondary"),
                                 std::string("core/replication/dr/operation-token")}) {
    WalEntry e;
    e.ops.push_back({WalOp::Kind::kPut, L, "sys/token/id/ok", "v"});
    e.ops.push_back({WalOp::Kind::kPut, L, key, "forged"});
    EXPECT_EQ(node.log->ApplyUpstream(kDr, {e}, {1, std::string(32, 'h'), 0}).code(),
              Code::kInvalidArgument)
        << key;
    EXPECT_EQ(node.log->ApplySync(kDr, {Op::Put(key, "forged")}, std::nullopt, L).code(),
              Code::kInvalidArgument)
        << key;
    EXPECT_EQ(node.Get(key), std::nullopt);
  }
  EXPECT_EQ(node.Get("sys/token/id/ok"), std::nullopt);
  EXPECT_EQ(*node.log->LoadUpstream(kDr), std::nullopt);
  EXPECT_EQ(node.Last().index, before.index);
  // Callers cannot forge the position either.
  EXPECT_EQ(node.log->Put(kDrPositionKey, "x").code(), Code::kPermissionDenied);
}

TEST(DrPosition, NodeClassRoleStateIsWrittenWithoutAnIndexOrALeaf) {
  // What the barrier writes for a DR secondary's role state and operation
  // token: stored as given, never logged or indexed.
  Node node;
  const WalPosition before = node.Last();
  ASSERT_TRUE(node.log->Write({Op::Put("core/replication/dr/secondary", "ct1"),
                               Op::Put("core/replication/dr/operation-token", "ct2")})
                  .ok());
  EXPECT_EQ(node.Get("core/replication/dr/secondary"), "ct1");
  EXPECT_EQ(node.Last().index, before.index);
  EXPECT_EQ(node.Root(R), EmptyRoot());
  EXPECT_EQ(node.Root(L), EmptyRoot());
  ASSERT_TRUE(node.log->Delete("core/replication/dr/operation-token").ok());
  EXPECT_EQ(node.Get("core/replication/dr/operation-token"), std::nullopt);
  EXPECT_EQ(node.Last().index, before.index);
}

TEST(ReadOnlyMode, AllRefusesBothClassesAndWritesNothing) {
  Node node;
  ASSERT_TRUE(node.log->Put("sys/policy/p", "1").ok());
  ASSERT_TRUE(node.log->Put("sys/token/id/t", "1").ok());
  EXPECT_EQ(node.log->read_only_mode(), ReadOnlyMode::kNone);
  node.log->SetReadOnly(ReadOnlyMode::kAll);
  EXPECT_EQ(node.log->read_only_mode(), ReadOnlyMode::kAll);
  EXPECT_TRUE(node.log->ReplicatedReadOnly());
  const WalPosition before = node.Last();
  const std::string root_r = node.Root(R), root_l = node.Root(L);

  EXPECT_EQ(node.log->Put("sys/token/id/u", "2").code(), Code::kReadOnly);
  EXPECT_EQ(node.log->Put("sys/expire/id/x", "2").code(), Code::kReadOnly);
  EXPECT_EQ(node.log->Delete("sys/token/id/t").code(), Code::kReadOnly);
  EXPECT_EQ(node.log->Put("sys/policy/q", "2").code(), Code::kReadOnly);
  EXPECT_EQ(node.log->Put("logical/u/data", "2").code(), Code::kReadOnly);
  EXPECT_EQ(node.log->Put("unknown/key", "2").code(), Code::kReadOnly);  // default class: local
  // A node op does not carry a local one through; nothing of the batch lands.
  EXPECT_EQ(node.log->Write({Op::Put("node/own", "n"), Op::Put("sys/token/id/u", "2")}).code(),
            Code::kReadOnly);
  EXPECT_EQ(node.Get("node/own"), std::nullopt);
  EXPECT_EQ(node.Get("sys/token/id/u"), std::nullopt);
  EXPECT_EQ(node.Get("sys/token/id/t"), "1");
  EXPECT_EQ(node.Last().index, before.index);
  EXPECT_EQ(node.Root(R), root_r);
  EXPECT_EQ(node.Root(L), root_l);

  // Node-class writes work (the DR secondary's own role state).
  ASSERT_TRUE(node.log->Write({Op::Put("node/own", "n"),
                               Op::Put("core/replication/dr/secondary", "state")})
                  .ok());
  EXPECT_EQ(node.Get("core/replication/dr/secondary"), "state");

  // The apply paths bypass it, for both classes.
  WalEntry e;
  e.ops.push_back({WalOp::Kind::kPut, R, "sys/policy/q", "from-primary"});
  e.ops.push_back({WalOp::Kind::kPut, L, "sys/token/id/u", "from-primary"});
  ASSERT_TRUE(node.log->ApplyUpstream(kDr, {e}, {1, std::string(32, 'h'), 5}).ok());
  ASSERT_TRUE(node.log->ApplySync(kDr, {Op::Delete("sys/token/id/t")}, std::nullopt, L).ok());
  EXPECT_EQ(node.Get("sys/policy/q"), "from-primary");
  EXPECT_EQ(node.Get("sys/token/id/u"), "from-primary");
  EXPECT_EQ(node.Get("sys/token/id/t"), std::nullopt);

  // kReplicated refuses only the replicated class; the old switch maps onto
  // the modes.
  node.log->SetReadOnly(ReadOnlyMode::kReplicated);
  EXPECT_TRUE(node.log->Put("sys/token/id/v", "3").ok());
  EXPECT_EQ(node.log->Put("sys/policy/r", "3").code(), Code::kReadOnly);
  node.log->SetReplicatedReadOnly(false);
  EXPECT_EQ(node.log->read_only_mode(), ReadOnlyMode::kNone);
  EXPECT_FALSE(node.log->ReplicatedReadOnly());
  EXPECT_TRUE(node.log->Put("sys/policy/r", "3").ok());
  node.log->SetReplicatedReadOnly(true);
  EXPECT_EQ(node.log->read_only_mode(), ReadOnlyMode::kReplicated);
}

TEST(WipeData, ForgetsEveryUpstreamPositionNodeClassIncluded) {
  Node node;
  ASSERT_TRUE(node.log->ApplySync(kDr, {Op::Put("sys/token/id/t", "v")},
                                  UpstreamPosition{5, std::string(32, '5'), 0}, L)
                  .ok());
  ASSERT_TRUE(node.log->ApplySync(kPerf, {Op::Put("sys/policy/p", "v")},
                                  UpstreamPosition{3, std::string(32, '3'), 0})
                  .ok());
  ASSERT_TRUE(node.log->Put("core/replication/dr/secondary", "role").ok());
  ASSERT_TRUE(node.log->WaitForUpstream(kDr, 5, kNow));
  node.log->SetReadOnly(ReadOnlyMode::kAll);  // a wipe bypasses it

  ASSERT_TRUE(node.log->WipeData().ok());
  EXPECT_EQ(*node.log->LoadUpstream(kDr), std::nullopt);
  EXPECT_EQ(*node.log->LoadUpstream(kPerf), std::nullopt);
  EXPECT_FALSE(node.log->WaitForUpstream(kDr, 5, kNow));
  EXPECT_FALSE(node.log->WaitForUpstream(kPerf, 3, kNow));
  EXPECT_EQ(node.Get("sys/token/id/t"), std::nullopt);
  // Other node keys stay: the role state says what this node now is.
  EXPECT_EQ(node.Get("core/replication/dr/secondary"), "role");
  node.Restart();
  EXPECT_EQ(*node.log->LoadUpstream(kDr), std::nullopt);
  EXPECT_FALSE(node.log->WaitForUpstream(kDr, 5, kNow));
}

// U is a performance primary, S its performance secondary, SD S's DR
// secondary. SD follows S's log: S's data of both classes, including S's
// position in U's log, which SD tracks as its own performance position.
TEST(Cascading, DrReplicaOfAPerformanceSecondaryHasItsDataAndPosition) {
  Node u, s, sd;
  ASSERT_TRUE(u.log->Write({Op::Put("sys/policy/p1", "a"), Op::Put("sys/token/id/u1", "u-only")})
                  .ok());
  ASSERT_TRUE(u.log->Put("logical/u/k", "data").ok());
  Follow(u, s, kPerf);
  ASSERT_TRUE(s.log->Put("sys/token/id/s-own", "s-token").ok());  // S's own local token
  const uint64_t u_last = u.Last().index;
  ASSERT_EQ((**s.log->LoadUpstream(kPerf)).index, u_last);

  // The stream: SD applies S's entries as they are (both classes).
  Follow(s, sd, kDr);
  EXPECT_EQ(sd.Root(R), s.Root(R));
  EXPECT_EQ(sd.Root(L), s.Root(L));  // S's token and S's performance position, not SD's dr one
  EXPECT_EQ(sd.Get("sys/token/id/s-own"), "s-token");
  EXPECT_EQ(sd.Get("sys/token/id/u1"), std::nullopt);
  EXPECT_EQ(**sd.log->LoadUpstream(kPerf), **s.log->LoadUpstream(kPerf));
  EXPECT_TRUE(sd.log->WaitForUpstream(kPerf, u_last, kNow));
  EXPECT_EQ((**sd.log->LoadUpstream(kDr)).index, s.Last().index);

  // More upstream writes reach SD through S, position included.
  ASSERT_TRUE(u.log->Put("sys/policy/p2", "b").ok());
  Follow(u, s, kPerf);
  EXPECT_FALSE(sd.log->WaitForUpstream(kPerf, u_last + 1, kNow));
  Follow(s, sd, kDr);
  EXPECT_TRUE(sd.log->WaitForUpstream(kPerf, u_last + 1, kNow));
  EXPECT_EQ(sd.Get("sys/policy/p2"), "b");
  sd.Restart();
  EXPECT_TRUE(sd.log->WaitForUpstream(kPerf, u_last + 1, kNow));
  EXPECT_EQ(sd.Root(L), s.Root(L));

  // A bootstrap by Merkle sync of both classes gets the position too: the
  // replicated diff first, then the local one, recording the first
  // snapshot's position.
  Node sd2;
  ClassDiff replicated = DiffClass(s, sd2, R);
  ASSERT_TRUE(sd2.log->ApplySync(kDr, replicated.ops, std::nullopt, R).ok());
  ClassDiff local = DiffClass(s, sd2, L);
  ASSERT_TRUE(sd2.log->ApplySync(kDr, local.ops, replicated.at, L).ok());
  EXPECT_EQ(sd2.Root(R), s.Root(R));
  EXPECT_EQ(sd2.Root(L), s.Root(L));
  EXPECT_EQ(**sd2.log->LoadUpstream(kPerf), **s.log->LoadUpstream(kPerf));
  EXPECT_TRUE(sd2.log->WaitForUpstream(kPerf, u_last + 1, kNow));
  EXPECT_EQ((**sd2.log->LoadUpstream(kDr)).index, s.Last().index);
}

}  // namespace
}  // namespace coffer::storage
