#include "engines/kv_v2_model.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <limits>

#include "common/byte_codec.h"
#include "common/decoded_cache.h"
#include "common/duration.h"
#include "common/json_scan.h"
#include "common/json_util.h"
#include "common/time_format.h"
#include "engines/stored_json.h"

namespace coffer::engines::kv2 {
namespace {

constexpr size_t kMetadataCacheEntries = 4096;
// One slot (every mount's config has the same key; the bytes tell them apart).
constexpr size_t kConfigCacheEntries = 16;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// Decoded kv v2 records, shared by every mount of the process: plaintext
// (no secret data), dropped on seal (ForgetDecodedRecords). Every read of a
// secret loads its metadata first, and parsing it was the largest single
// cost of a kv v2 read; every write loads the config. A record whose bytes
// changed is a miss (see common/decoded_cache.h).
DecodedCache<Metadata>& MetadataCache() {
  static DecodedCache<Metadata> cache(kMetadataCacheEntries);
  return cache;
}

DecodedCache<Config>& ConfigCache() {
  static DecodedCache<Config> cache(kConfigCacheEntries);
  return cache;
}

// Seconds to nanoseconds, saturating instead of overflowing.
int64_t SecondsToNanos(int64_t seconds) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / kNanosPerSecond;
  return seconds >= kMax ? std::numeric_limits<int64_t>::max() : seconds * kNanosPerSecond;
}

// Typed field of a stored record; nlohmann throws on a wrong type, which is
// caught by the callers below and reported as corruption.
template <typename T>
T Field(const Json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

Result<Metadata> MetadataFromStored(const Json& j) {
  if (!j.is_object()) return Corruption("stored kv v2 metadata is not an object");
  try {
    Metadata m;
    m.created_time = Field<int64_t>(j, "created_time", 0);
    m.updated_time = Field<int64_t>(j, "updated_time", 0);
    m.current_version = Field<int64_t>(j, "current_version", 0);
    m.oldest_version = Field<int64_t>(j, "oldest_version", 0);
    m.max_versions = Field<int64_t>(j, "max_versions", 0);
    m.cas_required = Field<bool>(j, "cas_required", false);
    m.delete_version_after = Field<int64_t>(j, "delete_version_after", 0);
    m.custom_metadata = Field<std::map<std::string, std::string>>(j, "custom_metadata", {});
    auto versions = j.find("versions");
    if (versions != j.end() && versions->is_object()) {
      for (const auto& [num, info] : versions->items()) {
        int64_t n = std::stoll(num);
        if (n <= 0) return Corruption("stored kv v2 metadata has a bad version number");
        m.versions[n] = VersionInfo{.created_time = Field<int64_t>(info, "created_time", 0),
                                    .deletion_time = Field<int64_t>(info, "deletion_time", 0),
                                    .destroyed = Field<bool>(info, "destroyed", false)};
      }
    }
    return m;
  } catch (const std::exception&) {
    return Corruption("stored kv v2 metadata has a field of the wrong type");
  }
}

// The stored metadata record: binary since 2026-11-30 (a format byte, then
// varints). A secret with ten versions took ~1,040 bytes as JSON and takes
// ~190 now; every kv v2 write stores it twice (the record and the replicated
// log's copy), encrypts and hashes it, and writing the JSON was ~2% of the
// write (docs/performance.md). Records from before, JSON objects, still load.
//
//   u8 kMetadataFormat | u8 flags (bit 0: cas_required)
//   zigzag created_time, updated_time, current_version, oldest_version,
//          max_versions, delete_version_after
//   varint #custom, then each: varint-length key, varint-length value
//   varint #versions, then each (ascending numbers):
//          zigzag number, zigzag created_time, zigzag deletion_time, u8 destroyed
constexpr uint8_t kMetadataFormat = 0x01;  // JSON records begin with '{'
constexpr uint8_t kCasRequiredFlag = 0x01;
// The header's integer fields, in record order (written and read from here).
constexpr int64_t Metadata::*kHeaderFields[] = {
    &Metadata::created_time,   &Metadata::updated_time, &Metadata::current_version,
    &Metadata::oldest_version, &Metadata::max_versions, &Metadata::delete_version_after};

std::string MetadataRecord(const Metadata& m) {
  std::string out;
  out.reserve(64 + 24 * m.versions.size());
  PutU8(out, kMetadataFormat);
  PutU8(out, m.cas_required ? kCasRequiredFlag : 0);
  for (int64_t Metadata::*field : kHeaderFields) PutSignedVarint(out, m.*field);
  PutVarint(out, m.custom_metadata.size());
  for (const auto& [key, value] : m.custom_metadata) {
    PutLengthPrefixed(out, key);
    PutLengthPrefixed(out, value);
  }
  PutVarint(out, m.versions.size());
  for (const auto& [n, info] : m.versions) {
    PutSignedVarint(out, n);
    PutSignedVarint(out, info.created_time);
    PutSignedVarint(out, info.deletion_time);
    PutU8(out, info.destroyed ? 1 : 0);
  }
  return out;
}

Result<Metadata> MetadataFromRecord(std::string_view raw) {
  auto corrupt = [](std::string_view what) {
    return Corruption("stored kv v2 metadata: " + std::string(what));
  };
  ByteReader r(raw);
  uint8_t format = 0, flags = 0;
  if (!r.U8(&format) || format != kMetadataFormat) return corrupt("unknown format");
  if (!r.U8(&flags) || (flags & ~kCasRequiredFlag) != 0) return corrupt("bad flags");
  Metadata m;
  m.cas_required = (flags & kCasRequiredFlag) != 0;
  for (int64_t Metadata::*field : kHeaderFields) {
    if (!r.SignedVarint(&(m.*field))) return corrupt("truncated header");
  }
  uint64_t count = 0;
  // Each entry takes at least two bytes: a count beyond that is corrupt,
  // not a reason to loop or allocate.
  if (!r.Varint(&count) || count > r.remaining() / 2) return corrupt("bad custom metadata count");
  for (uint64_t i = 0; i < count; ++i) {
    std::string key, value;
    if (!r.LengthPrefixed(&key) || !r.LengthPrefixed(&value)) {
      return corrupt("truncated custom metadata");
    }
    if (!m.custom_metadata.emplace(std::move(key), std::move(value)).second) {
      return corrupt("repeated custom metadata key");
    }
  }
  if (!r.Varint(&count) || count > r.remaining() / 4) return corrupt("bad version count");
  int64_t previous = 0;
  for (uint64_t i = 0; i < count; ++i) {
    int64_t n = 0;
    VersionInfo info;
    uint8_t destroyed = 0;
    if (!r.SignedVarint(&n) || !r.SignedVarint(&info.created_time) ||
        !r.SignedVarint(&info.deletion_time) || !r.U8(&destroyed)) {
      return corrupt("truncated version");
    }
    if (n <= previous) return corrupt("version numbers out of order");
    if (destroyed > 1) return corrupt("bad version flag");
    info.destroyed = destroyed == 1;
    m.versions.emplace_hint(m.versions.end(), n, info);
    previous = n;
  }
  if (!r.Empty()) return corrupt("trailing bytes");
  return m;
}

}  // namespace

std::string MetadataKey(std::string_view path) {
  return std::string(kMetadataPrefix) + std::string(path);
}

std::string VersionKey(std::string_view path, int64_t version) {
  return std::string(kVersionPrefix) + std::string(path) + "/" + std::to_string(version);
}

std::string FormatTime(int64_t unix_nanos) {
  if (unix_nanos == 0) return "";
  return FormatRfc3339Nano(unix_nanos);
}

int64_t DeletionTimeFor(int64_t created, int64_t mount_after, int64_t key_after) {
  int64_t after = 0;
  if (mount_after > 0 && key_after > 0) {
    after = std::min(mount_after, key_after);
  } else {
    after = std::max<int64_t>(std::max<int64_t>(mount_after, key_after), 0);
  }
  if (after == 0) return 0;
  int64_t delta = SecondsToNanos(after);
  if (created > std::numeric_limits<int64_t>::max() - delta) {
    return std::numeric_limits<int64_t>::max();
  }
  return created + delta;
}

Json Config::ToApiJson() const {
  return Json{{"max_versions", max_versions},
              {"cas_required", cas_required},
              {"delete_version_after", FormatGoDuration(delete_version_after)}};
}

int64_t Metadata::EffectiveMaxVersions(const Config& config) const {
  if (max_versions > 0) return max_versions;
  if (config.max_versions > 0) return config.max_versions;
  return kDefaultMaxVersions;
}

std::vector<int64_t> Metadata::AddVersion(int64_t now, int64_t deletion_time,
                                          int64_t max_versions) {
  ++current_version;
  versions[current_version] =
      VersionInfo{.created_time = now, .deletion_time = deletion_time, .destroyed = false};
  updated_time = now;
  if (created_time == 0) created_time = now;

  // Once the history reaches the limit, everything at or below
  // current - max goes, and oldest_version moves just past it (it stays 0
  // until the first time the limit is reached).
  std::vector<int64_t> trimmed;
  if (max_versions > 0 && current_version - oldest_version >= max_versions) {
    int64_t cut = current_version - max_versions;
    for (auto it = versions.begin(); it != versions.end() && it->first <= cut;) {
      trimmed.push_back(it->first);
      it = versions.erase(it);
    }
    oldest_version = cut + 1;
  }
  return trimmed;
}

Json Metadata::CustomMetadataJson() const {
  if (custom_metadata.empty()) return nullptr;
  return Json(custom_metadata);
}

Json Metadata::VersionJson(int64_t version) const {
  // Built field by field: every kv v2 read renders it, and nlohmann's
  // initializer-list constructor (which inspects and copies each element)
  // cost more than the rest of the object.
  const VersionInfo& v = versions.at(version);
  Json out = Json::object();
  auto& fields = out.get_ref<Json::object_t&>();
  fields.emplace("created_time", FormatTime(v.created_time));
  fields.emplace("custom_metadata", CustomMetadataJson());
  fields.emplace("deletion_time", FormatTime(v.deletion_time));
  fields.emplace("destroyed", v.destroyed);
  fields.emplace("version", version);
  return out;
}

Json Metadata::ToApiJson() const {
  Json vs = Json::object();
  for (const auto& [n, v] : versions) {
    vs[std::to_string(n)] = Json{{"created_time", FormatTime(v.created_time)},
                                 {"deletion_time", FormatTime(v.deletion_time)},
                                 {"destroyed", v.destroyed}};
  }
  return Json{{"cas_required", cas_required},
              {"created_time", FormatTime(created_time)},
              {"current_version", current_version},
              {"custom_metadata", CustomMetadataJson()},
              {"delete_version_after", FormatGoDuration(delete_version_after)},
              {"max_versions", max_versions},
              {"oldest_version", oldest_version},
              {"updated_time", FormatTime(updated_time)},
              {"versions", std::move(vs)}};
}

Result<Config> LoadConfig(storage::Backend& view) {
  // Every write reads it: parsed once per stored value (the barrier keeps its
  // decryption, see NonSecretHotPrefixes).
  DecodedCache<Config>& cache = ConfigCache();
  ASSIGN_OR_RETURN(storage::SharedValue raw, view.GetShared(kConfigKey));
  if (!raw) return Config{};
  if (auto hit = cache.Find(kConfigKey, raw)) return *hit;
  ASSIGN_OR_RETURN(Json j, ParseStoredJson(*raw, "kv v2 config"));
  if (!j.is_object()) return Corruption("stored kv v2 config is not an object");
  Config config;
  try {
    config = Config{.max_versions = Field<int64_t>(j, "max_versions", 0),
                    .cas_required = Field<bool>(j, "cas_required", false),
                    .delete_version_after = Field<int64_t>(j, "delete_version_after", 0)};
  } catch (const std::exception&) {
    return Corruption("stored kv v2 config has a field of the wrong type");
  }
  cache.Put(kConfigKey, std::move(raw), config);
  return config;
}

storage::Op StoreConfig(const Config& config) {
  Json j{{"max_versions", config.max_versions},
         {"cas_required", config.cas_required},
         {"delete_version_after", config.delete_version_after}};
  return storage::Op::Put(std::string(kConfigKey), DumpJsonCompact(j));
}

void ForgetDecodedRecords() {
  MetadataCache().Clear();
  ConfigCache().Clear();
}

size_t DecodedRecordsForTest() { return MetadataCache().size() + ConfigCache().size(); }

Result<std::shared_ptr<const Metadata>> LoadMetadataShared(storage::Backend& view,
                                                           std::string_view path) {
  DecodedCache<Metadata>& cache = MetadataCache();
  const std::string key = MetadataKey(path);
  ASSIGN_OR_RETURN(storage::SharedValue raw, view.GetShared(key));
  if (!raw) return std::shared_ptr<const Metadata>();
  if (auto hit = cache.Find(key, raw)) return hit;
  if (!raw->empty() && static_cast<uint8_t>((*raw)[0]) == kMetadataFormat) {
    ASSIGN_OR_RETURN(Metadata m, MetadataFromRecord(*raw));
    return cache.Put(key, std::move(raw), std::move(m));
  }
  // A record from before the binary format.
  ASSIGN_OR_RETURN(Json j, ParseStoredJson(*raw, "kv v2 metadata"));
  ASSIGN_OR_RETURN(Metadata m, MetadataFromStored(j));
  return cache.Put(key, std::move(raw), std::move(m));
}

Result<std::optional<Metadata>> LoadMetadata(storage::Backend& view, std::string_view path) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Metadata> meta, LoadMetadataShared(view, path));
  if (!meta) return std::optional<Metadata>();
  return std::optional<Metadata>(*meta);
}

storage::Op StoreMetadata(std::string_view path, Metadata meta) {
  storage::Op op = storage::Op::Put(MetadataKey(path), MetadataRecord(meta));
  // A write is read back by the next request on the key (the existence check
  // and the write of the next version): remember `meta` as the decoding of
  // exactly these bytes, so that read is not a decode. That holds only when
  // the bytes decode back to `meta`: every version number positive (others
  // do not load).
  const bool round_trips = meta.versions.empty() || meta.versions.begin()->first > 0;
  if (round_trips) {
    MetadataCache().Put(op.key, op.value, std::move(meta));
  }
  return op;
}

Result<std::optional<Json>> LoadVersionData(storage::Backend& view, std::string_view path,
                                            int64_t version) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, view.Get(VersionKey(path, version)));
  if (!raw) return std::optional<Json>();
  ASSIGN_OR_RETURN(Json j, ParseStoredJson(*raw, "kv v2 version"));
  if (!j.is_object() || !j.contains("data") || !j["data"].is_object()) {
    return Corruption("stored kv v2 version has no data object");
  }
  return std::optional<Json>(std::move(j["data"]));
}

std::optional<std::string_view> VersionDataText(std::string_view record) {
  constexpr std::string_view kOpen = "{\"data\":{";
  if (record.size() < kOpen.size() + 2 || !record.starts_with(kOpen) ||
      !record.ends_with("}}")) {
    return std::nullopt;
  }
  const std::string_view data = record.substr(kOpen.size() - 1, record.size() - kOpen.size());
  // The object opened first must close at the very end: a record with more
  // than the one field is not this shape. (Its bytes are authenticated by the
  // barrier, so this guards against another writer's format, not tampering.)
  const JsonBrackets b = ScanJsonBrackets(data);
  if (!b.balanced || b.first_end != data.size()) return std::nullopt;
  return data;
}

storage::Op StoreVersionData(std::string_view path, int64_t version, const Json& data) {
  return storage::Op::Put(VersionKey(path, version), DumpJsonCompact(Json{{"data", data}}));
}

}  // namespace coffer::engines::kv2
