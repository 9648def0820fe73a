// The core on a DR secondary (ReplicationHooks::dr_secondary): what it
// serves and refuses, sys/health's 472, no expiration manager, Reconfigure
// (promotion/demotion), ReplaceStorage keeping the cluster identity, and
// TokenGrants for batch DR operation tokens.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "common/clock.h"
#include "core/core.h"
#include "core/core_test_util.h"
#include "core/lease.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"

namespace coffer::core {
namespace {

using testing::Req;

constexpr char kDisabled[] = "path disabled in replication DR secondary mode";

struct Node {
  std::unique_ptr<Core> core;
  std::string root;
  std::string unseal_key;
  // What the node's dr_secondary hook answers (shared with the hook).
  std::shared_ptr<std::atomic<bool>> dr = std::make_shared<std::atomic<bool>>(false);
  // Calls handle_sys saw: path and whether a caller came along.
  std::shared_ptr<std::vector<std::pair<std::string, bool>>> sys_calls =
      std::make_shared<std::vector<std::pair<std::string, bool>>>();
};

ReplicationHooks DrHooks(const Node& n) {
  ReplicationHooks h;
  auto dr = n.dr;
  auto calls = n.sys_calls;
  h.dr_secondary = [dr] { return dr->load(); };
  h.health = [dr] { return Json{{"replication_dr_mode", dr->load() ? "secondary" : "primary"}}; };
  h.handle_sys = [calls](const Request& req, const Caller* caller) -> Result<Response> {
    calls->emplace_back(req.path, caller != nullptr);
    return Response::Data(Json{{"served", req.path}});
  };
  return h;
}

Node NewNode() {
  Node n;
  n.core = testing::NewInmemCore(/*tidy_interval_s=*/0);
  n.root = testing::InitAndUnseal(*n.core, &n.unseal_key);
  n.core->SetReplicationHooks(DrHooks(n));
  return n;
}

void MountKv(Core& core, const std::string& root, const std::string& path) {
  auto r = core.Handle(Req(Operation::kUpdate, "sys/mounts/" + path, {{"type", "kv"}}, root));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

void ExpectDisabled(const Result<Response>& r, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << what;
  EXPECT_EQ(r.status().message(), kDisabled) << what;
}

// --- what a DR secondary serves ----------------------------------------------

TEST(DrSecondaryTest, ClientPathsAreDisabledBeforeAnyTokenCheck) {
  Node n = NewNode();
  MountKv(*n.core, n.root, "secret");
  ASSERT_TRUE(n.core->Handle(Req(Operation::kUpdate, "secret/x", {{"v", "1"}}, n.root)).ok());
  n.dr->store(true);
  ExpectDisabled(n.core->Handle(Req(Operation::kRead, "secret/x", {}, n.root)), "kv read");
  ExpectDisabled(n.core->Handle(Req(Operation::kRead, "auth/token/lookup-self", {}, n.root)),
                 "token lookup");
  ExpectDisabled(n.core->Handle(Req(Operation::kRead, "sys/mounts", {}, n.root)), "sys/mounts");
  // No token at all, or a bogus one: the same answer, not permission denied.
  ExpectDisabled(n.core->Handle(Req(Operation::kRead, "secret/x")), "no token");
  ExpectDisabled(n.core->Handle(Req(Operation::kRead, "secret/x", {}, "hvs.bogus")), "bogus");
  // generate-root is a primary's; a DR secondary has generate-operation-token.
  ExpectDisabled(n.core->Handle(Req(Operation::kRead, "sys/generate-root/attempt")),
                 "generate-root");
  // Authenticated sys/replication paths other than dr/secondary/*.
  ExpectDisabled(
      n.core->Handle(Req(Operation::kUpdate, "sys/replication/dr/primary/enable", {}, n.root)),
      "dr primary enable");
  Caller root;
  root.policies = {"root"};
  ExpectDisabled(n.core->HandleForwarded(Req(Operation::kRead, "secret/x"), root), "forwarded");
  EXPECT_TRUE(n.sys_calls->empty());
  // Not a DR secondary any more: served as before.
  n.dr->store(false);
  auto read = n.core->Handle(Req(Operation::kRead, "secret/x", {}, n.root));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["v"], "1");
}

TEST(DrSecondaryTest, StatusSealAndHealthRoutesAnswer) {
  Node n = NewNode();
  n.dr->store(true);
  auto seal_status = n.core->Handle(Req(Operation::kRead, "sys/seal-status"));
  ASSERT_TRUE(seal_status.ok()) << seal_status.status().ToString();
  EXPECT_EQ(Json::parse(seal_status->raw_body)["sealed"], false);
  EXPECT_TRUE(n.core->Handle(Req(Operation::kRead, "sys/leader")).ok());
  EXPECT_TRUE(n.core->Handle(Req(Operation::kRead, "sys/init")).ok());
  for (const char* p : {"sys/replication/status", "sys/replication/dr/status",
                        "sys/replication/performance/status"}) {
    auto r = n.core->Handle(Req(Operation::kRead, p));
    ASSERT_TRUE(r.ok()) << p << ": " << r.status().ToString();
  }
  ASSERT_EQ(n.sys_calls->size(), 3u);
  for (const auto& [path, had_caller] : *n.sys_calls) EXPECT_FALSE(had_caller) << path;
}

TEST(DrSecondaryTest, HealthIs472OverridableAndSealedComesFirst) {
  Node n = NewNode();
  auto primary = n.core->Handle(Req(Operation::kRead, "sys/health"));
  ASSERT_TRUE(primary.ok());
  EXPECT_EQ(primary->status, 200);
  n.dr->store(true);
  auto health = n.core->Handle(Req(Operation::kRead, "sys/health"));
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 472);
  EXPECT_EQ(Json::parse(health->raw_body)["replication_dr_mode"], "secondary");
  auto overridden = n.core->Handle(Req(Operation::kRead, "sys/health", {{"drsecondarycode", "200"}}));
  ASSERT_TRUE(overridden.ok()) << overridden.status().ToString();
  EXPECT_EQ(overridden->status, 200);
  auto bad = n.core->Handle(Req(Operation::kRead, "sys/health", {{"drsecondarycode", "7"}}));
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(n.core->SealNode().ok());
  auto sealed = n.core->Handle(Req(Operation::kRead, "sys/health"));
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->status, 503);
}

TEST(DrSecondaryTest, SecondaryOperationsReachTheHookWithoutAToken) {
  Node n = NewNode();
  n.dr->store(true);
  for (const char* p : {"sys/replication/dr/secondary/promote",
                        "sys/replication/dr/secondary/generate-operation-token/attempt"}) {
    auto r = n.core->Handle(Req(Operation::kUpdate, p, {{"dr_operation_token", "x"}}));
    ASSERT_TRUE(r.ok()) << p << ": " << r.status().ToString();
    EXPECT_EQ(r->data["served"], p);
  }
  // A token, even the root one, is not the authorisation: still no caller.
  ASSERT_TRUE(
      n.core->Handle(Req(Operation::kUpdate, "sys/replication/dr/secondary/disable", {}, n.root))
          .ok());
  ASSERT_EQ(n.sys_calls->size(), 3u);
  for (const auto& [path, had_caller] : *n.sys_calls) EXPECT_FALSE(had_caller) << path;
  ASSERT_TRUE(n.core->SealNode().ok());
  auto sealed = n.core->Handle(Req(Operation::kUpdate, "sys/replication/dr/secondary/promote"));
  EXPECT_EQ(sealed.status().code(), Code::kSealed);
  EXPECT_EQ(n.sys_calls->size(), 3u);
}

// --- no background writers; Reconfigure ------------------------------------

// An overdue token lease whose token no longer exists: the expiration
// manager deletes it as soon as it restores the schedule.
LeaseEntry OverdueLease() {
  LeaseEntry e;
  const std::string hash = crypto::HexEncode(crypto::Sha256("a token long gone"));
  e.lease_id = "auth/token/create/" + hash;
  e.path = "auth/token/create";
  e.mount_path = "auth/token/";
  e.client_token_hash = hash;
  e.auth = true;
  e.issue_time = UnixSeconds() - 100;
  e.expire_time = UnixSeconds() - 10;
  return e;
}

bool LeaseStored(Core& core, const LeaseEntry& e) {
  auto raw = core.barrier().Get(leasekeys::Entry(e.lease_id));
  EXPECT_TRUE(raw.ok()) << raw.status().ToString();
  return raw.ok() && raw->has_value();
}

bool WaitUntilGone(Core& core, const LeaseEntry& e) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!LeaseStored(core, e)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(DrSecondaryTest, NoExpirationWhileDrSecondaryLeasesRestoredAtPromotion) {
  Node n = NewNode();
  EXPECT_TRUE(n.core->expiration().Running());
  // Unsealed as a DR secondary (the lease came from the primary meanwhile).
  ASSERT_TRUE(n.core->SealNode().ok());
  n.dr->store(true);
  auto unsealed = n.core->Unseal(n.unseal_key);
  ASSERT_TRUE(unsealed.ok()) << unsealed.status().ToString();
  EXPECT_FALSE(n.core->expiration().Running());
  const LeaseEntry lease = OverdueLease();
  ASSERT_TRUE(n.core->barrier().Put(leasekeys::Entry(lease.lease_id), lease.StoredRecord()).ok());
  EXPECT_EQ(n.core->expiration().Pending(), 0u);
  EXPECT_TRUE(LeaseStored(*n.core, lease));

  // Promotion: the role changes between tear-down and set-up.
  Status st = n.core->Reconfigure([&n] {
    n.dr->store(false);
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(n.core->expiration().Running());
  EXPECT_TRUE(WaitUntilGone(*n.core, lease)) << "the overdue lease was not revoked";
}

TEST(DrSecondaryTest, DemotionStopsTheExpirationManager) {
  Node n = NewNode();
  ASSERT_TRUE(n.core->expiration().Running());
  Status st = n.core->Reconfigure([&n] {
    n.dr->store(true);
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_FALSE(n.core->expiration().Running());
  EXPECT_FALSE(n.core->Sealed());
  const LeaseEntry lease = OverdueLease();
  ASSERT_TRUE(n.core->barrier().Put(leasekeys::Entry(lease.lease_id), lease.StoredRecord()).ok());
  EXPECT_EQ(n.core->expiration().Pending(), 0u);
  EXPECT_TRUE(LeaseStored(*n.core, lease));
}

TEST(DrSecondaryTest, ReconfigureReloadsWhatReplicationWroteUnderneath) {
  Node n = NewNode();
  int sealing = 0, unsealed = 0;
  ReplicationHooks hooks = DrHooks(n);
  hooks.sealing = [&sealing] { ++sealing; };
  hooks.unsealed = [&unsealed] { ++unsealed; };
  n.core->SetReplicationHooks(hooks);
  n.dr->store(true);
  // What the DR stream applies below the barrier: a new mount and its data.
  MountEntry added = testing::PutMountUnderneath(*n.core);
  EXPECT_FALSE(n.core->router().Entry("upstream/").has_value());

  Status st = n.core->Reconfigure([&n] {
    EXPECT_FALSE(n.core->Sealed());  // the barrier stays open for the role change
    n.dr->store(false);
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(sealing, 1);
  EXPECT_EQ(unsealed, 1);
  auto read = n.core->Handle(Req(Operation::kRead, "upstream/k", {}, n.root));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->data["v"], "up");
  EXPECT_FALSE(n.core->cluster_info().id.empty());
}

TEST(DrSecondaryTest, ReconfigureFailureSetsUpAgainAndSealedNodeRefuses) {
  Node n = NewNode();
  MountKv(*n.core, n.root, "secret");
  Status st = n.core->Reconfigure([] { return Unavailable("role state not written"); });
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_EQ(st.message(), "role state not written");
  EXPECT_FALSE(n.core->Sealed());
  EXPECT_TRUE(n.core->expiration().Running());
  EXPECT_TRUE(n.core->Handle(Req(Operation::kUpdate, "secret/x", {{"v", "1"}}, n.root)).ok());

  ASSERT_TRUE(n.core->SealNode().ok());
  bool ran = false;
  Status sealed = n.core->Reconfigure([&ran] {
    ran = true;
    return Status::Ok();
  });
  EXPECT_EQ(sealed.code(), Code::kSealed);
  EXPECT_FALSE(ran);
}

// --- ReplaceStorage keeping the identity -------------------------------------

TEST(DrSecondaryTest, ReplaceStorageKeepsTheReceivedClusterIdentity) {
  Node primary = NewNode();
  Node node = NewNode();
  const ClusterInfo theirs = primary.core->cluster_info();
  ASSERT_NE(theirs.id, node.core->cluster_info().id);
  auto& from = *primary.core->options().physical;
  auto& to = *node.core->options().physical;
  Status st = node.core->ReplaceStorage(
      [&]() -> Result<std::string> {
        // The DR bootstrap: every non-node key of the primary.
        ASSIGN_OR_RETURN(auto mine, to.ListAll(""));
        storage::Batch batch;
        for (const auto& k : mine) {
          if (k.rfind("node/", 0) != 0) batch.push_back(storage::Op::Delete(k));
        }
        ASSIGN_OR_RETURN(auto keys, from.ListAll(""));
        for (const auto& k : keys) {
          if (k.rfind("node/", 0) == 0) continue;
          ASSIGN_OR_RETURN(auto v, from.Get(k));
          if (v.has_value()) batch.push_back(storage::Op::Put(k, *v));
        }
        RETURN_IF_ERROR(to.Write(batch));
        return primary.core->barrier().RootKey();
      },
      Core::ClusterIdentity::kKeep);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(node.core->cluster_info().id, theirs.id);
  EXPECT_EQ(node.core->cluster_info().name, theirs.name);
  // Nothing of its own written over what it received.
  auto stored = node.core->barrier().Get(kClusterInfoKey);
  auto original = primary.core->barrier().Get(kClusterInfoKey);
  ASSERT_TRUE(stored.ok() && original.ok());
  EXPECT_EQ(*stored, *original);
  EXPECT_EQ(*to.Get("core/cluster-info"), *from.Get("core/cluster-info"));
}

// --- TokenGrants --------------------------------------------------------------

TEST(DrSecondaryTest, TokenGrantsFollowsPoliciesWithoutSpendingUses) {
  Node n = NewNode();
  const std::string promote = "sys/replication/dr/secondary/promote";
  ASSERT_TRUE(n.core
                  ->Handle(Req(Operation::kUpdate, "sys/policy/dr-ops",
                               {{"policy",
                                 "path \"sys/replication/dr/secondary/promote\" { capabilities = "
                                 "[\"update\"] }"}},
                               n.root))
                  .ok());
  auto token = [&n](Json body) {
    auto r = n.core->Handle(Req(Operation::kUpdate, "auth/token/create", std::move(body), n.root));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->auth->client_token : std::string();
  };
  const std::string batch =
      token({{"type", "batch"}, {"policies", Json::array({"dr-ops"})}, {"no_default_policy", true}});
  const std::string once = token({{"policies", Json::array({"dr-ops"})}, {"num_uses", 1}});
  const std::string other = token({{"policies", Json::array({"default"})}});
  ASSERT_EQ(batch.rfind("hvb.", 0), 0u);

  auto grants = [&n](const std::string& t, Operation op, const std::string& path) {
    auto r = n.core->TokenGrants(t, op, path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_TRUE(grants(batch, Operation::kUpdate, promote));
  EXPECT_FALSE(grants(batch, Operation::kUpdate, "sys/replication/dr/secondary/disable"));
  EXPECT_FALSE(grants(batch, Operation::kRead, promote));
  EXPECT_TRUE(grants(n.root, Operation::kUpdate, "sys/replication/dr/secondary/disable"));
  EXPECT_FALSE(grants(other, Operation::kUpdate, promote));
  EXPECT_FALSE(grants("hvs.unknown", Operation::kUpdate, promote));
  EXPECT_FALSE(grants("", Operation::kUpdate, promote));
  // A use-limited token keeps its single use.
  EXPECT_TRUE(grants(once, Operation::kUpdate, promote));
  EXPECT_TRUE(grants(once, Operation::kUpdate, promote));
  auto lookup = n.core->tokens().Lookup(once);
  ASSERT_TRUE(lookup.ok() && lookup->has_value());
  EXPECT_EQ((*lookup)->num_uses, 1);
}

}  // namespace
}  // namespace coffer::core
