#include "auth/userpass.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "auth/auth_test_util.h"
#include "crypto/kdf.h"

namespace coffer::auth {
namespace {

using testing::Harness;
using Strings = std::vector<std::string>;

// Cheap scrypt so the suite stays fast; the cost is a parameter, not a
// behaviour under test.
constexpr ScryptParams kCheap{.n = 16, .r = 1, .p = 1};

class UserpassTest : public ::testing::Test {
 protected:
  Harness h{NewUserpass(UserpassOptions{.scrypt = kCheap})};

  void CreateAlice(Json extra = Json::object()) {
    Json body = {{"password", "s3cret"}};
    body.update(extra);
    auto r = h.Write("users/alice", body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  Result<Response> Login(const std::string& user, const std::string& password,
                         const std::string& remote = "127.0.0.1:40000") {
    return h.Write("login/" + user, Json{{"password", password}}, remote);
  }
};

TEST_F(UserpassTest, CreateReadListDelete) {
  auto w = h.Write("users/Alice", Json{{"password", "s3cret"},
                                       {"token_policies", "Web, db"},
                                       {"token_ttl", "1h"},
                                       {"token_max_ttl", 7200}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->data.is_null());

  auto r = h.Read("users/alice");  // stored lower-cased
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data["token_policies"], Json::array({"db", "web"}));
  EXPECT_EQ(r->data["policies"], Json::array({"db", "web"}));
  EXPECT_EQ(r->data["token_ttl"], 3600);
  EXPECT_EQ(r->data["token_max_ttl"], 7200);
  EXPECT_EQ(r->data["token_type"], "default");
  EXPECT_FALSE(r->data.contains("password"));
  EXPECT_FALSE(r->data.contains("password_hash"));
  EXPECT_TRUE(h.Read("users/ALICE").ok());

  ASSERT_TRUE(h.Write("users/bob", Json{{"password", "x"}}).ok());
  auto l = h.List("users/");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->data["keys"], Json::array({"alice", "bob"}));

  ASSERT_TRUE(h.Delete("users/alice").ok());
  EXPECT_EQ(h.Read("users/alice").status().code(), Code::kNotFound);
  EXPECT_EQ(Login("alice", "s3cret").status().code(), Code::kInvalidArgument);
}

TEST_F(UserpassTest, PasswordRequiredOnCreateOnly) {
  auto w = h.Write("users/alice", Json{{"token_ttl", 60}});
  EXPECT_EQ(w.status(), InvalidArgument("missing password"));
  CreateAlice();
  // An update without a password keeps it.
  ASSERT_TRUE(h.Write("users/alice", Json{{"token_ttl", 60}}).ok());
  EXPECT_TRUE(Login("alice", "s3cret").ok());
  EXPECT_EQ(h.Read("users/alice")->data["token_ttl"], 60);
  EXPECT_EQ(h.Write("users/carol", Json{{"password_hash", "$2a$10$abc"}}).status().code(),
            Code::kInvalidArgument);
}

TEST_F(UserpassTest, ExistenceCheckAndInvalidNames) {
  EXPECT_EQ(h.Exists("users/alice").value(), std::optional<bool>(false));
  CreateAlice();
  EXPECT_EQ(h.Exists("users/ALICE").value(), std::optional<bool>(true));
  EXPECT_EQ(h.Write("users/-bad", Json{{"password", "x"}}).status().code(), Code::kNotFound);
  EXPECT_EQ(h.Write("users/bad.", Json{{"password", "x"}}).status().code(), Code::kNotFound);
  EXPECT_TRUE(h.Write("users/a.b-c_d", Json{{"password", "x"}}).ok());
  EXPECT_EQ(h.engine->UnauthenticatedPaths(), Strings{"login/*"});
}

TEST_F(UserpassTest, LoginReturnsAuthForTheUser) {
  CreateAlice({{"token_policies", "dev"}, {"token_ttl", "30m"}, {"token_num_uses", 4}});
  auto r = Login("ALICE", "s3cret");  // usernames are case-insensitive
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->data.is_null());
  ASSERT_TRUE(r->auth.has_value());
  const AuthInfo& a = *r->auth;
  EXPECT_EQ(a.policies, (Strings{"default", "dev"}));
  EXPECT_EQ(a.token_policies, (Strings{"default", "dev"}));
  EXPECT_EQ(a.metadata, (Json{{"username", "alice"}}));
  EXPECT_EQ(a.display_name, "alice");
  EXPECT_EQ(a.lease_duration, 1800);
  EXPECT_EQ(a.num_uses, 4);
  EXPECT_TRUE(a.renewable);
  EXPECT_TRUE(a.orphan);
  EXPECT_TRUE(a.client_token.empty());  // the core mints the token
}

TEST_F(UserpassTest, LoginWithoutTtlGetsTheMountDefault) {
  CreateAlice();
  h.system.default_lease_ttl = 900;
  auto r = Login("alice", "s3cret");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auth->lease_duration, 900);
}

TEST_F(UserpassTest, BadCredentialsAreOneIndistinguishableError) {
  CreateAlice();
  auto wrong = Login("alice", "nope");
  auto unknown = Login("mallory", "s3cret");
  EXPECT_EQ(wrong.status(), InvalidArgument("invalid username or password"));
  EXPECT_EQ(unknown.status(), wrong.status());
  EXPECT_EQ(h.Write("login/alice", Json::object()).status(), InvalidArgument("missing password"));
}

TEST_F(UserpassTest, PasswordChange) {
  CreateAlice();
  ASSERT_TRUE(h.Write("users/alice/password", Json{{"password", "n3w"}}).ok());
  EXPECT_FALSE(Login("alice", "s3cret").ok());
  EXPECT_TRUE(Login("alice", "n3w").ok());
  EXPECT_EQ(h.Write("users/alice/password", Json::object()).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(h.Write("users/ghost/password", Json{{"password", "x"}}).status().code(),
            Code::kInvalidArgument);
}

TEST_F(UserpassTest, PoliciesEndpointAcceptsHvacCommaString) {
  CreateAlice({{"token_ttl", 60}});
  ASSERT_TRUE(h.Write("users/alice/policies", Json{{"policies", "ops, audit"}}).ok());
  auto r = h.Read("users/alice");
  EXPECT_EQ(r->data["token_policies"], Json::array({"audit", "ops"}));
  EXPECT_EQ(r->data["token_ttl"], 60);  // other fields untouched
  ASSERT_TRUE(h.Write("users/alice/policies", Json{{"token_policies", Json::array({"x"})}}).ok());
  EXPECT_EQ(Login("alice", "s3cret")->auth->policies, (Strings{"default", "x"}));
  EXPECT_EQ(h.Write("users/alice/policies", Json::object()).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(h.Write("users/ghost/policies", Json{{"policies", "a"}}).status().code(),
            Code::kInvalidArgument);
}

TEST_F(UserpassTest, LegacyFieldsAreAcceptedAndEchoed) {
  CreateAlice(
      {{"policies", "a,b"}, {"ttl", "10m"}, {"max_ttl", "1h"}, {"bound_cidrs", "10.0.0.0/8"}});
  auto r = h.Read("users/alice");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data["token_ttl"], 600);
  EXPECT_EQ(r->data["ttl"], 600);
  EXPECT_EQ(r->data["max_ttl"], 3600);
  EXPECT_EQ(r->data["token_bound_cidrs"], Json::array({"10.0.0.0/8"}));
  EXPECT_EQ(r->data["bound_cidrs"], Json::array({"10.0.0.0/8"}));
  EXPECT_EQ(r->data["policies"], Json::array({"a", "b"}));
}

TEST_F(UserpassTest, BoundCidrsRestrictLogin) {
  CreateAlice({{"token_bound_cidrs", "10.0.0.0/8, 192.168.5.5"}});
  auto inside = Login("alice", "s3cret", "10.1.2.3:5000");
  ASSERT_TRUE(inside.ok()) << inside.status().ToString();
  EXPECT_EQ(inside->auth->bound_cidrs, (Strings{"10.0.0.0/8", "192.168.5.5"}));
  EXPECT_TRUE(Login("alice", "s3cret", "192.168.5.5:1").ok());
  EXPECT_EQ(Login("alice", "s3cret", "192.168.5.6:1").status(), PermissionDenied());
  // The password is checked first: a wrong one from outside is still a 400.
  EXPECT_EQ(Login("alice", "bad", "192.168.5.6:1").status().code(), Code::kInvalidArgument);
}

TEST_F(UserpassTest, PasswordIsStoredOnlyAsScryptHash) {
  CreateAlice();
  std::string dump = h.DumpStorage();
  EXPECT_EQ(dump.find("s3cret"), std::string::npos);
  EXPECT_NE(dump.find("\"alg\":\"scrypt\""), std::string::npos);
  EXPECT_NE(dump.find("\"n\":16"), std::string::npos);  // parameters kept with the hash
  // A user hashed with other parameters still logs in: the stored ones are used.
  Harness other{NewUserpass(UserpassOptions{.scrypt = {.n = 32, .r = 2, .p = 1}})};
  other.storage = std::move(h.storage);
  EXPECT_TRUE(other.Write("login/alice", Json{{"password", "s3cret"}}).ok());
}

TEST_F(UserpassTest, CorruptStoredUserIsAnErrorNotACrash) {
  ASSERT_TRUE(h.storage->Put("user/alice", "{not json").ok());
  EXPECT_EQ(Login("alice", "x").status().code(), Code::kCorruption);
  ASSERT_TRUE(h.storage
                  ->Put("user/alice", R"({"password_hash":{"alg":"md5"},"token_ttl":0,
      "token_max_ttl":0,"token_explicit_max_ttl":0,"token_period":0,"token_num_uses":0,
      "token_policies":[],"token_bound_cidrs":[],"token_no_default_policy":false,
      "token_type":"default"})")
                  .ok());
  EXPECT_EQ(Login("alice", "x").status().code(), Code::kCorruption);
}

// A login for an unknown user must cost about as much as a wrong password
// (one scrypt), or response times reveal which users exist.
TEST(UserpassTiming, UnknownUserSpendsTheSameScryptWorkAsWrongPassword) {
  Harness h{NewUserpass(UserpassOptions{.scrypt = {.n = 1 << 8, .r = 8, .p = 1}})};
  ASSERT_TRUE(h.Write("users/alice", Json{{"password", "right"}}).ok());
  auto work_of_login = [&](const std::string& user) {
    const uint64_t before = crypto::ScryptWorkDone();
    auto r = h.Write("login/" + user, Json{{"password", "wrong"}});
    EXPECT_FALSE(r.ok());
    return crypto::ScryptWorkDone() - before;
  };
  const uint64_t wrong = work_of_login("alice");
  const uint64_t unknown = work_of_login("nobody");
  EXPECT_EQ(wrong, uint64_t{1} << 11);  // one scrypt at N*r*p = 256*8*1
  EXPECT_EQ(unknown, wrong);
}

}  // namespace
}  // namespace coffer::auth
