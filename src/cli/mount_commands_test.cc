// secrets and auth commands against the fake transport.
#include <gtest/gtest.h>

#include "cli/commands.h"
#include "cli/fake_server_for_test.h"

namespace coffer::cli {
namespace {

using testing::FakeServer;

Json MountInfo(const std::string& type, const std::string& accessor, const std::string& desc,
               Json options = nullptr, int default_ttl = 0) {
  return Json{
      {"type", type},
      {"accessor", accessor},
      {"description", desc},
      {"options", std::move(options)},
      {"local", type == "cubbyhole"},
      {"seal_wrap", false},
      {"external_entropy_access", false},
      {"uuid", "u-" + accessor},
      {"config",
       {{"default_lease_ttl", default_ttl}, {"max_lease_ttl", 0}, {"force_no_cache", false}}}};
}

TEST(SecretsEnableTest, DefaultPathIsTheType) {
  FakeServer s;
  s.Reply("POST /v1/sys/mounts/kv", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"secrets", "enable", "kv"}), 0) << s.err();
  EXPECT_EQ(s.out(), "Success! Enabled the kv secrets engine at: kv/\n");
  EXPECT_EQ(s.only_request().json(), (Json{{"type", "kv"},
                                           {"description", ""},
                                           {"config", Json::object()},
                                           {"local", false},
                                           {"seal_wrap", false},
                                           {"external_entropy_access", false},
                                           {"options", nullptr}}));
}

TEST(SecretsEnableTest, FlagsMapToBody) {
  FakeServer s;
  s.Reply("POST /v1/sys/mounts/apps", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"secrets", "enable", "-path=apps/", "-description=App secrets",
                               "-version=2", "-default-lease-ttl=1h", "-max-lease-ttl=system",
                               "-options=x=y", "-local", "-seal-wrap", "kv"}),
            0)
      << s.err();
  EXPECT_EQ(s.out(), "Success! Enabled the kv secrets engine at: apps/\n");
  EXPECT_EQ(s.only_request().json(),
            (Json{{"type", "kv"},
                  {"description", "App secrets"},
                  {"config", {{"default_lease_ttl", "1h0m0s"}, {"max_lease_ttl", "system"}}},
                  {"local", true},
                  {"seal_wrap", true},
                  {"external_entropy_access", false},
                  {"options", {{"x", "y"}, {"version", "2"}}}}));
}

TEST(SecretsEnableTest, ErrorsAndBadFlags) {
  FakeServer s;
  s.Reply("POST /v1/sys/mounts/secret", 400,
          Json{{"errors", {"path is already in use at secret/"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"secrets", "enable", "-path=secret", "kv"}), 2);
  EXPECT_EQ(s.err().rfind("Error enabling: Error making API request.", 0), 0u) << s.err();

  FakeServer b;
  EXPECT_EQ(Dispatch(b.ctx(), {"secrets", "enable", "-default-lease-ttl=forever", "kv"}), 1);
  EXPECT_EQ(Dispatch(b.ctx(), {"secrets", "enable", "-options=novalue", "kv"}), 1);
  EXPECT_EQ(Dispatch(b.ctx(), {"secrets", "enable"}), 1);
  EXPECT_TRUE(b.requests().empty());
}

TEST(SecretsDisableTest, DeletesMount) {
  FakeServer s;
  s.Reply("DELETE /v1/sys/mounts/kv1", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"secrets", "disable", "kv1"}), 0);
  EXPECT_EQ(s.out(), "Success! Disabled the secrets engine (if it existed) at: kv1/\n");
}

TEST(SecretsListTest, SimpleDetailedAndJson) {
  Json reply = {{"data",
                 {{"cubbyhole/", MountInfo("cubbyhole", "cubbyhole_1", "per-token storage")},
                  {"secret/", MountInfo("kv", "kv_2", "key/value", Json{{"version", "2"}}, 60)},
                  {"sys/", MountInfo("system", "system_3", "system endpoints")}}},
                {"request_id", "r"}};
  FakeServer s;
  s.Reply("GET /v1/sys/mounts", 200, reply);
  EXPECT_EQ(Dispatch(s.ctx(), {"secrets", "list"}), 0) << s.err();
  EXPECT_EQ(s.out(),
            "Path          Type         Accessor       Description\n"
            "----          ----         --------       -----------\n"
            "cubbyhole/    cubbyhole    cubbyhole_1    per-token storage\n"
            "secret/       kv           kv_2           key/value\n"
            "sys/          system       system_3       system endpoints\n");

  FakeServer d;
  d.Reply("GET /v1/sys/mounts", 200, reply);
  EXPECT_EQ(Dispatch(d.ctx(), {"secrets", "list", "-detailed"}), 0);
  std::string out = d.out();
  EXPECT_EQ(out.rfind("Path          Plugin       Accessor       Default TTL    Max TTL    "
                      "Force No Cache    Replication    Seal Wrap    External Entropy Access    "
                      "Options           Description",
                      0),
            0u)
      << out;
  EXPECT_NE(out.find("secret/       kv           kv_2           60             system     "
                     "false             replicated     false        false                      "
                     "map[version:2]    key/value"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("cubbyhole/    cubbyhole    cubbyhole_1    n/a            n/a        "
                     "false             local"),
            std::string::npos)
      << out;

  FakeServer j;
  j.Reply("GET /v1/sys/mounts", 200, reply);
  EXPECT_EQ(Dispatch(j.ctx(), {"secrets", "list", "-format=json"}), 0);
  Json got = Json::parse(j.out());
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(got["secret/"]["options"]["version"], "2");
}

TEST(SecretsTuneTest, SendsOnlyGivenSettings) {
  FakeServer s;
  s.Reply("POST /v1/sys/mounts/kv1/tune", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(),
                     {"secrets", "tune", "-default-lease-ttl=30m", "-description=tuned", "kv1/"}),
            0)
      << s.err();
  EXPECT_EQ(s.out(), "Success! Tuned the secrets engine at: kv1/\n");
  EXPECT_EQ(s.only_request().json(),
            (Json{{"default_lease_ttl", "30m0s"}, {"description", "tuned"}}));
}

TEST(SecretsTuneTest, WarningsGoToStderr) {
  FakeServer s;
  s.Reply("POST /v1/sys/mounts/kv1/tune", 200,
          Json{{"warnings", {"Upgrading mount from version 1 to version 2"}}, {"data", nullptr}});
  EXPECT_EQ(Dispatch(s.ctx(), {"secrets", "tune", "-version=2", "kv1"}), 0);
  EXPECT_EQ(s.only_request().json(), (Json{{"options", {{"version", "2"}}}}));
  EXPECT_NE(s.err().find("* Upgrading mount from version 1 to version 2"), std::string::npos);
}

TEST(SecretsMoveTest, PollsUntilSuccess) {
  FakeServer s;
  s.Reply("POST /v1/sys/remount", 200, Json{{"data", {{"migration_id", "m1"}}}});
  Json progress = {{"data",
                    {{"migration_id", "m1"},
                     {"migration_info", {{"source_mount", "kv1/"}, {"status", "in-progress"}}}}}};
  Json done = progress;
  done["data"]["migration_info"]["status"] = "success";
  s.Reply("GET /v1/sys/remount/status/m1", 200, progress);
  s.Reply("GET /v1/sys/remount/status/m1", 200, progress);
  s.Reply("GET /v1/sys/remount/status/m1", 200, done);
  EXPECT_EQ(Dispatch(s.ctx(), {"secrets", "move", "kv1", "kv2/"}), 0) << s.err();
  EXPECT_EQ(s.requests()[0].json(), (Json{{"from", "kv1/"}, {"to", "kv2/"}}));
  EXPECT_EQ(s.requests().size(), 4u);
  EXPECT_EQ(s.sleeps().size(), 2u);
  EXPECT_EQ(s.out(),
            "Started moving secrets engine kv1/ to kv2/, with migration ID m1\n"
            "Success! Finished moving secrets engine kv1/ to kv2/, with migration ID m1\n");
}

TEST(SecretsMoveTest, FailureAndTimeoutAndSynchronousServer) {
  FakeServer f;
  f.Reply("POST /v1/sys/remount", 200, Json{{"migration_id", "m2"}});
  f.Reply("GET /v1/sys/remount/status/m2", 200, Json{{"migration_info", {{"status", "failure"}}}});
  EXPECT_EQ(Dispatch(f.ctx(), {"secrets", "move", "a", "b"}), 2);
  EXPECT_NE(f.err().find("Failure! Error encountered moving secrets engine a/ to b/"),
            std::string::npos);

  FakeServer t;  // never finishes: gives up after the polling budget, without real sleeps
  t.Reply("POST /v1/sys/remount", 200, Json{{"data", {{"migration_id", "m3"}}}});
  t.Reply("GET /v1/sys/remount/status/m3", 200,
          Json{{"data", {{"migration_info", {{"status", "in-progress"}}}}}});
  EXPECT_EQ(Dispatch(t.ctx(), {"secrets", "move", "a", "b"}), 2);
  EXPECT_NE(t.err().find("Timed out waiting for migration m3"), std::string::npos);
  EXPECT_GT(t.sleeps().size(), 10u);

  FakeServer sync;
  sync.Reply("POST /v1/sys/remount", 204, nullptr);
  EXPECT_EQ(Dispatch(sync.ctx(), {"secrets", "move", "a", "b"}), 0);
  EXPECT_EQ(sync.out(), "Success! Finished moving secrets engine a/ to b/\n");
}

TEST(AuthEnableTest, PostsToSysAuth) {
  FakeServer s;
  s.Reply("POST /v1/sys/auth/userpass", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"auth", "enable", "userpass"}), 0) << s.err();
  EXPECT_EQ(s.out(), "Success! Enabled userpass auth method at: userpass/\n");
  EXPECT_EQ(s.only_request().json()["type"], "userpass");

  FakeServer p;
  p.Reply("POST /v1/sys/auth/people", 204, nullptr);
  EXPECT_EQ(Dispatch(p.ctx(), {"auth", "enable", "-path=people", "-description=humans",
                               "-listing-visibility=unauth", "userpass"}),
            0);
  EXPECT_EQ(p.only_request().json()["config"], (Json{{"listing_visibility", "unauth"}}));
  EXPECT_EQ(p.only_request().json()["description"], "humans");

  FakeServer e;
  e.Reply("POST /v1/sys/auth/userpass", 400, Json{{"errors", {"path is already in use"}}});
  EXPECT_EQ(Dispatch(e.ctx(), {"auth", "enable", "userpass"}), 2);
  EXPECT_EQ(e.err().rfind("Error enabling userpass auth: ", 0), 0u);
}

TEST(AuthDisableListTuneTest, Requests) {
  FakeServer d;
  d.Reply("DELETE /v1/sys/auth/userpass", 204, nullptr);
  EXPECT_EQ(Dispatch(d.ctx(), {"auth", "disable", "userpass/"}), 0);
  EXPECT_EQ(d.out(), "Success! Disabled the auth method (if it existed) at: userpass/\n");

  FakeServer l;
  l.Reply("GET /v1/sys/auth", 200,
          Json{{"data",
                {{"token/", MountInfo("token", "auth_token_1", "token based credentials")},
                 {"userpass/", MountInfo("userpass", "auth_userpass_2", "")}}}});
  EXPECT_EQ(Dispatch(l.ctx(), {"auth", "list"}), 0) << l.err();
  EXPECT_EQ(l.out(),
            "Path         Type        Accessor           Description                Version\n"
            "----         ----        --------           -----------                -------\n"
            "token/       token       auth_token_1       token based credentials    n/a\n"
            "userpass/    userpass    auth_userpass_2    n/a                        n/a\n");

  FakeServer t;
  t.Reply("POST /v1/sys/mounts/auth/userpass/tune", 204, nullptr);
  EXPECT_EQ(
      Dispatch(t.ctx(), {"auth", "tune", "-max-lease-ttl=2h", "-token-type=batch", "userpass"}), 0)
      << t.err();
  EXPECT_EQ(t.out(), "Success! Tuned the auth method at: userpass/\n");
  EXPECT_EQ(t.only_request().json(), (Json{{"max_lease_ttl", "2h0m0s"}, {"token_type", "batch"}}));
}

}  // namespace
}  // namespace coffer::cli
