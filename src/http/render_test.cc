#include "http/render.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace coffer::http {
namespace {

std::string Header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<absent>";
}

Request Req(Operation op, std::string path) {
  Request r;
  r.operation = op;
  r.path = std::move(path);
  return r;
}

Json Body(const HttpResponse& r) { return Json::parse(r.body); }

TEST(HttpStatusForTest, OneMappingForEveryCode) {
  EXPECT_EQ(HttpStatusFor(InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusFor(PermissionDenied()), 403);
  EXPECT_EQ(HttpStatusFor(NotFound()), 404);
  EXPECT_EQ(HttpStatusFor(Unsupported()), 405);
  EXPECT_EQ(HttpStatusFor(Status(Code::kPreconditionFailed, "x")), 412);
  EXPECT_EQ(HttpStatusFor(Status(Code::kTooLarge, "x")), 413);
  EXPECT_EQ(HttpStatusFor(Status(Code::kUnsupportedMediaType, "x")), 415);
  EXPECT_EQ(HttpStatusFor(Status(Code::kRateLimited, "x")), 429);
  EXPECT_EQ(HttpStatusFor(Sealed()), 503);
  EXPECT_EQ(HttpStatusFor(Unavailable("x")), 503);
  EXPECT_EQ(HttpStatusFor(Corruption("x")), 500);
  EXPECT_EQ(HttpStatusFor(IOError("x")), 500);
  EXPECT_EQ(HttpStatusFor(Internal("x")), 500);
  EXPECT_EQ(HttpStatusFor(Status::Ok()), 200);
}

TEST(RenderErrorTest, ErrorsArrayAndExactContentType) {
  HttpResponse r = RenderError(PermissionDenied());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, R"({"errors":["permission denied"]})");
  EXPECT_EQ(Header(r, "Content-Type"), "application/json");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-store");

  r = RenderError(NotFound(""));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"errors":[]})");

  r = RenderError(Sealed());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Body(r), (Json{{"errors", {"Vault is sealed"}}}));

  r = RenderError(Status::Ok());
  EXPECT_EQ(r.status, 500);

  // Replication: an X-Vault-Index this node has not reached; a write on a
  // read-only node that could not be forwarded.
  r = RenderError(Status(Code::kPreconditionFailed, "required index state not present"));
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(r.body, R"({"errors":["required index state not present"]})");
  r = RenderError(ReadOnly());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"errors":["cannot write to readonly storage"]})");

  r = RenderError(Sealed(), /*head_only=*/true);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "");
}

TEST(ErrorResponseTest, IsRawJsonWithMappedStatus) {
  Response r = ErrorResponse(Status(Code::kTooLarge, "http: request body too large"));
  EXPECT_EQ(r.kind, Response::Kind::kRaw);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.raw_content_type, "application/json");
  EXPECT_EQ(r.raw_body, R"({"errors":["http: request body too large"]})");
  HttpResponse h = RenderResponse(Req(Operation::kRead, "x"), r, "id");
  EXPECT_EQ(h.status, 413);
  EXPECT_EQ(h.body, r.raw_body);
}

TEST(RenderResponseTest, EnvelopeFieldsInVaultOrder) {
  Response resp = Response::Data(Json{{"foo", "bar"}});
  resp.secret = SecretInfo{"secret/lease/1", true, 3600};
  resp.mount_type = "kv";
  HttpResponse r = RenderResponse(Req(Operation::kRead, "secret/foo"), resp, "req-1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "Content-Type"), "application/json");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-store");
  EXPECT_EQ(r.body,
            R"({"request_id":"req-1","lease_id":"secret/lease/1","renewable":true,)"
            R"("lease_duration":3600,"data":{"foo":"bar"},"wrap_info":null,"warnings":null,)"
            R"("auth":null,"mount_type":"kv"})");
}

TEST(RenderResponseTest, DataGivenAsTextIsWrittenAsItIsAndIsNotEmpty) {
  Response tree = Response::Data(Json{{"data", {{"foo", "bar"}}}, {"metadata", {{"version", 1}}}});
  tree.mount_type = "kv";
  Response text;
  text.data_json = R"({"data":{"foo":"bar"},"metadata":{"version":1}})";
  text.mount_type = "kv";
  HttpResponse a = RenderResponse(Req(Operation::kRead, "secret/data/foo"), tree, "req-1");
  HttpResponse b = RenderResponse(Req(Operation::kRead, "secret/data/foo"), text, "req-1");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, a.body);
  EXPECT_NE(b.body.find(R"("data":{"data":{"foo":"bar"},"metadata":{"version":1}},)"),
            std::string::npos)
      << b.body;
}

TEST(MaterializeDataTest, TextBecomesTheTreeOnlyWhenItIsAnObject) {
  Response r;
  r.data_json = R"({"a":[1,2],"b":null})";
  ASSERT_TRUE(MaterializeData(r));
  EXPECT_TRUE(r.data_json.empty());
  EXPECT_EQ(r.data, (Json{{"a", {1, 2}}, {"b", nullptr}}));
  Response bad;
  bad.data_json = "[1]";
  EXPECT_FALSE(MaterializeData(bad));
  EXPECT_EQ(bad.data_json, "[1]");
  Response none = Response::Data(Json{{"x", 1}});
  EXPECT_TRUE(MaterializeData(none));
  EXPECT_EQ(none.data, (Json{{"x", 1}}));
}

TEST(RenderResponseTest, NoContentWhenNothingToSay) {
  HttpResponse r = RenderResponse(Req(Operation::kUpdate, "secret/foo"), Response::Empty(), "id");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Header(r, "Content-Type"), "<absent>");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-store");

  Response warn;
  warn.warnings = {"deprecated"};
  r = RenderResponse(Req(Operation::kUpdate, "sys/policy/x"), warn, "id");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["warnings"], Json::array({"deprecated"}));
  EXPECT_TRUE(Body(r)["data"].is_null());

  Response explicit_status = Response::Data(Json{{"a", 1}});
  explicit_status.status = 299;
  EXPECT_EQ(RenderResponse(Req(Operation::kRead, "x"), explicit_status, "id").status, 299);
}

TEST(RenderResponseTest, AuthBlock) {
  Response resp;
  AuthInfo a;
  a.client_token = "hvs.tok";
  a.accessor = "acc";
  a.policies = {"default", "web"};
  a.token_policies = {"default", "web"};
  a.metadata = Json{{"username", "alice"}};
  a.lease_duration = 3600;
  a.renewable = true;
  a.orphan = true;
  resp.auth = a;
  resp.mount_type = "userpass";
  HttpResponse r = RenderResponse(Req(Operation::kUpdate, "auth/userpass/login/alice"), resp, "id");
  EXPECT_EQ(r.status, 200);
  Json body = Body(r);
  EXPECT_TRUE(body["data"].is_null());
  EXPECT_EQ(body["auth"], (Json{{"client_token", "hvs.tok"},
                                {"accessor", "acc"},
                                {"policies", {"default", "web"}},
                                {"token_policies", {"default", "web"}},
                                {"metadata", {{"username", "alice"}}},
                                {"lease_duration", 3600},
                                {"renewable", true},
                                {"entity_id", ""},
                                {"token_type", "service"},
                                {"orphan", true},
                                {"mfa_requirement", nullptr},
                                {"num_uses", 0}}));
  // Field order as Vault writes it.
  EXPECT_LT(r.body.find("\"client_token\""), r.body.find("\"accessor\""));
  EXPECT_LT(r.body.find("\"orphan\""), r.body.find("\"mfa_requirement\""));

  a.identity_policies = {"idp"};
  a.token_policies.clear();
  resp.auth = a;
  body = Body(RenderResponse(Req(Operation::kUpdate, "x"), resp, "id"));
  EXPECT_EQ(body["auth"]["identity_policies"], Json::array({"idp"}));
  EXPECT_FALSE(body["auth"].contains("token_policies"));
}

TEST(RenderResponseTest, WrappedResponseHidesDataAndAuth) {
  Response resp = Response::Data(Json{{"secret_id", "s3cr3t"}});
  resp.auth = AuthInfo{};
  resp.secret = SecretInfo{"lease", true, 10};
  resp.mount_type = "approle";
  resp.wrap_info = WrapInfo{
      "hvs.wrap", "wacc", 300, "2024-05-01T10:11:12.123456789Z", "auth/approle/role/app/secret-id",
      ""};
  HttpResponse r =
      RenderResponse(Req(Operation::kUpdate, "auth/approle/role/app/secret-id"), resp, "id");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("s3cr3t"), std::string::npos);
  Json body = Body(r);
  EXPECT_TRUE(body["data"].is_null());
  EXPECT_TRUE(body["auth"].is_null());
  EXPECT_EQ(body["lease_id"], "");
  EXPECT_EQ(body["lease_duration"], 0);
  EXPECT_EQ(body["request_id"], "");
  EXPECT_EQ(body["mount_type"], "");
  EXPECT_EQ(body["wrap_info"], (Json{{"token", "hvs.wrap"},
                                     {"accessor", "wacc"},
                                     {"ttl", 300},
                                     {"creation_time", "2024-05-01T10:11:12.123456789Z"},
                                     {"creation_path", "auth/approle/role/app/secret-id"},
                                     {"wrapped_accessor", ""}}));
}

TEST(RenderResponseTest, ListWithoutKeysIs404) {
  const Request list = Req(Operation::kList, "secret/metadata/");
  for (const Json& data :
       {Json(nullptr), Json::object(), Json{{"keys", Json::array()}}, Json{{"keys", nullptr}}}) {
    HttpResponse r = RenderResponse(list, Response::Data(data), "id");
    EXPECT_EQ(r.status, 404) << data.dump();
    EXPECT_EQ(r.body, R"({"errors":[]})");
  }
  HttpResponse ok = RenderResponse(list, Response::Data(Json{{"keys", {"a", "b/"}}}), "id");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(Body(ok)["data"]["keys"], Json::array({"a", "b/"}));
  // Other data without keys is returned as-is.
  EXPECT_EQ(RenderResponse(list, Response::Data(Json{{"other", 1}}), "id").status, 200);
  // keys must be strings.
  EXPECT_EQ(RenderResponse(list, Response::Data(Json{{"keys", {1, 2}}}), "id").status, 500);
  // The same empty data on a read is not a 404.
  EXPECT_EQ(RenderResponse(Req(Operation::kRead, "x"), Response::Data(Json::object()), "id").status,
            200);
}

TEST(RenderResponseTest, InjectedRoutesCopyDataToTopLevel) {
  Response resp = Response::Data(Json{{"keys", {"default", "root"}},
                                      {"policies", {"default", "root"}},
                                      {"request_id", "must-not-override"}});
  resp.mount_type = "system";
  Json body = Body(RenderResponse(Req(Operation::kRead, "sys/policy"), resp, "rid"));
  EXPECT_EQ(body["keys"], Json::array({"default", "root"}));
  EXPECT_EQ(body["policies"], Json::array({"default", "root"}));
  EXPECT_EQ(body["data"]["keys"], Json::array({"default", "root"}));
  EXPECT_EQ(body["request_id"], "rid");

  body = Body(RenderResponse(Req(Operation::kRead, "secret/policy"), resp, "rid"));
  EXPECT_FALSE(body.contains("keys"));
}

TEST(IsInjectedRouteTest, ExactAndPrefixRoutes) {
  for (const char* p : {"sys/audit",
                        "sys/audit/file",
                        "sys/audit-hash/file",
                        "sys/auth",
                        "sys/auth/userpass",
                        "sys/auth/userpass/tune",
                        "sys/capabilities",
                        "sys/capabilities-accessor",
                        "sys/capabilities-self",
                        "sys/key-status",
                        "sys/mounts",
                        "sys/mounts/secret",
                        "sys/mounts/secret/tune",
                        "sys/policy",
                        "sys/policy/",
                        "sys/policy/web",
                        "sys/remount",
                        "sys/rotate",
                        "sys/wrapping/wrap",
                        "sys/config/cors",
                        "sys/rekey/backup"}) {
    EXPECT_TRUE(IsInjectedRoute(p)) << p;
  }
  for (const char* p : {"sys/health", "sys/policies/acl/web", "sys/mountsx", "sys/wrapping/unwrap",
                        "secret/sys/mounts", "sys/audit-hash", "sys/leases/lookup"}) {
    EXPECT_FALSE(IsInjectedRoute(p)) << p;
  }
}

TEST(RenderResponseTest, RawResponses) {
  Response raw;
  raw.kind = Response::Kind::kRaw;
  raw.raw_body = "# HELP x\n";
  raw.raw_content_type = "text/plain; version=0.0.4";
  HttpResponse r = RenderResponse(Req(Operation::kRead, "sys/metrics"), raw, "id");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "# HELP x\n");
  EXPECT_EQ(Header(r, "Content-Type"), "text/plain; version=0.0.4");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-store");

  Response health = Response::RawJson(Json{{"initialized", true}}, 429);
  r = RenderResponse(Req(Operation::kRead, "sys/health"), health, "id");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Body(r), (Json{{"initialized", true}}));
}

TEST(RenderResponseTest, HeadHasStatusOnly) {
  Response health = Response::RawJson(Json{{"initialized", true}}, 200);
  HttpResponse r = RenderResponse(Req(Operation::kHead, "sys/health"), health, "id");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  Response data = Response::Data(Json{{"a", 1}});
  data.head_only = true;
  r = RenderResponse(Req(Operation::kRead, "x"), data, "id");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
}

TEST(RenderResponseTest, ExtraHeadersButNotReservedOnes) {
  Response resp = Response::Data(Json{{"a", 1}});
  resp.headers = {{"X-Vault-Index", "abc"}, {"Content-Type", "text/html"}, {"Connection", "x"}};
  HttpResponse r = RenderResponse(Req(Operation::kRead, "x"), resp, "id");
  EXPECT_EQ(Header(r, "X-Vault-Index"), "abc");
  EXPECT_EQ(Header(r, "Content-Type"), "application/json");
  EXPECT_EQ(Header(r, "Connection"), "<absent>");
}

TEST(RenderResponseTest, InvalidUtf8InDataDoesNotThrow) {
  Response resp = Response::Data(Json{{"a", std::string("\xff\xfe")}});
  HttpResponse r = RenderResponse(Req(Operation::kRead, "x"), resp, "id");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(Json::accept(r.body));
}

TEST(NewRequestIdTest, IsRandomUuidV4) {
  const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewRequestId();
    EXPECT_TRUE(std::regex_match(id, re)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace coffer::http
