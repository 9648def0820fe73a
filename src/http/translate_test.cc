#include "http/translate.h"

#include <gtest/gtest.h>

namespace coffer::http {
namespace {

RawRequest Make(std::string method, std::string target, std::string body = "",
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  RawRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.remote_addr = "10.0.0.1:5000";
  return r;
}

Request MustTranslate(const RawRequest& raw) {
  auto r = TranslateRequest(raw);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Request{};
}

Status TranslateError(const RawRequest& raw) {
  auto r = TranslateRequest(raw);
  EXPECT_FALSE(r.ok());
  return r.status();
}

// --- Paths ---

TEST(NormalizePathTest, StripsPrefixDecodesAndCollapses) {
  EXPECT_EQ(*NormalizePath("/v1/secret/foo"), "secret/foo");
  EXPECT_EQ(*NormalizePath("/v1/secret//foo///bar"), "secret/foo/bar");
  EXPECT_EQ(*NormalizePath("/v1//creds/x"), "creds/x");
  EXPECT_EQ(*NormalizePath("//v1/sys/health"), "sys/health");
  EXPECT_EQ(*NormalizePath("/v1/secret/a%20b%2Fc"), "secret/a b/c");
  EXPECT_EQ(*NormalizePath("/v1/secret/a+b"), "secret/a+b");  // '+' is literal in paths
  EXPECT_EQ(*NormalizePath("/v1/secret/foo/"), "secret/foo/");
  EXPECT_EQ(*NormalizePath("/v1/secret/caf%C3%A9"), "secret/caf\xC3\xA9");
}

TEST(NormalizePathTest, NonApiPathsAreNotFoundWithEmptyMessage) {
  for (const char* p : {"/", "/v1", "/v2/secret", "/ui/", "/robots.txt", "/v1/", "/v1x/a"}) {
    auto r = NormalizePath(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status(), NotFound("")) << p;
  }
}

TEST(NormalizePathTest, RejectsInvalidPaths) {
  for (const char* p :
       {"/v1/secret/%zz", "/v1/secret/%4", "/v1/secret/a%00b", "/v1/secret/a%0Ab", "/v1/secret/%7F",
        "/v1/secret/%C2%85", "/v1/secret/%FF", "/v1/secret/%C0%AF", "/v1/secret/../sys/seal",
        "/v1/secret/..", "/v1/../v1/sys", "/v1/secret/%2E%2E/x", "/v1/secret/./x",
        "/v1/secret/%E2%80%A8"}) {
    auto r = NormalizePath(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status(), InvalidArgument("invalid path")) << p;
  }
  // Dots inside a segment are fine.
  EXPECT_EQ(*NormalizePath("/v1/secret/a..b/.hidden"), "secret/a..b/.hidden");
}

// --- Methods ---

TEST(TranslateTest, MethodsMapToOperations) {
  EXPECT_EQ(MustTranslate(Make("GET", "/v1/a")).operation, Operation::kRead);
  EXPECT_EQ(MustTranslate(Make("POST", "/v1/a")).operation, Operation::kUpdate);
  EXPECT_EQ(MustTranslate(Make("PUT", "/v1/a")).operation, Operation::kUpdate);
  EXPECT_EQ(MustTranslate(Make("DELETE", "/v1/a")).operation, Operation::kDelete);
  EXPECT_EQ(MustTranslate(Make("HEAD", "/v1/sys/health")).operation, Operation::kHead);
  EXPECT_EQ(MustTranslate(Make("LIST", "/v1/a")).operation, Operation::kList);
  EXPECT_EQ(MustTranslate(
                Make("PATCH", "/v1/a", "{}", {{"Content-Type", "application/merge-patch+json"}}))
                .operation,
            Operation::kPatch);
}

TEST(TranslateTest, UnknownMethodsAre405WithEmptyErrors) {
  for (const char* m : {"OPTIONS", "TRACE", "CONNECT", "get", "FOO"}) {
    EXPECT_EQ(TranslateError(Make(m, "/v1/a")), Unsupported("")) << m;
  }
}

TEST(TranslateTest, NonApiPathIsNotFoundBeforeMethodCheck) {
  EXPECT_EQ(TranslateError(Make("GET", "/ui/")), NotFound(""));
  EXPECT_EQ(TranslateError(Make("GET", "*")), NotFound(""));
}

TEST(TranslateTest, GetListQueryBool) {
  for (const char* v : {"true", "True", "TRUE", "1", "t", "T"}) {
    Request r = MustTranslate(Make("GET", std::string("/v1/secret/metadata?list=") + v));
    EXPECT_EQ(r.operation, Operation::kList) << v;
    EXPECT_EQ(r.path, "secret/metadata/") << v;
    EXPECT_FALSE(r.data.contains("list"));
  }
  for (const char* v : {"false", "0", "F", ""}) {
    Request r = MustTranslate(Make("GET", std::string("/v1/secret/foo?list=") + v));
    EXPECT_EQ(r.operation, Operation::kRead) << v;
    EXPECT_EQ(r.path, "secret/foo");
    EXPECT_FALSE(r.data.contains("list"));
  }
  Status s = TranslateError(Make("GET", "/v1/secret/foo?list=yes"));
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("yes"), std::string::npos);
}

TEST(TranslateTest, ListAppendsTrailingSlashOnce) {
  EXPECT_EQ(MustTranslate(Make("LIST", "/v1/secret/metadata")).path, "secret/metadata/");
  EXPECT_EQ(MustTranslate(Make("LIST", "/v1/secret/metadata/")).path, "secret/metadata/");
  EXPECT_EQ(MustTranslate(Make("GET", "/v1/secret/foo/")).path, "secret/foo/");
}

// --- Query parameters and bodies ---

TEST(TranslateTest, QueryParamsBecomeDataForReadLikeMethods) {
  for (const char* m : {"GET", "LIST", "DELETE", "HEAD"}) {
    Request r = MustTranslate(Make(m, "/v1/secret/data/x?version=3&a=b+c&e=%26&list=false"));
    EXPECT_EQ(r.data, (Json{{"version", "3"}, {"a", "b c"}, {"e", "&"}})) << m;
  }
  Request r = MustTranslate(Make("GET", "/v1/x?k=1&k=2&flag"));
  EXPECT_EQ(r.data, (Json{{"k", {"1", "2"}}, {"flag", ""}}));
  // Malformed pairs are dropped, like Go's URL.Query().
  r = MustTranslate(Make("GET", "/v1/x?bad=%zz&ok=1&semi=a;b"));
  EXPECT_EQ(r.data, (Json{{"ok", "1"}}));
}

TEST(TranslateTest, QueryIsIgnoredForWrites) {
  Request r = MustTranslate(Make("POST", "/v1/secret/x?version=3", R"({"a":1})"));
  EXPECT_EQ(r.data, (Json{{"a", 1}}));
}

TEST(TranslateTest, HelpQuerySetsIsHelpAndIsNotData) {
  Request r = MustTranslate(Make("GET", "/v1/secret/x?help=1"));
  EXPECT_TRUE(r.is_help);
  EXPECT_EQ(r.data, Json::object());
  EXPECT_FALSE(MustTranslate(Make("GET", "/v1/secret/x")).is_help);
  EXPECT_FALSE(MustTranslate(Make("GET", "/v1/secret/x?help=")).is_help);
}

TEST(TranslateTest, BodyParsing) {
  EXPECT_EQ(MustTranslate(Make("POST", "/v1/a")).data, Json::object());
  EXPECT_EQ(MustTranslate(Make("PUT", "/v1/a", " \r\n ")).data, Json::object());
  Request r = MustTranslate(
      Make("POST", "/v1/a",
           R"({"x":1,"gone":null,"nested":{"keep":null},"u":"v","big":12345678901234567890})"));
  EXPECT_EQ(r.data, (Json{{"x", 1},
                          {"nested", {{"keep", nullptr}}},
                          {"u", "v"},
                          {"big", 12345678901234567890ULL}}));
  for (const char* bad : {"[1,2]", "\"s\"", "42", "null", "{", "{\"a\":}", "{} x", "\xff"}) {
    EXPECT_EQ(TranslateError(Make("POST", "/v1/a", bad)), InvalidArgument("error parsing JSON"))
        << bad;
  }
}

TEST(TranslateTest, DeeplyNestedBodyIsRefused) {
  std::string deep(kMaxJsonDepth, '[');
  deep = "{\"a\":" + deep + std::string(kMaxJsonDepth, ']') + "}";
  EXPECT_EQ(TranslateError(Make("POST", "/v1/a", deep)), InvalidArgument("error parsing JSON"));
  std::string ok(kMaxJsonDepth - 1, '[');
  ok = "{\"a\":" + ok + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_TRUE(TranslateRequest(Make("POST", "/v1/a", ok)).ok());
  // Brackets inside strings do not count.
  const std::string brackets(kMaxJsonDepth * 2, '[');
  EXPECT_TRUE(TranslateRequest(Make("POST", "/v1/a", "{\"a\":\"" + brackets + "\\\"[[\"}")).ok());
}

TEST(TranslateTest, PatchRequiresMergePatchMediaType) {
  EXPECT_TRUE(
      TranslateRequest(Make("PATCH", "/v1/a", "{}",
                            {{"content-type", "Application/Merge-Patch+JSON; charset=utf-8"}}))
          .ok());
  Status s = TranslateError(Make("PATCH", "/v1/a", "{}", {{"Content-Type", "application/json"}}));
  EXPECT_EQ(s, Status(Code::kUnsupportedMediaType,
                      "PATCH requires Content-Type of application/merge-patch+json, provided "
                      "application/json"));
  s = TranslateError(Make("PATCH", "/v1/a", "{}"));
  EXPECT_EQ(s.code(), Code::kUnsupportedMediaType);
  EXPECT_EQ(s.message(), "PATCH requires Content-Type of application/merge-patch+json, provided ");
}

// --- Headers ---

TEST(TranslateTest, TokenFromVaultHeaderOrBearer) {
  EXPECT_EQ(MustTranslate(Make("GET", "/v1/a", "", {{"X-Vault-Token", "s.abc"}})).client_token,
            "s.abc");
  EXPECT_EQ(MustTranslate(Make("GET", "/v1/a", "",
                               {{"Authorization", "Bearer s.bear"}, {"x-vault-token", "s.vault"}}))
                .client_token,
            "s.vault");
  EXPECT_EQ(MustTranslate(Make("GET", "/v1/a", "", {{"authorization", "Bearer   s.trim  "}}))
                .client_token,
            "s.trim");
  EXPECT_EQ(MustTranslate(Make("GET", "/v1/a", "",
                               {{"Authorization", "Basic Zm9vOmJhcg=="},
                                {"Authorization", "Bearer s.second"}}))
                .client_token,
            "s.second");
  EXPECT_EQ(MustTranslate(Make("GET", "/v1/a", "", {{"Authorization", "bearer s.x"}})).client_token,
            "");
  EXPECT_EQ(MustTranslate(Make("GET", "/v1/a")).client_token, "");
}

TEST(TranslateTest, WrapTtlHeader) {
  auto ttl = [](std::string v) {
    return MustTranslate(Make("POST", "/v1/a", "", {{"X-Vault-Wrap-TTL", v}})).wrap_ttl_seconds;
  };
  EXPECT_EQ(ttl("300"), 300);
  EXPECT_EQ(ttl("15s"), 15);
  EXPECT_EQ(ttl("20m"), 1200);
  EXPECT_EQ(ttl("25h"), 90000);
  EXPECT_EQ(ttl("1h30m"), 5400);
  EXPECT_FALSE(MustTranslate(Make("POST", "/v1/a")).wrap_ttl_seconds.has_value());
  for (const char* bad : {"-5", "-1m", "abc", "5x", "1.5"}) {
    Status s = TranslateError(Make("POST", "/v1/a", "", {{"x-vault-wrap-ttl", bad}}));
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(s.message().rfind("error parsing X-Vault-Wrap-TTL header: ", 0), 0u) << s.message();
  }
}

TEST(TranslateTest, SelectedHeadersCopiedLowerCase) {
  Request r = MustTranslate(Make("GET", "/v1/a", "",
                                 {{"X-Vault-Request", "true"},
                                  {"X-Vault-Namespace", "root"},
                                  {"User-Agent", "hvac"},
                                  {"X-Vault-Index", "idx"},
                                  {"X-Vault-Wrap-Format", "jwt"},
                                  {"X-Vault-Forward", "active-node"},
                                  {"X-Vault-Inconsistent", "forward-active-node"},
                                  {"X-Vault-Token", "s.secret"},
                                  {"Cookie", "c=1"}}));
  EXPECT_EQ(r.headers,
            (std::map<std::string, std::string>{{"x-vault-request", "true"},
                                                {"x-vault-namespace", "root"},
                                                {"user-agent", "hvac"},
                                                {"x-vault-index", "idx"},
                                                {"x-vault-wrap-format", "jwt"},
                                                {"x-vault-forward", "active-node"},
                                                {"x-vault-inconsistent", "forward-active-node"}}));
  EXPECT_EQ(r.remote_addr, "10.0.0.1:5000");
}

TEST(TranslateTest, AbsoluteFormTarget) {
  EXPECT_EQ(MustTranslate(Make("GET", "http://example.com:8200/v1/sys/health?x=1")).path,
            "sys/health");
}

// --- Building blocks ---

TEST(ParseDurationSecondsTest, GoDurations) {
  EXPECT_EQ(*ParseDurationSeconds("0"), 0);
  EXPECT_EQ(*ParseDurationSeconds("45"), 45);
  EXPECT_EQ(*ParseDurationSeconds("-45"), -45);
  EXPECT_EQ(*ParseDurationSeconds("1.5h"), 5400);
  EXPECT_EQ(*ParseDurationSeconds("1500ms"), 1);
  EXPECT_EQ(*ParseDurationSeconds("768h"), 2764800);
  EXPECT_EQ(*ParseDurationSeconds("2h45m30s"), 9930);
  EXPECT_EQ(*ParseDurationSeconds("-1m"), -60);
  EXPECT_EQ(*ParseDurationSeconds("7d"), 604800);
  EXPECT_EQ(*ParseDurationSeconds(".5m"), 30);
  for (const char* bad :
       {"", "s", "1x", "h1", "1.", "--1s", "1e3s", "99999999999h", "99999999999999999999"}) {
    auto r = ParseDurationSeconds(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(ParseDurationSeconds("5x").status().message(), "time: invalid duration \"5x\"");
}

TEST(PercentDecodeTest, Basics) {
  EXPECT_EQ(PercentDecode("a%2Fb+c", false), "a/b+c");
  EXPECT_EQ(PercentDecode("a%2fb+c", true), "a/b c");
  EXPECT_EQ(PercentDecode("%", false), std::nullopt);
  EXPECT_EQ(PercentDecode("%g0", false), std::nullopt);
}

}  // namespace
}  // namespace coffer::http
