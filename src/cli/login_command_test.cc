// `login` against the fake transport, with HOME in a temporary directory so
// the token file can be checked (content and mode 0600).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "cli/fake_server_for_test.h"
#include "cli/token_file.h"

namespace coffer::cli {
namespace {

using testing::FakeServer;

class LoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/coffer-login-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    home_ = templ;
    s_.SetEnv("HOME", home_);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  std::string TokenFile() const { return home_ + "/.vault-token"; }
  std::optional<std::string> StoredToken() const {
    std::ifstream in(TokenFile());
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static Json LookupSelf() {
    return Json{{"request_id", "r"},
                {"data",
                 {{"id", "root"},
                  {"accessor", "acc1"},
                  {"policies", {"root"}},
                  {"ttl", 0},
                  {"renewable", false},
                  {"meta", nullptr},
                  {"type", "service"}}}};
  }

  static Json UserpassLogin() {
    return Json{{"data", nullptr},
                {"auth",
                 {{"client_token", "hvs.BOB"},
                  {"accessor", "acc2"},
                  {"policies", {"default", "dev"}},
                  {"token_policies", {"default", "dev"}},
                  {"metadata", {{"username", "bob"}}},
                  {"lease_duration", 2764800},
                  {"renewable", true}}}};
  }

  std::string home_;
  FakeServer s_;
};

TEST_F(LoginTest, TokenArgumentIsLookedUpAndStored) {
  s_.SetEnv("VAULT_TOKEN", "");
  s_.Reply("GET /v1/auth/token/lookup-self", 200, LookupSelf());
  EXPECT_EQ(Dispatch(s_.ctx(), {"login", "root"}), 0) << s_.err();
  const auto& req = s_.only_request();
  EXPECT_EQ(req.headers.at("X-Vault-Token"), "root");
  EXPECT_EQ(StoredToken(), "root");
  struct stat st {};
  ASSERT_EQ(stat(TokenFile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string out = s_.out();
  EXPECT_EQ(out.rfind("Success! You are now authenticated.", 0), 0u) << out;
  EXPECT_NE(out.find("token                root\n"), std::string::npos) << out;
  EXPECT_NE(out.find("token_accessor       acc1\n"), std::string::npos);
  EXPECT_NE(out.find("token_duration       ∞\n"), std::string::npos);
  EXPECT_NE(out.find("token_renewable      false\n"), std::string::npos);
  EXPECT_NE(out.find("token_policies       [\"root\"]\n"), std::string::npos);
  EXPECT_NE(out.find("identity_policies    []\n"), std::string::npos);
  EXPECT_NE(out.find("policies             [\"root\"]\n"), std::string::npos);
}

TEST_F(LoginTest, PromptsForTokenWhenNoneGiven) {
  s_.AddStdinLine("root");
  s_.Reply("GET /v1/auth/token/lookup-self", 200, LookupSelf());
  EXPECT_EQ(Dispatch(s_.ctx(), {"login"}), 0) << s_.err();
  ASSERT_EQ(s_.prompts().size(), 1u);
  EXPECT_EQ(s_.prompts()[0], "Token (will be hidden): ");
  EXPECT_EQ(StoredToken(), "root");
}

TEST_F(LoginTest, BadTokenIsRemoteErrorAndNothingIsStored) {
  s_.Reply("GET /v1/auth/token/lookup-self", 403, Json{{"errors", {"permission denied"}}});
  EXPECT_EQ(Dispatch(s_.ctx(), {"login", "bogus"}), 2);
  EXPECT_EQ(s_.err().rfind("Error authenticating: error looking up token: Error making API", 0), 0u)
      << s_.err();
  EXPECT_FALSE(StoredToken().has_value());
  EXPECT_EQ(s_.err().find("bogus"), std::string::npos);  // the token is not echoed
}

TEST_F(LoginTest, UserpassPromptsForPasswordAndShowsMeta) {
  s_.AddStdinLine("pw");
  s_.Reply("PUT /v1/auth/userpass/login/bob", 200, UserpassLogin());
  EXPECT_EQ(Dispatch(s_.ctx(), {"login", "-method=userpass", "username=bob"}), 0) << s_.err();
  const auto& req = s_.only_request();
  EXPECT_EQ(req.json(), (Json{{"password", "pw"}}));
  EXPECT_EQ(req.headers.count("X-Vault-Token"), 0u);
  EXPECT_EQ(s_.prompts(), std::vector<std::string>{"Password (will be hidden): "});
  EXPECT_EQ(StoredToken(), "hvs.BOB");
  EXPECT_NE(s_.out().find("token_duration         768h\n"), std::string::npos) << s_.out();
  EXPECT_NE(s_.out().find("token_meta_username    bob\n"), std::string::npos);
}

TEST_F(LoginTest, UserpassCustomPathAndPasswordArgument) {
  s_.Reply("PUT /v1/auth/people/login/bob", 200, UserpassLogin());
  EXPECT_EQ(Dispatch(s_.ctx(),
                     {"login", "-method=userpass", "-path=people", "username=bob", "password=pw"}),
            0)
      << s_.err();
  EXPECT_TRUE(s_.prompts().empty());
}

TEST_F(LoginTest, ApproleSendsRoleAndSecretId) {
  s_.Reply("PUT /v1/auth/approle/login", 200, UserpassLogin());
  EXPECT_EQ(Dispatch(s_.ctx(), {"login", "-method=approle", "role_id=r1", "secret_id=s1"}), 0)
      << s_.err();
  EXPECT_EQ(s_.only_request().json(), (Json{{"role_id", "r1"}, {"secret_id", "s1"}}));

  FakeServer missing;
  EXPECT_EQ(Dispatch(missing.ctx(), {"login", "-method=approle", "secret_id=s1"}), 2);
  EXPECT_NE(missing.err().find("'role_id' must be specified"), std::string::npos);
}

TEST_F(LoginTest, TokenOnlyPrintsJustTheTokenAndDoesNotStore) {
  s_.Reply("PUT /v1/auth/userpass/login/bob", 200, UserpassLogin());
  EXPECT_EQ(Dispatch(s_.ctx(),
                     {"login", "-token-only", "-method=userpass", "username=bob", "password=pw"}),
            0);
  EXPECT_EQ(s_.out(), "hvs.BOB");
  EXPECT_FALSE(StoredToken().has_value());
}

TEST_F(LoginTest, NoStoreAndNoPrint) {
  s_.Reply("GET /v1/auth/token/lookup-self", 200, LookupSelf());
  EXPECT_EQ(Dispatch(s_.ctx(), {"login", "-no-store", "root"}), 0);
  EXPECT_FALSE(StoredToken().has_value());
  EXPECT_NE(s_.out().find("was not stored"), std::string::npos);

  FakeServer p;
  p.SetEnv("HOME", home_);
  p.Reply("GET /v1/auth/token/lookup-self", 200, LookupSelf());
  EXPECT_EQ(Dispatch(p.ctx(), {"login", "-no-print", "root"}), 0);
  EXPECT_EQ(p.out(), "");
  EXPECT_EQ(StoredToken(), "root");

  FakeServer both;
  EXPECT_EQ(Dispatch(both.ctx(), {"login", "-no-print", "-no-store", "root"}), 1);
  EXPECT_TRUE(both.requests().empty());
}

TEST_F(LoginTest, StoredTokenIsUsedByTheNextCommand) {
  s_.Reply("GET /v1/auth/token/lookup-self", 200, LookupSelf());
  ASSERT_EQ(Dispatch(s_.ctx(), {"login", "root"}), 0);
  FakeServer next;
  next.SetEnv("HOME", home_);
  next.Reply("GET /v1/kv1/x", 200, Json{{"data", {{"a", 1}}}});
  EXPECT_EQ(Dispatch(next.ctx(), {"read", "kv1/x"}), 0);
  EXPECT_EQ(next.only_request().headers.at("X-Vault-Token"), "root");
}

TEST_F(LoginTest, EnvTokenSetWarns) {
  s_.SetEnv("VAULT_TOKEN", "other");
  s_.Reply("GET /v1/auth/token/lookup-self", 200, LookupSelf());
  EXPECT_EQ(Dispatch(s_.ctx(), {"login", "root"}), 0);
  EXPECT_NE(s_.err().find("VAULT_TOKEN"), std::string::npos);
  EXPECT_EQ(s_.only_request().headers.at("X-Vault-Token"), "root");
}

TEST_F(LoginTest, UnknownMethodIsLocalError) {
  EXPECT_EQ(Dispatch(s_.ctx(), {"login", "-method=github"}), 1);
  EXPECT_NE(s_.err().find("Unknown auth method: github"), std::string::npos);
  EXPECT_TRUE(s_.requests().empty());
}

TEST_F(LoginTest, JsonFormatPrintsAuthBlock) {
  s_.Reply("PUT /v1/auth/userpass/login/bob", 200, UserpassLogin());
  EXPECT_EQ(Dispatch(s_.ctx(),
                     {"login", "-format=json", "-method=userpass", "username=bob", "password=pw"}),
            0);
  EXPECT_EQ(Json::parse(s_.out())["auth"]["client_token"], "hvs.BOB");
}

TEST(TokenFileTest, ReplacesExistingFileAndNeedsHome) {
  char templ[] = "/tmp/coffer-tokenfile-XXXXXX";
  ASSERT_NE(mkdtemp(templ), nullptr);
  std::string home = templ;
  EnvLookup env = [&](std::string_view n) -> std::optional<std::string> {
    if (n == "HOME") return home;
    return std::nullopt;
  };
  ASSERT_TRUE(StoreTokenFile(env, "first").ok());
  ASSERT_TRUE(StoreTokenFile(env, "second").ok());
  std::ifstream in(home + "/.vault-token");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "second");
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(home)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);  // no temporary left behind
  std::filesystem::remove_all(home);

  EnvLookup no_home = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  EXPECT_EQ(StoreTokenFile(no_home, "t").code(), Code::kInvalidArgument);
  EnvLookup bad_home = [](std::string_view) -> std::optional<std::string> {
    return std::string("/nonexistent-coffer-home");
  };
  EXPECT_EQ(StoreTokenFile(bad_home, "t").code(), Code::kIOError);
}

}  // namespace
}  // namespace coffer::cli
