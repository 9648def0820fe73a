#include "core/policy.h"

#include <gtest/gtest.h>

namespace coffer::core {
namespace {

Policy MustParse(const std::string& text, const std::string& name = "p") {
  auto r = ParsePolicy(name, text);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\n--- input:\n" << text;
  return r.ok() ? *r : Policy{};
}

std::string ParseError(const std::string& text, const std::string& name = "p") {
  auto r = ParsePolicy(name, text);
  EXPECT_FALSE(r.ok()) << "parsed:\n" << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

TEST(PolicyParse, HclPathsCapabilitiesAndRaw) {
  const std::string text = R"(
# app policy
path "secret/data/app/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list"]
}
path "/sys/leases/lookup/+/creds/*" {
  capabilities        = ["list", "sudo"]
  required_parameters = ["Lease_ID"]
  allowed_parameters  = { "TTL" = [], "role" = ["a", "b*"] }
  denied_parameters   = { "debug" = [] }
  min_wrapping_ttl    = "1s"
  max_wrapping_ttl    = 90
}
)";
  Policy p = MustParse(text, "  App ");
  EXPECT_EQ(p.name, "app");
  EXPECT_EQ(p.raw, text);
  ASSERT_EQ(p.paths.size(), 2u);
  EXPECT_EQ(p.paths[0].pattern, "secret/data/app/*");
  EXPECT_EQ(p.paths[0].capabilities,
            kCapCreate | kCapRead | kCapUpdate | kCapPatch | kCapDelete | kCapList);
  const PathRule& r = p.paths[1];
  EXPECT_EQ(r.pattern, "sys/leases/lookup/+/creds/*");  // leading '/' dropped
  EXPECT_EQ(r.capabilities, kCapList | kCapSudo);
  EXPECT_EQ(r.required_parameters, std::vector<std::string>{"lease_id"});
  ASSERT_EQ(r.allowed_parameters.count("ttl"), 1u);  // names lower-cased
  EXPECT_TRUE(r.allowed_parameters.at("ttl").empty());
  EXPECT_EQ(r.allowed_parameters.at("role"), (std::vector<Json>{"a", "b*"}));
  EXPECT_EQ(r.denied_parameters.count("debug"), 1u);
  EXPECT_EQ(r.min_wrapping_ttl, 1);
  EXPECT_EQ(r.max_wrapping_ttl, 90);
}

TEST(PolicyParse, JsonFormsAndSinglePath) {
  Policy p = MustParse(R"({"path": {"secret/*": {"capabilities": ["read"]},
                                    "kv/x": [{"capabilities": ["list"]}]}})");
  ASSERT_EQ(p.paths.size(), 2u);
  Policy one = MustParse(R"(path "only" { capabilities = ["read"] })");
  ASSERT_EQ(one.paths.size(), 1u);
  EXPECT_EQ(one.paths[0].pattern, "only");
  // Array-of-objects form, as HCL produces for repeated blocks.
  Policy arr = MustParse(R"({"path": [{"a": {"capabilities": ["read"]}},
                                      {"b": {"capabilities": ["update"]}}]})");
  ASSERT_EQ(arr.paths.size(), 2u);
  EXPECT_EQ(arr.paths[1].pattern, "b");
  EXPECT_EQ(arr.paths[1].capabilities, kCapUpdate);
}

TEST(PolicyParse, EmptyPolicyAndNameKeyAreValid) {
  EXPECT_TRUE(MustParse("").paths.empty());
  EXPECT_TRUE(MustParse("# nothing here\n").paths.empty());
  EXPECT_TRUE(MustParse(R"(name = "ignored")").paths.empty());
  EXPECT_TRUE(MustParse("{}").paths.empty());
}

TEST(PolicyParse, DenyClearsEverythingElse) {
  Policy p = MustParse(R"(path "x" {
    capabilities = ["read", "deny", "sudo"]
    allowed_parameters = { "a" = [] }
    required_parameters = ["b"]
  })");
  ASSERT_EQ(p.paths.size(), 1u);
  EXPECT_EQ(p.paths[0].capabilities, kCapDeny);
  EXPECT_TRUE(p.paths[0].allowed_parameters.empty());
  EXPECT_TRUE(p.paths[0].required_parameters.empty());
}

TEST(PolicyParse, DeprecatedPolicyShorthand) {
  struct Case {
    const char* value;
    uint32_t caps;
  } cases[] = {
      {"deny", kCapDeny},
      {"read", kCapRead | kCapList},
      {"write", kCapCreate | kCapRead | kCapUpdate | kCapDelete | kCapList},
      {"sudo", kCapCreate | kCapRead | kCapUpdate | kCapDelete | kCapList | kCapSudo},
  };
  for (const Case& c : cases) {
    Policy p = MustParse(std::string("path \"x\" { policy = \"") + c.value + "\" }");
    ASSERT_EQ(p.paths.size(), 1u) << c.value;
    EXPECT_EQ(p.paths[0].capabilities, c.caps) << c.value;
  }
  // The shorthand adds to explicit capabilities; deny replaces them.
  EXPECT_EQ(MustParse(R"(path "x" {
      capabilities = ["patch"]
      policy = "read" })")
                .paths[0]
                .capabilities,
            kCapPatch | kCapRead | kCapList);
  EXPECT_NE(ParseError(R"(path "x" { policy = "admin" })").find("invalid policy \"admin\""),
            std::string::npos);
}

TEST(PolicyParse, SemanticErrors) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {R"(path "x" { capabilities = ["read", "fly"] })",
       R"(failed to parse policy: path "x": invalid capability "fly")"},
      {R"(path "x" { capabilities = ["READ"] })", R"(invalid capability "READ")"},
      {R"(path "x" { capabilities = [1] })", "must be a list of strings"},
      {R"(path "x" { colour = "blue" })", R"(path "x": invalid key "colour")"},
      {R"(other "x" { capabilities = ["read"] })", R"(invalid key "other")"},
      {R"(path = "x")", "\"path\" must be blocks"},
      {R"(path "x" { min_wrapping_ttl = "soon" })", "invalid min_wrapping_ttl"},
      {R"(path "x" {
            min_wrapping_ttl = "2m"
            max_wrapping_ttl = "1m" })",
       "max_wrapping_ttl cannot be less than min_wrapping_ttl"},
      {R"(path "x" { allowed_parameters = { "*" = ["a"] } })", "\"*\" only takes an empty"},
      {R"(path "x" { allowed_parameters = ["a"] })", "must be a map"},
      {R"(path "x" { denied_parameters = { "a" = { "b" = 1 } } })", "must be a list"},
  };
  for (const Case& c : cases) {
    std::string msg = ParseError(c.text);
    EXPECT_NE(msg.find(c.want), std::string::npos) << "got: " << msg << "\nfor: " << c.text;
    EXPECT_EQ(msg.rfind("failed to parse policy: ", 0), 0u) << msg;
  }
}

TEST(PolicyParse, SyntaxErrorNamesPolicyLineAndColumn) {
  std::string msg =
      ParseError("path \"a\" {\n  capabilities = [\"read\"]\n  oops = \n}\n", "MyPol");
  // "failed to parse policy: mypol:<line>:<col>: ..." with the line of the
  // broken attribute (3 or 4 depending on where the parser notices).
  EXPECT_EQ(msg.rfind("failed to parse policy: mypol:", 0), 0u) << msg;
  EXPECT_TRUE(msg.find("mypol:3:") != std::string::npos ||
              msg.find("mypol:4:") != std::string::npos)
      << msg;
  std::string json_msg = ParseError("{\"path\": ", "j");
  EXPECT_EQ(json_msg.rfind("failed to parse policy: ", 0), 0u) << json_msg;
}

TEST(PolicyParse, InvalidUtf8IsRefused) {
  EXPECT_NE(ParseError("# caf\xC3\n").find("UTF-8"), std::string::npos);
}

TEST(PolicyParse, TemplatedPathsAreKept) {
  Policy p = MustParse(R"(path "identity/entity/id/{{identity.entity.id}}" {
    capabilities = ["read"] })");
  ASSERT_EQ(p.paths.size(), 1u);
  EXPECT_EQ(p.paths[0].pattern, "identity/entity/id/{{identity.entity.id}}");
}

TEST(Capabilities, NamesAreSortedAndDenyIsAlone) {
  EXPECT_EQ(CapabilityNames(kCapUpdate | kCapRead | kCapCreate | kCapSudo),
            (std::vector<std::string>{"create", "read", "sudo", "update"}));
  EXPECT_EQ(CapabilityNames(kCapDeny | kCapRead), std::vector<std::string>{"deny"});
  EXPECT_TRUE(CapabilityNames(0).empty());
  EXPECT_EQ(CapabilityFromName("patch"), kCapPatch);
  EXPECT_FALSE(CapabilityFromName("root").has_value());
}

TEST(PolicyName, Normalised) {
  EXPECT_EQ(NormalizePolicyName(" Admin\t"), "admin");
  EXPECT_EQ(NormalizePolicyName("dev-Team_1"), "dev-team_1");
}

}  // namespace
}  // namespace coffer::core
