#include "core/acl.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace coffer::core {
namespace {

Policy Parse(const std::string& name, const std::string& text) {
  auto r = ParsePolicy(name, text);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Policy{};
}

std::shared_ptr<const Acl> Compile(const std::vector<Policy>& policies) {
  auto r = Acl::Compile(policies);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

std::shared_ptr<const Acl> CompileText(const std::string& text) {
  return Compile({Parse("p", text)});
}

bool Allowed(const Acl& acl, Operation op, const std::string& path,
             const Json& data = Json::object()) {
  return acl.Check(op, path, data).allowed;
}

using Caps = std::vector<std::string>;

TEST(AclMatch, ExactGlobAndSegmentWildcards) {
  auto acl = CompileText(R"(
    path "secret/exact"       { capabilities = ["read"] }
    path "secret/glob*"       { capabilities = ["update"] }
    path "kv/+/config"        { capabilities = ["delete"] }
    path "kv/+/data/*"        { capabilities = ["create"] }
    path "mid/a*b"            { capabilities = ["read"] }
  )");
  struct Case {
    Operation op;
    const char* path;
    bool want;
  } cases[] = {
      {Operation::kRead, "secret/exact", true},
      {Operation::kRead, "secret/exact/more", false},
      {Operation::kRead, "secret/exac", false},
      {Operation::kUpdate, "secret/exact", false},  // rule grants read only
      {Operation::kUpdate, "secret/glob", true},
      {Operation::kUpdate, "secret/globe", true},
      {Operation::kUpdate, "secret/glob/a/b", true},
      {Operation::kUpdate, "secret/glo", false},
      {Operation::kDelete, "kv/team/config", true},
      {Operation::kDelete, "kv/config", false},         // '+' needs a segment
      {Operation::kDelete, "kv//config", false},        // ... a non-empty one
      {Operation::kDelete, "kv/a/b/config", false},     // ... exactly one
      {Operation::kDelete, "kv/team/config/x", false},  // no trailing glob
      {Operation::kCreate, "kv/team/data/x/y", true},
      {Operation::kCreate, "kv/team/data/", true},
      {Operation::kCreate, "kv/team/data", false},
      {Operation::kCreate, "kv/team/other/x", false},
      {Operation::kRead, "mid/a*b", true},  // a '*' not at the end is literal
      {Operation::kRead, "mid/axxb", false},
      {Operation::kRead, "unrelated", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Allowed(*acl, c.op, c.path), c.want) << OperationName(c.op) << " " << c.path;
  }
}

TEST(AclMatch, OperationsMapToCapabilities) {
  auto acl = CompileText(R"(path "a" { capabilities = ["read"] }
                             path "b" { capabilities = ["patch", "list"] })");
  EXPECT_TRUE(Allowed(*acl, Operation::kHead, "a"));  // HEAD needs read
  EXPECT_FALSE(Allowed(*acl, Operation::kCreate, "a"));
  EXPECT_FALSE(Allowed(*acl, Operation::kDelete, "a"));
  EXPECT_TRUE(Allowed(*acl, Operation::kPatch, "b"));
  EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, "b"));  // patch is not update
  EXPECT_FALSE(Allowed(*acl, Operation::kRead, "b"));
}

// The documented priority order, one row per rule of the comparison. In
// each row both patterns match `path` and `winner` is the one that applies.
TEST(AclPriority, DocumentedOrder) {
  struct Case {
    const char* winner;
    const char* loser;
    const char* path;
  } cases[] = {
      // An exact rule beats every wildcard.
      {"secret/a/b", "secret/a/*", "secret/a/b"},
      {"secret/a/b", "secret/+/b", "secret/a/b"},
      // 1. The later first wildcard wins.
      {"secret/foo/*", "secret/+/bar", "secret/foo/bar"},
      {"secret/a/+/c", "secret/+/b/c", "secret/a/b/c"},
      {"secret/abc*", "secret/ab*", "secret/abcd"},  // longest prefix, by rule 1
      // 2. Same first position: not ending in '*' beats a glob.
      {"secret/+/c", "secret/+/c*", "secret/b/c"},
      // 3. Then fewer '+' segments win (Vault's own example: secret/* beats
      //    secret/+/+/foo/*, both wildcards starting at the same place).
      {"secret/*", "secret/+/+/foo/*", "secret/a/b/foo/c"},
      {"secret/+/b/c", "secret/+/+/c", "secret/a/b/c"},
      // 4. Then the longer pattern wins.
      {"secret/+/bb/*", "secret/+/b*", "secret/a/bb/x"},
      // 5. Then the lexicographically larger pattern wins.
      {"s/+/a/+", "s/+/+/b", "s/x/a/b"},  // 'a' sorts after '+'
  };
  for (const Case& c : cases) {
    // Winner grants read, loser grants update; check both policy orders.
    for (bool winner_first : {true, false}) {
      std::string w = std::string("path \"") + c.winner + "\" { capabilities = [\"read\"] }\n";
      std::string l = std::string("path \"") + c.loser + "\" { capabilities = [\"update\"] }\n";
      auto acl = CompileText(winner_first ? w + l : l + w);
      EXPECT_TRUE(Allowed(*acl, Operation::kRead, c.path))
          << c.winner << " should beat " << c.loser << " on " << c.path;
      EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, c.path))
          << c.winner << " should beat " << c.loser << " on " << c.path;
    }
  }
}

TEST(AclPriority, LengthThenTextDecide) {
  // Same first wildcard, both globs, one '+' each: the longer pattern wins.
  auto longer = CompileText(R"(
    path "secret/+/x*" { capabilities = ["update"] }
    path "secret/+/*"  { capabilities = ["delete"] }
  )");
  EXPECT_TRUE(Allowed(*longer, Operation::kUpdate, "secret/a/xy"));
  EXPECT_FALSE(Allowed(*longer, Operation::kDelete, "secret/a/xy"));
  EXPECT_TRUE(Allowed(*longer, Operation::kDelete, "secret/a/yy"));
  // Everything equal but the text: the lexicographically larger one wins.
  auto tie = CompileText(R"(
    path "s/+/+/b" { capabilities = ["update"] }
    path "s/+/a/+" { capabilities = ["delete"] }
  )");
  EXPECT_TRUE(Allowed(*tie, Operation::kDelete, "s/q/a/b"));
  EXPECT_FALSE(Allowed(*tie, Operation::kUpdate, "s/q/a/b"));
  EXPECT_TRUE(Allowed(*tie, Operation::kUpdate, "s/q/c/b"));  // only one matches
}

TEST(AclMerge, SamePatternAcrossPoliciesUnitesCapabilities) {
  auto acl = Compile({Parse("a", R"(path "secret/x" { capabilities = ["read"] })"),
                      Parse("b", R"(path "secret/x" { capabilities = ["update"] })")});
  EXPECT_TRUE(Allowed(*acl, Operation::kRead, "secret/x"));
  EXPECT_TRUE(Allowed(*acl, Operation::kUpdate, "secret/x"));
  EXPECT_FALSE(Allowed(*acl, Operation::kDelete, "secret/x"));
  EXPECT_EQ(acl->Capabilities("secret/x"), (Caps{"read", "update"}));
}

TEST(AclMerge, DenyInAnyPolicyWins) {
  for (bool deny_first : {true, false}) {
    Policy allow = Parse("allow", R"(path "secret/*" { capabilities = ["read", "sudo"] })");
    Policy deny = Parse("deny", R"(path "secret/*" { capabilities = ["deny"] })");
    auto acl = deny_first ? Compile({deny, allow}) : Compile({allow, deny});
    AclDecision d = acl->Check(Operation::kRead, "secret/a", Json::object());
    EXPECT_FALSE(d.allowed);
    EXPECT_FALSE(d.sudo);
    EXPECT_EQ(acl->Capabilities("secret/a"), Caps{"deny"});
  }
}

TEST(AclMerge, DifferentPatternsDoNotMerge) {
  auto acl = Compile({Parse("a", R"(path "secret/*" { capabilities = ["update"] })"),
                      Parse("b", R"(path "secret/x" { capabilities = ["read"] })")});
  EXPECT_TRUE(Allowed(*acl, Operation::kRead, "secret/x"));
  EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, "secret/x"));  // exact rule applies alone
  // A more specific deny carves out of a broad grant.
  auto carve = CompileText(R"(path "secret/*" { capabilities = ["read"] }
                               path "secret/admin" { capabilities = ["deny"] })");
  EXPECT_TRUE(Allowed(*carve, Operation::kRead, "secret/user"));
  EXPECT_FALSE(Allowed(*carve, Operation::kRead, "secret/admin"));
}

TEST(AclMerge, ParameterConstraintsMergeLikeVault) {
  auto acl = Compile({Parse("a", R"(path "p" {
                                       capabilities = ["update"]
                                       allowed_parameters = { "color" = ["red"], "size" = ["s"] }
                                       required_parameters = ["color"] })"),
                      Parse("b", R"(path "p" {
                                       capabilities = ["update"]
                                       allowed_parameters = { "color" = ["blue"], "size" = [] } })")});
  EXPECT_TRUE(Allowed(*acl, Operation::kUpdate, "p", {{"color", "red"}}));
  EXPECT_TRUE(Allowed(*acl, Operation::kUpdate, "p", {{"color", "blue"}}));
  EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, "p", {{"color", "green"}}));
  EXPECT_TRUE(Allowed(*acl, Operation::kUpdate, "p", {{"color", "red"}, {"size", "xl"}}));
  EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, "p", {{"size", "s"}}));  // required kept
}

TEST(AclList, TrailingSlashAndParentRule) {
  auto acl = CompileText(R"(
    path "secret/foo"      { capabilities = ["list"] }
    path "kv/metadata/*"   { capabilities = ["list"] }
    path "other/dir/"      { capabilities = ["list"] }
  )");
  EXPECT_TRUE(Allowed(*acl, Operation::kList, "secret/foo/"));  // rule without the slash
  EXPECT_TRUE(Allowed(*acl, Operation::kList, "secret/foo"));   // slash added for LIST
  EXPECT_FALSE(Allowed(*acl, Operation::kRead, "secret/foo/"));
  EXPECT_TRUE(Allowed(*acl, Operation::kList, "kv/metadata/"));
  EXPECT_TRUE(Allowed(*acl, Operation::kList, "kv/metadata/app/"));
  EXPECT_TRUE(Allowed(*acl, Operation::kList, "other/dir/"));
  EXPECT_FALSE(Allowed(*acl, Operation::kList, "other/"));
}

TEST(AclList, MostSpecificDenyOrListWins) {
  // A deny on "secret/foo" (the list path without its slash) is more
  // specific than the glob granting list: denied.
  auto a = CompileText(R"(path "secret/*"   { capabilities = ["list"] }
                           path "secret/foo" { capabilities = ["deny"] })");
  EXPECT_FALSE(Allowed(*a, Operation::kList, "secret/foo/"));
  EXPECT_TRUE(Allowed(*a, Operation::kList, "secret/bar/"));
  // A broad deny loses to a more specific list grant on the slash path.
  auto b = CompileText(R"(path "secret/fo*"  { capabilities = ["deny"] }
                           path "secret/foo/*" { capabilities = ["list"] })");
  EXPECT_TRUE(Allowed(*b, Operation::kList, "secret/foo/"));
  EXPECT_FALSE(Allowed(*b, Operation::kRead, "secret/food"));
}

TEST(AclParameters, RequiredAllowedDenied) {
  auto acl = CompileText(R"(
    path "req" {
      capabilities = ["create", "update", "read"]
      required_parameters = ["name"]
    }
    path "allow" {
      capabilities = ["update"]
      allowed_parameters = { "color" = ["red", "gr*"], "size" = [], "count" = [1, 2] }
    }
    path "deny" {
      capabilities = ["update", "patch"]
      denied_parameters = { "admin" = [], "mode" = ["*-unsafe"] }
    }
    path "denyall" {
      capabilities = ["update"]
      denied_parameters = { "*" = [] }
    }
    path "allowall" {
      capabilities = ["update"]
      allowed_parameters = { "*" = [], "color" = ["red"] }
    }
  )");
  struct Case {
    Operation op;
    const char* path;
    Json data;
    bool want;
  } cases[] = {
      {Operation::kUpdate, "req", {{"name", "x"}}, true},
      {Operation::kUpdate, "req", {{"NAME", "x"}}, true},  // names are case-insensitive
      {Operation::kUpdate, "req", {{"other", "x"}}, false},
      {Operation::kUpdate, "req", Json::object(), false},
      {Operation::kRead, "req", Json::object(), false},  // read checks parameters too
      {Operation::kUpdate, "allow", Json::object(), true},
      {Operation::kUpdate, "allow", {{"color", "red"}}, true},
      {Operation::kUpdate, "allow", {{"color", "green"}}, true},  // "gr*" glob
      {Operation::kUpdate, "allow", {{"color", "blue"}}, false},
      {Operation::kUpdate, "allow", {{"size", "anything"}}, true},
      {Operation::kUpdate, "allow", {{"count", 2}}, true},
      {Operation::kUpdate, "allow", {{"count", "2"}}, true},  // values compare as text
      {Operation::kUpdate, "allow", {{"count", 3}}, false},
      {Operation::kUpdate, "allow", {{"color", Json::array({"red", "green"})}}, true},
      {Operation::kUpdate, "allow", {{"color", Json::array({"red", "blue"})}}, false},
      {Operation::kUpdate, "allow", {{"shape", "round"}}, false},
      {Operation::kUpdate, "deny", {{"admin", true}}, false},
      {Operation::kUpdate, "deny", {{"Admin", "no"}}, false},
      {Operation::kPatch, "deny", {{"mode", "very-unsafe"}}, false},
      {Operation::kUpdate, "deny", {{"mode", "safe"}}, true},
      {Operation::kUpdate, "deny", {{"mode", Json::array({"safe", "x-unsafe"})}}, false},
      {Operation::kUpdate, "deny", {{"other", 1}}, true},
      {Operation::kUpdate, "denyall", {{"a", 1}}, false},
      {Operation::kUpdate, "denyall", Json::object(), true},
      {Operation::kUpdate, "allowall", {{"anything", 1}}, true},
      {Operation::kUpdate, "allowall", {{"color", "blue"}}, false},  // a listed key is bound
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Allowed(*acl, c.op, c.path, c.data), c.want) << c.path << " " << c.data.dump();
  }
  // Parameters are not checked for delete and list.
  auto d = CompileText(R"(path "x" { capabilities = ["delete"]
                                      required_parameters = ["q"] })");
  EXPECT_TRUE(Allowed(*d, Operation::kDelete, "x"));
}

TEST(AclParameters, DeniedWinsOverAllowed) {
  auto acl = CompileText(R"(path "x" {
    capabilities = ["update"]
    allowed_parameters = { "role" = [] }
    denied_parameters  = { "role" = ["admin"] }
  })");
  EXPECT_TRUE(Allowed(*acl, Operation::kUpdate, "x", {{"role", "dev"}}));
  EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, "x", {{"role", "admin"}}));
}

TEST(AclParameters, GlobsInParameterNames) {
  auto acl = CompileText(R"(path "x" {
    capabilities = ["update"]
    allowed_parameters = { "token_*" = [], "*_ttl" = ["1h", "2h"], "name" = [] }
    denied_parameters  = { "token_secret*" = [] }
  })");
  EXPECT_TRUE(Allowed(*acl, Operation::kUpdate, "x", {{"token_policies", "a"}}));
  EXPECT_TRUE(Allowed(*acl, Operation::kUpdate, "x", {{"max_ttl", "1h"}}));
  EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, "x", {{"max_ttl", "9h"}}));
  EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, "x", {{"token_secret_id", "s"}}));
  EXPECT_FALSE(Allowed(*acl, Operation::kUpdate, "x", {{"period", "1h"}}));
  EXPECT_TRUE(Allowed(*acl, Operation::kUpdate, "x", {{"name", "n"}, {"token_type", "b"}}));
}

TEST(AclDecisionTest, SudoRootAndWrapping) {
  auto acl = CompileText(R"(
    path "sys/rotate" { capabilities = ["update", "sudo"] }
    path "sys/seal"   { capabilities = ["update"] }
    path "wrapped/*"  {
      capabilities = ["read"]
      min_wrapping_ttl = "1m"
      max_wrapping_ttl = "1h"
    }
  )");
  AclDecision rotate = acl->Check(Operation::kUpdate, "sys/rotate", Json::object());
  EXPECT_TRUE(rotate.allowed);
  EXPECT_TRUE(rotate.sudo);
  EXPECT_FALSE(rotate.root);
  AclDecision seal = acl->Check(Operation::kUpdate, "sys/seal", Json::object());
  EXPECT_TRUE(seal.allowed);
  EXPECT_FALSE(seal.sudo);
  AclDecision w = acl->Check(Operation::kRead, "wrapped/x", Json::object());
  EXPECT_TRUE(w.allowed);
  EXPECT_EQ(w.min_wrapping_ttl, 60);
  EXPECT_EQ(w.max_wrapping_ttl, 3600);
  AclDecision none = acl->Check(Operation::kRead, "nothing", Json::object());
  EXPECT_FALSE(none.allowed);
  EXPECT_FALSE(none.reason.empty());

  auto root = Compile(
      {Parse("default", R"(path "x" { capabilities = ["deny"] })"), Policy{.name = "root"}});
  ASSERT_TRUE(root->IsRoot());
  AclDecision r = root->Check(Operation::kDelete, "x", {{"anything", 1}});
  EXPECT_TRUE(r.allowed);
  EXPECT_TRUE(r.sudo);
  EXPECT_TRUE(r.root);
  EXPECT_EQ(root->Capabilities("x"), Caps{"root"});
}

TEST(AclCapabilities, SortedDenyWhenNothing) {
  auto acl = CompileText(R"(
    path "secret/*"    { capabilities = ["update", "read", "list", "sudo"] }
    path "empty"       { capabilities = [] }
    path "identity/entity/id/{{identity.entity.id}}" { capabilities = ["read"] }
  )");
  EXPECT_EQ(acl->Capabilities("secret/a"), (Caps{"list", "read", "sudo", "update"}));
  EXPECT_EQ(acl->Capabilities("nope"), Caps{"deny"});
  EXPECT_EQ(acl->Capabilities("empty"), Caps{"deny"});
  // Templates cannot be resolved without an identity store: never match.
  EXPECT_EQ(acl->Capabilities("identity/entity/id/{{identity.entity.id}}"), Caps{"deny"});
  auto nothing = Compile({});
  EXPECT_EQ(nothing->Capabilities("a"), Caps{"deny"});
  EXPECT_FALSE(Allowed(*nothing, Operation::kRead, "a"));
}

TEST(AclMatch, StarAloneMatchesEverything) {
  auto acl = CompileText(R"(path "*" { capabilities = ["read"] })");
  EXPECT_TRUE(Allowed(*acl, Operation::kRead, "anything/at/all"));
  EXPECT_TRUE(Allowed(*acl, Operation::kRead, ""));
}

TEST(SudoPaths, DocumentedList) {
  struct Case {
    const char* path;
    bool want;
  } cases[] = {
      {"sys/audit", true},
      {"sys/audit/file", true},
      {"sys/audit-hash/file", false},
      {"sys/auth", false},
      {"sys/auth/userpass", true},
      {"sys/auth/userpass/tune", true},
      {"sys/mounts/auth/userpass/tune", false},
      {"sys/rotate", true},
      {"sys/rotate/config", false},
      {"sys/seal", true},
      {"sys/step-down", true},
      {"sys/raw", true},
      {"sys/raw/core/mounts", true},
      {"sys/remount", true},
      {"sys/leases", true},
      {"sys/leases/lookup", false},
      {"sys/leases/lookup/", true},
      {"sys/leases/lookup/aws/creds/", true},
      {"sys/leases/renew", false},
      {"sys/leases/revoke-prefix/aws/", true},
      {"sys/leases/revoke-force/aws", true},
      {"sys/leases/revoke", false},
      {"sys/revoke-prefix/aws", true},
      {"sys/revoke-force/aws", true},
      {"sys/config/cors", true},
      {"sys/config/auditing/request-headers", true},
      {"sys/config/auditing/request-headers/x-foo", true},
      {"sys/config/ui/headers/x-foo", true},
      {"sys/plugins/catalog/secret/kv", true},
      {"sys/internal/inspect/router/mounts", true},
      {"sys/policy/admin", false},
      {"auth/token/accessors/", true},
      {"auth/token/revoke-orphan", false},  // the handler checks sudo (400)
      {"auth/token/revoke-orphan/hvs.x", true},
      {"auth/token/create-orphan", false},
      {"auth/token/create", false},
      {"secret/data/x", false},
  };
  for (const Case& c : cases) EXPECT_EQ(IsSudoPath(c.path), c.want) << c.path;
}

}  // namespace
}  // namespace coffer::core
