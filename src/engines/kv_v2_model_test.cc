#include "engines/kv_v2_model.h"

#include <gtest/gtest.h>

#include "engines/stored_json.h"
#include "storage/inmem_backend.h"

namespace coffer::engines::kv2 {
namespace {

TEST(KvV2ModelTest, FormatTimeIsRfc3339NanoWithTrailingZerosDropped) {
  EXPECT_EQ(FormatTime(0), "");
  EXPECT_EQ(FormatTime(1521685446945319214), "2018-03-22T02:24:06.945319214Z");
  EXPECT_EQ(FormatTime(1521685446000000000), "2018-03-22T02:24:06Z");
  EXPECT_EQ(FormatTime(1521685446500000000), "2018-03-22T02:24:06.5Z");
  EXPECT_EQ(FormatTime(1521685446000001000), "2018-03-22T02:24:06.000001Z");
}

TEST(KvV2ModelTest, VersionJsonHasVaultsFieldsAndRendersAsBefore) {
  Metadata m;
  m.versions[3] = VersionInfo{.created_time = 1795902005123000000, .deletion_time = 0,
                              .destroyed = false};
  const Json plain = m.VersionJson(3);
  EXPECT_EQ(plain, (Json{{"created_time", "2026-11-28T21:40:05.123Z"},
                         {"custom_metadata", nullptr},
                         {"deletion_time", ""},
                         {"destroyed", false},
                         {"version", 3}}));
  EXPECT_EQ(plain.dump(),
            R"({"created_time":"2026-11-28T21:40:05.123Z","custom_metadata":null,)"
            R"("deletion_time":"","destroyed":false,"version":3})");
  m.custom_metadata = {{"owner", "ops"}};
  m.versions[3].destroyed = true;
  m.versions[3].deletion_time = 1795902006000000000;
  EXPECT_EQ(m.VersionJson(3)["custom_metadata"], (Json{{"owner", "ops"}}));
  EXPECT_EQ(m.VersionJson(3)["deletion_time"], "2026-11-28T21:40:06Z");
  EXPECT_EQ(m.VersionJson(3)["destroyed"], true);
}

TEST(KvV2ModelTest, VersionDataTextIsTheDataOfARecordAsStored) {
  const Json data{{"a", 1}, {"b", {{"c", "d"}}}};
  const storage::Op op = StoreVersionData("p", 3, data);
  auto text = VersionDataText(op.value);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, DumpJsonCompact(data));
  EXPECT_EQ(VersionDataText(R"({"data":{}})"), std::optional<std::string_view>("{}"));
  // Braces and quotes inside strings are not structure.
  EXPECT_EQ(VersionDataText(R"({"data":{"a":"}\"}"}})"),
            std::optional<std::string_view>(R"({"a":"}\"}"})"));
  for (std::string_view bad : {"", "{}", R"({"data":[1]})", R"({"data":"x"})", R"({"dat":{}})",
                               R"({"data":{} })", R"( {"data":{}})", R"({"data":{})",
                               R"({"data":{"a":1},"x":{"b":2}})"}) {
    EXPECT_FALSE(VersionDataText(bad).has_value()) << bad;
  }
}

TEST(KvV2ModelTest, DeletionTimeUsesTheSmallerNonZeroDuration) {
  const int64_t t = 1'000'000'000'000;
  EXPECT_EQ(DeletionTimeFor(t, 0, 0), 0);
  EXPECT_EQ(DeletionTimeFor(t, 60, 0), t + 60'000'000'000);
  EXPECT_EQ(DeletionTimeFor(t, 0, 30), t + 30'000'000'000);
  EXPECT_EQ(DeletionTimeFor(t, 60, 30), t + 30'000'000'000);
  EXPECT_EQ(DeletionTimeFor(t, 10, 30), t + 10'000'000'000);
  EXPECT_GT(DeletionTimeFor(t, int64_t{1} << 62, 0), t);  // saturates, no overflow
}

TEST(KvV2ModelTest, AddVersionTrimsOldestAndAdvancesOldestVersion) {
  Metadata m;
  for (int i = 1; i <= 9; ++i) EXPECT_TRUE(m.AddVersion(i, 0, 10).empty());
  EXPECT_EQ(m.oldest_version, 0);  // limit not reached yet
  EXPECT_TRUE(m.AddVersion(10, 0, 10).empty());
  EXPECT_EQ(m.oldest_version, 1);  // reached: nothing trimmed, but oldest moves to 1
  EXPECT_EQ(m.AddVersion(11, 0, 10), (std::vector<int64_t>{1}));
  EXPECT_EQ(m.oldest_version, 2);
  EXPECT_EQ(m.versions.size(), 10u);
  EXPECT_EQ(m.versions.begin()->first, 2);
  EXPECT_EQ(m.current_version, 11);
  EXPECT_EQ(m.created_time, 1);
  EXPECT_EQ(m.updated_time, 11);
  // A lower limit trims several at once.
  EXPECT_EQ(m.AddVersion(12, 0, 3), (std::vector<int64_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(m.oldest_version, 10);
  EXPECT_EQ(m.versions.size(), 3u);
}

TEST(KvV2ModelTest, EffectiveMaxVersions) {
  Metadata m;
  EXPECT_EQ(m.EffectiveMaxVersions(Config{}), 10);
  EXPECT_EQ(m.EffectiveMaxVersions(Config{.max_versions = 4}), 4);
  m.max_versions = 2;
  EXPECT_EQ(m.EffectiveMaxVersions(Config{.max_versions = 4}), 2);
}

TEST(KvV2ModelTest, MetadataRoundTripsThroughStorage) {
  auto view = storage::NewInmemBackend();
  Metadata m;
  m.AddVersion(5, 9, 10);
  m.custom_metadata = {{"owner", "ops"}};
  m.cas_required = true;
  m.delete_version_after = 120;
  m.versions[1].destroyed = true;
  ASSERT_TRUE(view->Write({StoreMetadata("a/b", m)}).ok());
  auto loaded = LoadMetadata(*view, "a/b");
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->ToApiJson(), m.ToApiJson());
  auto missing = LoadMetadata(*view, "a");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(KvV2ModelTest, CorruptRecordsAreCorruptionErrors) {
  auto view = storage::NewInmemBackend();
  ASSERT_TRUE(view->Put(MetadataKey("x"), "{\"current_version\":\"two\"}").ok());
  EXPECT_EQ(LoadMetadata(*view, "x").status().code(), Code::kCorruption);
  ASSERT_TRUE(view->Put(MetadataKey("y"), "not json").ok());
  EXPECT_EQ(LoadMetadata(*view, "y").status().code(), Code::kCorruption);
  ASSERT_TRUE(view->Put(MetadataKey("z"), "{\"versions\":{\"-1\":{}}}").ok());
  EXPECT_EQ(LoadMetadata(*view, "z").status().code(), Code::kCorruption);
  ASSERT_TRUE(view->Put(VersionKey("x", 1), "{\"data\":[1]}").ok());
  EXPECT_EQ(LoadVersionData(*view, "x", 1).status().code(), Code::kCorruption);
  ASSERT_TRUE(view->Put(std::string(kConfigKey), "{\"cas_required\":\"yes\"}").ok());
  EXPECT_EQ(LoadConfig(*view).status().code(), Code::kCorruption);
}

// A metadata record in the JSON form stores held before the binary one.
Json MetadataTree(const Metadata& m) {
  Json versions = Json::object();
  for (const auto& [n, v] : m.versions) {
    versions[std::to_string(n)] = Json{
        {"created_time", v.created_time}, {"deletion_time", v.deletion_time}, {"destroyed", v.destroyed}};
  }
  return Json{{"created_time", m.created_time},
              {"updated_time", m.updated_time},
              {"current_version", m.current_version},
              {"oldest_version", m.oldest_version},
              {"max_versions", m.max_versions},
              {"cas_required", m.cas_required},
              {"delete_version_after", m.delete_version_after},
              {"custom_metadata", m.custom_metadata},
              {"versions", std::move(versions)}};
}

// StoreMetadata remembers the record it wrote so the next load is not a
// decode: what a load then answers must be exactly what decoding the stored
// bytes gives (compared here with the same bytes stored under a key the
// write did not remember).
TEST(KvV2ModelTest, MetadataLoadedAfterAWriteEqualsTheDecodedRecord) {
  std::vector<Metadata> cases(4);
  cases[1].AddVersion(1'000, 0, 10);
  cases[1].AddVersion(2'000, 5'000, 10);
  cases[1].versions[1].destroyed = true;
  cases[1].custom_metadata = {{"owner", "team \"a\"\n"}, {"k\u00e9y", "v\u2028"}};
  cases[1].cas_required = true;
  cases[1].max_versions = 3;
  cases[1].delete_version_after = 60;
  cases[2] = cases[1];
  cases[2].custom_metadata["bad"] = std::string("\xff\xfe");  // kept as is (answers repair it)
  for (int v = 1; v <= 12; ++v) cases[3].AddVersion(v * 1'000'000'007LL, 0, 11);  // "10" < "9"
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    auto view = storage::NewInmemBackend();
    const std::string path = "remembered-" + std::to_string(i);
    storage::Op op = StoreMetadata(path, cases[i]);
    ASSERT_FALSE(op.value.empty());
    EXPECT_EQ(op.value[0], '\x01');  // the binary format, not JSON
    ASSERT_TRUE(view->Write({op}).ok());
    ASSERT_TRUE(view->Put(MetadataKey("decoded-" + std::to_string(i)), op.value).ok());
    auto remembered = LoadMetadata(*view, path);
    auto decoded = LoadMetadata(*view, "decoded-" + std::to_string(i));
    ASSERT_TRUE(remembered.ok() && decoded.ok());
    ASSERT_TRUE(remembered->has_value() && decoded->has_value());
    EXPECT_TRUE(**remembered == **decoded);
    EXPECT_TRUE(**decoded == cases[i]);
  }
  // A write that never reached storage is not answered for other bytes.
  auto view = storage::NewInmemBackend();
  Metadata unwritten;
  unwritten.AddVersion(1, 0, 10);
  (void)StoreMetadata("lost", unwritten);
  Metadata stored;
  stored.AddVersion(2, 0, 10);
  stored.AddVersion(3, 0, 10);
  ASSERT_TRUE(view->Put(MetadataKey("lost"), StoreMetadata("elsewhere", stored).value).ok());
  auto loaded = LoadMetadata(*view, "lost");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->current_version, 2);
}

// Stores written before the binary format hold JSON records: they load as
// before, and the next write of the secret stores the binary form.
TEST(KvV2ModelTest, JsonMetadataRecordsFromBeforeStillLoad) {
  Metadata m;
  constexpr int64_t kNow = 1'764'460'800'123'456'789;  // 2025-11-30, in nanoseconds
  for (int v = 1; v <= 12; ++v) m.AddVersion(kNow + v * 1'000'000'007LL, v == 12 ? kNow : 0, 10);
  m.versions.rbegin()->second.destroyed = true;
  m.custom_metadata = {{"owner", "team \"a\""}};
  m.cas_required = true;
  m.delete_version_after = 3600;
  auto view = storage::NewInmemBackend();
  const std::string json = DumpJsonCompact(MetadataTree(m));
  ASSERT_TRUE(view->Put(MetadataKey("old"), json).ok());
  auto loaded = LoadMetadata(*view, "old");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_TRUE(**loaded == m);
  // Ten versions: ~1 KB as JSON, a fraction of it now.
  const std::string binary = StoreMetadata("new", m).value;
  EXPECT_GT(json.size(), 900u);
  EXPECT_LT(binary.size(), 300u);
}

// A damaged binary record is a Corruption error whatever the damage: cut
// anywhere, a bad format byte or flag, counts beyond the bytes, versions out
// of order, bytes left over.
TEST(KvV2ModelTest, DamagedBinaryMetadataRecordsAreCorruptionErrors) {
  Metadata m;
  m.AddVersion(1'000, 0, 10);
  m.AddVersion(2'000, 0, 10);
  m.custom_metadata = {{"k", "v"}};
  const std::string good = StoreMetadata("unused", m).value;
  std::vector<std::string> bad;
  for (size_t n = 0; n < good.size(); ++n) {
    if (n > 0) bad.push_back(good.substr(0, n));  // empty: no record, not corrupt
  }
  bad.push_back(good + "x");
  std::string flags = good;
  flags[1] = '\x02';
  bad.push_back(flags);
  // Records built by hand: format, flags, six zero fields, then `tail`.
  auto record = [](std::string_view tail) {
    std::string r("\x01\x00", 2);
    r.append(6, '\x00');  // six zero fields
    r.append(tail);
    return r;
  };
  bad.push_back(record(std::string("\x7f", 1)));                    // 127 custom entries, no bytes
  bad.push_back(record(std::string("\x00\x7f", 2)));                // 127 versions, no bytes
  bad.push_back(record(std::string("\x00\x02\x04\x00\x00\x00\x02\x00\x00\x00", 10)));  // 2 then 1
  bad.push_back(record(std::string("\x00\x01\x00\x00\x00\x00", 6)));  // version 0
  bad.push_back(record(std::string("\x00\x01\x02\x00\x00\x02", 6)));  // destroyed = 2
  bad.push_back(record(std::string("\x02\x01k\x01v\x01k\x01w\x00", 11)));  // key twice
  // The hand-built header itself is well formed.
  auto well_formed = storage::NewInmemBackend();
  ASSERT_TRUE(well_formed->Put(MetadataKey("ok"), record(std::string("\x00\x00", 2))).ok());
  ASSERT_TRUE(LoadMetadata(*well_formed, "ok").ok());
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(i);
    auto view = storage::NewInmemBackend();
    ASSERT_TRUE(view->Put(MetadataKey("x"), bad[i]).ok());
    auto loaded = LoadMetadata(*view, "x");
    EXPECT_EQ(loaded.status().code(), Code::kCorruption);
  }
}

TEST(KvV2ModelTest, VersionKeysAreDistinctForNestedPaths) {
  EXPECT_NE(VersionKey("a/3", 1), VersionKey("a", 31));
  EXPECT_EQ(VersionKey("a/b", 2), "kv2/versions/a/b/2");
  EXPECT_EQ(MetadataKey("a/b"), "kv2/meta/a/b");
}

}  // namespace
}  // namespace coffer::engines::kv2
