// Mount data (kv secrets, their metadata, auth method roles) goes through the
// replicated log's read cache like token entries (core.cc): a repeated read is
// served from memory, and every change, through the API or written
// underneath by replication, is seen by the next read. disable_cache turns
// the cache off.
#include <gtest/gtest.h>

#include <string>

#include "core/core.h"
#include "core/core_test_util.h"
#include "engines/kv_v2_model.h"
#include "storage/inmem_backend.h"
#include "storage/storage_class.h"

namespace coffer::core {
namespace {

using testing::InitAndUnseal;
using testing::Req;

std::unique_ptr<Core> NewCore(bool disable_cache) {
  CoreOptions o;
  o.physical = storage::NewInmemBackend();
  o.storage_type = "inmem";
  o.token_tidy_interval_s = 0;
  o.disable_cache = disable_cache;
  return std::make_unique<Core>(std::move(o));
}

class MountDataCacheTest : public ::testing::Test {
 protected:
  void Start(bool disable_cache) {
    core_ = NewCore(disable_cache);
    root_ = InitAndUnseal(*core_);
    auto mounted =
        core_->Handle(Req(Operation::kUpdate, "sys/mounts/kv", {{"type", "kv"}}, root_));
    ASSERT_TRUE(mounted.ok()) << mounted.status().ToString();
  }
  void Write(const std::string& value) {
    auto r = core_->Handle(Req(Operation::kUpdate, "kv/a", {{"v", value}}, root_));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  std::string Read() {
    auto r = core_->Handle(Req(Operation::kRead, "kv/a", {}, root_));
    if (!r.ok()) return "error: " + r.status().ToString();
    return r->data.value("v", "");
  }
  // The physical key of kv/a: the only key under logical/ ending in "/a".
  std::string StorageKey() {
    auto keys = core_->replicated_log().ListAll("logical/");
    EXPECT_TRUE(keys.ok());
    for (const std::string& k : keys.ok() ? *keys : std::vector<std::string>{}) {
      if (k.ends_with("/a")) return k;
    }
    ADD_FAILURE() << "no stored key for kv/a";
    return "";
  }

  std::unique_ptr<Core> core_;
  std::string root_;
};

TEST_F(MountDataCacheTest, RepeatedReadsAreCachedAndWritesSeenAtOnce) {
  Start(/*disable_cache=*/false);
  const size_t before = core_->replicated_log().cached_reads();
  Write("one");  // written through: cached before any read
  EXPECT_GT(core_->replicated_log().cached_reads(), before);
  EXPECT_EQ(Read(), "one");
  EXPECT_EQ(Read(), "one");
  Write("two");
  EXPECT_EQ(Read(), "two");
  ASSERT_TRUE(core_->Handle(Req(Operation::kDelete, "kv/a", {}, root_)).ok());
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "kv/a", {}, root_)).status().code(),
            Code::kNotFound);
}

TEST_F(MountDataCacheTest, ReplicatedChangesAreSeenByTheNextRead) {
  Start(/*disable_cache=*/false);
  Write("from the primary");
  const std::string key = StorageKey();
  auto primary_bytes = core_->replicated_log().Get(key);
  ASSERT_TRUE(primary_bytes.ok() && primary_bytes->has_value());
  Write("local");
  EXPECT_EQ(Read(), "local");
  EXPECT_EQ(Read(), "local");  // now cached
  // What a stream applies underneath the router: the primary's ciphertext.
  ASSERT_TRUE(core_->replicated_log()
                  .ApplySync("perf", {storage::Op::Put(key, **primary_bytes)}, std::nullopt,
                             storage::StorageClass::kReplicated)
                  .ok());
  EXPECT_EQ(Read(), "from the primary");
  ASSERT_TRUE(core_->replicated_log()
                  .ApplySync("perf", {storage::Op::Delete(key)}, std::nullopt,
                             storage::StorageClass::kReplicated)
                  .ok());
  EXPECT_EQ(core_->Handle(Req(Operation::kRead, "kv/a", {}, root_)).status().code(),
            Code::kNotFound);
}

TEST_F(MountDataCacheTest, DisableCacheKeepsNothing) {
  Start(/*disable_cache=*/true);
  Write("one");
  EXPECT_EQ(Read(), "one");
  EXPECT_EQ(Read(), "one");
  EXPECT_EQ(core_->replicated_log().cached_reads(), 0u);
}

// kv v2 metadata (read by every kv v2 request, no secret data) keeps its
// decryption; a kv v2 secret's data, kv v1 secrets and unmounted mounts do
// not; disable_cache turns it off.
std::string MountStoragePrefix(Core& core, const std::string& token, const std::string& mount) {
  auto r = core.Handle(Req(Operation::kRead, "sys/mounts/" + mount, {}, token));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? "logical/" + r->data.value("uuid", std::string()) + "/" : "";
}

TEST(MountMemoTest, OnlyKvV2MetadataOfLiveMountsKeepsItsDecryption) {
  for (bool disable_cache : {false, true}) {
    SCOPED_TRACE(disable_cache);
    auto core = NewCore(disable_cache);
    const std::string root = InitAndUnseal(*core);
    ASSERT_TRUE(core->Handle(Req(Operation::kUpdate, "sys/mounts/two",
                                 {{"type", "kv"}, {"options", {{"version", "2"}}}}, root))
                    .ok());
    ASSERT_TRUE(
        core->Handle(Req(Operation::kUpdate, "sys/mounts/v2", {{"type", "kv-v2"}}, root)).ok());
    ASSERT_TRUE(
        core->Handle(Req(Operation::kUpdate, "sys/mounts/one", {{"type", "kv"}}, root)).ok());
    const std::string two = MountStoragePrefix(*core, root, "two");
    const std::string v2 = MountStoragePrefix(*core, root, "v2");
    const std::string one = MountStoragePrefix(*core, root, "one");
    ASSERT_NE(two, "logical//");
    ASSERT_NE(v2, "logical//");
    ASSERT_NE(one, "logical//");
    Barrier& barrier = core->barrier();
    EXPECT_EQ(barrier.MemoizesDecryptsOf(two + "kv2/meta/a"), !disable_cache);
    EXPECT_EQ(barrier.MemoizesDecryptsOf(v2 + "kv2/meta/a"), !disable_cache);
    EXPECT_FALSE(barrier.MemoizesDecryptsOf(two + "kv2/data/a/1"));
    EXPECT_FALSE(barrier.MemoizesDecryptsOf(one + "kv2/meta/a"));  // a kv v1 secret's path
    EXPECT_EQ(barrier.MemoizesDecryptsOf(two + "kv2/config"), !disable_cache);
    EXPECT_FALSE(barrier.MemoizesDecryptsOf(one + "kv2/config"));

    // Reads through the memo see every change.
    ASSERT_TRUE(core->Handle(Req(Operation::kUpdate, "two/data/a", {{"data", {{"v", "1"}}}}, root))
                    .ok());
    ASSERT_TRUE(core->Handle(Req(Operation::kUpdate, "two/data/a", {{"data", {{"v", "2"}}}}, root))
                    .ok());
    for (int i = 0; i < 2; ++i) {
      auto r = core->Handle(Req(Operation::kRead, "two/data/a", {}, root));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_TRUE(MaterializeData(*r));  // answered as text: nothing audits or wraps
      EXPECT_EQ(r->data["metadata"].value("version", 0), 2);
      EXPECT_EQ(r->data["data"].value("v", ""), "2");
    }

    ASSERT_TRUE(core->Handle(Req(Operation::kDelete, "sys/mounts/two", {}, root)).ok());
    EXPECT_FALSE(barrier.MemoizesDecryptsOf(two + "kv2/meta/a"));
    EXPECT_EQ(barrier.MemoizesDecryptsOf(v2 + "kv2/meta/a"), !disable_cache);

    // The engines' decoded metadata and config (plaintext) go with the seal.
    ASSERT_TRUE(core->Handle(Req(Operation::kUpdate, "v2/data/b", {{"data", {{"v", "1"}}}}, root))
                    .ok());
    ASSERT_TRUE(core->Handle(Req(Operation::kRead, "v2/data/b", {}, root)).ok());
    EXPECT_GT(engines::kv2::DecodedRecordsForTest(), 0u);
    ASSERT_TRUE(core->SealNode().ok());
    EXPECT_EQ(engines::kv2::DecodedRecordsForTest(), 0u);
  }
}

}  // namespace
}  // namespace coffer::core
