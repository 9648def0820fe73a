// KV v2 metadata/ and config endpoints.
#include <gtest/gtest.h>

#include "engines/engine_harness_for_test.h"
#include "engines/kv_v2.h"
#include "engines/kv_v2_model.h"

namespace coffer::engines {
namespace {

class KvV2MetadataTest : public ::testing::Test {
 protected:
  Result<Response> Call(Operation op, const std::string& path, Json data = Json::object()) {
    return h_.Call(*engine_, op, path, std::move(data));
  }
  Result<Response> Put(const std::string& path, Json data) {
    return Call(Operation::kUpdate, "data/" + path, Json{{"data", std::move(data)}});
  }
  std::string Stamp(int64_t offset_seconds = 0) const {
    return kv2::FormatTime(EngineHarness::kStart + offset_seconds * 1'000'000'000);
  }

  EngineHarness h_;
  EnginePtr engine_ = NewKvV2Engine(h_.Clock());
};

TEST_F(KvV2MetadataTest, ReadShape) {
  ASSERT_TRUE(Put("app", Json{{"v", 1}}).ok());
  h_.Advance(10);
  ASSERT_TRUE(Put("app", Json{{"v", 2}}).ok());
  h_.Advance(10);
  ASSERT_TRUE(Call(Operation::kDelete, "data/app").ok());
  auto m = Call(Operation::kRead, "metadata/app");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->data,
            (Json{{"cas_required", false},
                  {"created_time", Stamp()},
                  {"current_version", 2},
                  {"custom_metadata", nullptr},
                  {"delete_version_after", "0s"},
                  {"max_versions", 0},
                  {"oldest_version", 0},
                  {"updated_time", Stamp(10)},
                  {"versions",
                   {{"1", {{"created_time", Stamp()}, {"deletion_time", ""}, {"destroyed", false}}},
                    {"2",
                     {{"created_time", Stamp(10)},
                      {"deletion_time", Stamp(20)},
                      {"destroyed", false}}}}}}));
  EXPECT_EQ(Call(Operation::kRead, "metadata/none").status().code(), Code::kNotFound);
}

TEST_F(KvV2MetadataTest, WriteCreatesMetadataWithoutVersions) {
  auto w = Call(Operation::kUpdate, "metadata/new",
                Json{{"max_versions", "5"},
                     {"cas_required", true},
                     {"delete_version_after", "1h"},
                     {"custom_metadata", {{"owner", "ops"}, {"tier", 1}}}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->data.is_null());
  auto m = Call(Operation::kRead, "metadata/new");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->data["current_version"], 0);
  EXPECT_EQ(m->data["max_versions"], 5);
  EXPECT_EQ(m->data["cas_required"], true);
  EXPECT_EQ(m->data["delete_version_after"], "1h0m0s");
  EXPECT_EQ(m->data["custom_metadata"], (Json{{"owner", "ops"}, {"tier", "1"}}));
  EXPECT_EQ(m->data["versions"], Json::object());
  EXPECT_EQ(Call(Operation::kRead, "data/new").status().code(), Code::kNotFound);

  // The secret now requires cas; cas 0 matches "no version yet".
  auto first =
      Call(Operation::kUpdate, "data/new", Json{{"data", {{"a", 1}}}, {"options", {{"cas", 0}}}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->data["version"], 1);
  EXPECT_EQ(first->data["custom_metadata"], (Json{{"owner", "ops"}, {"tier", "1"}}));
  EXPECT_EQ(first->data["deletion_time"], Stamp(3600));  // the key's delete_version_after

  // A later write changes only what it names; custom_metadata is replaced whole.
  ASSERT_TRUE(
      Call(Operation::kUpdate, "metadata/new", Json{{"custom_metadata", {{"x", "y"}}}}).ok());
  m = Call(Operation::kRead, "metadata/new");
  EXPECT_EQ(m->data["max_versions"], 5);
  EXPECT_EQ(m->data["custom_metadata"], (Json{{"x", "y"}}));
  EXPECT_EQ(Call(Operation::kRead, "data/new")->data["metadata"]["custom_metadata"],
            (Json{{"x", "y"}}));
}

TEST_F(KvV2MetadataTest, WriteValidation) {
  EXPECT_EQ(Call(Operation::kUpdate, "metadata/k", Json{{"max_versions", -1}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "metadata/k", Json{{"max_versions", "many"}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "metadata/k", Json{{"cas_required", "maybe"}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      Call(Operation::kUpdate, "metadata/k", Json{{"delete_version_after", "-5s"}}).status().code(),
      Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "metadata/k", Json{{"custom_metadata", "x"}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "metadata/k",
                 Json{{"custom_metadata", {{std::string(129, 'k'), "v"}}}})
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "metadata/k",
                 Json{{"custom_metadata", {{"k", std::string(513, 'v')}}}})
                .status()
                .code(),
            Code::kInvalidArgument);
  Json many = Json::object();
  for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_EQ(Call(Operation::kUpdate, "metadata/k", Json{{"custom_metadata", many}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "metadata/dir/", Json{{"max_versions", 1}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kRead, "metadata/k").status().code(), Code::kNotFound);
}

TEST_F(KvV2MetadataTest, PatchMergesCustomMetadataAndNeedsTheSecret) {
  EXPECT_EQ(Call(Operation::kPatch, "metadata/k", Json{{"max_versions", 2}}).status().code(),
            Code::kNotFound);
  ASSERT_TRUE(Call(Operation::kUpdate, "metadata/k",
                   Json{{"max_versions", 4}, {"custom_metadata", {{"a", "1"}, {"b", "2"}}}})
                  .ok());
  auto p = Call(Operation::kPatch, "metadata/k",
                Json{{"cas_required", true}, {"custom_metadata", {{"a", nullptr}, {"c", "3"}}}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto m = Call(Operation::kRead, "metadata/k");
  EXPECT_EQ(m->data["max_versions"], 4);  // untouched
  EXPECT_EQ(m->data["cas_required"], true);
  EXPECT_EQ(m->data["custom_metadata"], (Json{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(Call(Operation::kPatch, "metadata/k", Json{{"custom_metadata", {{"x", {1}}}}})
                .status()
                .code(),
            Code::kInvalidArgument);
}

TEST_F(KvV2MetadataTest, KeyMaxVersionsOverridesMount) {
  ASSERT_TRUE(Call(Operation::kUpdate, "config", Json{{"max_versions", 5}}).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "metadata/k", Json{{"max_versions", 2}}).ok());
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(Put("k", Json{{"v", i}}).ok());
  auto m = Call(Operation::kRead, "metadata/k");
  EXPECT_EQ(m->data["versions"].size(), 2u);
  EXPECT_EQ(m->data["oldest_version"], 3);
  for (int i = 1; i <= 7; ++i) ASSERT_TRUE(Put("other", Json{{"v", i}}).ok());
  EXPECT_EQ(Call(Operation::kRead, "metadata/other")->data["versions"].size(), 5u);
}

TEST_F(KvV2MetadataTest, DeleteVersionAfterTakesTheSmallerOfKeyAndMount) {
  ASSERT_TRUE(Call(Operation::kUpdate, "config", Json{{"delete_version_after", 60}}).ok());
  ASSERT_TRUE(
      Call(Operation::kUpdate, "metadata/short", Json{{"delete_version_after", "30s"}}).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "metadata/long", Json{{"delete_version_after", "2m"}}).ok());
  EXPECT_EQ(Put("short", Json{{"v", 1}})->data["deletion_time"], Stamp(30));
  EXPECT_EQ(Put("long", Json{{"v", 1}})->data["deletion_time"], Stamp(60));
}

TEST_F(KvV2MetadataTest, ListShowsSecretsAndFolders) {
  for (const char* p : {"b", "a", "team/x", "team/sub/y"}) ASSERT_TRUE(Put(p, Json{{"v", 1}}).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "metadata/only-meta", Json{{"max_versions", 1}}).ok());
  auto root = Call(Operation::kList, "metadata/");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->data["keys"], (Json{"a", "b", "only-meta", "team/"}));
  auto team = Call(Operation::kList, "metadata/team/");
  ASSERT_TRUE(team.ok());
  EXPECT_EQ(team->data["keys"], (Json{"sub/", "x"}));
  auto none = Call(Operation::kList, "metadata/nothing/");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->data["keys"].empty());
  // Deleted secrets are still listed (their metadata remains).
  ASSERT_TRUE(Call(Operation::kDelete, "data/a").ok());
  EXPECT_EQ(Call(Operation::kList, "metadata/")->data["keys"][0], "a");
}

TEST_F(KvV2MetadataTest, DeleteRemovesAllVersionsAndMetadata) {
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(Put("k", Json{{"v", i}}).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "destroy/k", Json{{"versions", 2}}).ok());
  ASSERT_TRUE(Put("keep", Json{{"v", 1}}).ok());
  ASSERT_TRUE(Call(Operation::kDelete, "metadata/k").ok());
  EXPECT_EQ(Call(Operation::kRead, "metadata/k").status().code(), Code::kNotFound);
  EXPECT_EQ(Call(Operation::kRead, "data/k").status().code(), Code::kNotFound);
  auto all = h_.view().ListAll("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all,
            (std::vector<std::string>{"kv2/layout/", "kv2/meta/keep", "kv2/versions/keep/1"}));
  EXPECT_TRUE(Call(Operation::kDelete, "metadata/k").ok());  // idempotent
  // Writing again starts over at version 1.
  EXPECT_EQ(Put("k", Json{{"v", 9}})->data["version"], 1);
}

TEST_F(KvV2MetadataTest, ConfigReadWrite) {
  auto def = Call(Operation::kRead, "config");
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->data,
            (Json{{"max_versions", 0}, {"cas_required", false}, {"delete_version_after", "0s"}}));
  ASSERT_TRUE(Call(Operation::kUpdate, "config",
                   Json{{"max_versions", 7}, {"delete_version_after", "1h30m"}})
                  .ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "config", Json{{"cas_required", 1}}).ok());
  auto cfg = Call(Operation::kRead, "config");
  EXPECT_EQ(
      cfg->data,
      (Json{{"max_versions", 7}, {"cas_required", true}, {"delete_version_after", "1h30m0s"}}));
  EXPECT_EQ(Call(Operation::kUpdate, "config", Json{{"max_versions", -2}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(
      Call(Operation::kUpdate, "config", Json{{"delete_version_after", "often"}}).status().code(),
      Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kRead, "config")->data["max_versions"], 7);  // unchanged by errors
}

}  // namespace
}  // namespace coffer::engines
