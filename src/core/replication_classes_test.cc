// Every key a working node writes has a storage class from the table (none
// falls through to the default), mount data follows the mount's locality, and
// every barrier write lands in the replicated log.
#include <gtest/gtest.h>

#include <map>

#include "core/core.h"
#include "core/core_test_util.h"
#include "crypto/encoding.h"
#include "storage/storage_class.h"
#include "storage/wal_entry.h"

namespace coffer::core {
namespace {

using storage::StorageClass;
using testing::Req;

class ReplicationClassesTest : public ::testing::Test {
 protected:
  ReplicationClassesTest() : core_(testing::NewInmemCore(0)) {}
  void Must(Operation op, const std::string& path, Json data, const std::string& token) {
    auto r = core_->Handle(Req(op, path, std::move(data), token));
    ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
  }
  std::unique_ptr<Core> core_;
};

TEST_F(ReplicationClassesTest, EveryKeyOfAWorkingNodeHasAKnownClass) {
  auto init = core_->Initialize(1, 1);
  ASSERT_TRUE(init.ok());
  auto unsealed = core_->Unseal(crypto::Base64Encode(init->keys[0]));
  ASSERT_TRUE(unsealed.ok() && !unsealed->sealed);
  const std::string root = init->root_token;

  Must(Operation::kUpdate, "sys/mounts/shared", {{"type", "kv"}, {"options", {{"version", "2"}}}}, root);
  Must(Operation::kUpdate, "sys/mounts/mine", {{"type", "kv"}, {"local", true}}, root);
  Must(Operation::kUpdate, "sys/auth/userpass", {{"type", "userpass"}}, root);
  Must(Operation::kUpdate, "sys/auth/approle", {{"type", "approle"}, {"local", true}}, root);
  Must(Operation::kUpdate, "shared/data/app", {{"data", {{"k", "v"}}}}, root);
  Must(Operation::kUpdate, "mine/app", {{"k", "v"}}, root);
  Must(Operation::kUpdate, "cubbyhole/note", {{"k", "v"}}, root);
  Must(Operation::kUpdate, "sys/policy/ops", {{"policy", "path \"shared/*\" { capabilities = [\"read\"] }"}}, root);
  Must(Operation::kUpdate, "auth/token/roles/r1", {{"allowed_policies", "ops"}}, root);
  Must(Operation::kUpdate, "auth/token/create", {{"policies", {"ops"}}}, root);
  Must(Operation::kUpdate, "auth/userpass/users/alice", {{"password", "pw"}}, root);
  Must(Operation::kUpdate, "auth/userpass/login/alice", {{"password", "pw"}}, "");
  Must(Operation::kUpdate, "auth/approle/role/r", {{"token_policies", "ops"}}, root);

  std::vector<MountEntry> entries = core_->router().Entries(false);
  for (auto& e : core_->router().Entries(true)) entries.push_back(std::move(e));
  storage::MountClasses mounts = storage::MountClassesFromEntries(entries);
  std::map<std::string, std::string> prefix_of;  // mount path -> storage prefix
  for (const auto& e : entries) prefix_of[e.path] = e.StoragePrefix();

  storage::Backend* physical = core_->options().physical.get();
  auto keys = physical->ListAll("");
  ASSERT_TRUE(keys.ok());
  std::map<StorageClass, int> counts;
  for (const std::string& key : *keys) {
    storage::Classification c = storage::Classify(key, mounts);
    EXPECT_NE(c.rule, "default") << key;
    ++counts[c.storage_class];
    if (key.starts_with(prefix_of["shared/"]) || key.starts_with(prefix_of["auth/userpass/"])) {
      EXPECT_EQ(c.storage_class, StorageClass::kReplicated) << key;
    }
    if (key.starts_with(prefix_of["mine/"]) || key.starts_with(prefix_of["cubbyhole/"]) ||
        key.starts_with(prefix_of["auth/approle/"]) || key.starts_with("sys/token/id/")) {
      EXPECT_EQ(c.storage_class, StorageClass::kLocal) << key;
    }
  }
  EXPECT_GT(counts[StorageClass::kReplicated], 0);
  EXPECT_GT(counts[StorageClass::kLocal], 0);
  EXPECT_GT(counts[StorageClass::kNode], 0);  // the WAL and Merkle index

  // Every logged op carries the class the table gives its key.
  auto position = core_->replicated_log().LastPosition();
  ASSERT_TRUE(position.ok());
  EXPECT_GT(position->index, 10u);
  auto read = core_->replicated_log().ReadAfter(0, storage::WalGenesisHash(), 1 << 20);
  ASSERT_TRUE(read.ok());
  ASSERT_FALSE(read->gap);
  for (const auto& entry : read->entries) {
    for (const auto& op : entry.ops) {
      EXPECT_EQ(op.storage_class, storage::Classify(op.key, mounts).storage_class) << op.key;
      if (op.kind == storage::WalOp::Kind::kPut && op.key.starts_with(prefix_of["shared/"])) {
        // Ciphertext, never the plaintext JSON.
        EXPECT_EQ(op.value.find("\"k\""), std::string::npos) << op.key;
      }
    }
  }
}

}  // namespace
}  // namespace coffer::core
