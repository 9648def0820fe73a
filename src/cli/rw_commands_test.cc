// read, write, list, delete and patch against the fake transport.
#include <gtest/gtest.h>

#include "cli/commands.h"
#include "cli/fake_server_for_test.h"

namespace coffer::cli {
namespace {

using testing::FakeServer;

Json Envelope(Json data, int lease_duration = 0, Json warnings = nullptr) {
  return Json{{"request_id", "r1"},
              {"lease_id", ""},
              {"renewable", false},
              {"lease_duration", lease_duration},
              {"data", std::move(data)},
              {"wrap_info", nullptr},
              {"warnings", std::move(warnings)},
              {"auth", nullptr}};
}

TEST(ReadCommandTest, KvV1SecretShowsRefreshIntervalAndData) {
  FakeServer s;
  s.Reply("GET /v1/kv1/app", 200, Envelope({{"password", "p"}, {"user", "u"}}, 2764800));
  EXPECT_EQ(Dispatch(s.ctx(), {"read", "/kv1/app/"}), 0) << s.err();
  EXPECT_EQ(s.out(),
            "Key                 Value\n"
            "---                 -----\n"
            "refresh_interval    768h\n"
            "password            p\n"
            "user                u\n");
  EXPECT_EQ(s.only_request().body, "");
}

TEST(ReadCommandTest, NotFoundIsExitTwo) {
  FakeServer s;
  s.Reply("GET /v1/kv1/none", 404, Json{{"errors", Json::array()}});
  EXPECT_EQ(Dispatch(s.ctx(), {"read", "kv1/none"}), 2);
  EXPECT_EQ(s.err(), "No value found at kv1/none\n");
  EXPECT_EQ(s.out(), "");
}

TEST(ReadCommandTest, NotFoundWithWarningsShowsThem) {
  FakeServer s;
  s.Reply("GET /v1/secret/foo", 404, Envelope(nullptr, 0, {"Invalid path for a versioned K/V"}));
  EXPECT_EQ(Dispatch(s.ctx(), {"read", "secret/foo"}), 0);
  EXPECT_NE(s.err().find("* Invalid path for a versioned K/V"), std::string::npos) << s.err();
}

TEST(ReadCommandTest, QueryArgumentsFieldAndJson) {
  FakeServer s;
  s.Reply("GET /v1/secret/data/app?version=2", 200, Envelope({{"data", {{"k", "v"}}}}));
  EXPECT_EQ(Dispatch(s.ctx(), {"read", "-field=data", "secret/data/app", "version=2"}), 0)
      << s.err();
  EXPECT_EQ(s.out(), "map[k:v]");

  FakeServer j;
  j.Reply("GET /v1/sys/x", 200, Envelope({{"a", 1}}));
  EXPECT_EQ(Dispatch(j.ctx(), {"read", "-format=json", "sys/x"}), 0);
  EXPECT_EQ(Json::parse(j.out())["data"]["a"], 1);
  EXPECT_EQ(Json::parse(j.out())["request_id"], "r1");
}

TEST(ReadCommandTest, ApiErrorExitsTwoWithFormattedMessage) {
  FakeServer s;
  s.Reply("GET /v1/secret/x", 403, Json{{"errors", {"permission denied"}}});
  EXPECT_EQ(Dispatch(s.ctx(), {"read", "secret/x"}), 2);
  EXPECT_EQ(s.err(),
            "Error reading secret/x: Error making API request.\n\n"
            "URL: GET http://127.0.0.1:8200/v1/secret/x\n"
            "Code: 403. Errors:\n\n"
            "* permission denied\n");
}

TEST(ReadCommandTest, MissingPathIsLocalError) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"read"}), 1);
  EXPECT_NE(s.err().find("Not enough arguments (expected 1, got 0)"), std::string::npos);
  EXPECT_TRUE(s.requests().empty());
}

TEST(WriteCommandTest, PutsDataAndPrintsSuccess) {
  FakeServer s;
  s.Reply("PUT /v1/kv1/app", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"write", "kv1/app", "a=1", "b=two"}), 0) << s.err();
  EXPECT_EQ(s.out(), "Success! Data written to: kv1/app\n");
  const auto& req = s.only_request();
  EXPECT_EQ(req.json(), (Json{{"a", "1"}, {"b", "two"}}));
  EXPECT_EQ(req.headers.at("Content-Type"), "application/json");
}

TEST(WriteCommandTest, StdinJsonAndStdinValue) {
  FakeServer s;
  s.SetStdin(R"({"n": 5, "ok": true})");
  s.Reply("PUT /v1/kv1/j", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"write", "kv1/j", "-"}), 0) << s.err();
  EXPECT_EQ(s.only_request().json(), (Json{{"n", 5}, {"ok", true}}));

  FakeServer t;
  t.SetStdin("from-stdin");
  t.Reply("PUT /v1/kv1/v", 204, nullptr);
  EXPECT_EQ(Dispatch(t.ctx(), {"write", "kv1/v", "pw=-"}), 0);
  EXPECT_EQ(t.only_request().json(), (Json{{"pw", "from-stdin"}}));
}

TEST(WriteCommandTest, NoDataNeedsForce) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"write", "sys/rotate"}), 1);
  EXPECT_EQ(s.err(), "Must supply data or use -force\n");
  EXPECT_TRUE(s.requests().empty());

  FakeServer f;
  f.Reply("PUT /v1/sys/rotate", 204, nullptr);
  EXPECT_EQ(Dispatch(f.ctx(), {"write", "-f", "sys/rotate"}), 0) << f.err();
  EXPECT_EQ(f.only_request().body, "{}");
}

TEST(WriteCommandTest, ResponseBodyIsShownAndFieldPicksOne) {
  FakeServer s;
  s.Reply("PUT /v1/auth/token/create", 200,
          Json{{"auth", {{"client_token", "hvs.NEW"}, {"lease_duration", 60}}}, {"data", nullptr}});
  EXPECT_EQ(Dispatch(s.ctx(), {"write", "-field=token", "auth/token/create", "ttl=1m"}), 0);
  EXPECT_EQ(s.out(), "hvs.NEW");
}

TEST(WriteCommandTest, BadArgumentAndServerError) {
  FakeServer s;
  EXPECT_EQ(Dispatch(s.ctx(), {"write", "kv1/x", "novalue"}), 1);
  EXPECT_EQ(s.err(), "Failed to parse K=V data: format must be key=value\n");

  FakeServer e;
  e.Reply("PUT /v1/kv1/x", 400, Json{{"errors", {"missing data fields"}}});
  EXPECT_EQ(Dispatch(e.ctx(), {"write", "kv1/x", "a=b"}), 2);
  EXPECT_EQ(e.err().rfind("Error writing data to kv1/x: Error making API request.", 0), 0u);
}

TEST(ListCommandTest, KeysColumnSorted) {
  FakeServer s;
  s.Reply("GET /v1/kv1/?list=true", 200, Envelope({{"keys", {"b", "a/", "c"}}}));
  EXPECT_EQ(Dispatch(s.ctx(), {"list", "kv1"}), 0) << s.err();
  EXPECT_EQ(s.out(), "Keys\n----\na/\nb\nc\n");
}

TEST(ListCommandTest, EmptyIsNoValueFoundExitTwo) {
  FakeServer s;
  s.Reply("GET /v1/kv1/none/?list=true", 404, Json{{"errors", Json::array()}});
  EXPECT_EQ(Dispatch(s.ctx(), {"list", "kv1/none"}), 2);
  EXPECT_EQ(s.err(), "No value found at kv1/none/\n");

  FakeServer j;
  j.Reply("GET /v1/kv1/none/?list=true", 404, Json{{"errors", Json::array()}});
  EXPECT_EQ(Dispatch(j.ctx(), {"list", "-format=json", "kv1/none"}), 2);
  EXPECT_EQ(j.out(), "{}\n");
}

TEST(ListCommandTest, JsonIsTheKeysArray) {
  FakeServer s;
  s.Reply("GET /v1/kv1/?list=true", 200, Envelope({{"keys", {"x", "y"}}}));
  EXPECT_EQ(Dispatch(s.ctx(), {"list", "-format=json", "kv1/"}), 0);
  EXPECT_EQ(Json::parse(s.out()), (Json{"x", "y"}));
}

TEST(DeleteCommandTest, DeletesAndPrintsSuccess) {
  FakeServer s;
  s.Reply("DELETE /v1/kv1/app", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"delete", "kv1/app"}), 0);
  EXPECT_EQ(s.out(), "Success! Data deleted (if it existed) at: kv1/app\n");
  EXPECT_EQ(s.only_request().method, "DELETE");

  FakeServer e;
  e.Reply("DELETE /v1/kv1/app", 403, Json{{"errors", {"permission denied"}}});
  EXPECT_EQ(Dispatch(e.ctx(), {"delete", "kv1/app"}), 2);
  EXPECT_EQ(e.err().rfind("Error deleting kv1/app: ", 0), 0u);
}

TEST(PatchCommandTest, SendsMergePatch) {
  FakeServer s;
  s.Reply("PATCH /v1/some/path", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"patch", "some/path", "k=v"}), 0) << s.err();
  EXPECT_EQ(s.out(), "Success! Data written to: some/path\n");
  EXPECT_EQ(s.only_request().headers.at("Content-Type"), "application/merge-patch+json");
  EXPECT_EQ(s.only_request().json(), (Json{{"k", "v"}}));
}

TEST(JsonFormatTest, WriteAndDeletePrintNothingOn204) {
  FakeServer s;
  s.Reply("PUT /v1/kv1/a", 204, nullptr);
  EXPECT_EQ(Dispatch(s.ctx(), {"write", "-format=json", "kv1/a", "x=1"}), 0);
  EXPECT_EQ(s.out(), "");
}

}  // namespace
}  // namespace coffer::cli
