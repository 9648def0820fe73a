// Token entries are cached below the token store (the replicated log keeps
// their stored bytes, the barrier their decryption; core.cc turns both on).
// Whatever changes an entry must take effect on the very next request:
// revocation (of the token or its parent), a use of a limited token, a
// renewal, a change written underneath (a replication apply, a Merkle sync,
// a direct barrier write), a seal, and a storage replacement.
#include <gtest/gtest.h>

#include <string>

#include "core/core.h"
#include "core/core_test_util.h"
#include "core/token_store_keys.h"
#include "storage/storage_class.h"

namespace coffer::core {
namespace {

using testing::InitAndUnseal;
using testing::NewInmemCore;
using testing::Req;

class TokenCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core_ = NewInmemCore(/*tidy_interval_s=*/0);
    root_ = InitAndUnseal(*core_, &unseal_key_);
  }
  std::string Create(Json body, const std::string& as = "") {
    auto r = core_->Handle(
        Req(Operation::kUpdate, "auth/token/create", std::move(body), as.empty() ? root_ : as));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->auth.has_value() ? r->auth->client_token : "";
  }
  Result<Response> LookupSelf(const std::string& token) {
    return core_->Handle(Req(Operation::kRead, "auth/token/lookup-self", {}, token));
  }
  bool Works(const std::string& token) { return LookupSelf(token).ok(); }
  bool Refused(const std::string& token) {
    return LookupSelf(token).status().code() == Code::kPermissionDenied;
  }
  // Uses the token twice, so the second use read its entry from the caches.
  void UseCached(const std::string& token) {
    ASSERT_TRUE(Works(token));
    ASSERT_TRUE(Works(token));
    ASSERT_GT(core_->replicated_log().cached_reads(), 0u);
  }
  std::string Key(const std::string& token) {
    auto entry = core_->tokens().Lookup(token);
    EXPECT_TRUE(entry.ok() && entry->has_value());
    return tokenkeys::Id(entry.ok() && entry->has_value() ? (*entry)->hash : "");
  }

  std::unique_ptr<Core> core_;
  std::string root_;
  std::string unseal_key_;
};

TEST_F(TokenCacheTest, ARevokedTokenIsRefusedAtOnce) {
  const std::string t = Create({{"policies", {"default"}}});
  UseCached(t);
  ASSERT_TRUE(core_->Handle(Req(Operation::kUpdate, "auth/token/revoke", {{"token", t}}, root_))
                  .ok());
  EXPECT_TRUE(Refused(t));

  const std::string self = Create({{"policies", {"default"}}});
  UseCached(self);
  ASSERT_TRUE(core_->Handle(Req(Operation::kUpdate, "auth/token/revoke-self", {}, self)).ok());
  EXPECT_TRUE(Refused(self));
}

TEST_F(TokenCacheTest, RevokingAParentRefusesItsCachedChild) {
  const std::string parent = Create({{"policies", {"root"}}});
  const std::string child = Create({{"policies", {"default"}}}, parent);
  UseCached(child);
  ASSERT_TRUE(
      core_->Handle(Req(Operation::kUpdate, "auth/token/revoke", {{"token", parent}}, root_)).ok());
  EXPECT_TRUE(Refused(parent));
  EXPECT_TRUE(Refused(child));
}

TEST_F(TokenCacheTest, ALimitedTokenGetsExactlyItsUses) {
  const std::string t = Create({{"policies", {"default"}}, {"num_uses", 3}});
  for (int use = 1; use <= 3; ++use) EXPECT_TRUE(Works(t)) << "use " << use;
  EXPECT_TRUE(Refused(t));
  EXPECT_TRUE(Refused(t));
}

TEST_F(TokenCacheTest, ARenewalIsSeenByTheNextRequest) {
  std::atomic<int64_t> now{1'800'000'000};
  core_->tokens().SetClock([&] { return now.load(); });
  const std::string t = Create({{"policies", {"default"}}, {"ttl", "100s"}, {"renewable", true}});
  UseCached(t);
  EXPECT_EQ(LookupSelf(t)->data["ttl"], 100);
  now += 50;
  ASSERT_TRUE(
      core_->Handle(Req(Operation::kUpdate, "auth/token/renew-self", {{"increment", "1000s"}}, t))
          .ok());
  EXPECT_EQ(LookupSelf(t)->data["ttl"], 1000);
  now += 500;  // past the first expiry
  EXPECT_TRUE(Works(t));
  core_->tokens().SetClock(nullptr);
}

TEST_F(TokenCacheTest, ChangesWrittenUnderneathAreSeenByTheNextRequest) {
  const std::string t = Create({{"policies", {"default"}}});
  const std::string key = Key(t);
  UseCached(t);
  auto stored = core_->replicated_log().Get(key);  // ciphertext, as a stream carries it
  ASSERT_TRUE(stored.ok() && stored->has_value());

  // A replication apply deleting it (a revocation on the primary).
  ASSERT_TRUE(core_->replicated_log()
                  .ApplySync("dr", {storage::Op::Delete(key)}, std::nullopt,
                             storage::StorageClass::kLocal)
                  .ok());
  EXPECT_TRUE(Refused(t));
  // ... and putting it back.
  ASSERT_TRUE(core_->replicated_log()
                  .ApplySync("dr", {storage::Op::Put(key, **stored)}, std::nullopt,
                             storage::StorageClass::kLocal)
                  .ok());
  EXPECT_TRUE(Works(t));
  UseCached(t);

  // The entry rewritten through the barrier with other policies.
  auto plain = core_->barrier().Get(key);
  ASSERT_TRUE(plain.ok() && plain->has_value());
  Json entry = Json::parse(**plain);
  entry["policies"] = Json::array({"default", "extra"});
  ASSERT_TRUE(core_->barrier().Put(key, entry.dump()).ok());
  auto looked = LookupSelf(t);
  ASSERT_TRUE(looked.ok());
  EXPECT_EQ(looked->data["policies"], Json::array({"default", "extra"}));

  ASSERT_TRUE(core_->barrier().Delete(key).ok());
  EXPECT_TRUE(Refused(t));
}

TEST_F(TokenCacheTest, SealDropsTheCachesAndTheTokenWorksAfterUnseal) {
  const std::string t = Create({{"policies", {"default"}}});
  UseCached(t);
  ASSERT_TRUE(core_->SealNode().ok());
  EXPECT_EQ(core_->replicated_log().cached_reads(), 0u);
  EXPECT_EQ(LookupSelf(t).status().code(), Code::kSealed);
  ASSERT_TRUE(core_->Unseal(unseal_key_).ok());
  EXPECT_TRUE(Works(t));
}

TEST_F(TokenCacheTest, ReplacedStorageRefusesTheOldTokens) {
  auto other = NewInmemCore(0);
  const std::string other_root = InitAndUnseal(*other);
  const std::string mine = Create({{"policies", {"default"}}});
  UseCached(mine);

  // A secondary bootstrap: wipe, then apply the other cluster's keys.
  Status st = core_->ReplaceStorage([&]() -> Result<std::string> {
    RETURN_IF_ERROR(core_->replicated_log().WipeData());
    ASSIGN_OR_RETURN(auto keys, other->replicated_log().ListAll(""));
    storage::Batch ops;
    for (const std::string& k : keys) {
      if (storage::Classify(k, storage::MountClasses{}).storage_class ==
          storage::StorageClass::kNode) {
        continue;
      }
      ASSIGN_OR_RETURN(auto v, other->replicated_log().Get(k));
      if (v.has_value()) ops.push_back(storage::Op::Put(k, *v));
    }
    RETURN_IF_ERROR(core_->replicated_log().ApplySync("dr", ops, std::nullopt,
                                                      storage::StorageClass::kLocal));
    return other->barrier().RootKey();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(Refused(mine));
  EXPECT_TRUE(Refused(root_));
  EXPECT_TRUE(Works(other_root));
}

// What a DR secondary does with a stored token (the operation-token check
// looks it up): the lookup is cached, and the delete a revocation on the
// primary streams here is seen by the next one.
TEST_F(TokenCacheTest, AnAppliedRevocationIsSeenByTheNextLookup) {
  const std::string t = Create({{"policies", {"default"}}});
  ASSERT_TRUE(core_->tokens().Lookup(t)->has_value());
  ASSERT_TRUE(core_->tokens().Lookup(t)->has_value());
  ASSERT_TRUE(core_->replicated_log()
                  .ApplySync("dr", {storage::Op::Delete(Key(t))}, std::nullopt,
                             storage::StorageClass::kLocal)
                  .ok());
  auto after = core_->tokens().Lookup(t);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

}  // namespace
}  // namespace coffer::core
