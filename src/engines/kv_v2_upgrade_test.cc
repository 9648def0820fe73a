// KV v1 -> v2 upgrade in place.
#include <gtest/gtest.h>

#include "engines/engine_harness_for_test.h"
#include "engines/kv_v1.h"
#include "engines/kv_v2.h"
#include "engines/kv_v2_model.h"
#include "engines/kv_v2_state.h"

namespace coffer::engines {
namespace {

// Wraps a backend and fails writes while `fail_writes` is set.
class FlakyBackend final : public storage::Backend {
 public:
  explicit FlakyBackend(storage::Backend* inner) : inner_(inner) {}
  bool fail_writes = false;
  int writes = 0;

  Result<std::optional<std::string>> Get(std::string_view key) override { return inner_->Get(key); }
  Status Write(const storage::Batch& batch) override {
    ++writes;
    if (fail_writes) return IOError("injected write failure");
    return inner_->Write(batch);
  }
  Result<std::vector<std::string>> List(std::string_view prefix) override {
    return inner_->List(prefix);
  }
  Result<std::vector<std::string>> ListAll(std::string_view prefix) override {
    return inner_->ListAll(prefix);
  }
  std::string_view Type() const override { return "flaky"; }

 private:
  storage::Backend* inner_;
};

TEST(KvV2UpgradeTest, V1SecretsBecomeVersionOne) {
  EngineHarness h;
  EnginePtr v1 = NewKvV1Engine();
  const Json db = {{"password", "p"}, {"ttl", "1h"}, {"nested", {{"x", 1}}}};
  ASSERT_TRUE(h.Call(*v1, Operation::kUpdate, "app/db", db).ok());
  ASSERT_TRUE(h.Call(*v1, Operation::kUpdate, "top", Json{{"a", 1}}).ok());
  // v1 keys that look like v2 storage keys are still just v1 secrets.
  ASSERT_TRUE(h.Call(*v1, Operation::kUpdate, "kv2/meta/top", Json{{"trap", 1}}).ok());
  ASSERT_TRUE(h.Call(*v1, Operation::kUpdate, "kv2/layout", Json{{"trap", 2}}).ok());

  // The mount is tuned to version 2: a new engine over the same view.
  EnginePtr v2 = NewKvV2Engine(h.Clock());
  auto r = h.Call(*v2, Operation::kRead, "data/app/db");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data["data"], db);
  EXPECT_EQ(r->data["metadata"]["version"], 1);
  EXPECT_EQ(r->data["metadata"]["created_time"], kv2::FormatTime(h.now()));
  EXPECT_EQ(h.Call(*v2, Operation::kRead, "data/top")->data["data"], (Json{{"a", 1}}));
  EXPECT_EQ(h.Call(*v2, Operation::kRead, "data/kv2/meta/top")->data["data"], (Json{{"trap", 1}}));
  EXPECT_EQ(h.Call(*v2, Operation::kRead, "data/kv2/layout")->data["data"], (Json{{"trap", 2}}));

  auto list = h.Call(*v2, Operation::kList, "metadata/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], (Json{"app/", "kv2/", "top"}));
  // Nothing of the v1 layout is left behind.
  auto all = h.view().ListAll("");
  ASSERT_TRUE(all.ok());
  for (const std::string& key : *all) EXPECT_EQ(key.rfind("kv2/", 0), 0u) << key;
  auto old = h.view().Get("top");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->has_value());

  // New writes continue the history.
  auto w = h.Call(*v2, Operation::kUpdate, "data/top", Json{{"data", {{"a", 2}}}});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->data["version"], 2);
}

TEST(KvV2UpgradeTest, RunsOnceAndLaterEnginesSeeV2Layout) {
  EngineHarness h;
  EnginePtr v1 = NewKvV1Engine();
  ASSERT_TRUE(h.Call(*v1, Operation::kUpdate, "k", Json{{"a", 1}}).ok());
  auto moved = UpgradeToV2Layout(h.view(), h.now());
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 1u);
  auto again = UpgradeToV2Layout(h.view(), h.now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);

  // A restarted server builds a fresh engine: v2 keys are not migrated again.
  EnginePtr v2 = NewKvV2Engine(h.Clock());
  auto m = h.Call(*v2, Operation::kRead, "metadata/k");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->data["current_version"], 1);
  auto list = h.Call(*v2, Operation::kList, "metadata/");
  EXPECT_EQ(list->data["keys"], (Json{"k"}));
}

TEST(KvV2UpgradeTest, FreshMountGetsOnlyTheMarker) {
  EngineHarness h;
  EnginePtr v2 = NewKvV2Engine(h.Clock());
  EXPECT_EQ(h.Call(*v2, Operation::kRead, "data/x").status().code(), Code::kNotFound);
  auto all = h.view().ListAll("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, std::vector<std::string>{std::string(kv2::kLayoutKey)});
}

TEST(KvV2UpgradeTest, FailedUpgradeChangesNothingAndIsRetried) {
  EngineHarness h;
  EnginePtr v1 = NewKvV1Engine();
  ASSERT_TRUE(h.Call(*v1, Operation::kUpdate, "a", Json{{"v", 1}}).ok());
  ASSERT_TRUE(h.Call(*v1, Operation::kUpdate, "b/c", Json{{"v", 2}}).ok());

  FlakyBackend flaky(&h.view());
  flaky.fail_writes = true;
  EnginePtr v2 = NewKvV2Engine(h.Clock());
  EngineRequest req;
  req.operation = Operation::kRead;
  req.path = "data/a";
  req.storage = &flaky;
  EXPECT_EQ(v2->Handle(req).status().code(), Code::kIOError);
  EXPECT_EQ(flaky.writes, 1);  // the whole upgrade is one batch
  auto all = h.view().ListAll("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"a", "b/c"}));  // v1 layout intact

  flaky.fail_writes = false;
  auto r = v2->Handle(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data["data"], (Json{{"v", 1}}));
}

TEST(KvV2UpgradeTest, UnreadableV1DataOrMarkerIsAnError) {
  {
    EngineHarness h;
    ASSERT_TRUE(h.view().Put("bad", "{oops").ok());
    EnginePtr v2 = NewKvV2Engine(h.Clock());
    EXPECT_EQ(h.Call(*v2, Operation::kRead, "data/bad").status().code(), Code::kCorruption);
    EXPECT_TRUE(h.view().Get("bad")->has_value());  // left for an operator to inspect
  }
  {
    EngineHarness h;
    ASSERT_TRUE(h.view().Put(std::string(kv2::kLayoutKey), "{\"format\":\"x\"}").ok());
    EnginePtr v2 = NewKvV2Engine(h.Clock());
    EXPECT_EQ(h.Call(*v2, Operation::kRead, "config").status().code(), Code::kCorruption);
  }
}

TEST(KvV2UpgradeTest, EngineWithoutStorageIsAnErrorNotACrash) {
  EnginePtr v2 = NewKvV2Engine();
  EngineRequest req;
  req.path = "data/x";
  EXPECT_EQ(v2->Handle(req).status().code(), Code::kInternal);
  EXPECT_EQ(v2->Exists(req).status().code(), Code::kInternal);
}

}  // namespace
}  // namespace coffer::engines
