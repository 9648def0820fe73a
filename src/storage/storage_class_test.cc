#include "storage/storage_class.h"

#include <gtest/gtest.h>

namespace coffer::storage {
namespace {

MountEntry Mount(std::string uuid, bool is_auth, bool local, std::string type = "kv") {
  MountEntry e;
  e.uuid = std::move(uuid);
  e.is_auth = is_auth;
  e.local = local;
  e.type = std::move(type);
  return e;
}

class ClassifyTest : public ::testing::Test {
 protected:
  MountClasses mounts_ = MountClassesFromEntries({
      Mount("shared-kv", false, false),
      Mount("local-kv", false, true),
      Mount("cubby", false, false, "cubbyhole"),  // cubbyhole is local regardless
      Mount("userpass", true, false, "userpass"),
      Mount("local-approle", true, true, "approle"),
  });
  StorageClass C(std::string_view key) { return Classify(key, mounts_).storage_class; }
  std::string_view Rule(std::string_view key) { return Classify(key, mounts_).rule; }
};

constexpr StorageClass R = StorageClass::kReplicated;
constexpr StorageClass L = StorageClass::kLocal;
constexpr StorageClass N = StorageClass::kNode;

TEST_F(ClassifyTest, EveryKnownPrefix) {
  struct Case {
    const char* key;
    StorageClass want;
  } cases[] = {
      {"core/keyring", R},
      {"core/seal-config", R},
      {"core/mounts", R},
      {"core/auth", R},
      {"core/audit", R},
      {"core/local-mounts", L},
      {"core/local-auth", L},
      {"core/local-audit", L},
      {"core/cluster-info", L},
      {"core/wrapping/jwtkey", L},
      {"core/replication/canary", R},
      {"core/replication/index-key", R},
      {"core/replication/primary/ca", L},
      {"core/replication/state", L},
      {"replication/upstream/performance", L},
      {"replication/upstream/dr", N},
      {"core/replication/dr/secondary", N},
      {"core/replication/dr/operation-token", N},
      {"core/replication/dr/primary", L},
      {"core/replication/performance/secondary", L},
      {"sys/policy/default", R},
      {"sys/policy/a/b", R},
      {"sys/token/roles/ops", R},
      {"sys/token/salt", L},
      {"sys/token/id/0123abcd", L},
      {"sys/token/accessor/xyz", L},
      {"sys/token/parent/0123/4567", L},
      {"sys/expire/id/secret/creds/x/abc", L},
      {"sys/expire/token/0123/4567", L},
      {"logical/shared-kv/kv2/meta/app", R},
      {"logical/local-kv/data", L},
      {"logical/cubby/0123/secret", L},
      {"auth/userpass/user/alice", R},
      {"auth/local-approle/role/r", L},
      {"node/wal/state", N},
      {"node/merkle/replicated/bucket/000", N},
      {"node/anything", N},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(C(c.key), c.want) << c.key;
    EXPECT_NE(Rule(c.key), "default") << c.key;
  }
}

TEST_F(ClassifyTest, ExactRulesDoNotMatchLongerKeys) {
  EXPECT_EQ(Rule("core/mounts-extra"), "default");
  EXPECT_EQ(Rule("core/authx"), "default");
  EXPECT_EQ(Rule("sys/token/saltier"), "default");
  EXPECT_EQ(Rule("core/replication/canary-old"), "core/replication/");
  EXPECT_EQ(C("core/replication/canary-old"), L);
  EXPECT_EQ(C("replication/upstream/dr2"), L);
  EXPECT_EQ(C("core/replication/dr/secondary-old"), L);
}

TEST_F(ClassifyTest, UnknownKeysAreLocal) {
  EXPECT_EQ(kDefaultClass, L);
  for (const char* key : {"mystery", "core/new-thing", "sys/token/other/x", "logical/unknown-uuid/x",
                          "logical/", "logical//x", "auth/nouuid"}) {
    EXPECT_EQ(C(key), L) << key;
    EXPECT_EQ(Rule(key), "default") << key;
  }
}

TEST(StorageClassName, Names) {
  EXPECT_EQ(StorageClassName(R), "replicated");
  EXPECT_EQ(StorageClassName(L), "local");
  EXPECT_EQ(StorageClassName(N), "node");
}

}  // namespace
}  // namespace coffer::storage
