#include "core/token_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/token_store_keys.h"
#include "storage/inmem_backend.h"

namespace coffer::core {
namespace {

constexpr int64_t kStart = 1'700'000'000;

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(barrier_.Initialize(std::string(32, 'k')).ok());
    ASSERT_TRUE(barrier_.Unseal(std::string(32, 'k')).ok());
    tokens_.SetClock([this] { return now_.load(); });
    tokens_.SetRevokeHook([this](const TokenEntry& e) { revoked_.push_back(e); });
    ASSERT_TRUE(tokens_.Setup().ok());
  }

  TokenEntry Make(std::vector<std::string> policies, int64_t ttl, const std::string& parent = "",
                  int64_t num_uses = 0, const std::string& type = "service") {
    TokenEntry e;
    e.policies = std::move(policies);
    e.path = "auth/token/create";
    e.display_name = "token";
    e.ttl = ttl;
    e.parent = parent;
    e.num_uses = num_uses;
    e.type = type;
    e.renewable = ttl > 0;
    auto made = tokens_.Create(e);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : TokenEntry{};
  }

  bool Alive(const std::string& token) {
    auto r = tokens_.Lookup(token);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->has_value();
  }

  int StoredTokens() {
    auto keys = barrier_.ListAll(tokenkeys::kIdPrefix);
    return keys.ok() ? static_cast<int>(keys->size()) : -1;
  }

  storage::BackendPtr physical_ = storage::NewInmemBackend();
  Barrier barrier_{physical_.get()};
  TokenStore tokens_{&barrier_};
  std::atomic<int64_t> now_{kStart};
  std::vector<TokenEntry> revoked_;
};

TEST_F(TokenStoreTest, RootTokenIsStoredOnlyByHash) {
  auto root = tokens_.CreateRootToken();
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->id.size(), 28u);
  EXPECT_TRUE(root->id.starts_with("hvs."));
  EXPECT_EQ(root->accessor.size(), 24u);
  EXPECT_FALSE(root->cubbyhole_id.empty());
  EXPECT_TRUE(root->orphan);

  auto found = tokens_.Lookup(root->id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_TRUE((*found)->IsRoot());
  EXPECT_EQ((*found)->ttl, 0);
  EXPECT_EQ((*found)->ExpireTime(), 0);
  EXPECT_EQ((*found)->path, "auth/token/root");
  EXPECT_EQ((*found)->issue_time, "2023-11-14T22:13:20Z");

  auto by_accessor = tokens_.LookupByAccessor(root->accessor);
  ASSERT_TRUE(by_accessor.ok() && by_accessor->has_value());
  EXPECT_EQ((*by_accessor)->id, "");
  EXPECT_EQ((*by_accessor)->hash, root->hash);

  auto keys = barrier_.ListAll("sys/token/");
  ASSERT_TRUE(keys.ok());
  for (const auto& k : *keys) EXPECT_EQ(k.find(root->id.substr(4)), std::string::npos) << k;

  EXPECT_FALSE(Alive("hvs.nonexistent"));
  EXPECT_FALSE(Alive(""));
}

// The stored record is the JSON library's compact dump of the entry's fields
// (the format every earlier build wrote), and reads back to the same entry.
TEST(TokenEntryTest, StoredRecordIsTheLibrarysDumpAndReadsBack) {
  TokenEntry e;
  e.accessor = "acc";
  e.policies = {"default", "caf\xc3\xa9", "q\"uote"};
  e.path = "auth/userpass/login/bob";
  e.display_name = "userpass-bob";
  e.meta = {{"username", "bob"}, {"team", "a\nb"}};
  e.parent = "parenthash";
  e.cubbyhole_id = "cub";
  e.role = "r";
  e.bound_cidrs = {"10.0.0.0/8"};
  e.entity_id = "ent";
  e.creation_time = kStart;
  e.issue_time = "2023-11-14T22:13:20Z";
  e.creation_ttl = 3600;
  e.ttl = 1800;
  e.last_renewal_time = kStart + 60;
  e.explicit_max_ttl = 7200;
  e.period = 0;
  e.num_uses = kSpentUses;
  e.renewable = true;
  const Json expected{{"accessor", e.accessor},
                      {"policies", e.policies},
                      {"path", e.path},
                      {"display_name", e.display_name},
                      {"meta", e.meta},
                      {"parent", e.parent},
                      {"cubbyhole_id", e.cubbyhole_id},
                      {"role", e.role},
                      {"bound_cidrs", e.bound_cidrs},
                      {"entity_id", e.entity_id},
                      {"type", e.type},
                      {"creation_time", e.creation_time},
                      {"issue_time", e.issue_time},
                      {"creation_ttl", e.creation_ttl},
                      {"ttl", e.ttl},
                      {"last_renewal_time", e.last_renewal_time},
                      {"explicit_max_ttl", e.explicit_max_ttl},
                      {"period", e.period},
                      {"num_uses", e.num_uses},
                      {"renewable", e.renewable}};
  EXPECT_EQ(e.StoredRecord(), expected.dump());
  Result<TokenEntry> back = TokenEntry::FromStored(Json::parse(e.StoredRecord()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->StoredRecord(), e.StoredRecord());
  EXPECT_EQ(back->meta, e.meta);
  EXPECT_EQ(back->num_uses, kSpentUses);
  EXPECT_FALSE(back->orphan);
  TokenEntry batch;
  batch.type = "batch";
  batch.policies = {"default"};
  EXPECT_EQ(batch.StoredRecord(), Json::parse(batch.StoredRecord()).dump());
  EXPECT_TRUE(TokenEntry::FromStored(Json::parse(batch.StoredRecord()))->IsBatch());
}

TEST_F(TokenStoreTest, CustomIdMustBeNew) {
  ASSERT_TRUE(tokens_.CreateRootToken("my-root").ok());
  EXPECT_TRUE(Alive("my-root"));
  EXPECT_EQ(tokens_.CreateRootToken("my-root").status(),
            InvalidArgument("cannot create a token with a duplicate ID"));
}

TEST_F(TokenStoreTest, SealedStoreRefuses) {
  auto root = tokens_.CreateRootToken();
  ASSERT_TRUE(root.ok());
  tokens_.Reset();
  EXPECT_EQ(tokens_.Lookup(root->id).status().code(), Code::kSealed);
  ASSERT_TRUE(tokens_.Setup().ok());
  EXPECT_TRUE(Alive(root->id));  // the salt survived in storage
}

TEST_F(TokenStoreTest, RevokeTakesTheWholeSubtree) {
  TokenEntry root = Make({"root"}, 0);
  TokenEntry child = Make({"a"}, 3600, root.hash);
  TokenEntry grandchild = Make({"a"}, 3600, child.hash);
  TokenEntry sibling = Make({"b"}, 3600, root.hash);
  TokenEntry other = Make({"c"}, 3600);
  EXPECT_FALSE(child.orphan);

  ASSERT_TRUE(tokens_.Revoke(child.id).ok());
  EXPECT_FALSE(Alive(child.id));
  EXPECT_FALSE(Alive(grandchild.id));
  EXPECT_TRUE(Alive(root.id));
  EXPECT_TRUE(Alive(sibling.id));
  ASSERT_EQ(revoked_.size(), 2u);
  EXPECT_EQ(revoked_[0].cubbyhole_id, grandchild.cubbyhole_id);  // children first
  EXPECT_EQ(revoked_[1].cubbyhole_id, child.cubbyhole_id);
  auto acc = tokens_.LookupByAccessor(grandchild.accessor);
  ASSERT_TRUE(acc.ok());
  EXPECT_FALSE(acc->has_value());

  ASSERT_TRUE(tokens_.Revoke(root.id).ok());
  EXPECT_FALSE(Alive(sibling.id));
  EXPECT_TRUE(Alive(other.id));
  EXPECT_EQ(revoked_.size(), 4u);
  EXPECT_EQ(StoredTokens(), 1);
  auto links = barrier_.ListAll(tokenkeys::kParentPrefix);
  ASSERT_TRUE(links.ok());
  EXPECT_TRUE(links->empty());

  // Unknown tokens revoke silently; nothing more is reported.
  EXPECT_TRUE(tokens_.Revoke("hvs.unknown").ok());
  EXPECT_EQ(revoked_.size(), 4u);
  EXPECT_EQ(tokens_.Revoke(""), InvalidArgument("missing token ID"));
}

TEST_F(TokenStoreTest, RevokeOrphanKeepsChildren) {
  TokenEntry parent = Make({"a"}, 3600);
  TokenEntry child = Make({"a"}, 3600, parent.hash);
  TokenEntry grandchild = Make({"a"}, 3600, child.hash);

  ASSERT_TRUE(tokens_.RevokeOrphan(parent.id).ok());
  EXPECT_FALSE(Alive(parent.id));
  ASSERT_EQ(revoked_.size(), 1u);
  EXPECT_EQ(revoked_[0].hash, parent.hash);
  auto c = tokens_.Lookup(child.id);
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_TRUE((*c)->orphan);
  EXPECT_EQ((*c)->parent, "");
  EXPECT_TRUE(Alive(grandchild.id));

  // The former child is an ordinary parent still.
  ASSERT_TRUE(tokens_.Revoke(child.id).ok());
  EXPECT_FALSE(Alive(grandchild.id));

  EXPECT_EQ(tokens_.RevokeOrphan(parent.id),
            InvalidArgument("token to revoke not found"));
}

TEST_F(TokenStoreTest, UseLimitedTokenWorksExactlyNumUsesTimes) {
  TokenEntry t = Make({"a"}, 3600, "", 2);
  auto first = tokens_.LookupAndUse(t.id);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->num_uses, 1);
  EXPECT_FALSE((*first)->spent);
  ASSERT_TRUE(tokens_.RevokeIfSpent(**first).ok());
  EXPECT_TRUE(revoked_.empty());

  auto last = tokens_.LookupAndUse(t.id);
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_TRUE((*last)->spent);
  EXPECT_EQ((*last)->num_uses, 0);
  // Spent: invisible even before the core revokes it.
  EXPECT_FALSE(Alive(t.id));
  auto again = tokens_.LookupAndUse(t.id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());

  ASSERT_TRUE(tokens_.RevokeIfSpent(**last).ok());
  ASSERT_EQ(revoked_.size(), 1u);
  EXPECT_EQ(revoked_[0].cubbyhole_id, t.cubbyhole_id);
  EXPECT_EQ(StoredTokens(), 0);

  // Unlimited tokens are not counted down.
  TokenEntry u = Make({"a"}, 3600);
  for (int i = 0; i < 3; ++i) {
    auto r = tokens_.LookupAndUse(u.id);
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->num_uses, 0);
    EXPECT_FALSE((*r)->spent);
  }
}

TEST_F(TokenStoreTest, ConcurrentUsesNeverExceedTheLimit) {
  TokenEntry t = Make({"a"}, 3600, "", 5);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        auto r = tokens_.LookupAndUse(t.id);
        if (r.ok() && r->has_value()) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 5);
}

TEST_F(TokenStoreTest, ExpiryAndTidy) {
  TokenEntry t = Make({"a"}, 10);
  TokenEntry child = Make({"a"}, 3600, t.hash);
  now_ += 9;
  auto found = tokens_.Lookup(t.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->RemainingTtl(now_), 1);
  EXPECT_EQ((*found)->ExpireTime(), kStart + 10);

  now_ += 1;
  EXPECT_FALSE(Alive(t.id));
  auto acc = tokens_.LookupByAccessor(t.accessor);
  ASSERT_TRUE(acc.ok());
  EXPECT_FALSE(acc->has_value());
  EXPECT_TRUE(Alive(child.id));  // until tidy revokes the expired parent's tree
  EXPECT_TRUE(revoked_.empty());

  auto report = tokens_.Tidy();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->expired, 1);
  EXPECT_FALSE(Alive(child.id));
  EXPECT_EQ(revoked_.size(), 2u);
  EXPECT_EQ(StoredTokens(), 0);
}

TEST_F(TokenStoreTest, TidyRepairsDanglingChildrenAndAccessors) {
  TokenEntry parent = Make({"a"}, 3600);
  TokenEntry child = Make({"a"}, 3600, parent.hash);
  TokenEntry loner = Make({"a"}, 3600);
  // Simulate a lost write: the parent entry vanishes, its index stays.
  ASSERT_TRUE(barrier_.Delete(tokenkeys::Id(parent.hash)).ok());
  ASSERT_TRUE(barrier_.Put(tokenkeys::Accessor("staleaccessor"), loner.hash + "x").ok());

  auto report = tokens_.Tidy();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->dangling_children, 1);
  EXPECT_EQ(report->stale_accessors, 2);  // the parent's and the fake one
  EXPECT_FALSE(Alive(child.id));
  EXPECT_TRUE(Alive(loner.id));
  auto accessors = tokens_.ListAccessors();
  ASSERT_TRUE(accessors.ok());
  EXPECT_EQ(*accessors, std::vector<std::string>{loner.accessor});
}

TEST_F(TokenStoreTest, BatchTokens) {
  TokenEntry parent = Make({"a"}, 3600);
  const int stored = StoredTokens();
  TokenEntry b = Make({"a", "default"}, 60, "", 0, "batch");
  EXPECT_TRUE(b.id.starts_with("hvb."));
  EXPECT_EQ(b.accessor, "");
  EXPECT_EQ(b.cubbyhole_id, "");
  EXPECT_FALSE(b.renewable);
  EXPECT_EQ(StoredTokens(), stored);  // not stored

  auto found = tokens_.Lookup(b.id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->policies, (std::vector<std::string>{"a", "default"}));
  EXPECT_TRUE((*found)->IsBatch());
  EXPECT_EQ(tokens_.Revoke(b.id), InvalidArgument("batch tokens cannot be revoked"));
  EXPECT_EQ(tokens_.RevokeOrphan(b.id),
            InvalidArgument("batch tokens cannot be revoked"));

  // Tampering gives an unknown token, not an error.
  std::string forged = b.id;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Alive(forged));
  EXPECT_FALSE(Alive("hvb.!!!"));
  EXPECT_FALSE(Alive("hvb."));

  // A batch token cannot parent anything.
  TokenEntry child;
  child.policies = {"a"};
  child.parent = b.hash;
  EXPECT_EQ(tokens_.Create(child).status(), InvalidArgument("parent token not found"));

  // A non-orphan batch token dies with its parent.
  TokenEntry attached = Make({"a"}, 600, parent.hash, 0, "batch");
  EXPECT_TRUE(Alive(attached.id));
  ASSERT_TRUE(tokens_.Revoke(parent.id).ok());
  EXPECT_FALSE(Alive(attached.id));

  now_ += 60;
  EXPECT_FALSE(Alive(b.id));  // expired
}

TEST_F(TokenStoreTest, Renew) {
  TokenEntry t = Make({"a"}, 100);
  now_ += 30;
  auto r = tokens_.RenewByHash(t.hash, 50, 1000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ttl, 50);
  EXPECT_EQ(r->last_renewal_time, kStart + 30);
  EXPECT_EQ(r->ExpireTime(), kStart + 80);
  EXPECT_EQ(r->creation_ttl, 100);
  now_ += 60;  // kStart+90: past the renewed expiry, before the original one
  EXPECT_FALSE(Alive(t.id));

  TokenEntry capped = Make({"a"}, 100);
  auto c = tokens_.RenewByHash(capped.hash, 5000, 1000);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ttl, 1000);  // the max counts from creation, which is now

  TokenEntry root = Make({"root"}, 0);
  EXPECT_EQ(tokens_.RenewByHash(root.hash, 10, 1000).status(),
            InvalidArgument("lease not found or lease is not renewable"));
  TokenEntry e;
  e.policies = {"a"};
  e.ttl = 100;
  e.renewable = false;
  auto nr = tokens_.Create(e);
  ASSERT_TRUE(nr.ok());
  EXPECT_EQ(tokens_.RenewByHash(nr->hash, 10, 1000).status(),
            InvalidArgument("lease is not renewable"));
  EXPECT_EQ(tokens_.RenewByHash(std::string(64, 'a'), 10, 1000).status(),
            InvalidArgument("token not found"));
}

TEST_F(TokenStoreTest, CreateForAuth) {
  AuthInfo req;
  req.policies = {"B", "a", "a"};
  req.display_name = "alice";
  req.metadata = Json{{"username", "alice"}};
  req.renewable = true;
  MountEntry mount;
  mount.path = "auth/userpass/";
  mount.type = "userpass";
  SystemView system{.default_lease_ttl = 600, .max_lease_ttl = 900};

  auto auth = tokens_.CreateForAuth(req, mount, system, "auth/userpass/login/alice");
  ASSERT_TRUE(auth.ok()) << auth.status().ToString();
  EXPECT_TRUE(auth->client_token.starts_with("hvs."));
  EXPECT_EQ(auth->accessor.size(), 24u);
  EXPECT_EQ(auth->policies, (std::vector<std::string>{"a", "b", "default"}));
  EXPECT_EQ(auth->token_policies, auth->policies);
  EXPECT_EQ(auth->lease_duration, 600);
  EXPECT_TRUE(auth->renewable);
  EXPECT_TRUE(auth->orphan);
  EXPECT_EQ(auth->token_type, "service");
  EXPECT_EQ(auth->metadata, (Json{{"username", "alice"}}));

  auto e = tokens_.Lookup(auth->client_token);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->display_name, "userpass-alice");
  EXPECT_EQ((*e)->path, "auth/userpass/login/alice");
  EXPECT_EQ((*e)->meta.at("username"), "alice");
  EXPECT_TRUE((*e)->orphan);

  req.lease_duration = 5000;  // capped by the max
  req.no_default_policy = true;
  auth = tokens_.CreateForAuth(req, mount, system, "auth/userpass/login/alice");
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->lease_duration, 900);
  EXPECT_EQ(auth->policies, (std::vector<std::string>{"a", "b"}));

  req.token_type = "batch";
  auth = tokens_.CreateForAuth(req, mount, system, "auth/userpass/login/alice");
  ASSERT_TRUE(auth.ok());
  EXPECT_TRUE(auth->client_token.starts_with("hvb."));
  EXPECT_EQ(auth->accessor, "");
  EXPECT_FALSE(auth->renewable);

  req.num_uses = 3;
  EXPECT_EQ(tokens_.CreateForAuth(req, mount, system, "p").status(),
            InvalidArgument("batch tokens cannot have \"num_uses\" set"));
  req.token_type = "weird";
  EXPECT_EQ(tokens_.CreateForAuth(req, mount, system, "p").status(),
            InvalidArgument("invalid 'token_type' value"));
  req.token_type = "service";
  req.policies = {"root"};
  EXPECT_FALSE(tokens_.CreateForAuth(req, mount, system, "p").ok());
}

TEST_F(TokenStoreTest, Roles) {
  auto none = tokens_.GetRole("web");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  TokenRole role;
  role.name = "web";
  role.allowed_policies = {"a", "b"};
  role.period = 60;
  ASSERT_TRUE(tokens_.PutRole(role).ok());
  auto got = tokens_.GetRole("web");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->allowed_policies, role.allowed_policies);
  EXPECT_EQ((*got)->period, 60);
  auto list = tokens_.ListRoles();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, std::vector<std::string>{"web"});
  ASSERT_TRUE(tokens_.DeleteRole("web").ok());
  got = tokens_.GetRole("web");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  role.name = "a/b";
  EXPECT_FALSE(tokens_.PutRole(role).ok());
}

}  // namespace
}  // namespace coffer::core
