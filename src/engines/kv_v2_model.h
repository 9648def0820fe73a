// kv_v2_model: the records of the KV v2 engine and where they live in the
// mount's storage view. docs/formats/kv-v2.md describes the same layout for
// people; keep the two in step.
//
// Layout (every key is relative to the mount's view):
//   kv2/layout/               marker: the view is in v2 layout (see below)
//   kv2/config                mount-wide Config
//   kv2/meta/<path>           one Metadata record per secret
//   kv2/versions/<path>/<n>   one version record per live version n >= 1
// <path> is the secret's path (non-empty, no trailing '/'). The version key
// is injective: the last segment is the version, everything before it is the
// path. Metadata keys mirror the secret tree, so LIST on metadata/<dir>/ is a
// List() of kv2/meta/<dir>/.
//
// The layout marker ends with '/', a key no KV v1 or cubbyhole write can
// create (they refuse paths ending in '/'). A view without the marker is in
// v1 layout (or empty) and is upgraded in one atomic batch (kv_v2_state.h).
//
// Records are compact JSON, except Metadata: binary (a format byte 0x01,
// then varints; JSON records from before still load). Times are integer
// nanoseconds since the Unix epoch (0 = unset), rendered as RFC 3339 with
// nanoseconds only at the API boundary.
//
// Thread-safety: plain values and pure functions; callers serialise
// read-modify-write of one secret (KvV2State::KeyLock).
// Invariants:
//  - Metadata.versions holds every version that was written and not yet
//    trimmed by max_versions; a destroyed version keeps its entry but has no
//    version record.
//  - Every change to a secret is one storage batch carrying its metadata and
//    the version records it adds or removes, so they never disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/json.h"
#include "coffer/status.h"
#include "coffer/storage.h"

namespace coffer::engines::kv2 {

inline constexpr std::string_view kLayoutKey = "kv2/layout/";
inline constexpr std::string_view kConfigKey = "kv2/config";
inline constexpr std::string_view kMetadataPrefix = "kv2/meta/";
inline constexpr std::string_view kVersionPrefix = "kv2/versions/";
inline constexpr int kLayoutFormat = 1;
inline constexpr int64_t kDefaultMaxVersions = 10;

std::string MetadataKey(std::string_view path);
std::string VersionKey(std::string_view path, int64_t version);

// RFC 3339 in UTC with the fraction's trailing zeros dropped (Go's
// RFC3339Nano): 1521685446945319214 -> "2018-03-22T02:24:06.945319214Z".
// 0 renders as "" (unset).
std::string FormatTime(int64_t unix_nanos);

// The deletion time of a version created at `created`: created plus the
// smaller of the non-zero durations (seconds), or 0 when both are 0.
int64_t DeletionTimeFor(int64_t created, int64_t mount_after, int64_t key_after);

// Mount-wide settings (config endpoint).
struct Config {
  int64_t max_versions = 0;  // 0: kDefaultMaxVersions
  bool cas_required = false;
  int64_t delete_version_after = 0;  // seconds; 0: never

  Json ToApiJson() const;
};

struct VersionInfo {
  int64_t created_time = 0;
  int64_t deletion_time = 0;  // 0: not scheduled; may lie in the future
  bool destroyed = false;

  // Deleted as of `now`: a deletion time at or before now.
  bool DeletedAt(int64_t now) const { return deletion_time != 0 && deletion_time <= now; }
  bool ReadableAt(int64_t now) const { return !destroyed && !DeletedAt(now); }
  bool operator==(const VersionInfo&) const = default;
};

struct Metadata {
  int64_t created_time = 0;
  int64_t updated_time = 0;
  int64_t current_version = 0;
  int64_t oldest_version = 0;
  int64_t max_versions = 0;  // 0: the mount's
  bool cas_required = false;
  int64_t delete_version_after = 0;  // seconds; 0: the mount's
  std::map<std::string, std::string> custom_metadata;
  std::map<int64_t, VersionInfo> versions;

  // The limit that applies: the key's, else the mount's, else 10.
  int64_t EffectiveMaxVersions(const Config& config) const;

  // Records a new current version created at `now` and trims the oldest
  // versions beyond max_versions. Returns the trimmed version numbers, whose
  // records the caller deletes in the same batch.
  std::vector<int64_t> AddVersion(int64_t now, int64_t deletion_time, int64_t max_versions);

  // custom_metadata as the API shows it: null when empty.
  Json CustomMetadataJson() const;
  // {created_time, custom_metadata, deletion_time, destroyed, version}.
  // REQUIRES: versions.count(version)
  Json VersionJson(int64_t version) const;
  // The metadata endpoint's data object.
  Json ToApiJson() const;
  bool operator==(const Metadata&) const = default;
};

// Storage I/O. Loads return nullopt when the record is absent and
// kCorruption when it does not parse.
Result<Config> LoadConfig(storage::Backend& view);
storage::Op StoreConfig(const Config& config);
Result<std::optional<Metadata>> LoadMetadata(storage::Backend& view, std::string_view path);
// The same, shared with the decoding cache instead of copied (null when the
// secret has no metadata): for readers that change nothing.
Result<std::shared_ptr<const Metadata>> LoadMetadataShared(storage::Backend& view,
                                                           std::string_view path);
// The write of `meta`; the decoding cache keeps `meta` itself (pass an
// rvalue when it is not needed afterwards: no copy).
storage::Op StoreMetadata(std::string_view path, Metadata meta);
// The decoded metadata and config records the loads above keep (plaintext,
// shared by every mount of the process) are dropped; on seal.
void ForgetDecodedRecords();
size_t DecodedRecordsForTest();
Result<std::optional<Json>> LoadVersionData(storage::Backend& view, std::string_view path,
                                            int64_t version);
storage::Op StoreVersionData(std::string_view path, int64_t version, const Json& data);
// The data of a stored version record as JSON text: the record is
// {"data":<data>} exactly as StoreVersionData wrote it (compact, through
// AppendJson), so <data> is what rendering the parsed data would write.
// nullopt when `record` does not have that shape (then parse it instead).
std::optional<std::string_view> VersionDataText(std::string_view record);

}  // namespace coffer::engines::kv2
