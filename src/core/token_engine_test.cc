#include "core/token_engine.h"

#include <gtest/gtest.h>

#include <atomic>

#include "storage/inmem_backend.h"

namespace coffer::core {
namespace {

constexpr int64_t kStart = 1'700'000'000;
constexpr int64_t kSysTtl = 768 * 3600;

class TokenEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(barrier_.Initialize(std::string(32, 'k')).ok());
    ASSERT_TRUE(barrier_.Unseal(std::string(32, 'k')).ok());
    tokens_.SetClock([this] { return now_.load(); });
    ASSERT_TRUE(tokens_.Setup().ok());
    auto root = tokens_.CreateRootToken();
    ASSERT_TRUE(root.ok());
    root_ = *root;
    mount_.path = "auth/token/";
    mount_.type = "token";
  }

  // The caller the core would build for `token`.
  Caller CallerFor(const std::string& token, bool sudo = false) {
    Caller c;
    auto e = tokens_.Lookup(token);
    if (e.ok() && e->has_value()) {
      c.accessor = (*e)->accessor;
      c.policies = (*e)->policies;
      c.display_name = (*e)->display_name;
      c.root = (*e)->IsRoot();
    }
    c.sudo = sudo || c.root;
    c.token_id = token;
    return c;
  }

  Result<Response> Call(Operation op, const std::string& path, Json data,
                        const std::string& token, bool sudo = false) {
    Caller caller = CallerFor(token, sudo);
    EngineRequest req;
    req.operation = op;
    req.path = path;
    req.data = std::move(data);
    req.mount = &mount_;
    req.caller = &caller;
    req.system = SystemView{.default_lease_ttl = kSysTtl, .max_lease_ttl = kSysTtl};
    return engine_.Handle(req);
  }
  Result<Response> Post(const std::string& path, Json data, const std::string& token,
                        bool sudo = false) {
    return Call(Operation::kUpdate, path, std::move(data), token, sudo);
  }

  // Creates a token as `token` and returns the new token id.
  std::string CreateAs(const std::string& token, Json data, const std::string& path = "create") {
    auto r = Post(path, std::move(data), token);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !r->auth.has_value()) return "";
    return r->auth->client_token;
  }

  Json Lookup(const std::string& token) {
    auto r = Post("lookup", Json{{"token", token}}, root_.id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->data : Json();
  }

  bool Alive(const std::string& token) {
    auto r = tokens_.Lookup(token);
    return r.ok() && r->has_value();
  }

  storage::BackendPtr physical_ = storage::NewInmemBackend();
  Barrier barrier_{physical_.get()};
  TokenStore tokens_{&barrier_};
  framework::PathEngine engine_{TokenPaths(tokens_)};
  std::atomic<int64_t> now_{kStart};
  TokenEntry root_;
  MountEntry mount_;
};

TEST_F(TokenEngineTest, RootCreatesChildAndLookupShowsFields) {
  auto r = Post("create",
                Json{{"policies", "B,a"},
                     {"ttl", "1h"},
                     {"meta", {{"team", "ops"}}},
                     {"display_name", "my app!"},
                     {"num_uses", 4}},
                root_.id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->auth.has_value());
  EXPECT_TRUE(r->data.is_null());
  const AuthInfo& a = *r->auth;
  EXPECT_TRUE(a.client_token.starts_with("hvs."));
  EXPECT_EQ(a.accessor.size(), 24u);
  EXPECT_EQ(a.policies, (std::vector<std::string>{"a", "b", "default"}));
  EXPECT_EQ(a.token_policies, a.policies);
  EXPECT_EQ(a.lease_duration, 3600);
  EXPECT_TRUE(a.renewable);
  EXPECT_FALSE(a.orphan);
  EXPECT_EQ(a.num_uses, 4);
  EXPECT_EQ(a.token_type, "service");
  EXPECT_EQ(a.metadata, (Json{{"team", "ops"}}));

  now_ += 100;
  Json d = Lookup(a.client_token);
  EXPECT_EQ(d["id"], a.client_token);
  EXPECT_EQ(d["accessor"], a.accessor);
  EXPECT_EQ(d["display_name"], "token-my-app");
  EXPECT_EQ(d["path"], "auth/token/create");
  EXPECT_EQ(d["policies"], (Json{"a", "b", "default"}));
  EXPECT_EQ(d["meta"], (Json{{"team", "ops"}}));
  EXPECT_EQ(d["creation_time"], kStart);
  EXPECT_EQ(d["creation_ttl"], 3600);
  EXPECT_EQ(d["ttl"], 3500);
  EXPECT_EQ(d["expire_time"], "2023-11-14T23:13:20Z");
  EXPECT_EQ(d["issue_time"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(d["explicit_max_ttl"], 0);
  EXPECT_EQ(d["num_uses"], 4);
  EXPECT_EQ(d["orphan"], false);
  EXPECT_EQ(d["renewable"], true);
  EXPECT_EQ(d["type"], "service");
  EXPECT_EQ(d["entity_id"], "");
  EXPECT_FALSE(d.contains("period"));
  EXPECT_FALSE(d.contains("role"));

  // The root token itself: non-expiring, no default policy added.
  Json rd = Lookup(root_.id);
  EXPECT_TRUE(rd["expire_time"].is_null());
  EXPECT_EQ(rd["ttl"], 0);
  EXPECT_EQ(rd["policies"], Json{"root"});
  EXPECT_TRUE(rd["meta"].is_null());

  // The child hangs under root: revoking root revokes it.
  ASSERT_TRUE(Post("revoke", Json{{"token", root_.id}}, root_.id).ok());
  EXPECT_FALSE(Alive(a.client_token));
}

TEST_F(TokenEngineTest, RootChildWithoutPoliciesIsANonExpiringRoot) {
  auto r = Post("create", Json::object(), root_.id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth->policies, std::vector<std::string>{"root"});
  EXPECT_EQ(r->auth->lease_duration, 0);
  EXPECT_FALSE(r->auth->renewable);

  // An expiring root token cannot mint a non-expiring one.
  std::string expiring = CreateAs(root_.id, Json{{"ttl", "1h"}});
  auto bad = Post("create", Json::object(), expiring);
  EXPECT_EQ(bad.status(),
            InvalidArgument("expiring root tokens cannot create non-expiring root tokens"));
}

TEST_F(TokenEngineTest, TtlIsCappedWithAWarning) {
  auto r = Post("create", Json{{"policies", "a"}, {"ttl", "1000h"}}, root_.id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth->lease_duration, kSysTtl);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("TTL value is capped"), std::string::npos);

  auto d = Post("create", Json{{"policies", "a"}}, root_.id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->auth->lease_duration, kSysTtl);  // the default
  EXPECT_TRUE(d->warnings.empty());
}

TEST_F(TokenEngineTest, NonRootCallersAreLimitedToTheirPolicies) {
  std::string parent = CreateAs(root_.id, Json{{"policies", "a,b"}});
  auto ok = Post("create", Json{{"policies", "a"}}, parent);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->auth->policies, (std::vector<std::string>{"a", "default"}));
  auto inherit = Post("create", Json::object(), parent);
  ASSERT_TRUE(inherit.ok());
  EXPECT_EQ(inherit->auth->policies, (std::vector<std::string>{"a", "b", "default"}));

  EXPECT_EQ(Post("create", Json{{"policies", "c"}}, parent).status(),
            InvalidArgument("child policies must be subset of parent"));
  EXPECT_EQ(Post("create", Json{{"policies", "root"}}, parent).status(),
            InvalidArgument("child policies must be subset of parent"));
  EXPECT_EQ(Post("create", Json{{"id", "custom"}}, parent).status(),
            InvalidArgument("root or sudo privileges required to specify token id"));
  EXPECT_EQ(Post("create", Json{{"no_parent", true}}, parent).status(),
            InvalidArgument("root or sudo privileges required to create orphan token"));
  EXPECT_EQ(Post("create", Json{{"period", "1h"}}, parent).status(),
            InvalidArgument("root or sudo privileges required to create periodic token"));
  EXPECT_EQ(Post("create", Json{{"num_uses", -1}}, parent).status(),
            InvalidArgument("number of uses cannot be negative"));
  EXPECT_EQ(Post("create", Json{{"policies", "response-wrapping"}}, parent, true).status(),
            InvalidArgument("cannot assign policy \"response-wrapping\""));

  // Sudo lifts the subset rule but not the root rule.
  auto sudo = Post("create", Json{{"policies", "c"}, {"no_parent", true}}, parent, true);
  ASSERT_TRUE(sudo.ok()) << sudo.status().ToString();
  EXPECT_TRUE(sudo->auth->orphan);
  EXPECT_EQ(Post("create", Json{{"policies", "root"}}, parent, true).status(),
            InvalidArgument("root tokens may not be created without parent token being root"));

  // create-orphan needs no sudo (the ACL on the path decides).
  auto orphan = Post("create-orphan", Json{{"policies", "a"}}, parent);
  ASSERT_TRUE(orphan.ok()) << orphan.status().ToString();
  EXPECT_TRUE(orphan->auth->orphan);
  EXPECT_EQ(Lookup(orphan->auth->client_token)["path"], "auth/token/create-orphan");
  ASSERT_TRUE(Post("revoke", Json{{"token", parent}}, root_.id).ok());
  EXPECT_TRUE(Alive(orphan->auth->client_token));
  EXPECT_FALSE(Alive(ok->auth->client_token));
}

TEST_F(TokenEngineTest, CustomIdsAndDefaultPolicy) {
  auto r = Post("create", Json{{"id", "my-token"}, {"policies", "a"}, {"no_default_policy", true}},
                root_.id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->auth->client_token, "my-token");
  EXPECT_EQ(r->auth->policies, std::vector<std::string>{"a"});
  EXPECT_EQ(Post("create", Json{{"id", "my-token"}}, root_.id).status(),
            InvalidArgument("cannot create a token with a duplicate ID"));
  EXPECT_EQ(Post("create", Json{{"id", "hvs.x"}}, root_.id).status().code(),
            Code::kInvalidArgument);
  // A parent without "default" passes none on to non-privileged children.
  auto child = Post("create", Json{{"policies", "a"}}, "my-token");
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child->auth->policies, std::vector<std::string>{"a"});
}

TEST_F(TokenEngineTest, UseLimitedAndBatchParentsCannotCreate) {
  std::string limited = CreateAs(root_.id, Json{{"policies", "a"}, {"num_uses", 3}});
  EXPECT_EQ(Post("create", Json::object(), limited).status(),
            InvalidArgument("restricted use token cannot generate child tokens"));
  std::string batch = CreateAs(root_.id, Json{{"policies", "a"}, {"type", "batch"}});
  EXPECT_EQ(Post("create", Json::object(), batch).status(),
            InvalidArgument("batch tokens cannot create more tokens"));
}

TEST_F(TokenEngineTest, BatchTokens) {
  auto r = Post("create", Json{{"policies", "a"}, {"type", "batch"}, {"ttl", "10m"}}, root_.id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string b = r->auth->client_token;
  EXPECT_TRUE(b.starts_with("hvb."));
  EXPECT_EQ(r->auth->accessor, "");
  EXPECT_EQ(r->auth->token_type, "batch");
  EXPECT_FALSE(r->auth->renewable);
  Json d = Lookup(b);
  EXPECT_EQ(d["type"], "batch");
  EXPECT_EQ(d["accessor"], "");
  EXPECT_EQ(d["ttl"], 600);

  EXPECT_EQ(Post("revoke", Json{{"token", b}}, root_.id).status(),
            InvalidArgument("batch tokens cannot be revoked"));
  EXPECT_EQ(Post("revoke-self", Json::object(), b).status(),
            InvalidArgument("batch tokens cannot be revoked"));
  EXPECT_EQ(Post("renew", Json{{"token", b}}, root_.id).status(),
            InvalidArgument("batch tokens cannot be renewed"));
  EXPECT_EQ(Post("renew-self", Json::object(), b).status(),
            InvalidArgument("batch tokens cannot be renewed"));
  auto self = Call(Operation::kRead, "lookup-self", Json::object(), b);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->data["id"], b);

  EXPECT_EQ(Post("create", Json{{"policies", "a"}, {"type", "batch"}, {"num_uses", 2}}, root_.id).status(),
            InvalidArgument("batch tokens cannot have \"num_uses\" set"));
  EXPECT_EQ(Post("create", Json{{"policies", "a"}, {"type", "batch"}, {"period", 60}}, root_.id).status(),
            InvalidArgument("batch tokens cannot have \"period\" set"));
  EXPECT_EQ(Post("create", Json{{"type", "batch"}}, root_.id).status(),
            InvalidArgument("batch tokens cannot be root tokens"));
  EXPECT_EQ(Post("create", Json{{"type", "weird"}}, root_.id).status(),
            InvalidArgument("invalid 'token_type' value"));

  now_ += 600;
  EXPECT_EQ(Post("lookup", Json{{"token", b}}, root_.id).status(), PermissionDenied("bad token"));
}

TEST_F(TokenEngineTest, LookupVariantsAndErrors) {
  auto created = Post("create", Json{{"policies", "a"}}, root_.id);
  ASSERT_TRUE(created.ok());
  const AuthInfo a = *created->auth;

  EXPECT_EQ(Post("lookup", Json{{"token", "hvs.nope"}}, root_.id).status(),
            PermissionDenied("bad token"));
  EXPECT_EQ(Post("lookup", Json::object(), root_.id).status(),
            InvalidArgument("missing token ID"));
  auto get = Call(Operation::kRead, "lookup", Json{{"token", a.client_token}}, root_.id);
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->data["accessor"], a.accessor);
  auto legacy = Call(Operation::kRead, "lookup/" + a.client_token, Json::object(), root_.id);
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(legacy->data["id"], a.client_token);

  auto self = Call(Operation::kRead, "lookup-self", Json::object(), a.client_token);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->data["id"], a.client_token);
  EXPECT_EQ(self->data["policies"], (Json{"a", "default"}));

  auto by_accessor = Post("lookup-accessor", Json{{"accessor", a.accessor}}, root_.id);
  ASSERT_TRUE(by_accessor.ok());
  EXPECT_EQ(by_accessor->data["id"], "");
  EXPECT_EQ(by_accessor->data["accessor"], a.accessor);
  EXPECT_EQ(Post("lookup-accessor", Json{{"accessor", "nope"}}, root_.id).status(),
            InvalidArgument("invalid accessor"));
  EXPECT_EQ(Post("lookup-accessor", Json::object(), root_.id).status(),
            InvalidArgument("missing accessor"));

  // No caller at all (an unauthenticated request) gets nothing.
  EngineRequest req;
  req.operation = Operation::kRead;
  req.path = "lookup-self";
  EXPECT_EQ(engine_.Handle(req).status().code(), Code::kPermissionDenied);
}

TEST_F(TokenEngineTest, SingleUseTokenCanLookUpItself) {
  std::string t = CreateAs(root_.id, Json{{"policies", "a"}, {"num_uses", 1}});
  auto used = tokens_.LookupAndUse(t);  // what the core does for the request
  ASSERT_TRUE(used.ok() && used->has_value());
  ASSERT_TRUE((*used)->spent);
  auto self = Call(Operation::kRead, "lookup-self", Json::object(), t);
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(self->data["num_uses"], 0);
  ASSERT_TRUE(tokens_.RevokeIfSpent(**used).ok());
  EXPECT_EQ(Call(Operation::kRead, "lookup-self", Json::object(), t).status(),
            PermissionDenied("bad token"));
}

TEST_F(TokenEngineTest, Renewals) {
  auto created = Post("create", Json{{"policies", "a"}, {"ttl", "1h"}}, root_.id);
  ASSERT_TRUE(created.ok());
  const AuthInfo a = *created->auth;
  now_ += 600;
  auto r = Post("renew", Json{{"token", a.client_token}, {"increment", "2h"}}, root_.id);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->auth.has_value());
  EXPECT_EQ(r->auth->client_token, a.client_token);
  EXPECT_EQ(r->auth->accessor, a.accessor);
  EXPECT_EQ(r->auth->lease_duration, 7200);
  EXPECT_EQ(r->auth->policies, (std::vector<std::string>{"a", "default"}));
  Json d = Lookup(a.client_token);
  EXPECT_EQ(d["ttl"], 7200);
  EXPECT_EQ(d["creation_ttl"], 3600);
  EXPECT_EQ(d["last_renewal_time"], kStart + 600);

  auto self = Post("renew-self", Json{{"increment", 60}}, a.client_token);
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->auth->lease_duration, 60);
  EXPECT_EQ(self->auth->client_token, a.client_token);

  auto by_accessor = Post("renew-accessor", Json{{"accessor", a.accessor}}, root_.id);
  ASSERT_TRUE(by_accessor.ok());
  EXPECT_EQ(by_accessor->auth->client_token, "");
  EXPECT_EQ(by_accessor->auth->lease_duration, 3600);  // increment 0: the creation TTL

  EXPECT_EQ(Post("renew", Json{{"token", root_.id}}, root_.id).status(),
            InvalidArgument("lease not found or lease is not renewable"));
  EXPECT_EQ(Post("renew", Json{{"token", "hvs.nope"}}, root_.id).status(),
            InvalidArgument("token not found"));
  EXPECT_EQ(Post("renew", Json::object(), root_.id).status(), InvalidArgument("missing token ID"));
  std::string fixed = CreateAs(root_.id, Json{{"policies", "a"}, {"renewable", false}});
  EXPECT_EQ(Post("renew", Json{{"token", fixed}}, root_.id).status(),
            InvalidArgument("lease is not renewable"));

  auto periodic = Post("create", Json{{"policies", "a"}, {"period", "2m"}}, root_.id);
  ASSERT_TRUE(periodic.ok());
  EXPECT_EQ(periodic->auth->lease_duration, 120);
  now_ += 100;
  auto pr = Post("renew", Json{{"token", periodic->auth->client_token}, {"increment", "9h"}},
                 root_.id);
  ASSERT_TRUE(pr.ok());
  EXPECT_EQ(pr->auth->lease_duration, 120);
  EXPECT_EQ(Lookup(periodic->auth->client_token)["period"], 120);
}

TEST_F(TokenEngineTest, Revocations) {
  std::string parent = CreateAs(root_.id, Json{{"policies", "a"}});
  std::string child = CreateAs(parent, Json::object());
  std::string grandchild = CreateAs(child, Json::object());

  auto r = Post("revoke", Json{{"token", "hvs.unknown"}}, root_.id);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->data.is_null() && !r->auth.has_value());  // 204

  EXPECT_EQ(Post("revoke-orphan", Json{{"token", child}}, parent).status(),
            InvalidArgument("root or sudo privileges required to revoke and orphan"));
  ASSERT_TRUE(Post("revoke-orphan", Json{{"token", child}}, parent, /*sudo=*/true).ok());
  EXPECT_FALSE(Alive(child));
  EXPECT_TRUE(Alive(grandchild));
  EXPECT_EQ(Lookup(grandchild)["orphan"], true);
  EXPECT_EQ(Post("revoke-orphan", Json{{"token", child}}, root_.id).status(),
            InvalidArgument("token to revoke not found"));

  std::string other = CreateAs(parent, Json::object());
  std::string other_child = CreateAs(other, Json::object());
  ASSERT_TRUE(Post("revoke-self", Json::object(), other).ok());
  EXPECT_FALSE(Alive(other));
  EXPECT_FALSE(Alive(other_child));

  auto accessor = Lookup(parent)["accessor"].get<std::string>();
  ASSERT_TRUE(Post("revoke-accessor", Json{{"accessor", accessor}}, root_.id).ok());
  EXPECT_FALSE(Alive(parent));
  EXPECT_EQ(Post("revoke-accessor", Json{{"accessor", accessor}}, root_.id).status(),
            InvalidArgument("invalid accessor"));
}

TEST_F(TokenEngineTest, Roles) {
  auto missing = Call(Operation::kRead, "roles/web", Json::object(), root_.id);
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  ASSERT_TRUE(Post("roles/web",
                   Json{{"allowed_policies", "a, B"},
                        {"disallowed_policies", "c"},
                        {"orphan", true},
                        {"path_suffix", "v1"},
                        {"token_period", "1h"}},
                   root_.id)
                  .ok());
  auto read = Call(Operation::kRead, "roles/web", Json::object(), root_.id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->data["name"], "web");
  EXPECT_EQ(read->data["allowed_policies"], (Json{"a", "b"}));
  EXPECT_EQ(read->data["orphan"], true);
  EXPECT_EQ(read->data["renewable"], true);
  EXPECT_EQ(read->data["period"], 3600);
  EXPECT_EQ(read->data["token_period"], 3600);
  EXPECT_EQ(read->data["token_type"], "default-service");

  // An update keeps what it does not mention.
  ASSERT_TRUE(Post("roles/web", Json{{"token_num_uses", 0}}, root_.id).ok());
  read = Call(Operation::kRead, "roles/web", Json::object(), root_.id);
  EXPECT_EQ(read->data["allowed_policies"], (Json{"a", "b"}));

  // A non-root caller may use the role even for policies it lacks itself.
  std::string plain = CreateAs(root_.id, Json{{"policies", "x"}});
  auto made = Post("create/web", Json::object(), plain);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->auth->policies, (std::vector<std::string>{"a", "b", "default"}));
  EXPECT_TRUE(made->auth->orphan);
  EXPECT_EQ(made->auth->lease_duration, 3600);
  Json d = Lookup(made->auth->client_token);
  EXPECT_EQ(d["path"], "auth/token/create/web/v1");
  EXPECT_EQ(d["role"], "web");
  EXPECT_EQ(d["period"], 3600);

  EXPECT_EQ(Post("create/web", Json{{"policies", "a,z"}}, root_.id).status(),
            InvalidArgument("token policies ([a z]) must be subset of the role's allowed "
                            "policies ([a b])"));
  EXPECT_EQ(Post("create/nope", Json::object(), root_.id).status(),
            InvalidArgument("unknown role nope"));

  ASSERT_TRUE(Post("roles/deny", Json{{"disallowed_policies", "secret"}}, root_.id).ok());
  EXPECT_EQ(Post("create/deny", Json{{"policies", "secret"}}, root_.id).status(),
            InvalidArgument("token policy \"secret\" is disallowed by this role"));

  ASSERT_TRUE(Post("roles/globby", Json{{"allowed_policies_glob", "app-*"}}, root_.id).ok());
  EXPECT_TRUE(Post("create/globby", Json{{"policies", "app-web"}}, root_.id).ok());
  EXPECT_FALSE(Post("create/globby", Json{{"policies", "db"}}, root_.id).ok());

  EXPECT_EQ(Post("roles/b", Json{{"token_type", "batch"}}, root_.id).status(),
            InvalidArgument("orphan must be set for roles issuing batch tokens"));
  ASSERT_TRUE(Post("roles/b",
                   Json{{"token_type", "batch"}, {"orphan", true}, {"renewable", false}},
                   root_.id)
                  .ok());
  auto batch = Post("create/b", Json{{"policies", "a"}}, root_.id);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->auth->client_token.starts_with("hvb."));
  EXPECT_EQ(Post("roles/x", Json{{"path_suffix", "../up"}}, root_.id).status(),
            InvalidArgument("path_suffix contains invalid characters"));

  auto list = Call(Operation::kList, "roles/", Json::object(), root_.id);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], (Json{"b", "deny", "globby", "web"}));
  ASSERT_TRUE(Call(Operation::kDelete, "roles/web", Json::object(), root_.id).ok());
  EXPECT_EQ(Call(Operation::kRead, "roles/web", Json::object(), root_.id).status().code(),
            Code::kNotFound);

  EngineRequest req;
  req.operation = Operation::kUpdate;
  req.path = "roles/deny";
  auto exists = engine_.Exists(req);
  ASSERT_TRUE(exists.ok() && exists->has_value());
  EXPECT_TRUE(**exists);
}

TEST_F(TokenEngineTest, AccessorsAndTidy) {
  std::string t = CreateAs(root_.id, Json{{"policies", "a"}, {"ttl", 60}});
  auto list = Call(Operation::kList, "accessors/", Json::object(), root_.id);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"].size(), 2u);

  now_ += 61;
  auto tidy = Post("tidy", Json::object(), root_.id);
  ASSERT_TRUE(tidy.ok());
  ASSERT_EQ(tidy->warnings.size(), 1u);
  EXPECT_TRUE(tidy->warnings[0].starts_with("Tidy operation successfully started."));
  list = Call(Operation::kList, "accessors/", Json::object(), root_.id);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], Json{root_.accessor});
}

}  // namespace
}  // namespace coffer::core
