// AppRole: roles, role ids, per-field endpoints, login and its constraints.
// Secret id endpoints are in approle_secret_id_test.cc.
#include "auth/approle.h"

#include <gtest/gtest.h>

#include "auth/auth_test_util.h"

namespace coffer::auth {
namespace {

using testing::Harness;
using Strings = std::vector<std::string>;

class AppRoleTest : public ::testing::Test {
 protected:
  int64_t now_ = 1700000000;
  Harness h{NewAppRole(AppRoleOptions{.clock = [this] { return now_; }}), "approle"};

  void CreateRole(const std::string& name, Json body = Json::object()) {
    auto r = h.Write("role/" + name, body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  std::string RoleId(const std::string& name) {
    auto r = h.Read("role/" + name + "/role-id");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->data.value("role_id", "") : "";
  }
  std::string NewSecretId(const std::string& name, Json body = Json::object()) {
    auto r = h.Write("role/" + name + "/secret-id", body);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->data.value("secret_id", "") : "";
  }
  Result<Response> Login(const std::string& role_id, Json secret_id,
                         const std::string& remote = "127.0.0.1:40000") {
    return h.Write("login", Json{{"role_id", role_id}, {"secret_id", secret_id}}, remote);
  }
};

TEST_F(AppRoleTest, RoleCrudWithHvacStyleFields) {
  CreateRole("web", {{"token_policies", "Web,db"},
                     {"secret_id_bound_cidrs", "10.0.0.0/8"},
                     {"token_bound_cidrs", "10.0.0.0/8,192.168.0.0/16"},
                     {"secret_id_ttl", "10m"},
                     {"secret_id_num_uses", "3"},
                     {"token_ttl", 3600}});
  auto r = h.Read("role/web");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data["token_policies"], Json::array({"db", "web"}));
  EXPECT_EQ(r->data["policies"], Json::array({"db", "web"}));
  EXPECT_EQ(r->data["secret_id_bound_cidrs"], Json::array({"10.0.0.0/8"}));
  EXPECT_EQ(r->data["token_bound_cidrs"], Json::array({"10.0.0.0/8", "192.168.0.0/16"}));
  EXPECT_EQ(r->data["secret_id_ttl"], 600);
  EXPECT_EQ(r->data["secret_id_num_uses"], 3);
  EXPECT_EQ(r->data["bind_secret_id"], true);
  EXPECT_EQ(r->data["local_secret_ids"], false);
  EXPECT_EQ(r->data["token_ttl"], 3600);
  EXPECT_FALSE(r->data.contains("role_id"));

  // Updates change only what is sent.
  CreateRole("web", {{"token_ttl", 60}});
  EXPECT_EQ(h.Read("role/web")->data["secret_id_num_uses"], 3);
  EXPECT_EQ(h.Read("role/web")->data["token_ttl"], 60);

  CreateRole("api");
  EXPECT_EQ(h.List("role/")->data["keys"], Json::array({"api", "web"}));
  EXPECT_EQ(h.Exists("role/web").value(), std::optional<bool>(true));
  EXPECT_EQ(h.Exists("role/nope").value(), std::optional<bool>(false));

  ASSERT_TRUE(h.Delete("role/web").ok());
  EXPECT_EQ(h.Read("role/web").status().code(), Code::kNotFound);
  EXPECT_TRUE(h.Delete("role/web").ok());  // deleting nothing is fine
  EXPECT_EQ(h.Read("role/-x").status().code(), Code::kNotFound);
}

TEST_F(AppRoleTest, RoleValidation) {
  EXPECT_EQ(h.Write("role/r", Json{{"bind_secret_id", false}}).status().code(),
            Code::kInvalidArgument);  // no constraint at all
  EXPECT_EQ(h.Write("role/r", Json{{"secret_id_num_uses", -1}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(h.Write("role/r", Json{{"secret_id_bound_cidrs", "bogus"}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(h.Read("role/r").status().code(), Code::kNotFound);  // nothing half-written
  CreateRole("r", {{"local_secret_ids", true}});
  EXPECT_EQ(h.Write("role/r", Json{{"local_secret_ids", false}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(h.Write("role/r", Json{{"local_secret_ids", true}}).ok());
}

TEST_F(AppRoleTest, RoleIdsAreUuidsAndCanBeSet) {
  CreateRole("a");
  std::string id = RoleId("a");
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  std::string secret = NewSecretId("a");
  EXPECT_TRUE(Login(id, secret).ok());

  ASSERT_TRUE(h.Write("role/a/role-id", Json{{"role_id", "my-custom-id"}}).ok());
  EXPECT_EQ(RoleId("a"), "my-custom-id");
  EXPECT_EQ(Login(id, secret).status(), InvalidArgument("invalid role or secret ID"));
  EXPECT_TRUE(Login("my-custom-id", secret).ok());

  CreateRole("b", {{"role_id", "b-id"}});
  EXPECT_EQ(RoleId("b"), "b-id");
  EXPECT_EQ(h.Write("role/b/role-id", Json{{"role_id", "my-custom-id"}}).status().code(),
            Code::kInvalidArgument);  // in use by "a"
  EXPECT_EQ(h.Write("role/b/role-id", Json::object()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(h.Write("role/zz/role-id", Json{{"role_id", "q"}}).status().code(), Code::kNotFound);
  EXPECT_EQ(h.Read("role/zz/role-id").status().code(), Code::kNotFound);
  // Role ids are not stored in the clear.
  EXPECT_EQ(h.DumpStorage().find("role_id/my-custom-id"), std::string::npos);
}

TEST_F(AppRoleTest, LoginResponse) {
  CreateRole("web", {{"token_policies", "web"},
                     {"token_ttl", "20m"},
                     {"token_max_ttl", "1h"},
                     {"token_num_uses", 2}});
  std::string secret = NewSecretId("web", {{"metadata", R"({"team":"blue"})"}});
  auto r = Login(RoleId("web"), secret);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->data.is_null());
  ASSERT_TRUE(r->auth);
  EXPECT_EQ(r->auth->policies, (Strings{"default", "web"}));
  EXPECT_EQ(r->auth->metadata, (Json{{"role_name", "web"}, {"team", "blue"}}));
  EXPECT_EQ(r->auth->lease_duration, 1200);
  EXPECT_EQ(r->auth->num_uses, 2);
  EXPECT_TRUE(r->auth->renewable);
  EXPECT_TRUE(r->auth->orphan);
  EXPECT_EQ(h.engine->UnauthenticatedPaths(), Strings{"login"});
}

TEST_F(AppRoleTest, BadCredentials) {
  CreateRole("web");
  std::string id = RoleId("web");
  std::string secret = NewSecretId("web");
  const Status bad = InvalidArgument("invalid role or secret ID");
  EXPECT_EQ(Login("not-a-role-id", secret).status(), bad);
  EXPECT_EQ(Login(id, "not-a-secret").status(), bad);
  EXPECT_EQ(h.Write("login", Json{{"secret_id", secret}}).status(),
            InvalidArgument("missing role_id"));
  EXPECT_EQ(Login(id, nullptr).status(), InvalidArgument("missing secret_id"));  // hvac sends null
  // A secret id of another role does not open this one.
  CreateRole("other");
  EXPECT_EQ(Login(RoleId("other"), secret).status(), bad);
  EXPECT_TRUE(Login(id, secret).ok());
}

TEST_F(AppRoleTest, BindSecretIdFalseNeedsACidrConstraint) {
  CreateRole("cidr", {{"bind_secret_id", false}, {"secret_id_bound_cidrs", "10.0.0.0/8"}});
  EXPECT_EQ(h.Write("role/cidr/secret-id").status().code(), Code::kInvalidArgument);
  auto ok = h.Write("login", Json{{"role_id", RoleId("cidr")}}, "10.9.8.7:1000");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->auth->metadata["role_name"], "cidr");
  EXPECT_EQ(h.Write("login", Json{{"role_id", RoleId("cidr")}}, "11.0.0.1:1").status(),
            PermissionDenied());
  // token_bound_cidrs alone is also a constraint, and is checked at login.
  CreateRole("tok", {{"bind_secret_id", "false"}, {"token_bound_cidrs", "192.168.0.0/16"}});
  auto t = h.Write("login", Json{{"role_id", RoleId("tok")}}, "192.168.1.1:1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->auth->bound_cidrs, (Strings{"192.168.0.0/16"}));
  EXPECT_EQ(h.Write("login", Json{{"role_id", RoleId("tok")}}, "10.0.0.1:1").status(),
            PermissionDenied());
}

TEST_F(AppRoleTest, CidrChecksDoNotConsumeUses) {
  CreateRole("r", {{"secret_id_num_uses", 1}, {"token_bound_cidrs", "10.0.0.0/8"}});
  std::string secret = NewSecretId("r");
  EXPECT_EQ(Login(RoleId("r"), secret, "11.1.1.1:1").status(), PermissionDenied());
  EXPECT_TRUE(Login(RoleId("r"), secret, "10.1.1.1:1").ok());
}

TEST_F(AppRoleTest, FieldEndpoints) {
  CreateRole("r", {{"token_ttl", 100}});
  ASSERT_TRUE(h.Write("role/r/policies", Json{{"policies", "a,b"}}).ok());
  auto p = h.Read("role/r/policies");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->data["token_policies"], Json::array({"a", "b"}));
  EXPECT_EQ(p->data["policies"], Json::array({"a", "b"}));
  ASSERT_TRUE(h.Delete("role/r/policies").ok());
  EXPECT_EQ(h.Read("role/r")->data["token_policies"], Json::array());

  ASSERT_TRUE(h.Write("role/r/token-ttl", Json{{"token_ttl", "5m"}}).ok());
  EXPECT_EQ(h.Read("role/r/token-ttl")->data, (Json{{"token_ttl", 300}}));
  ASSERT_TRUE(h.Write("role/r/token-max-ttl", Json{{"token_max_ttl", "1h"}}).ok());
  ASSERT_TRUE(h.Write("role/r/secret-id-ttl", Json{{"secret_id_ttl", 90}}).ok());
  ASSERT_TRUE(h.Write("role/r/secret-id-num-uses", Json{{"secret_id_num_uses", 7}}).ok());
  ASSERT_TRUE(h.Write("role/r/bound-cidr-list", Json{{"bound_cidr_list", "10.0.0.0/8"}}).ok());
  auto role = h.Read("role/r");
  EXPECT_EQ(role->data["token_max_ttl"], 3600);
  EXPECT_EQ(role->data["secret_id_ttl"], 90);
  EXPECT_EQ(role->data["secret_id_num_uses"], 7);
  EXPECT_EQ(role->data["secret_id_bound_cidrs"], Json::array({"10.0.0.0/8"}));
  EXPECT_EQ(h.Read("role/r/bound-cidr-list")->data["bound_cidr_list"], Json::array({"10.0.0.0/8"}));

  // Same validation as a role write: ttl above max, and the constraint rule.
  EXPECT_EQ(h.Write("role/r/token-ttl", Json{{"token_ttl", "2h"}}).status().code(),
            Code::kInvalidArgument);
  ASSERT_TRUE(h.Write("role/r/bind-secret-id", Json{{"bind_secret_id", false}}).ok());
  EXPECT_EQ(h.Delete("role/r/bound-cidr-list").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(h.Delete("role/r/bind-secret-id").ok());
  EXPECT_EQ(h.Read("role/r/bind-secret-id")->data["bind_secret_id"], true);

  EXPECT_EQ(h.Write("role/r/token-ttl", Json::object()).status(),
            InvalidArgument("missing token_ttl"));
  EXPECT_EQ(h.Write("role/zz/token-ttl", Json{{"token_ttl", 1}}).status().code(), Code::kNotFound);
  EXPECT_EQ(h.Read("role/zz/token-ttl").status().code(), Code::kNotFound);
  EXPECT_EQ(h.Write("role/r/local-secret-ids", Json{{"local_secret_ids", true}}).status().code(),
            Code::kUnsupportedOperation);
}

TEST_F(AppRoleTest, DeletingARoleRemovesItsSecretIdsAndRoleId) {
  CreateRole("r", {{"role_id", "rid"}});
  std::string secret = NewSecretId("r");
  ASSERT_TRUE(h.Delete("role/r").ok());
  CreateRole("r", {{"role_id", "rid"}});
  EXPECT_EQ(Login("rid", secret).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(h.List("role/r/secret-id/")->data["keys"], Json::array());
}

}  // namespace
}  // namespace coffer::auth
