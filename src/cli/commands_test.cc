#include "cli/commands.h"

#include <gtest/gtest.h>

#include "cli/fake_server_for_test.h"

namespace coffer::cli {
namespace {

using testing::FakeServer;
using testing::SealStatus;

const Json kLeader = {{"ha_enabled", false},
                      {"is_self", false},
                      {"active_time", "0001-01-01T00:00:00Z"},
                      {"leader_address", ""},
                      {"leader_cluster_address", ""},
                      {"performance_standby", false}};

TEST(StatusCommandTest, UnsealedPrintsTableAndExitsZero) {
  FakeServer s;
  s.Reply("GET /v1/sys/seal-status", 200, SealStatus(false));
  s.Reply("GET /v1/sys/leader", 200, kLeader);
  EXPECT_EQ(Dispatch(s.ctx(), {"status"}), 0) << s.err();
  EXPECT_EQ(s.out(),
            "Key             Value\n"
            "---             -----\n"
            "Seal Type       shamir\n"
            "Initialized     true\n"
            "Sealed          false\n"
            "Total Shares    5\n"
            "Threshold       3\n"
            "Version         1.15.0\n"
            "Build Date      2024-01-01T00:00:00Z\n"
            "Storage Type    inmem\n"
            "Cluster Name    coffer-cluster-1\n"
            "Cluster ID      c1d2\n"
            "HA Enabled      false\n");
}

TEST(StatusCommandTest, SealedExitsTwoShowsProgressAndIgnoresLeader503) {
  FakeServer s;
  s.Reply("GET /v1/sys/seal-status", 200, SealStatus(true, 1, "n-1"));
  s.Reply("GET /v1/sys/leader", 503, Json{{"errors", {"Vault is sealed"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"status"}), 2) << s.err();
  EXPECT_NE(s.out().find("Sealed             true\n"), std::string::npos) << s.out();
  EXPECT_NE(s.out().find("Unseal Progress    1/3\n"), std::string::npos);
  EXPECT_NE(s.out().find("Unseal Nonce       n-1\n"), std::string::npos);
  EXPECT_NE(s.out().find("HA Enabled         false\n"), std::string::npos);
  EXPECT_EQ(s.out().find("Cluster ID"), std::string::npos);
  EXPECT_EQ(s.err(), "");
}

TEST(StatusCommandTest, SealedWithoutProgressShowsNoNonce) {
  FakeServer s;
  s.Reply("GET /v1/sys/seal-status", 200, SealStatus(true));
  s.Reply("GET /v1/sys/leader", 200, kLeader);
  EXPECT_EQ(Dispatch(s.ctx(), {"status"}), 2);
  EXPECT_NE(s.out().find("Unseal Progress    0/3\nUnseal Nonce       n/a\n"), std::string::npos)
      << s.out();
}

TEST(StatusCommandTest, JsonMergesLeaderFields) {
  FakeServer s;
  s.Reply("GET /v1/sys/seal-status", 200, SealStatus(false));
  s.Reply("GET /v1/sys/leader", 200, kLeader);
  EXPECT_EQ(Dispatch(s.ctx(), {"status", "-format=json"}), 0);
  Json got = Json::parse(s.out());
  EXPECT_EQ(got["sealed"], false);
  EXPECT_EQ(got["cluster_name"], "coffer-cluster-1");
  EXPECT_EQ(got["ha_enabled"], false);
  EXPECT_EQ(got["leader_address"], "");
}

TEST(StatusCommandTest, ConnectionFailureExitsOne) {
  FakeServer s;
  s.RefuseConnections();
  EXPECT_EQ(Dispatch(s.ctx(), {"status"}), 1);
  EXPECT_EQ(s.err(),
            "Error checking seal status: GET http://127.0.0.1:8200/v1/sys/seal-status: "
            "connection refused\n");
  EXPECT_EQ(s.out(), "");
}

TEST(StatusCommandTest, LeaderErrorOtherThan503ExitsOne) {
  FakeServer s;
  s.Reply("GET /v1/sys/seal-status", 200, SealStatus(false));
  s.Reply("GET /v1/sys/leader", 500, Json{{"errors", {"internal error"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"status"}), 1);
  EXPECT_NE(s.err().find("Error checking leader status: Error making API request."),
            std::string::npos);
}

TEST(StatusCommandTest, ExtraArgumentsAndUnknownFlagsAreLocalErrors) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"status", "extra"}), 1);
  EXPECT_NE(s.err().find("Too many arguments"), std::string::npos);
  FakeServer t;
  EXPECT_EQ(Dispatch(t.ctx(), {"status", "-bogus"}), 1);
  EXPECT_NE(t.err().find("flag provided but not defined: -bogus"), std::string::npos);
  EXPECT_NE(t.err().find("Usage: coffer status"), std::string::npos);
  EXPECT_TRUE(s.requests().empty());
  EXPECT_TRUE(t.requests().empty());
}

TEST(StatusCommandTest, BadFormatIsALocalError) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"status", "-format=yaml"}), 1);
  EXPECT_EQ(s.err(), "Invalid output format: yaml\n");
}

TEST(RequestHeadersTest, EveryRequestCarriesVaultRequestAndTokenWhenSet) {
  FakeServer s;
  s.SetEnv("VAULT_TOKEN", "s.secret");
  s.Reply("GET /v1/sys/key-status", 200, Json{{"data", {{"term", 1}}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "key-status"}), 0);
  ASSERT_EQ(s.requests().size(), 1u);
  EXPECT_EQ(s.requests()[0].headers.at("X-Vault-Request"), "true");
  EXPECT_EQ(s.requests()[0].headers.at("X-Vault-Token"), "s.secret");

  FakeServer t;
  t.SetEnv("HOME", "/nonexistent-home-for-test");
  t.Reply("GET /v1/sys/key-status", 200, Json{{"data", {{"term", 1}}}});
  EXPECT_EQ(Dispatch(t.ctx(), {"operator", "key-status"}), 0);
  EXPECT_EQ(t.requests()[0].headers.count("X-Vault-Token"), 0u);
  EXPECT_EQ(t.requests()[0].headers.at("X-Vault-Request"), "true");
}

TEST(AddressTest, FlagOverridesEnvironment) {
  FakeServer s;
  s.SetEnv("COFFER_ADDR", "http://coffer:1");
  s.Reply("PUT /v1/sys/seal", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "seal", "-address=http://flag:2"}), 0);
  EXPECT_EQ(s.config().address, "http://flag:2");
}

TEST(OperatorInitTest, SendsSharesAndPrintsKeysAndToken) {
  FakeServer s;
  s.Reply("PUT /v1/sys/init", 200,
          Json{{"keys", {"aa", "bb"}}, {"keys_base64", {"qg==", "uw=="}}, {"root_token", "hvs.R"}});
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "init", "-key-shares=2", "-key-threshold", "2"}), 0)
      << s.err();
  ASSERT_EQ(s.requests().size(), 1u);
  EXPECT_EQ(s.requests()[0].json(), (Json{{"secret_shares", 2}, {"secret_threshold", 2}}));
  EXPECT_EQ(
      s.out().rfind("Unseal Key 1: qg==\nUnseal Key 2: uw==\n\nInitial Root Token: hvs.R\n\n", 0),
      0u)
      << s.out();
  EXPECT_NE(s.out().find("2 key shares and a key threshold of 2"), std::string::npos);
}

TEST(OperatorInitTest, JsonOutputHasTheCliShape) {
  FakeServer s;
  s.Reply("PUT /v1/sys/init", 200,
          Json{{"keys", {"aa"}}, {"keys_base64", {"qg=="}}, {"root_token", "hvs.R"}});
  EXPECT_EQ(
      Dispatch(s.ctx(), {"operator", "init", "-format=json", "-key-shares=1", "-key-threshold=1"}),
      0);
  Json got = Json::parse(s.out());
  EXPECT_EQ(got, (Json{{"unseal_keys_b64", {"qg=="}},
                       {"unseal_keys_hex", {"aa"}},
                       {"unseal_shares", 1},
                       {"unseal_threshold", 1},
                       {"recovery_keys_b64", Json::array()},
                       {"recovery_keys_hex", Json::array()},
                       {"recovery_keys_shares", 0},
                       {"recovery_keys_threshold", 0},
                       {"root_token", "hvs.R"}}));
  // Key order follows the vault CLI, not alphabetical.
  EXPECT_LT(s.out().find("unseal_keys_b64"), s.out().find("root_token"));
}

TEST(OperatorInitTest, DefaultsAreFiveAndThree) {
  FakeServer s;
  s.Reply("PUT /v1/sys/init", 200, Json::object());
  Dispatch(s.ctx(), {"operator", "init"});
  ASSERT_EQ(s.requests().size(), 1u);
  EXPECT_EQ(s.requests()[0].json(), (Json{{"secret_shares", 5}, {"secret_threshold", 3}}));
}

TEST(OperatorInitTest, ApiErrorIsFormattedAndExitsTwo) {
  FakeServer s;
  s.Reply("PUT /v1/sys/init", 400, Json{{"errors", {"Vault is already initialized"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "init"}), 2);
  EXPECT_EQ(s.err(),
            "Error initializing: Error making API request.\n\n"
            "URL: PUT http://127.0.0.1:8200/v1/sys/init\n"
            "Code: 400. Errors:\n\n"
            "* Vault is already initialized\n");
}

TEST(OperatorInitTest, StatusExitCodes) {
  FakeServer yes;
  yes.Reply("GET /v1/sys/init", 200, Json{{"initialized", true}});
  EXPECT_EQ(Dispatch(yes.ctx(), {"operator", "init", "-status"}), 0);
  EXPECT_EQ(yes.out(), "Vault is initialized\n");
  FakeServer no;
  no.Reply("GET /v1/sys/init", 200, Json{{"initialized", false}});
  EXPECT_EQ(Dispatch(no.ctx(), {"operator", "init", "-status"}), 2);
  EXPECT_EQ(no.out(), "Vault is not initialized\n");
  FakeServer down;
  down.RefuseConnections();
  EXPECT_EQ(Dispatch(down.ctx(), {"operator", "init", "-status"}), 1);
}

TEST(OperatorUnsealTest, KeyFromArgument) {
  FakeServer s;
  s.Reply("PUT /v1/sys/unseal", 200, SealStatus(true, 1, "n-1"));
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "unseal", "share-1"}), 0) << s.err();
  EXPECT_EQ(s.requests()[0].json(), (Json{{"key", "share-1"}}));
  EXPECT_NE(s.out().find("Unseal Progress    1/3"), std::string::npos);
  EXPECT_TRUE(s.prompts().empty());
}

TEST(OperatorUnsealTest, KeyFromStdinWhenNoArgument) {
  FakeServer s;
  s.AddStdinLine("share-2");
  s.Reply("PUT /v1/sys/unseal", 200, SealStatus(false));
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "unseal"}), 0);
  ASSERT_EQ(s.prompts().size(), 1u);
  EXPECT_EQ(s.requests()[0].json(), (Json{{"key", "share-2"}}));
  EXPECT_NE(s.out().find("Sealed          false"), std::string::npos) << s.out();
  EXPECT_EQ(s.out().find("share-2"), std::string::npos);  // never echoed
}

TEST(OperatorUnsealTest, ResetSendsResetOnly) {
  FakeServer s;
  s.Reply("PUT /v1/sys/unseal", 200, SealStatus(true));
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "unseal", "-reset"}), 0);
  EXPECT_EQ(s.requests()[0].json(), (Json{{"reset", true}}));
  EXPECT_TRUE(s.prompts().empty());
}

TEST(OperatorUnsealTest, NoStdinIsALocalError) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "unseal"}), 1);
  EXPECT_TRUE(s.requests().empty());
  EXPECT_NE(s.err().find("Error reading unseal key"), std::string::npos);
}

TEST(OperatorUnsealTest, BadKeyIsARemoteError) {
  FakeServer s;
  s.Reply("PUT /v1/sys/unseal", 400,
          Json{{"errors", {"'key' must be a valid hex or base64 string"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "unseal", "zz"}), 2);
  EXPECT_NE(s.err().find("Error unsealing: Error making API request."), std::string::npos);
  EXPECT_NE(s.err().find("Code: 400"), std::string::npos);
}

TEST(OperatorSealTest, SuccessAndPermissionDenied) {
  FakeServer ok;
  ok.Reply("PUT /v1/sys/seal", 204, nullptr);
  EXPECT_EQ(Dispatch(ok.ctx(), {"operator", "seal"}), 0);
  EXPECT_EQ(ok.out(), "Success! Vault is sealed.\n");
  EXPECT_EQ(ok.requests()[0].body, "");

  FakeServer denied;
  denied.Reply("PUT /v1/sys/seal", 403, Json{{"errors", {"permission denied"}}});
  EXPECT_EQ(Dispatch(denied.ctx(), {"operator", "seal"}), 2);
  EXPECT_EQ(denied.err(),
            "Error sealing: Error making API request.\n\n"
            "URL: PUT http://127.0.0.1:8200/v1/sys/seal\n"
            "Code: 403. Errors:\n\n"
            "* permission denied\n");
}

TEST(OperatorKeyStatusTest, TableFromEnvelopeData) {
  FakeServer s;
  s.Reply(
      "GET /v1/sys/key-status", 200,
      Json{{"data", {{"term", 2}, {"install_time", "2024-05-01T10:00:00Z"}, {"encryptions", 7}}},
           {"term", 2}});
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "key-status"}), 0);
  EXPECT_EQ(s.out(),
            "Key                 Value\n"
            "---                 -----\n"
            "Key Term            2\n"
            "Install Time        2024-05-01T10:00:00Z\n"
            "Encryption Count    7\n");
}

TEST(OperatorRotateTest, RotatesThenShowsNewTerm) {
  FakeServer s;
  s.Reply("PUT /v1/sys/rotate", 204, nullptr);
  s.Reply("GET /v1/sys/key-status", 200,
          Json{{"data", {{"term", 3}, {"install_time", "T"}, {"encryptions", 0}}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"operator", "rotate"}), 0);
  EXPECT_EQ(s.out(),
            "Success! Rotated key\n\n"
            "Key Term            3\n"
            "Install Time        T\n"
            "Encryption Count    0\n");
  ASSERT_EQ(s.requests().size(), 2u);
  EXPECT_EQ(s.requests()[0].method, "PUT");
}

TEST(MalformedReplyTest, WrongFieldTypesDoNotCrash) {
  FakeServer s;
  s.Reply("GET /v1/sys/seal-status", 200,
          Json{{"sealed", "yes"}, {"t", "three"}, {"n", Json::array()}, {"progress", 1e300}});
  s.ReplyRaw("GET /v1/sys/leader", 200, "[1,2]");
  // "sealed" is not a bool: treated as sealed (exit 2), nothing thrown.
  EXPECT_EQ(Dispatch(s.ctx(), {"status"}), 2);
  FakeServer t;
  t.ReplyRaw("GET /v1/sys/seal-status", 200, "not json");
  EXPECT_EQ(Dispatch(t.ctx(), {"status"}), 1);
  EXPECT_NE(t.err().find("not valid JSON"), std::string::npos);
}

TEST(DispatchTest, HelpVersionAndUnknownCommands) {
  FakeServer help;
  EXPECT_EQ(Dispatch(help.ctx(), {"-h"}), 0);
  EXPECT_NE(help.out().find("operator generate-root"), std::string::npos);
  EXPECT_NE(help.out().find("status"), std::string::npos);

  FakeServer bare;
  EXPECT_EQ(Dispatch(bare.ctx(), {}), 127);
  EXPECT_NE(bare.err().find("Usage: coffer"), std::string::npos);

  FakeServer version;
  EXPECT_EQ(Dispatch(version.ctx(), {"version"}), 0);
  EXPECT_EQ(version.out(), std::string("Coffer v") + COFFER_VERSION + "\n");

  FakeServer unknown;
  EXPECT_EQ(Dispatch(unknown.ctx(), {"frobnicate"}), 127);
  EXPECT_NE(unknown.err().find("Unknown command: frobnicate"), std::string::npos);

  FakeServer group;
  EXPECT_EQ(Dispatch(group.ctx(), {"operator"}), 1);
  EXPECT_NE(group.err().find("operator unseal"), std::string::npos);
  EXPECT_EQ(group.err().find("    status"), std::string::npos);

  FakeServer sub;
  EXPECT_EQ(Dispatch(sub.ctx(), {"operator", "frob"}), 127);
  EXPECT_NE(sub.err().find("Unknown command: operator frob"), std::string::npos);

  FakeServer cmd_help;
  EXPECT_EQ(Dispatch(cmd_help.ctx(), {"operator", "init", "-h"}), 0);
  EXPECT_NE(cmd_help.out().find("-key-shares=<int>"), std::string::npos);
  EXPECT_NE(cmd_help.out().find("-address=<string>"), std::string::npos);
  EXPECT_TRUE(cmd_help.requests().empty());
}

TEST(DispatchTest, LongestCommandPathWins) {
  size_t consumed = 0;
  const CommandSpec* c = FindCommand({"operator", "init", "-status"}, &consumed);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->path, "operator init");
  EXPECT_EQ(consumed, 2u);
  EXPECT_EQ(FindCommand({"operator"}, &consumed), nullptr);
  EXPECT_EQ(FindCommand({"operatorinit"}, &consumed), nullptr);
}

}  // namespace
}  // namespace coffer::cli
