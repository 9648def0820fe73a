// The token command family against the fake transport.
#include <gtest/gtest.h>

#include "cli/commands.h"
#include "cli/fake_server_for_test.h"

namespace coffer::cli {
namespace {

using testing::FakeServer;

Json AuthReply(const std::string& token, int ttl = 3600) {
  return Json{{"lease_duration", 0},
              {"data", nullptr},
              {"auth",
               {{"client_token", token},
                {"accessor", "acc-" + token},
                {"policies", {"default", "web"}},
                {"token_policies", {"default", "web"}},
                {"lease_duration", ttl},
                {"renewable", true}}}};
}

TEST(TokenCreateTest, DefaultBodyAndTable) {
  FakeServer s;
  s.Reply("POST /v1/auth/token/create", 200, AuthReply("hvs.A"));
  EXPECT_EQ(Dispatch(s.ctx(), {"token", "create"}), 0) << s.err();
  EXPECT_EQ(s.only_request().json(), (Json{{"display_name", ""},
                                           {"num_uses", 0},
                                           {"type", ""},
                                           {"entity_alias", ""},
                                           {"renewable", true}}));
  EXPECT_NE(s.out().find("token                hvs.A\n"), std::string::npos) << s.out();
  EXPECT_NE(s.out().find("token_duration       1h\n"), std::string::npos);
}

TEST(TokenCreateTest, AllFlagsMapToTheBody) {
  FakeServer s;
  s.Reply("POST /v1/auth/token/create-orphan", 200, AuthReply("hvs.B"));
  EXPECT_EQ(
      Dispatch(s.ctx(), {"token", "create", "-policy=web", "-policy=db,ops", "-ttl=8h",
                         "-explicit-max-ttl=24h", "-period=1h", "-orphan", "-no-default-policy",
                         "-use-limit=3", "-display-name=ci", "-metadata=team=infra",
                         "-metadata=env=prod", "-type=service", "-id=custom", "-renewable=false"}),
      0)
      << s.err();
  EXPECT_EQ(s.only_request().json(), (Json{{"display_name", "ci"},
                                           {"num_uses", 3},
                                           {"type", "service"},
                                           {"entity_alias", ""},
                                           {"renewable", false},
                                           {"id", "custom"},
                                           {"policies", {"web", "db", "ops"}},
                                           {"meta", {{"team", "infra"}, {"env", "prod"}}},
                                           {"no_parent", true},
                                           {"no_default_policy", true},
                                           {"ttl", "8h0m0s"},
                                           {"explicit_max_ttl", "24h0m0s"},
                                           {"period", "1h0m0s"}}));
}

TEST(TokenCreateTest, RoleAndBatchAndField) {
  FakeServer s;
  s.Reply("POST /v1/auth/token/create/ci-role", 200, AuthReply("hvb.C"));
  EXPECT_EQ(Dispatch(s.ctx(), {"token", "create", "-role=ci-role", "-type=batch", "-field=token"}),
            0);
  EXPECT_EQ(s.out(), "hvb.C");
  EXPECT_EQ(s.only_request().json()["renewable"], false);
}

TEST(TokenCreateTest, BadDurationAndServerError) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"token", "create", "-ttl=soon"}), 1);
  EXPECT_NE(s.err().find("invalid duration for -ttl"), std::string::npos);
  EXPECT_TRUE(s.requests().empty());

  FakeServer e;
  e.Reply("POST /v1/auth/token/create", 400,
          Json{{"errors", {"child policies must be subset of parent"}}});
  EXPECT_EQ(Dispatch(e.ctx(), {"token", "create", "-policy=admin"}), 2);
  EXPECT_EQ(e.err().rfind("Error creating token: Error making API request.", 0), 0u);
}

TEST(TokenLookupTest, SelfTokenAndAccessor) {
  Json lookup = {{"data",
                  {{"accessor", "acc"},
                   {"creation_ttl", 2764800},
                   {"explicit_max_ttl", 0},
                   {"policies", {"default"}},
                   {"ttl", 2764790},
                   {"meta", nullptr}}}};
  FakeServer self;
  self.Reply("GET /v1/auth/token/lookup-self", 200, lookup);
  EXPECT_EQ(Dispatch(self.ctx(), {"token", "lookup"}), 0) << self.err();
  EXPECT_EQ(self.out(),
            "Key                 Value\n"
            "---                 -----\n"
            "accessor            acc\n"
            "creation_ttl        768h\n"
            "explicit_max_ttl    0s\n"
            "meta                <nil>\n"
            "policies            [default]\n"
            "ttl                 767h59m50s\n");

  FakeServer other;
  other.Reply("POST /v1/auth/token/lookup", 200, lookup);
  EXPECT_EQ(Dispatch(other.ctx(), {"token", "lookup", "hvs.X"}), 0);
  EXPECT_EQ(other.only_request().json(), (Json{{"token", "hvs.X"}}));

  FakeServer acc;
  acc.Reply("POST /v1/auth/token/lookup-accessor", 200, lookup);
  EXPECT_EQ(Dispatch(acc.ctx(), {"token", "lookup", "-accessor", "acc"}), 0);
  EXPECT_EQ(acc.only_request().json(), (Json{{"accessor", "acc"}}));

  FakeServer bad;
  bad.Reply("POST /v1/auth/token/lookup", 403, Json{{"errors", {"bad token"}}});
  EXPECT_EQ(Dispatch(bad.ctx(), {"token", "lookup", "nope"}), 2);
  EXPECT_EQ(bad.err().rfind("Error looking up token: ", 0), 0u);
}

TEST(TokenRenewTest, SelfTokenAccessorWithIncrement) {
  FakeServer self;
  self.Reply("PUT /v1/auth/token/renew-self", 200, AuthReply("hvs.S"));
  EXPECT_EQ(Dispatch(self.ctx(), {"token", "renew"}), 0) << self.err();
  EXPECT_EQ(self.only_request().json(), (Json{{"increment", 0}}));

  FakeServer tok;
  tok.Reply("PUT /v1/auth/token/renew", 200, AuthReply("hvs.T"));
  EXPECT_EQ(Dispatch(tok.ctx(), {"token", "renew", "-increment=1h", "hvs.T"}), 0);
  EXPECT_EQ(tok.only_request().json(), (Json{{"token", "hvs.T"}, {"increment", 3600}}));

  FakeServer acc;
  acc.Reply("POST /v1/auth/token/renew-accessor", 200, AuthReply(""));
  EXPECT_EQ(Dispatch(acc.ctx(), {"token", "renew", "-i=30m", "-accessor", "a1"}), 0);
  EXPECT_EQ(acc.only_request().json(), (Json{{"accessor", "a1"}, {"increment", 1800}}));

  FakeServer e;
  e.Reply("PUT /v1/auth/token/renew-self", 400,
          Json{{"errors", {"lease not found or lease is not renewable"}}});
  EXPECT_EQ(Dispatch(e.ctx(), {"token", "renew"}), 2);
  EXPECT_EQ(e.err().rfind("Error renewing token: ", 0), 0u);
}

TEST(TokenRevokeTest, Modes) {
  struct Case {
    std::vector<std::string> args;
    std::string request;
    Json body;
  };
  std::vector<Case> cases = {
      {{"token", "revoke", "hvs.T"}, "PUT /v1/auth/token/revoke", Json{{"token", "hvs.T"}}},
      {{"token", "revoke", "-self"}, "PUT /v1/auth/token/revoke-self", Json()},
      {{"token", "revoke", "-accessor", "a1"},
       "POST /v1/auth/token/revoke-accessor",
       Json{{"accessor", "a1"}}},
      {{"token", "revoke", "-mode=orphan", "hvs.T"},
       "PUT /v1/auth/token/revoke-orphan",
       Json{{"token", "hvs.T"}}},
      {{"token", "revoke", "-mode=path", "auth/userpass/"},
       "PUT /v1/sys/leases/revoke-prefix/auth/userpass/",
       Json()},
  };
  for (const Case& c : cases) {
    FakeServer s;
    s.Reply(c.request, 204, nullptr);
    EXPECT_EQ(Dispatch(s.ctx(), c.args), 0) << c.request << ": " << s.err();
    EXPECT_EQ(s.out(), "Success! Revoked token (if it existed)\n");
    const auto& req = s.only_request();
    EXPECT_EQ(req.method + " " + req.target, c.request);
    EXPECT_EQ(req.json(), c.body) << c.request;
  }
}

TEST(TokenRevokeTest, ConflictingFlagsAreLocalErrors) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"token", "revoke"},
                                             {"token", "revoke", "-self", "hvs.T"},
                                             {"token", "revoke", "-self", "-accessor"},
                                             {"token", "revoke", "-self", "-mode=orphan"},
                                             {"token", "revoke", "-accessor", "-mode=path", "a"},
                                             {"token", "revoke", "-mode=bogus", "t"},
                                             {"token", "revoke", "a", "b"}}) {
    FakeServer s;
    EXPECT_EQ(Dispatch(s.ctx(), args), 1) << args.back();
    EXPECT_TRUE(s.requests().empty());
  }
}

TEST(TokenCapabilitiesTest, SelfAndOtherToken) {
  FakeServer self;
  self.Reply("POST /v1/sys/capabilities-self", 200,
             Json{{"data",
                   {{"secret/data/x", {"update", "read"}}, {"capabilities", {"update", "read"}}}}});
  EXPECT_EQ(Dispatch(self.ctx(), {"token", "capabilities", "secret/data/x"}), 0) << self.err();
  EXPECT_EQ(self.out(), "read, update\n");
  EXPECT_EQ(self.only_request().json(), (Json{{"paths", {"secret/data/x"}}}));

  FakeServer other;
  other.Reply("POST /v1/sys/capabilities", 200, Json{{"capabilities", {"deny"}}});
  EXPECT_EQ(Dispatch(other.ctx(), {"token", "capabilities", "-format=json", "hvs.T", "sys/"}), 0);
  EXPECT_EQ(Json::parse(other.out()), (Json{"deny"}));
  EXPECT_EQ(other.only_request().json(), (Json{{"token", "hvs.T"}, {"paths", {"sys/"}}}));

  FakeServer none;
  none.Reply("POST /v1/sys/capabilities-self", 200, Json{{"data", Json::object()}});
  EXPECT_EQ(Dispatch(none.ctx(), {"token", "capabilities", "x"}), 1);
  EXPECT_EQ(none.err(), "No capabilities found\n");
}

}  // namespace
}  // namespace coffer::cli
