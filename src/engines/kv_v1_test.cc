#include "engines/kv_v1.h"

#include <gtest/gtest.h>

#include "engines/cubbyhole.h"
#include "engines/engine_harness_for_test.h"

namespace coffer::engines {
namespace {

class KvV1Test : public ::testing::Test {
 protected:
  EnginePtr engine_ = NewKvV1Engine();
  EngineHarness h_;
};

TEST_F(KvV1Test, WriteReadReplaceDelete) {
  Json secret = {{"password", "hunter2"}, {"nested", {{"a", {1, 2}}}}, {"n", 3.5}, {"b", true}};
  auto w = h_.Call(*engine_, Operation::kUpdate, "app/db", secret);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->data.is_null());
  EXPECT_EQ(w->status, 0);

  auto r = h_.Call(*engine_, Operation::kRead, "app/db");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data, secret);  // stored exactly, unknown fields and nesting included

  // A write replaces the whole object (no merge).
  ASSERT_TRUE(h_.Call(*engine_, Operation::kUpdate, "app/db", Json{{"user", "x"}}).ok());
  r = h_.Call(*engine_, Operation::kRead, "app/db");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data, (Json{{"user", "x"}}));

  ASSERT_TRUE(h_.Call(*engine_, Operation::kDelete, "app/db").ok());
  EXPECT_EQ(h_.Call(*engine_, Operation::kRead, "app/db").status().code(), Code::kNotFound);
  // Deleting what is not there is fine.
  EXPECT_TRUE(h_.Call(*engine_, Operation::kDelete, "app/db").ok());
}

TEST_F(KvV1Test, ReadMissingIsNotFoundWithoutMessage) {
  auto r = h_.Call(*engine_, Operation::kRead, "nope");
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "");
  EXPECT_EQ(h_.Call(*engine_, Operation::kRead, "").status().code(), Code::kNotFound);
}

TEST_F(KvV1Test, TtlHintFromStoredTtlElseMountDefault) {
  ASSERT_TRUE(h_.Call(*engine_, Operation::kUpdate, "plain", Json{{"k", "v"}}).ok());
  ASSERT_TRUE(h_.Call(*engine_, Operation::kUpdate, "hour", Json{{"k", "v"}, {"ttl", "1h"}}).ok());
  ASSERT_TRUE(h_.Call(*engine_, Operation::kUpdate, "secs", Json{{"ttl", 90}}).ok());
  ASSERT_TRUE(h_.Call(*engine_, Operation::kUpdate, "lease", Json{{"lease", "30m"}}).ok());
  ASSERT_TRUE(h_.Call(*engine_, Operation::kUpdate, "bad", Json{{"ttl", "soon"}}).ok());

  h_.system().default_lease_ttl = 777;
  auto expect_hint = [&](const std::string& path, int64_t ttl) {
    auto r = h_.Call(*engine_, Operation::kRead, path);
    ASSERT_TRUE(r.ok()) << path;
    ASSERT_TRUE(r->secret.has_value()) << path;
    EXPECT_EQ(r->secret->lease_id, "") << path;
    EXPECT_FALSE(r->secret->renewable) << path;
    EXPECT_EQ(r->secret->lease_duration, ttl) << path;
  };
  expect_hint("plain", 777);
  expect_hint("hour", 3600);
  expect_hint("secs", 90);
  expect_hint("lease", 1800);
  expect_hint("bad", 777);  // unparsable ttl: still readable, default hint

  // The ttl field itself is part of the stored data.
  auto r = h_.Call(*engine_, Operation::kRead, "hour");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data["ttl"], "1h");
}

TEST_F(KvV1Test, ListReturnsSortedChildrenWithDirectories) {
  for (const char* p : {"b", "a", "dir/x", "dir/sub/y", "dir"}) {
    ASSERT_TRUE(h_.Call(*engine_, Operation::kUpdate, p, Json{{"v", 1}}).ok()) << p;
  }
  auto root = h_.Call(*engine_, Operation::kList, "");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->data["keys"], (Json{"a", "b", "dir", "dir/"}));
  auto dir = h_.Call(*engine_, Operation::kList, "dir/");
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->data["keys"], (Json{"sub/", "x"}));
  auto empty = h_.Call(*engine_, Operation::kList, "none/");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->data["keys"].empty());  // the HTTP layer turns this into a 404
}

TEST_F(KvV1Test, BadWrites) {
  auto empty = h_.Call(*engine_, Operation::kUpdate, "x", Json::object());
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "missing data fields");
  EXPECT_EQ(h_.Call(*engine_, Operation::kUpdate, "dir/", Json{{"a", 1}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(h_.Call(*engine_, Operation::kUpdate, "", Json{{"a", 1}}).status().code(),
            Code::kInvalidArgument);
  // Nothing was stored by the refused writes.
  auto all = h_.view().ListAll("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(KvV1Test, ExistenceCheckDecidesCreateVsUpdate) {
  auto before = h_.Exists(*engine_, "k");
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(before->has_value());
  EXPECT_FALSE(**before);
  ASSERT_TRUE(h_.Call(*engine_, Operation::kUpdate, "k", Json{{"a", 1}}).ok());
  auto after = h_.Exists(*engine_, "k");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->value_or(false));
}

TEST_F(KvV1Test, CorruptStoredValueIsAnErrorNotACrash) {
  ASSERT_TRUE(h_.view().Put("broken", "{not json").ok());
  EXPECT_EQ(h_.Call(*engine_, Operation::kRead, "broken").status().code(), Code::kCorruption);
  ASSERT_TRUE(h_.view().Put("array", "[1,2]").ok());
  EXPECT_EQ(h_.Call(*engine_, Operation::kRead, "array").status().code(), Code::kCorruption);
}

TEST(CubbyholeTest, CrudWithoutLeaseInformation) {
  EnginePtr engine = NewCubbyholeEngine();
  EngineHarness h;
  EXPECT_EQ(h.Call(*engine, Operation::kRead, "mine").status().code(), Code::kNotFound);
  ASSERT_TRUE(h.Call(*engine, Operation::kUpdate, "mine", Json{{"k", "v"}, {"ttl", "1h"}}).ok());
  auto r = h.Call(*engine, Operation::kRead, "mine");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data, (Json{{"k", "v"}, {"ttl", "1h"}}));
  EXPECT_FALSE(r->secret.has_value());

  ASSERT_TRUE(h.Call(*engine, Operation::kUpdate, "d/e", Json{{"x", 1}}).ok());
  auto l = h.Call(*engine, Operation::kList, "");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->data["keys"], (Json{"d/", "mine"}));

  EXPECT_EQ(h.Call(*engine, Operation::kUpdate, "e", Json::object()).status().code(),
            Code::kInvalidArgument);
  ASSERT_TRUE(h.Call(*engine, Operation::kDelete, "mine").ok());
  EXPECT_EQ(h.Call(*engine, Operation::kRead, "mine").status().code(), Code::kNotFound);
}

TEST(CubbyholeTest, ViewsAreIndependent) {
  // The core hands each token its own view; one engine serves them all.
  EnginePtr engine = NewCubbyholeEngine();
  EngineHarness token_a, token_b;
  ASSERT_TRUE(token_a.Call(*engine, Operation::kUpdate, "s", Json{{"owner", "a"}}).ok());
  EXPECT_EQ(token_b.Call(*engine, Operation::kRead, "s").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace coffer::engines
