#include "core/sys_policy.h"

#include <gtest/gtest.h>

#include <string>

#include "core/barrier.h"
#include "crypto/encoding.h"
#include "storage/inmem_backend.h"

namespace coffer::core {
namespace {

class SysPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string key(32, 'k');
    ASSERT_TRUE(barrier_.Initialize(key).ok());
    ASSERT_TRUE(barrier_.Unseal(key).ok());
    ASSERT_TRUE(tokens_.Setup().ok());
    ASSERT_TRUE(policies_.Setup().ok());
  }

  Result<Response> Call(Operation op, const std::string& path, Json data = Json::object(),
                        const Caller* caller = nullptr) {
    EngineRequest req;
    req.operation = op;
    req.path = path;
    req.data = std::move(data);
    req.caller = caller != nullptr ? caller : &caller_;
    return engine_.Handle(req);
  }

  Json Data(Result<Response> r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->data : Json();
  }

  storage::BackendPtr physical_ = storage::NewInmemBackend();
  Barrier barrier_{physical_.get()};
  TokenStore tokens_{&barrier_};
  PolicyStore policies_{&barrier_};
  framework::PathEngine engine_{SysPolicyPaths(policies_, tokens_)};
  Caller caller_{.policies = {"default"}};
};

const char kAppPolicy[] = R"(path "secret/app/*" { capabilities = ["read", "list"] })";

TEST_F(SysPolicyTest, LegacyFamilyReadWriteListDelete) {
  auto put = Call(Operation::kUpdate, "policy/app", {{"policy", kAppPolicy}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_TRUE(put->warnings.empty());
  EXPECT_TRUE(put->data.is_null());  // 204

  Json read = Data(Call(Operation::kRead, "policy/app"));
  EXPECT_EQ(read, (Json{{"name", "app"}, {"rules", kAppPolicy}}));

  Json list = Data(Call(Operation::kRead, "policy"));
  Json want = Json::array({"app", "default", "root"});
  EXPECT_EQ(list["keys"], want);
  EXPECT_EQ(list["policies"], want);
  EXPECT_EQ(Data(Call(Operation::kList, "policy/"))["keys"], want);

  ASSERT_TRUE(Call(Operation::kDelete, "policy/app").ok());
  auto gone = Call(Operation::kRead, "policy/app");
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
  EXPECT_EQ(gone.status().message(), "");                    // 404 with empty errors
  EXPECT_TRUE(Call(Operation::kDelete, "policy/app").ok());  // idempotent
}

TEST_F(SysPolicyTest, LegacyRulesKeyWarns) {
  auto put = Call(Operation::kUpdate, "policy/legacy", {{"rules", kAppPolicy}, {"name", "x"}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  ASSERT_EQ(put->warnings.size(), 1u);
  EXPECT_EQ(put->warnings[0], "'rules' is deprecated, please use 'policy' instead");
  EXPECT_EQ(Data(Call(Operation::kRead, "policy/legacy"))["rules"], kAppPolicy);
  // The modern family does not know 'rules'.
  auto modern = Call(Operation::kUpdate, "policies/acl/m", {{"rules", kAppPolicy}});
  EXPECT_EQ(modern.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(modern.status().message(), "'policy' parameter not supplied or empty");
}

TEST_F(SysPolicyTest, AclFamilyReadWriteListDelete) {
  ASSERT_TRUE(Call(Operation::kCreate, "policies/acl/app", {{"policy", kAppPolicy}}).ok());
  EXPECT_EQ(Data(Call(Operation::kRead, "policies/acl/app")),
            (Json{{"name", "app"}, {"policy", kAppPolicy}}));
  EXPECT_EQ(Data(Call(Operation::kList, "policies/acl/"))["keys"],
            Json::array({"app", "default", "root"}));
  // A plain read of the collection is not a list.
  EXPECT_EQ(Call(Operation::kRead, "policies/acl").status().code(), Code::kUnsupportedOperation);
  ASSERT_TRUE(Call(Operation::kDelete, "policies/acl/app").ok());
  EXPECT_EQ(Call(Operation::kRead, "policies/acl/app").status().code(), Code::kNotFound);
}

TEST_F(SysPolicyTest, NamesAreLowerCasedWithAWarning) {
  auto put = Call(Operation::kUpdate, "policies/acl/MyApp", {{"policy", kAppPolicy}});
  ASSERT_TRUE(put.ok());
  ASSERT_EQ(put->warnings.size(), 1u);
  EXPECT_EQ(put->warnings[0], "policy name was converted to myapp");
  EXPECT_EQ(Data(Call(Operation::kRead, "policies/acl/MYAPP"))["name"], "myapp");
}

TEST_F(SysPolicyTest, Base64PolicyTextIsDecoded) {
  ASSERT_TRUE(
      Call(Operation::kUpdate, "policies/acl/b64", {{"policy", crypto::Base64Encode(kAppPolicy)}})
          .ok());
  EXPECT_EQ(Data(Call(Operation::kRead, "policies/acl/b64"))["policy"], kAppPolicy);
}

TEST_F(SysPolicyTest, ErrorsAsVault) {
  auto bad = Call(Operation::kUpdate, "policy/bad", {{"policy", "path \"x\" {\n  oops\n}"}});
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("failed to parse policy: bad:", 0), 0u)
      << bad.status().message();
  EXPECT_EQ(Call(Operation::kUpdate, "policy/empty", {{"policy", ""}}).status().message(),
            "'policy' parameter not supplied or empty");
  EXPECT_EQ(Call(Operation::kUpdate, "policy/empty").status().message(),
            "'policy' parameter not supplied or empty");
  auto root = Call(Operation::kUpdate, "policies/acl/root", {{"policy", kAppPolicy}});
  EXPECT_EQ(root.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(root.status().message(), "cannot update \"root\" policy");
  auto del_default = Call(Operation::kDelete, "policy/default");
  EXPECT_EQ(del_default.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(del_default.status().message(), "cannot delete default policy");
  EXPECT_EQ(Call(Operation::kDelete, "policies/acl/root").status().message(),
            "cannot delete root policy");
  // Reading root works and shows empty rules.
  EXPECT_EQ(Data(Call(Operation::kRead, "policy/root")), (Json{{"name", "root"}, {"rules", ""}}));
}

TEST_F(SysPolicyTest, CapabilitiesSelfOnePathAndMany) {
  ASSERT_TRUE(policies_.Put("app", kAppPolicy).ok());
  Caller app{.policies = {"default", "app"}};
  Json one = Data(Call(Operation::kUpdate, "capabilities-self",
                       {{"paths", Json::array({"secret/app/x"})}}, &app));
  EXPECT_EQ(one, (Json{{"secret/app/x", {"list", "read"}}, {"capabilities", {"list", "read"}}}));

  // Comma string, deprecated "path", several paths: no "capabilities" key.
  Json many =
      Data(Call(Operation::kUpdate, "capabilities-self", {{"path", "secret/app/x,other"}}, &app));
  EXPECT_EQ(many, (Json{{"secret/app/x", {"list", "read"}}, {"other", {"deny"}}}));

  Caller root{.policies = {"root"}, .root = true};
  EXPECT_EQ(Data(Call(Operation::kUpdate, "capabilities-self", {{"paths", "a"}}, &root)),
            (Json{{"a", {"root"}}, {"capabilities", {"root"}}}));

  EXPECT_EQ(Call(Operation::kUpdate, "capabilities-self", Json::object(), &app).status().message(),
            "paths must be supplied");
}

TEST_F(SysPolicyTest, CapabilitiesOfAnotherTokenAndByAccessor) {
  auto root = tokens_.CreateRootToken();
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(Data(Call(Operation::kUpdate, "capabilities",
                      {{"token", root->id}, {"paths", Json::array({"sys/seal"})}}))["sys/seal"],
            Json::array({"root"}));
  auto unknown = Call(Operation::kUpdate, "capabilities", {{"token", "hvs.nope"}, {"paths", "x"}});
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(), "invalid token");
  // No token: the caller's own capabilities (default policy here).
  EXPECT_EQ(Data(Call(Operation::kUpdate, "capabilities",
                      {{"paths", "auth/token/lookup-self"}}))["capabilities"],
            Json::array({"read"}));

  EXPECT_EQ(Data(Call(Operation::kUpdate, "capabilities-accessor",
                      {{"accessor", root->accessor}, {"paths", "secret/x"}}))["capabilities"],
            Json::array({"root"}));
  auto bad_accessor =
      Call(Operation::kUpdate, "capabilities-accessor", {{"accessor", "nope"}, {"paths", "x"}});
  EXPECT_EQ(bad_accessor.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bad_accessor.status().message(), "invalid accessor");
  EXPECT_EQ(Call(Operation::kUpdate, "capabilities-accessor", {{"paths", "x"}}).status().code(),
            Code::kInvalidArgument);
}

TEST_F(SysPolicyTest, PolicyChangeAppliesToTheNextCapabilitiesCall) {
  Caller app{.policies = {"app"}};
  auto caps = [&] {
    return Data(Call(Operation::kUpdate, "capabilities-self", {{"paths", "secret/app/x"}},
                     &app))["capabilities"];
  };
  EXPECT_EQ(caps(), Json::array({"deny"}));
  ASSERT_TRUE(Call(Operation::kUpdate, "policy/app", {{"policy", kAppPolicy}}).ok());
  EXPECT_EQ(caps(), Json::array({"list", "read"}));
  ASSERT_TRUE(Call(Operation::kDelete, "policy/app").ok());
  EXPECT_EQ(caps(), Json::array({"deny"}));
}

}  // namespace
}  // namespace coffer::core
