// Core::ServesInline: which requests the HTTP server may run on its I/O
// threads (local reads that never wait long); Core::ServesOnFiber: which it
// may run as fibers.
#include <gtest/gtest.h>

#include "core/core_test_util.h"

namespace coffer::core {
namespace {

using testing::InitAndUnseal;
using testing::NewInmemCore;
using testing::Req;

class ServesInlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core_ = NewInmemCore(0);
    root_ = InitAndUnseal(*core_);
    for (const auto& [path, type, version] :
         {std::tuple{"kv1", "kv", "1"}, std::tuple{"kv2", "kv", "2"},
          std::tuple{"db", "database", ""}}) {
      Json data = {{"type", type}};
      if (*version != '\0') data["options"] = {{"version", version}};
      auto r = core_->Handle(Req(Operation::kUpdate, std::string("sys/mounts/") + path, data, root_));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }

  void EnableAuth(const std::string& type) {
    auto r = core_->Handle(Req(Operation::kUpdate, "sys/auth/" + type, {{"type", type}}, root_));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::unique_ptr<Core> core_;
  std::string root_;
};

TEST_F(ServesInlineTest, LocalReadsOfKvCubbyholeAndTokenMounts) {
  EXPECT_TRUE(core_->ServesInline(Req(Operation::kRead, "kv1/a", {}, root_)));
  EXPECT_TRUE(core_->ServesInline(Req(Operation::kList, "kv1/", {}, root_)));
  EXPECT_TRUE(core_->ServesInline(Req(Operation::kRead, "kv2/data/a", {}, root_)));
  EXPECT_TRUE(core_->ServesInline(Req(Operation::kRead, "cubbyhole/x", {}, root_)));
  EXPECT_TRUE(core_->ServesInline(Req(Operation::kRead, "auth/token/lookup-self", {}, root_)));
  EXPECT_TRUE(core_->ServesInline(Req(Operation::kRead, "sys/health")));
  EXPECT_TRUE(core_->ServesInline(Req(Operation::kRead, "sys/seal-status")));
}

TEST_F(ServesInlineTest, WritesOtherEnginesAndWaitingRequestsGoToTheWorkers) {
  // Writes wait for a group commit.
  EXPECT_FALSE(core_->ServesInline(Req(Operation::kUpdate, "kv1/a", {{"v", 1}}, root_)));
  EXPECT_FALSE(core_->ServesInline(Req(Operation::kDelete, "kv1/a", {}, root_)));
  // Engines that talk to the network on a read (database creds).
  EXPECT_FALSE(core_->ServesInline(Req(Operation::kRead, "db/creds/r", {}, root_)));
  // Most of sys/ (replication status computes Merkle roots; unseal writes).
  EXPECT_FALSE(core_->ServesInline(Req(Operation::kRead, "sys/mounts", {}, root_)));
  EXPECT_FALSE(core_->ServesInline(Req(Operation::kRead, "sys/replication/status")));
  EXPECT_FALSE(core_->ServesInline(Req(Operation::kUpdate, "sys/unseal", {{"key", "x"}})));
  // Unknown paths: no mount.
  EXPECT_FALSE(core_->ServesInline(Req(Operation::kRead, "nowhere/a", {}, root_)));
  // Consistency headers may wait for replication or forward to the primary;
  // response wrapping writes a token.
  for (const char* header : {"x-vault-index", "x-vault-forward", "x-vault-inconsistent"}) {
    Request r = Req(Operation::kRead, "kv1/a", {}, root_);
    r.headers[header] = "x";
    EXPECT_FALSE(core_->ServesInline(r)) << header;
  }
  Request wrapped = Req(Operation::kRead, "kv1/a", {}, root_);
  wrapped.wrap_ttl_seconds = 60;
  EXPECT_FALSE(core_->ServesInline(wrapped));
}

TEST_F(ServesInlineTest, SealedNodeServesNothingInline) {
  auto sealed = core_->Handle(Req(Operation::kUpdate, "sys/seal", {}, root_));
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_FALSE(core_->ServesInline(Req(Operation::kRead, "kv1/a", {}, root_)));
  EXPECT_TRUE(core_->ServesInline(Req(Operation::kRead, "sys/health")));
}

// Core::ServesOnFiber: the writes the HTTP server may run as fibers (their
// handlers hold only fiber-aware locks across a write, and never wait long).
TEST_F(ServesInlineTest, KvWritesTokenCreationAndAppRoleLoginsRunOnFibers) {
  EnableAuth("approle");
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kUpdate, "kv1/a", {{"v", 1}}, root_)));
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kDelete, "kv1/a", {}, root_)));
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kUpdate, "kv2/data/a", {{"data", {}}}, root_)));
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kPatch, "kv2/data/a", {{"data", {}}}, root_)));
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kDelete, "kv2/metadata/a", {}, root_)));
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kUpdate, "auth/token/create", {}, root_)));
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kUpdate, "auth/token/create-orphan", {}, root_)));
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kUpdate, "auth/token/create/role1", {}, root_)));
  EXPECT_TRUE(core_->ServesOnFiber(Req(Operation::kUpdate, "auth/approle/login", {}, "")));
}

TEST_F(ServesInlineTest, OtherRequestsStayOnTheWorkerThreads) {
  EnableAuth("approle");
  EnableAuth("userpass");
  // Reads are inline or on the workers.
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kRead, "kv1/a", {}, root_)));
  // Other token operations take other locks (revocation's in-flight marks).
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "auth/token/revoke", {}, root_)));
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "auth/token/renew-self", {}, root_)));
  // AppRole's other paths, and userpass logins (a password hash holds the thread).
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "auth/approle/role/r", {}, root_)));
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "auth/userpass/login/u", {}, "")));
  // Engines that talk to the network, cubbyhole, sys/.
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "db/roles/r", {{"x", 1}}, root_)));
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "cubbyhole/x", {{"v", 1}}, root_)));
  EXPECT_FALSE(
      core_->ServesOnFiber(Req(Operation::kUpdate, "sys/policy/p", {{"policy", ""}}, root_)));
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "sys/unseal", {{"key", "x"}})));
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "nowhere/a", {}, root_)));
  // Waiting for replication, forwarding, wrapping.
  for (const char* header : {"x-vault-index", "x-vault-forward", "x-vault-inconsistent"}) {
    Request r = Req(Operation::kUpdate, "kv1/a", {{"v", 1}}, root_);
    r.headers[header] = "x";
    EXPECT_FALSE(core_->ServesOnFiber(r)) << header;
  }
  Request wrapped = Req(Operation::kUpdate, "auth/token/create", {}, root_);
  wrapped.wrap_ttl_seconds = 60;
  EXPECT_FALSE(core_->ServesOnFiber(wrapped));
  // A performance secondary forwards writes of replicated mounts.
  core_->replicated_log().SetReplicatedReadOnly(true);
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "kv1/a", {{"v", 1}}, root_)));
  core_->replicated_log().SetReplicatedReadOnly(false);
  // Sealed.
  auto sealed = core_->Handle(Req(Operation::kUpdate, "sys/seal", {}, root_));
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_FALSE(core_->ServesOnFiber(Req(Operation::kUpdate, "kv1/a", {{"v", 1}}, root_)));
}

}  // namespace
}  // namespace coffer::core
