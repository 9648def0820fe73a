// Response wrapping through Core::Handle on the in-memory backend: wrap,
// unwrap once, lookup, rewrap, wrapped token creation, policy-forced wrap
// TTLs, and what a wrapping token may not do.
#include "core/wrapping.h"

#include <gtest/gtest.h>

#include "core/core.h"
#include "core/core_test_util.h"

namespace coffer::core {
namespace {

Request Req(Operation op, std::string path, Json data = Json::object(), std::string token = "",
            std::optional<int64_t> wrap_ttl = std::nullopt) {
  Request r = testing::Req(op, std::move(path), std::move(data), std::move(token));
  r.wrap_ttl_seconds = wrap_ttl;
  return r;
}

class WrappingTest : public ::testing::Test {
 protected:
  WrappingTest() : core_(testing::NewInmemCore(0)), root_(testing::InitAndUnseal(*core_)) {}

  Result<Response> Do(Request r) { return core_->Handle(r); }

  // Wraps {"secret": "s3cr3t"} with sys/wrapping/wrap and returns wrap_info.
  WrapInfo WrapSecret(int64_t ttl = 300, const std::string& token = "") {
    auto r = Do(Req(Operation::kUpdate, "sys/wrapping/wrap", {{"secret", "s3cr3t"}},
                    token.empty() ? root_ : token, ttl));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !r->wrap_info.has_value()) return WrapInfo{};
    EXPECT_TRUE(r->data.is_null());
    return *r->wrap_info;
  }

  std::unique_ptr<Core> core_;
  std::string root_;
};

TEST_F(WrappingTest, WrapGivesWrapInfoOnlyAndUnwrapsOnce) {
  WrapInfo w = WrapSecret(120);
  EXPECT_EQ(w.token.rfind("hvs.", 0), 0u);
  EXPECT_EQ(w.token.size(), 28u);
  EXPECT_FALSE(w.accessor.empty());
  EXPECT_EQ(w.ttl, 120);
  EXPECT_EQ(w.creation_path, "sys/wrapping/wrap");
  EXPECT_EQ(w.creation_time.size(), 20u);  // RFC 3339, e.g. 2026-11-28T13:00:00Z
  EXPECT_TRUE(w.wrapped_accessor.empty());

  // The wrapping token is a single-use orphan service token with one policy.
  auto entry = core_->tokens().Lookup(w.token);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->policies, std::vector<std::string>{"response-wrapping"});
  EXPECT_EQ((*entry)->num_uses, 1);
  EXPECT_TRUE((*entry)->parent.empty());
  EXPECT_EQ((*entry)->type, "service");

  auto un = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {}, w.token));
  ASSERT_TRUE(un.ok()) << un.status().ToString();
  EXPECT_EQ(un->data, (Json{{"secret", "s3cr3t"}}));
  EXPECT_FALSE(un->wrap_info.has_value());

  auto again = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {}, w.token));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(again.status().message(), kInvalidWrappingToken);
}

TEST_F(WrappingTest, ThirdPartyUnwrapUsesTheBodyToken) {
  WrapInfo w = WrapSecret();
  auto un = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {{"token", w.token}}, root_));
  ASSERT_TRUE(un.ok()) << un.status().ToString();
  EXPECT_EQ(un->data["secret"], "s3cr3t");
  auto again = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {{"token", w.token}}, root_));
  EXPECT_EQ(again.status().message(), kInvalidWrappingToken);
  // The token and its cubbyhole are gone.
  auto entry = core_->tokens().Lookup(w.token);
  ASSERT_TRUE(entry.ok());
  EXPECT_FALSE(entry->has_value());
}

TEST_F(WrappingTest, UnwrapRefusesNonWrappingTokens) {
  auto un = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {{"token", root_}}, root_));
  EXPECT_EQ(un.status().message(), kInvalidWrappingToken);
  auto bogus = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {}, "hvs.nonexistent"));
  EXPECT_EQ(bogus.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(bogus.status().message(), kInvalidWrappingToken);
}

TEST_F(WrappingTest, LookupDoesNotUseTheToken) {
  WrapInfo w = WrapSecret(90);
  for (int i = 0; i < 2; ++i) {
    // Open path: no client token needed.
    auto look = Do(Req(Operation::kUpdate, "sys/wrapping/lookup", {{"token", w.token}}));
    ASSERT_TRUE(look.ok()) << look.status().ToString();
    EXPECT_EQ(look->data["creation_path"], "sys/wrapping/wrap");
    EXPECT_EQ(look->data["creation_ttl"], 90);
    EXPECT_EQ(look->data["creation_time"], w.creation_time);
  }
  auto self = Do(Req(Operation::kUpdate, "sys/wrapping/lookup", {}, w.token));
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_TRUE(Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {}, w.token)).ok());
  auto gone = Do(Req(Operation::kUpdate, "sys/wrapping/lookup", {{"token", w.token}}));
  EXPECT_EQ(gone.status().message(), kInvalidWrappingToken);
}

TEST_F(WrappingTest, RewrapMovesTheResponseToANewToken) {
  WrapInfo w = WrapSecret(200);
  auto re = Do(Req(Operation::kUpdate, "sys/wrapping/rewrap", {{"token", w.token}}, root_));
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  ASSERT_TRUE(re->wrap_info.has_value());
  EXPECT_NE(re->wrap_info->token, w.token);
  EXPECT_EQ(re->wrap_info->ttl, 200);
  EXPECT_EQ(re->wrap_info->creation_path, "sys/wrapping/wrap");
  auto old = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {{"token", w.token}}, root_));
  EXPECT_EQ(old.status().message(), kInvalidWrappingToken);
  auto un = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {}, re->wrap_info->token));
  ASSERT_TRUE(un.ok()) << un.status().ToString();
  EXPECT_EQ(un->data, (Json{{"secret", "s3cr3t"}}));  // not nested
}

TEST_F(WrappingTest, WrapEndpointNeedsAWrapTtl) {
  auto r = Do(Req(Operation::kUpdate, "sys/wrapping/wrap", {{"a", "b"}}, root_));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "endpoint requires response wrapping to be used");
}

TEST_F(WrappingTest, WrappedTokenCreateCarriesTheAuthAndWrappedAccessor) {
  auto r = Do(Req(Operation::kUpdate, "auth/token/create", {{"policies", {"default"}}}, root_,
                  60));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->wrap_info.has_value());
  EXPECT_FALSE(r->auth.has_value());
  EXPECT_FALSE(r->wrap_info->wrapped_accessor.empty());
  EXPECT_EQ(r->wrap_info->creation_path, "auth/token/create");
  auto un = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {}, r->wrap_info->token));
  ASSERT_TRUE(un.ok()) << un.status().ToString();
  ASSERT_TRUE(un->auth.has_value());
  EXPECT_EQ(un->auth->accessor, r->wrap_info->wrapped_accessor);
  auto self = Do(Req(Operation::kRead, "auth/token/lookup-self", {}, un->auth->client_token));
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(self->data["accessor"], r->wrap_info->wrapped_accessor);
}

TEST_F(WrappingTest, WrappingTokenCannotDoAnythingElse) {
  WrapInfo w = WrapSecret();
  auto mounts = Do(Req(Operation::kRead, "sys/mounts", {}, w.token));
  EXPECT_EQ(mounts.status().code(), Code::kPermissionDenied);
  // Like Vault, the refused request spent the single use.
  auto un = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {}, w.token));
  EXPECT_EQ(un.status().message(), kInvalidWrappingToken);

  WrapInfo w2 = WrapSecret();
  auto create = Do(Req(Operation::kUpdate, "auth/token/create", {}, w2.token));
  EXPECT_EQ(create.status().code(), Code::kPermissionDenied);
}

TEST_F(WrappingTest, WrappingTokenOutlivesTheCallerAndExpires) {
  auto child = Do(Req(Operation::kUpdate, "auth/token/create", {{"policies", {"default"}}},
                      root_));
  ASSERT_TRUE(child.ok() && child->auth.has_value());
  const std::string child_token = child->auth->client_token;
  WrapInfo w = WrapSecret(60, child_token);
  ASSERT_FALSE(w.token.empty());
  ASSERT_TRUE(Do(Req(Operation::kUpdate, "auth/token/revoke-self", {}, child_token)).ok());
  auto look = Do(Req(Operation::kUpdate, "sys/wrapping/lookup", {{"token", w.token}}));
  EXPECT_TRUE(look.ok()) << look.status().ToString();

  const int64_t now = core_->tokens().Now();
  core_->tokens().SetClock([now] { return now + 61; });
  auto un = Do(Req(Operation::kUpdate, "sys/wrapping/unwrap", {{"token", w.token}}, root_));
  EXPECT_EQ(un.status().message(), kInvalidWrappingToken);
}

TEST_F(WrappingTest, PolicyWrappingBoundsAreEnforced) {
  auto pol = Do(Req(Operation::kUpdate, "sys/policy/wrapped",
                    {{"policy", R"(path "sys/wrapping/wrap" {
  capabilities = ["update"]
  min_wrapping_ttl = "10s"
  max_wrapping_ttl = "1m"
})"}},
                    root_));
  ASSERT_TRUE(pol.ok()) << pol.status().ToString();
  auto tok = Do(Req(Operation::kUpdate, "auth/token/create", {{"policies", {"wrapped"}}}, root_));
  ASSERT_TRUE(tok.ok() && tok->auth.has_value());
  const std::string t = tok->auth->client_token;
  auto data = Json{{"k", "v"}};
  EXPECT_EQ(Do(Req(Operation::kUpdate, "sys/wrapping/wrap", data, t, 120)).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(Do(Req(Operation::kUpdate, "sys/wrapping/wrap", data, t, 5)).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(Do(Req(Operation::kUpdate, "sys/wrapping/wrap", data, t)).status().code(),
            Code::kPermissionDenied);
  auto ok = Do(Req(Operation::kUpdate, "sys/wrapping/wrap", data, t, 30));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->wrap_info.has_value());
}

TEST(WrapTtlAllowed, Bounds) {
  AclDecision d;
  EXPECT_TRUE(WrapTtlAllowed(d, std::nullopt));
  d.min_wrapping_ttl = 1;
  EXPECT_FALSE(WrapTtlAllowed(d, std::nullopt));
  EXPECT_TRUE(WrapTtlAllowed(d, 1));
  d.max_wrapping_ttl = 10;
  EXPECT_FALSE(WrapTtlAllowed(d, 11));
  d.min_wrapping_ttl = 20;  // merged bounds that nothing satisfies
  EXPECT_FALSE(WrapTtlAllowed(d, 15));
}

TEST(WrappedResponse, StoredFormRoundTrips) {
  Response r = Response::Data(Json{{"a", 1}});
  r.warnings = {"w"};
  r.secret = SecretInfo{.lease_id = "x/y/z", .renewable = true, .lease_duration = 30};
  AuthInfo a;
  a.client_token = "hvs.abc";
  a.accessor = "acc";
  a.policies = {"default"};
  a.lease_duration = 40;
  r.auth = a;
  auto back = ResponseFromStored(ResponseToStored(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->data, r.data);
  EXPECT_EQ(back->warnings, r.warnings);
  EXPECT_EQ(back->secret->lease_id, "x/y/z");
  EXPECT_EQ(back->auth->client_token, "hvs.abc");
  EXPECT_EQ(back->auth->lease_duration, 40);
  EXPECT_FALSE(ResponseFromStored(Json::array()).ok());
}

}  // namespace
}  // namespace coffer::core
