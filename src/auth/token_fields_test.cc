#include "auth/token_fields.h"

#include <gtest/gtest.h>

#include "auth/cidr.h"

namespace coffer::auth {
namespace {

using Strings = std::vector<std::string>;

TEST(TokenFields, ParsesWeaklyTypedFieldsAndSanitizesPolicies) {
  auto f = ParseTokenFields(Json{{"token_policies", " Web, db ,web,"},
                                 {"token_ttl", "1h"},
                                 {"token_max_ttl", 7200},
                                 {"token_explicit_max_ttl", "3h"},
                                 {"token_num_uses", "5"},
                                 {"token_no_default_policy", "true"},
                                 {"token_type", "batch"},
                                 {"token_bound_cidrs", Json::array({"10.0.0.0/8", "::1"})}},
                            TokenFields{}, kUserpassLegacyKeys);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->policies, (Strings{"db", "web"}));
  EXPECT_EQ(f->ttl, 3600);
  EXPECT_EQ(f->max_ttl, 7200);
  EXPECT_EQ(f->explicit_max_ttl, 10800);
  EXPECT_EQ(f->num_uses, 5);
  EXPECT_TRUE(f->no_default_policy);
  EXPECT_EQ(f->type, "batch");
  EXPECT_EQ(f->bound_cidrs, (Strings{"10.0.0.0/8", "::1"}));
}

TEST(TokenFields, OnlyPresentFieldsChangeAndNullMeansAbsent) {
  TokenFields cur;
  cur.ttl = 60;
  cur.policies = {"a"};
  auto f = ParseTokenFields(Json{{"token_max_ttl", 120}, {"token_policies", nullptr}}, cur,
                            kUserpassLegacyKeys);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->ttl, 60);
  EXPECT_EQ(f->max_ttl, 120);
  EXPECT_EQ(f->policies, (Strings{"a"}));
}

TEST(TokenFields, DeprecatedAliasesPerMethod) {
  Json legacy = {{"policies", "x,y"},
                 {"ttl", 30},
                 {"max_ttl", "1m"},
                 {"period", 90},
                 {"bound_cidrs", "127.0.0.1/32"}};
  auto up = ParseTokenFields(legacy, TokenFields{}, kUserpassLegacyKeys);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->policies, (Strings{"x", "y"}));
  EXPECT_EQ(up->ttl, 30);
  EXPECT_EQ(up->max_ttl, 60);
  EXPECT_EQ(up->period, 0);  // userpass has no "period" alias
  EXPECT_EQ(up->bound_cidrs, (Strings{"127.0.0.1/32"}));

  auto ar = ParseTokenFields(legacy, TokenFields{}, kAppRoleLegacyKeys);
  ASSERT_TRUE(ar.ok());
  EXPECT_EQ(ar->period, 90);
  EXPECT_EQ(ar->ttl, 0);  // approle has no "ttl" alias
  EXPECT_TRUE(ar->bound_cidrs.empty());

  // The token_* spelling wins over the alias.
  auto both = ParseTokenFields(Json{{"policies", "old"}, {"token_policies", "new"}}, TokenFields{},
                               kUserpassLegacyKeys);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->policies, (Strings{"new"}));
}

TEST(TokenFields, RejectsBadValues) {
  auto bad = [](Json j) {
    return ParseTokenFields(j, TokenFields{}, kUserpassLegacyKeys).status().code();
  };
  EXPECT_EQ(bad({{"token_type", "weird"}}), Code::kInvalidArgument);
  EXPECT_EQ(bad({{"token_num_uses", -1}}), Code::kInvalidArgument);
  EXPECT_EQ(bad({{"token_ttl", 100}, {"token_max_ttl", 50}}), Code::kInvalidArgument);
  EXPECT_EQ(bad({{"token_ttl", "-5s"}}), Code::kInvalidArgument);
  EXPECT_EQ(bad({{"token_bound_cidrs", "10.0.0.0/33"}}), Code::kInvalidArgument);
  EXPECT_EQ(bad({{"token_bound_cidrs", "nonsense"}}), Code::kInvalidArgument);
  EXPECT_EQ(bad({{"token_type", "batch"}, {"token_period", 60}}), Code::kInvalidArgument);
  EXPECT_EQ(bad({{"token_no_default_policy", "maybe"}}), Code::kInvalidArgument);
}

TEST(TokenFields, ReadViewHasTokenKeysAndSetLegacyKeys) {
  TokenFields f;
  f.policies = {"a"};
  f.ttl = 10;
  Json up = TokenFieldsToJson(f, kUserpassLegacyKeys);
  for (const char* k : {"token_ttl", "token_max_ttl", "token_policies", "token_bound_cidrs",
                        "token_explicit_max_ttl", "token_no_default_policy", "token_num_uses",
                        "token_period", "token_type"}) {
    EXPECT_TRUE(up.contains(k)) << k;
  }
  EXPECT_EQ(up["policies"], Json::array({"a"}));
  EXPECT_EQ(up["ttl"], 10);
  EXPECT_FALSE(up.contains("max_ttl"));  // not set
  EXPECT_FALSE(up.contains("bound_cidrs"));
  Json ar = TokenFieldsToJson(f, kAppRoleLegacyKeys);
  EXPECT_FALSE(ar.contains("ttl"));
  EXPECT_EQ(ar["token_type"], "default");
}

TEST(FillAuth, PoliciesDefaultAndFlags) {
  TokenFields f;
  f.policies = {"web"};
  f.num_uses = 3;
  f.bound_cidrs = {"10.0.0.0/8"};
  AuthInfo a;
  FillAuth(f, &a);
  EXPECT_EQ(a.policies, (Strings{"default", "web"}));
  EXPECT_EQ(a.token_policies, a.policies);
  EXPECT_EQ(a.num_uses, 3);
  EXPECT_EQ(a.bound_cidrs, f.bound_cidrs);
  EXPECT_TRUE(a.renewable);
  EXPECT_TRUE(a.orphan);
  EXPECT_EQ(a.token_type, "default");  // the mount's token_type decides

  f.no_default_policy = true;
  f.type = "batch";
  AuthInfo b;
  FillAuth(f, &b);
  EXPECT_EQ(b.policies, (Strings{"web"}));
  EXPECT_TRUE(b.no_default_policy);
  EXPECT_EQ(b.token_type, "batch");
  EXPECT_FALSE(b.renewable);
}

TEST(FillAuth, LeaseDurationFromTtlDefaultsAndCaps) {
  SystemView sys{.default_lease_ttl = 1000, .max_lease_ttl = 5000};
  auto lease = [&](TokenFields f, const SystemView* s) {
    AuthInfo a;
    FillAuth(f, &a, s);
    return a.lease_duration;
  };
  EXPECT_EQ(lease(TokenFields{}, &sys), 1000);  // mount default
  EXPECT_EQ(lease(TokenFields{}, nullptr), 0);  // left to the core
  EXPECT_EQ(lease(TokenFields{.ttl = 300}, &sys), 300);
  EXPECT_EQ(lease(TokenFields{.ttl = 9000}, &sys), 5000);    // mount max
  EXPECT_EQ(lease(TokenFields{.max_ttl = 400}, &sys), 400);  // default capped by token_max_ttl
  EXPECT_EQ(lease(TokenFields{.ttl = 300, .explicit_max_ttl = 200}, &sys), 200);
  EXPECT_EQ(lease(TokenFields{.ttl = 300, .period = 60}, &sys), 60);
  AuthInfo a;
  FillAuth(TokenFields{.explicit_max_ttl = 200, .period = 60}, &a, &sys);
  EXPECT_EQ(a.period, 60);
  EXPECT_EQ(a.explicit_max_ttl, 200);
}

TEST(Cidr, ParsesBlocksAndAddresses) {
  auto c = ParseCidr("10.1.2.3/8", "f");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->prefix, 8);
  EXPECT_EQ(c->network.bytes[1], 0);  // host bits cleared
  EXPECT_EQ(ParseCidr("192.168.0.1", "f")->prefix, 32);
  EXPECT_EQ(ParseCidr("fd00::/8", "f")->prefix, 8);
  EXPECT_EQ(ParseCidr("::1", "f")->prefix, 128);
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1", "::/129",
                          "1.2.3.4/33", "300.1.1.1", "10.0.0.0/8/9"}) {
    EXPECT_FALSE(ParseCidr(bad, "f").ok()) << bad;
  }
}

TEST(Cidr, RemoteAddressFormsAndContainment) {
  auto v4 = ParseRemoteAddress("10.2.3.4:5555");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(CidrContains(*ParseCidr("10.0.0.0/8", ""), *v4));
  EXPECT_FALSE(CidrContains(*ParseCidr("11.0.0.0/8", ""), *v4));
  auto v6 = ParseRemoteAddress("[fd00::5]:80");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(CidrContains(*ParseCidr("fd00::/8", ""), *v6));
  EXPECT_FALSE(CidrContains(*ParseCidr("10.0.0.0/8", ""), *v6));
  auto mapped = ParseRemoteAddress("[::ffff:10.9.9.9]:1");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(CidrContains(*ParseCidr("10.0.0.0/8", ""), *mapped));
  EXPECT_TRUE(ParseRemoteAddress("127.0.0.1"));
  EXPECT_TRUE(ParseRemoteAddress("::1"));
  EXPECT_FALSE(ParseRemoteAddress("localhost:80"));
  EXPECT_FALSE(ParseRemoteAddress(""));
  EXPECT_TRUE(CidrContains(*ParseCidr("0.0.0.0/0", ""), *v4));
}

TEST(Cidr, ListWithin) {
  EXPECT_TRUE(CidrListWithin({"10.1.0.0/16", "10.2.3.4"}, {"10.0.0.0/8"}));
  EXPECT_FALSE(CidrListWithin({"10.0.0.0/7"}, {"10.0.0.0/8"}));
  EXPECT_FALSE(CidrListWithin({"11.0.0.0/16"}, {"10.0.0.0/8"}));
  EXPECT_FALSE(CidrListWithin({"10.0.0.0/16"}, {}));
  EXPECT_TRUE(CidrListWithin({}, {"10.0.0.0/8"}));
}

TEST(Cidr, CheckRemoteAddress) {
  Request original;
  original.remote_addr = "192.168.1.7:1234";
  EngineRequest req;
  req.original = &original;
  EXPECT_TRUE(CheckRemoteAddress({}, req).ok());
  EXPECT_TRUE(CheckRemoteAddress({"10.0.0.0/8", "192.168.1.0/24"}, req).ok());
  EXPECT_EQ(CheckRemoteAddress({"10.0.0.0/8"}, req).code(), Code::kPermissionDenied);
  original.remote_addr = "garbage";
  EXPECT_EQ(CheckRemoteAddress({"0.0.0.0/0"}, req).code(), Code::kPermissionDenied);
  req.original = nullptr;
  EXPECT_EQ(CheckRemoteAddress({"0.0.0.0/0"}, req).code(), Code::kPermissionDenied);
  EXPECT_TRUE(CheckRemoteAddress({}, req).ok());
}

}  // namespace
}  // namespace coffer::auth
