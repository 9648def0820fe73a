// KV v2 data endpoints: versions, CAS, delete/undelete/destroy, patch,
// trimming, delete_version_after, subkeys, invalid paths, concurrency.
#include "engines/kv_v2.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "common/json_util.h"
#include "engines/engine_harness_for_test.h"
#include "engines/kv_v2_model.h"

namespace coffer::engines {
namespace {

class KvV2Test : public ::testing::Test {
 protected:
  Result<Response> Call(Operation op, const std::string& path, Json data = Json::object()) {
    return h_.Call(*engine_, op, path, std::move(data));
  }
  Result<Response> Put(const std::string& path, Json data) {
    return Call(Operation::kUpdate, "data/" + path, Json{{"data", std::move(data)}});
  }
  Result<Response> PutCas(const std::string& path, Json data, Json cas) {
    return Call(Operation::kUpdate, "data/" + path,
                Json{{"data", std::move(data)}, {"options", {{"cas", std::move(cas)}}}});
  }
  Result<Response> Get(const std::string& path, Json query = Json::object()) {
    return Call(Operation::kRead, "data/" + path, std::move(query));
  }
  std::string Stamp() const { return kv2::FormatTime(h_.now()); }

  EngineHarness h_;
  EnginePtr engine_ = NewKvV2Engine(h_.Clock());
};

TEST_F(KvV2Test, WriteReturnsVersionMetadataAndReadReturnsDataWithMetadata) {
  auto w = Put("app/db", Json{{"foo", "bar"}, {"n", {{"deep", 1}}}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->status, 0);
  EXPECT_FALSE(w->secret.has_value());
  EXPECT_EQ(w->data, (Json{{"created_time", "2023-11-14T22:13:20.123456789Z"},
                           {"custom_metadata", nullptr},
                           {"deletion_time", ""},
                           {"destroyed", false},
                           {"version", 1}}));
  auto r = Get("app/db");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 0);
  EXPECT_EQ(r->data,
            (Json{{"data", {{"foo", "bar"}, {"n", {{"deep", 1}}}}}, {"metadata", w->data}}));
}

TEST_F(KvV2Test, AReadForTheClientSplicesTheStoredSecretAsText) {
  // The text is exactly what rendering the parsed answer writes: nested
  // values, numbers, escapes and a string repaired to valid UTF-8 on write.
  Json secret{{"foo", "bar"},
              {"n", {{"deep", 1}, {"list", {1, "a", nullptr, true, 2.5}}}},
              {"esc", "quote\" back\\ nl\n tab\t ctl\x01 é €"},
              {"bad", std::string("x\xff" "y")}};
  ASSERT_TRUE(Put("app/db", secret).ok());
  h_.Advance(1);
  ASSERT_TRUE(Put("app/db", Json{{"v", 2}}).ok());
  for (Json query : {Json::object(), Json{{"version", 1}}, Json{{"version", "2"}}}) {
    auto tree = Get("app/db", query);
    auto text = h_.ReadForClient(*engine_, "data/app/db", query);
    ASSERT_TRUE(tree.ok() && text.ok()) << query.dump();
    EXPECT_TRUE(tree->data_json.empty());
    EXPECT_TRUE(text->data.is_null());
    EXPECT_EQ(text->data_json, DumpJsonCompact(tree->data)) << query.dump();
    EXPECT_EQ(Json::parse(text->data_json), tree->data);
  }
  // What is not a readable version answers as before.
  ASSERT_TRUE(Call(Operation::kDelete, "data/app/db").ok());
  auto deleted = h_.ReadForClient(*engine_, "data/app/db");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(deleted->status, 404);
  EXPECT_TRUE(deleted->data_json.empty());
  EXPECT_TRUE(deleted->data["data"].is_null());
  EXPECT_EQ(deleted->data["metadata"]["version"], 2);
  auto missing = h_.ReadForClient(*engine_, "data/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_F(KvV2Test, VersionsCountUpAndCanBeReadByNumber) {
  ASSERT_TRUE(Put("k", Json{{"v", 1}}).ok());
  h_.Advance(1);
  auto second = Put("k", Json{{"v", 2}});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->data["version"], 2);
  EXPECT_EQ(second->data["created_time"], Stamp());

  auto latest = Get("k");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->data["data"]["v"], 2);
  auto zero = Get("k", Json{{"version", 0}});  // 0 means latest
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->data["data"]["v"], 2);
  auto first = Get("k", Json{{"version", "1"}});  // query parameters arrive as strings
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->data["data"]["v"], 1);
  EXPECT_EQ(first->data["metadata"]["version"], 1);
}

TEST_F(KvV2Test, MissingSecretsAndVersionsAreNotFoundWithoutBody) {
  auto missing = Get("nope");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "");
  ASSERT_TRUE(Put("k", Json{{"v", 1}}).ok());
  EXPECT_EQ(Get("k", Json{{"version", 7}}).status().code(), Code::kNotFound);
  EXPECT_EQ(Get("k/").status().code(), Code::kNotFound);
}

TEST_F(KvV2Test, BadVersionParameters) {
  ASSERT_TRUE(Put("k", Json{{"v", 1}}).ok());
  EXPECT_EQ(Get("k", Json{{"version", -1}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Get("k", Json{{"version", "-3"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Get("k", Json{{"version", "latest"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Get("k", Json{{"version", Json::array()}}).status().code(), Code::kInvalidArgument);
}

TEST_F(KvV2Test, BadWriteBodies) {
  auto no_data = Call(Operation::kUpdate, "data/k", Json{{"options", {{"cas", 0}}}});
  EXPECT_EQ(no_data.status(), InvalidArgument("no data provided"));
  EXPECT_EQ(Call(Operation::kUpdate, "data/k", Json{{"data", nullptr}}).status(),
            InvalidArgument("no data provided"));
  auto not_object = Call(Operation::kUpdate, "data/k", Json{{"data", "s3cr3t"}});
  EXPECT_EQ(not_object.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(not_object.status().message().find("s3cr3t"), std::string::npos);  // not echoed
  EXPECT_EQ(Call(Operation::kUpdate, "data/k", Json{{"data", {1, 2}}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kUpdate, "data/k", Json{{"data", {{"a", 1}}}, {"options", "x"}})
                .status()
                .code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Put("dir/", Json{{"a", 1}}).status().code(), Code::kInvalidArgument);
  // None of that created anything.
  EXPECT_EQ(Call(Operation::kRead, "metadata/k").status().code(), Code::kNotFound);
  // An empty object is data.
  auto empty = Put("k", Json::object());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(Get("k")->data["data"], Json::object());
}

TEST_F(KvV2Test, CheckAndSet) {
  const Status mismatch =
      InvalidArgument("check-and-set parameter did not match the current version");
  EXPECT_EQ(PutCas("k", Json{{"v", 1}}, 1).status(), mismatch);  // secret does not exist
  auto created = PutCas("k", Json{{"v", 1}}, 0);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->data["version"], 1);
  EXPECT_EQ(PutCas("k", Json{{"v", 2}}, 0).status(), mismatch);
  EXPECT_EQ(PutCas("k", Json{{"v", 2}}, 2).status(), mismatch);
  EXPECT_EQ(PutCas("k", Json{{"v", 2}}, -1).status(), mismatch);
  EXPECT_EQ(PutCas("k", Json{{"v", 2}}, "nope").status(),
            InvalidArgument("error parsing check-and-set parameter"));
  auto second = PutCas("k", Json{{"v", 2}}, "1");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->data["version"], 2);
  EXPECT_EQ(Get("k")->data["data"]["v"], 2);
}

TEST_F(KvV2Test, CasRequiredByMountConfigOrKeyMetadata) {
  const Status required = InvalidArgument("check-and-set parameter required for this call");
  ASSERT_TRUE(Call(Operation::kUpdate, "config", Json{{"cas_required", true}}).ok());
  EXPECT_EQ(Put("k", Json{{"v", 1}}).status(), required);
  ASSERT_TRUE(PutCas("k", Json{{"v", 1}}, 0).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "config", Json{{"cas_required", "false"}}).ok());
  ASSERT_TRUE(Put("k", Json{{"v", 2}}).ok());

  ASSERT_TRUE(Call(Operation::kUpdate, "metadata/k", Json{{"cas_required", true}}).ok());
  EXPECT_EQ(Put("k", Json{{"v", 3}}).status(), required);
  EXPECT_EQ(Call(Operation::kPatch, "data/k", Json{{"data", {{"v", 3}}}}).status(), required);
  ASSERT_TRUE(PutCas("k", Json{{"v", 3}}, 2).ok());
  ASSERT_TRUE(Put("other", Json{{"v", 1}}).ok());  // only that key requires it
}

TEST_F(KvV2Test, DeleteLatestThenReadIsNotFoundWithMetadataBody) {
  ASSERT_TRUE(Put("k", Json{{"v", 1}}).ok());
  ASSERT_TRUE(Put("k", Json{{"v", 2}}).ok());
  h_.Advance(5);
  auto del = Call(Operation::kDelete, "data/k");
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->data.is_null());

  auto r = Get("k");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(r->data["data"].is_null());
  EXPECT_EQ(r->data["metadata"]["version"], 2);
  EXPECT_EQ(r->data["metadata"]["deletion_time"], Stamp());
  EXPECT_EQ(r->data["metadata"]["destroyed"], false);
  // The older version is untouched.
  auto v1 = Get("k", Json{{"version", 1}});
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->status, 0);
  EXPECT_EQ(v1->data["data"]["v"], 1);
  // Deleting again keeps the first deletion time.
  h_.Advance(5);
  ASSERT_TRUE(Call(Operation::kDelete, "data/k").ok());
  EXPECT_EQ(Get("k")->data["metadata"]["deletion_time"], kv2::FormatTime(h_.now() - 5'000'000'000));
  // Deleting a missing secret is fine.
  EXPECT_TRUE(Call(Operation::kDelete, "data/none").ok());
}

TEST_F(KvV2Test, DeleteUndeleteDestroyVersions) {
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(Put("k", Json{{"v", i}}).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "delete/k", Json{{"versions", "1, 2"}}).ok());
  EXPECT_EQ(Get("k", Json{{"version", 1}})->status, 404);
  EXPECT_EQ(Get("k", Json{{"version", 2}})->status, 404);
  EXPECT_EQ(Get("k", Json{{"version", 3}})->status, 0);

  ASSERT_TRUE(Call(Operation::kUpdate, "undelete/k", Json{{"versions", {2, 99}}}).ok());
  auto back = Get("k", Json{{"version", 2}});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status, 0);
  EXPECT_EQ(back->data["data"]["v"], 2);
  EXPECT_EQ(back->data["metadata"]["deletion_time"], "");

  ASSERT_TRUE(Call(Operation::kUpdate, "destroy/k", Json{{"versions", {"3"}}}).ok());
  auto destroyed = Get("k", Json{{"version", 3}});
  ASSERT_TRUE(destroyed.ok());
  EXPECT_EQ(destroyed->status, 404);
  EXPECT_TRUE(destroyed->data["data"].is_null());
  EXPECT_EQ(destroyed->data["metadata"]["destroyed"], true);
  // The data is gone from storage, not just hidden.
  auto raw = h_.view().Get(kv2::VersionKey("k", 3));
  ASSERT_TRUE(raw.ok());
  EXPECT_FALSE(raw->has_value());
  // Destroyed is final: undelete and delete leave it destroyed.
  ASSERT_TRUE(Call(Operation::kUpdate, "undelete/k", Json{{"versions", 3}}).ok());
  ASSERT_TRUE(Call(Operation::kUpdate, "delete/k", Json{{"versions", 3}}).ok());
  auto still = Get("k", Json{{"version", 3}});
  EXPECT_EQ(still->data["metadata"]["destroyed"], true);
  EXPECT_EQ(still->data["metadata"]["deletion_time"], "");
  // Destroying a deleted version works too.
  ASSERT_TRUE(Call(Operation::kUpdate, "destroy/k", Json{{"versions", {1}}}).ok());
  EXPECT_EQ(Get("k", Json{{"version", 1}})->data["metadata"]["destroyed"], true);
  EXPECT_EQ(Get("k")->data["data"]["v"], 4);
}

TEST_F(KvV2Test, VersionListValidation) {
  ASSERT_TRUE(Put("k", Json{{"v", 1}}).ok());
  for (const char* path : {"delete/k", "undelete/k", "destroy/k"}) {
    EXPECT_EQ(Call(Operation::kUpdate, path).status(),
              InvalidArgument("no version number provided"))
        << path;
    EXPECT_EQ(Call(Operation::kUpdate, path, Json{{"versions", Json::array()}}).status(),
              InvalidArgument("no version number provided"))
        << path;
    EXPECT_EQ(Call(Operation::kUpdate, path, Json{{"versions", {-1}}}).status().code(),
              Code::kInvalidArgument)
        << path;
    EXPECT_EQ(Call(Operation::kUpdate, path, Json{{"versions", "1,x"}}).status().code(),
              Code::kInvalidArgument)
        << path;
    EXPECT_EQ(Call(Operation::kUpdate, path, Json{{"versions", {{{"a", 1}}}}}).status().code(),
              Code::kInvalidArgument)
        << path;
    // A missing secret or unknown version is not an error.
    EXPECT_TRUE(Call(Operation::kUpdate, std::string(path) + "x", Json{{"versions", {1}}}).ok());
    EXPECT_TRUE(Call(Operation::kUpdate, path, Json{{"versions", {0, 42}}}).ok());
  }
  EXPECT_EQ(Get("k")->data["data"]["v"], 1);
}

TEST_F(KvV2Test, MaxVersionsTrimsOldestFromStorage) {
  ASSERT_TRUE(Call(Operation::kUpdate, "config", Json{{"max_versions", 3}}).ok());
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(Put("k", Json{{"v", i}}).ok());
  auto meta = Call(Operation::kRead, "metadata/k");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->data["current_version"], 5);
  EXPECT_EQ(meta->data["oldest_version"], 3);
  EXPECT_EQ(meta->data["versions"].size(), 3u);
  EXPECT_TRUE(meta->data["versions"].contains("3"));
  EXPECT_EQ(Get("k", Json{{"version", 2}}).status().code(), Code::kNotFound);
  EXPECT_EQ(Get("k", Json{{"version", 3}})->data["data"]["v"], 3);
  auto keys = h_.view().ListAll(kv2::kVersionPrefix);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys,
            (std::vector<std::string>{"kv2/versions/k/3", "kv2/versions/k/4", "kv2/versions/k/5"}));
}

TEST_F(KvV2Test, DefaultMaxVersionsIsTen) {
  for (int i = 1; i <= 12; ++i) ASSERT_TRUE(Put("k", Json{{"v", i}}).ok());
  auto meta = Call(Operation::kRead, "metadata/k");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->data["versions"].size(), 10u);
  EXPECT_EQ(meta->data["oldest_version"], 3);
}

TEST_F(KvV2Test, DeleteVersionAfterSchedulesDeletion) {
  ASSERT_TRUE(Call(Operation::kUpdate, "config", Json{{"delete_version_after", "10s"}}).ok());
  auto w = Put("k", Json{{"v", 1}});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->data["deletion_time"], kv2::FormatTime(h_.now() + 10'000'000'000));
  h_.Advance(9);
  EXPECT_EQ(Get("k")->status, 0);
  h_.Advance(2);
  auto gone = Get("k");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->status, 404);
  EXPECT_TRUE(gone->data["data"].is_null());
  // Undelete clears the schedule.
  ASSERT_TRUE(Call(Operation::kUpdate, "undelete/k", Json{{"versions", 1}}).ok());
  EXPECT_EQ(Get("k")->status, 0);
  EXPECT_EQ(Get("k")->data["metadata"]["deletion_time"], "");
}

TEST_F(KvV2Test, PatchMergesOntoCurrentVersion) {
  EXPECT_EQ(Call(Operation::kPatch, "data/k", Json{{"data", {{"a", 1}}}}).status().code(),
            Code::kNotFound);
  ASSERT_TRUE(Put("k", Json{{"a", 1}, {"b", {{"x", 1}, {"y", 2}}}, {"c", 3}}).ok());
  auto p = Call(Operation::kPatch, "data/k",
                Json{{"data", {{"a", 10}, {"b", {{"y", nullptr}}}, {"c", nullptr}, {"d", 4}}}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->data["version"], 2);
  EXPECT_EQ(Get("k")->data["data"], (Json{{"a", 10}, {"b", {{"x", 1}}}, {"d", 4}}));
  EXPECT_EQ(Get("k", Json{{"version", 1}})->data["data"]["c"], 3);  // history kept

  EXPECT_EQ(Call(Operation::kPatch, "data/k", Json::object()).status(),
            InvalidArgument("no data provided"));
  EXPECT_EQ(Call(Operation::kPatch, "data/k", Json{{"data", {{"a", 1}}}, {"options", {{"cas", 1}}}})
                .status()
                .code(),
            Code::kInvalidArgument);
  auto with_cas =
      Call(Operation::kPatch, "data/k", Json{{"data", {{"a", 11}}}, {"options", {{"cas", 2}}}});
  ASSERT_TRUE(with_cas.ok());
  EXPECT_EQ(with_cas->data["version"], 3);

  ASSERT_TRUE(Call(Operation::kDelete, "data/k").ok());
  auto deleted = Call(Operation::kPatch, "data/k", Json{{"data", {{"a", 1}}}});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->status, 404);
  EXPECT_EQ(deleted->data["metadata"]["version"], 3);
  EXPECT_EQ(Call(Operation::kRead, "metadata/k")->data["current_version"], 3);  // no new version
}

TEST_F(KvV2Test, SubkeysReplaceLeavesWithNull) {
  ASSERT_TRUE(Put("k", Json{{"a", 1}, {"b", {{"c", {{"d", "x"}}}, {"e", Json::array()}}}}).ok());
  auto all = Call(Operation::kRead, "subkeys/k");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->data["subkeys"],
            (Json{{"a", nullptr}, {"b", {{"c", {{"d", nullptr}}}, {"e", nullptr}}}}));
  EXPECT_EQ(all->data["metadata"]["version"], 1);
  auto shallow = Call(Operation::kRead, "subkeys/k", Json{{"depth", "1"}});
  ASSERT_TRUE(shallow.ok());
  EXPECT_EQ(shallow->data["subkeys"], (Json{{"a", nullptr}, {"b", nullptr}}));
  EXPECT_EQ(Call(Operation::kRead, "subkeys/k", Json{{"depth", -1}}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Call(Operation::kRead, "subkeys/none").status().code(), Code::kNotFound);
  ASSERT_TRUE(Call(Operation::kDelete, "data/k").ok());
  auto deleted = Call(Operation::kRead, "subkeys/k");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->status, 404);
  EXPECT_TRUE(deleted->data["subkeys"].is_null());
}

TEST_F(KvV2Test, UnversionedPathsAre404WithWarning) {
  auto get = Call(Operation::kRead, "foo");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->status, 404);
  ASSERT_EQ(get->warnings.size(), 1u);
  EXPECT_EQ(get->warnings[0],
            "Invalid path for a versioned K/V secrets engine. See the API docs for the "
            "appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for "
            "this operation.");
  auto put = Call(Operation::kUpdate, "foo/bar", Json{{"a", 1}});
  ASSERT_TRUE(put.ok());
  EXPECT_NE(put->warnings.at(0).find("'vault kv put'"), std::string::npos);
  EXPECT_NE(Call(Operation::kList, "foo/")->warnings.at(0).find("'vault kv list'"),
            std::string::npos);
  EXPECT_NE(Call(Operation::kDelete, "foo")->warnings.at(0).find("'vault kv delete'"),
            std::string::npos);
  EXPECT_NE(Call(Operation::kPatch, "foo")->warnings.at(0).find("'vault kv patch'"),
            std::string::npos);

  for (const char* root : {"data", "data/", "metadata", "metadata/", "destroy/", "delete"}) {
    auto r = Call(Operation::kRead, root);
    ASSERT_TRUE(r.ok()) << root;
    EXPECT_EQ(r->status, 404) << root;
    EXPECT_EQ(r->warnings,
              std::vector<std::string>{
                  "Non-listing operations on the root of a K/V v2 mount are not supported."})
        << root;
  }
  // Nothing was written by those requests except the layout marker.
  auto all = h_.view().ListAll("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, std::vector<std::string>{std::string(kv2::kLayoutKey)});
}

TEST_F(KvV2Test, ExistenceCheckOnDataAndMetadata) {
  auto before = h_.Exists(*engine_, "data/k");
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(before->has_value());
  EXPECT_FALSE(**before);
  ASSERT_TRUE(Put("k", Json{{"v", 1}}).ok());
  EXPECT_TRUE(h_.Exists(*engine_, "data/k")->value_or(false));
  EXPECT_TRUE(h_.Exists(*engine_, "metadata/k")->value_or(false));
  EXPECT_FALSE(h_.Exists(*engine_, "config")->has_value());  // always an update
}

TEST_F(KvV2Test, ConcurrentWritesToOneKeyGetDistinctVersions) {
  ASSERT_TRUE(Call(Operation::kUpdate, "config", Json{{"max_versions", 1000}}).ok());
  constexpr int kThreads = 8;
  constexpr int kWrites = 25;
  std::vector<std::thread> threads;
  std::vector<std::vector<int64_t>> seen(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        auto w = Put("shared", Json{{"t", t}, {"i", i}});
        if (w.ok()) seen[t].push_back(w->data["version"].get<int64_t>());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<int64_t> all;
  for (auto& s : seen) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kWrites));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<int64_t>(i + 1));
  EXPECT_EQ(Call(Operation::kRead, "metadata/shared")->data["versions"].size(), all.size());
}

TEST_F(KvV2Test, ConcurrentCasCreatesExactlyOnce) {
  constexpr int kThreads = 8;
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      if (PutCas("once", Json{{"t", t}}, 0).ok()) ++won;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(Call(Operation::kRead, "metadata/once")->data["current_version"], 1);
}

}  // namespace
}  // namespace coffer::engines
