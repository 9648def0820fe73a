#include "engines/registry.h"

#include <gtest/gtest.h>

#include "engines/engine_harness_for_test.h"

namespace coffer::engines {
namespace {

MountEntry Mount(std::string type, Json options = nullptr) {
  MountEntry m;
  m.path = "x/";
  m.type = std::move(type);
  m.options = std::move(options);
  return m;
}

// Tells the engine kinds apart by behaviour: KV v2 answers "config", KV v1
// reads carry a TTL hint, cubbyhole reads do not.
std::string Kind(Engine& engine) {
  EngineHarness h;
  auto cfg = h.Call(engine, Operation::kRead, "config");
  if (cfg.ok() && cfg->data.contains("max_versions")) return "kv2";
  if (!h.Call(engine, Operation::kUpdate, "probe", Json{{"a", 1}}).ok()) return "?";
  auto r = h.Call(engine, Operation::kRead, "probe");
  if (!r.ok()) return "?";
  return r->secret.has_value() ? "kv1" : "cubbyhole";
}

TEST(RegistryTest, KvVersionsAndAliases) {
  struct Case {
    std::string type;
    Json options;
    std::string kind;
  };
  const std::vector<Case> cases = {
      {"kv", nullptr, "kv1"},
      {"kv", Json::object(), "kv1"},
      {"kv", Json{{"version", "1"}}, "kv1"},
      {"kv", Json{{"version", ""}}, "kv1"},
      {"kv", Json{{"version", "2"}}, "kv2"},
      {"kv", Json{{"version", 2}}, "kv2"},
      {"kv-v2", nullptr, "kv2"},
      {"generic", nullptr, "kv1"},
      {"cubbyhole", nullptr, "cubbyhole"},
  };
  for (const Case& c : cases) {
    auto engine = NewSecretsEngine(Mount(c.type, c.options));
    ASSERT_TRUE(engine.ok()) << c.type << " " << c.options.dump();
    EXPECT_EQ(Kind(**engine), c.kind) << c.type << " " << c.options.dump();
  }
}

TEST(RegistryTest, BadVersionAndUnknownType) {
  for (Json bad : {Json{{"version", "3"}}, Json{{"version", "two"}}, Json{{"version", true}}}) {
    auto e = NewSecretsEngine(Mount("kv", bad));
    EXPECT_EQ(e.status().code(), Code::kInvalidArgument) << bad.dump();
  }
  auto unknown = NewSecretsEngine(Mount("nosuch"));
  EXPECT_EQ(unknown.status(), InvalidArgument("plugin not found in the catalog: nosuch"));
}

TEST(RegistryTest, IsKnownSecretsEngine) {
  for (const char* t : {"kv", "kv-v2", "generic", "cubbyhole", "database"})
    EXPECT_TRUE(IsKnownSecretsEngine(t));
  for (const char* t : {"", "KV", "transit", "system", "token"}) {
    EXPECT_FALSE(IsKnownSecretsEngine(t)) << t;
  }
}

}  // namespace
}  // namespace coffer::engines
