// AppRole secret ids: generate, custom, lookup, destroy, accessors, num_uses,
// TTL expiry (with an injected clock) and tidy.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "auth/approle.h"
#include "auth/auth_test_util.h"
#include "storage/faulty_backend_for_test.h"

namespace coffer::auth {
namespace {

using testing::Harness;

class SecretIdTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h.Write("role/web", Json{{"role_id", "web-role-id"}}).ok()); }
  Result<Response> Generate(Json body = Json::object(), const std::string& role = "web") {
    return h.Write("role/" + role + "/secret-id", std::move(body));
  }
  Result<Response> Login(const std::string& secret_id) {
    return h.Write("login", Json{{"role_id", "web-role-id"}, {"secret_id", secret_id}});
  }
  // A login on the caller's thread with its own request (Harness::Call
  // shares one), against `storage`.
  Result<Response> ConcurrentLogin(storage::Backend* storage, const std::string& secret_id) {
    EngineRequest req;
    Request original;
    original.remote_addr = "127.0.0.1:1";
    req.operation = Operation::kUpdate;
    req.path = "login";
    req.data = Json{{"role_id", "web-role-id"}, {"secret_id", secret_id}};
    req.storage = storage;
    req.original = &original;
    return h.engine->Handle(req);
  }
  Result<Response> Lookup(const std::string& secret_id) {
    return h.Write("role/web/secret-id/lookup", Json{{"secret_id", secret_id}});
  }

  int64_t now_ = 1700000000;  // 2023-11-14T22:13:20Z
  Harness h{NewAppRole(AppRoleOptions{.clock = [this] { return now_; }}), "approle"};
};

TEST_F(SecretIdTest, GenerateReturnsIdsAndLimits) {
  auto r = Generate(Json{{"metadata", nullptr}});  // hvac sends metadata: null
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string secret = r->data["secret_id"];
  std::string accessor = r->data["secret_id_accessor"];
  EXPECT_EQ(secret.size(), 36u);
  EXPECT_EQ(accessor.size(), 36u);
  EXPECT_NE(secret, accessor);
  EXPECT_EQ(r->data["secret_id_ttl"], 0);
  EXPECT_EQ(r->data["secret_id_num_uses"], 0);
  // Only an HMAC of the secret id is stored.
  EXPECT_EQ(h.DumpStorage().find(secret), std::string::npos);
  EXPECT_NE(h.DumpStorage().find(accessor), std::string::npos);
  EXPECT_EQ(Generate(Json::object(), "nope").status(),
            InvalidArgument("role \"nope\" does not exist"));
}

TEST_F(SecretIdTest, LookupByIdAndAccessor) {
  auto g = Generate(Json{{"metadata", R"({"host":"web-1"})"},
                         {"cidr_list", "10.0.0.0/8"},
                         {"ttl", "1h"},
                         {"num_uses", 3}});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->data["secret_id_ttl"], 3600);
  EXPECT_EQ(g->data["secret_id_num_uses"], 3);
  auto l = Lookup(g->data["secret_id"]);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->data["secret_id_accessor"], g->data["secret_id_accessor"]);
  EXPECT_EQ(l->data["metadata"], (Json{{"host", "web-1"}}));
  EXPECT_EQ(l->data["cidr_list"], Json::array({"10.0.0.0/8"}));
  EXPECT_EQ(l->data["token_bound_cidrs"], Json::array());
  EXPECT_EQ(l->data["secret_id_num_uses"], 3);
  EXPECT_EQ(l->data["secret_id_ttl"], 3600);
  EXPECT_EQ(l->data["creation_time"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(l->data["expiration_time"], "2023-11-14T23:13:20Z");
  EXPECT_EQ(l->data["last_updated_time"], "2023-11-14T22:13:20Z");

  auto a = h.Write("role/web/secret-id-accessor/lookup",
                   Json{{"secret_id_accessor", g->data["secret_id_accessor"]}});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->data, l->data);

  // Unknown secret id: an empty response; unknown accessor: 404.
  auto unknown = Lookup("no-such-secret");
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->data.is_null());
  EXPECT_EQ(h.Write("role/web/secret-id-accessor/lookup", Json{{"secret_id_accessor", "nope"}})
                .status()
                .code(),
            Code::kNotFound);
  EXPECT_EQ(Lookup("").status(), InvalidArgument("missing secret_id"));
}

TEST_F(SecretIdTest, MetadataAsMapOrBadJson) {
  auto g = Generate(Json{{"metadata", Json{{"a", "1"}, {"n", 2}}}});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(Lookup(g->data["secret_id"])->data["metadata"], (Json{{"a", "1"}, {"n", "2"}}));
  EXPECT_EQ(Generate(Json{{"metadata", "{not json"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Generate(Json{{"metadata", R"({"a":1})"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Generate(Json{{"metadata", "[1]"}}).status().code(), Code::kInvalidArgument);
}

TEST_F(SecretIdTest, ListAndDestroy) {
  std::string s1 = Generate()->data["secret_id"];
  auto g2 = Generate();
  std::string s2 = g2->data["secret_id"];
  std::string a2 = g2->data["secret_id_accessor"];
  auto l = h.List("role/web/secret-id/");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->data["keys"].size(), 2u);

  ASSERT_TRUE(h.Write("role/web/secret-id/destroy", Json{{"secret_id", s1}}).ok());
  EXPECT_EQ(Login(s1).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(h.Write("role/web/secret-id/destroy", Json{{"secret_id", s1}}).ok());  // idempotent
  EXPECT_EQ(h.List("role/web/secret-id/")->data["keys"], Json::array({a2}));

  ASSERT_TRUE(
      h.Delete("role/web/secret-id-accessor/destroy", Json{{"secret_id_accessor", a2}}).ok());
  EXPECT_EQ(Login(s2).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(h.List("role/web/secret-id/")->data["keys"], Json::array());
  EXPECT_EQ(h.Write("role/web/secret-id-accessor/destroy", Json{{"secret_id_accessor", a2}})
                .status()
                .code(),
            Code::kNotFound);
  EXPECT_EQ(h.List("role/nope/secret-id/").status().code(), Code::kInvalidArgument);
}

TEST_F(SecretIdTest, NumUsesDecrementAndExhaust) {
  ASSERT_TRUE(h.Write("role/web", Json{{"secret_id_num_uses", 2}}).ok());
  auto g = Generate();
  std::string secret = g->data["secret_id"];
  EXPECT_EQ(g->data["secret_id_num_uses"], 2);
  now_ += 10;
  ASSERT_TRUE(Login(secret).ok());
  auto l = Lookup(secret);
  EXPECT_EQ(l->data["secret_id_num_uses"], 1);
  EXPECT_EQ(l->data["last_updated_time"], "2023-11-14T22:13:30Z");
  ASSERT_TRUE(Login(secret).ok());
  EXPECT_EQ(Login(secret).status(), InvalidArgument("invalid role or secret ID"));
  EXPECT_TRUE(Lookup(secret)->data.is_null());
  EXPECT_EQ(h.List("role/web/secret-id/")->data["keys"], Json::array());  // accessor gone too

  // A secret id may ask for fewer uses than the role allows, not more or unlimited.
  EXPECT_TRUE(Generate(Json{{"num_uses", 1}}).ok());
  EXPECT_EQ(Generate(Json{{"num_uses", 3}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Generate(Json{{"num_uses", 0}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Generate(Json{{"num_uses", -1}}).status().code(), Code::kInvalidArgument);
}

TEST_F(SecretIdTest, UnlimitedUsesStayUnlimited) {
  std::string secret = Generate()->data["secret_id"];
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Login(secret).ok());
  EXPECT_EQ(Lookup(secret)->data["secret_id_num_uses"], 0);
}

TEST_F(SecretIdTest, TtlExpiry) {
  ASSERT_TRUE(h.Write("role/web", Json{{"secret_id_ttl", 60}}).ok());
  std::string secret = Generate()->data["secret_id"];
  std::string short_lived = Generate(Json{{"ttl", 30}})->data["secret_id"];
  EXPECT_EQ(Generate(Json{{"ttl", 120}}).status().code(), Code::kInvalidArgument);
  now_ += 30;
  EXPECT_EQ(Login(short_lived).status().code(), Code::kInvalidArgument);
  now_ += 29;
  EXPECT_TRUE(Login(secret).ok());
  now_ += 1;  // exactly at expiration_time
  EXPECT_TRUE(Lookup(secret)->data.is_null());
  EXPECT_EQ(Login(secret).status(), InvalidArgument("invalid role or secret ID"));
}

TEST_F(SecretIdTest, TidyRemovesExpiredEntriesAndDanglingAccessors) {
  std::string keep = Generate()->data["secret_id"];
  auto g = Generate(Json{{"ttl", 10}});
  std::string expiring_accessor = g->data["secret_id_accessor"];
  ASSERT_TRUE(h.storage->Put("accessor/web/dangling", R"({"secret_id_hmac":"00"})").ok());
  now_ += 11;
  EXPECT_EQ(h.List("role/web/secret-id/")->data["keys"].size(), 3u);  // listed until tidied
  auto t = h.Write("tidy/secret-id");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FALSE(t->warnings.empty());
  auto keys = h.List("role/web/secret-id/")->data["keys"];
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_NE(keys[0], expiring_accessor);
  EXPECT_TRUE(Login(keep).ok());
}

TEST_F(SecretIdTest, CidrRestrictions) {
  ASSERT_TRUE(h.Write("role/web", Json{{"secret_id_bound_cidrs", "10.0.0.0/8"},
                                       {"token_bound_cidrs", "10.0.0.0/8"}})
                  .ok());
  EXPECT_EQ(Generate(Json{{"cidr_list", "11.0.0.0/8"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Generate(Json{{"token_bound_cidrs", "0.0.0.0/0"}}).status().code(),
            Code::kInvalidArgument);
  auto g = Generate(Json{{"cidr_list", "10.1.0.0/16"}, {"token_bound_cidrs", "10.1.2.0/24"}});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::string secret = g->data["secret_id"];
  auto login = [&](const std::string& remote) {
    return h.Write("login", Json{{"role_id", "web-role-id"}, {"secret_id", secret}}, remote);
  };
  EXPECT_EQ(login("10.2.0.1:1").status(), PermissionDenied());  // outside cidr_list
  EXPECT_EQ(login("10.1.3.1:1").status(), PermissionDenied());  // outside token_bound_cidrs
  auto ok = login("10.1.2.9:1");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->auth->bound_cidrs, std::vector<std::string>{"10.1.2.0/24"});
}

TEST_F(SecretIdTest, CustomSecretId) {
  auto c = h.Write("role/web/custom-secret-id", Json{{"secret_id", "my-own-secret"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->data["secret_id"], "my-own-secret");
  EXPECT_EQ(c->data["secret_id_accessor"].get<std::string>().size(), 36u);
  EXPECT_TRUE(Login("my-own-secret").ok());
  EXPECT_EQ(
      h.Write("role/web/custom-secret-id", Json{{"secret_id", "my-own-secret"}}).status().code(),
      Code::kInvalidArgument);
  EXPECT_EQ(h.Write("role/web/custom-secret-id", Json::object()).status(),
            InvalidArgument("missing secret_id"));
  EXPECT_EQ(h.DumpStorage().find("my-own-secret"), std::string::npos);
}

TEST_F(SecretIdTest, ConcurrentLoginsNeverExceedNumUses) {
  ASSERT_TRUE(h.Write("role/web", Json{{"secret_id_num_uses", 3}}).ok());
  std::string secret = Generate()->data["secret_id"];
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (ConcurrentLogin(h.storage.get(), secret).ok()) ++successes;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(successes.load(), 3);
}

// Logins with a secret id that has unlimited uses only read it, so they do
// not wait for each other: two of them are inside the secret-id read at once.
TEST_F(SecretIdTest, LoginsOfAnUnlimitedSecretIdReadItConcurrently) {
  std::string secret = Generate()->data["secret_id"];
  // Each read of a secret-id entry waits (up to 5 s) until two readers have
  // been inside at once.
  storage::testing::FaultyBackend barrier(h.storage.get());
  std::mutex mu;
  std::condition_variable cv;
  int inside = 0;     // GUARDED_BY(mu): readers waiting in the hook now
  bool met = false;   // GUARDED_BY(mu)
  barrier.after_get = [&](std::string_view key) {
    if (!key.starts_with("secret_id/")) return;
    std::unique_lock<std::mutex> lock(mu);
    if (++inside >= 2) met = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return met; });
    --inside;
  };
  std::atomic<int> successes{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      if (ConcurrentLogin(&barrier, secret).ok()) ++successes;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(met);  // with one lock for every login, the second waits for the first
  EXPECT_EQ(successes.load(), 2);
}

}  // namespace
}  // namespace coffer::auth
