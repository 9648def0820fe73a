// KV v2 data endpoints: data/, delete/, undelete/, destroy/, subkeys/.
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "common/json_util.h"
#include "common/log.h"
#include "engines/kv_v2_model.h"
#include "engines/kv_v2_paths.h"
#include "engines/kv_v2_request.h"

namespace coffer::engines::kv2 {
namespace {

using framework::Params;
using StatePtr = std::shared_ptr<KvV2State>;

const std::string& PathParam(const Params& params) { return params.at("path"); }

// The version a read asks for, resolved against the metadata: nullopt when
// the secret or the version does not exist.
struct ResolvedVersion {
  std::shared_ptr<const Metadata> meta;  // never null
  int64_t version = 0;
};

Result<std::optional<ResolvedVersion>> Resolve(storage::Backend& view, const std::string& path,
                                               int64_t requested) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Metadata> meta, LoadMetadataShared(view, path));
  if (!meta) return std::optional<ResolvedVersion>();
  int64_t version = requested == 0 ? meta->current_version : requested;
  if (meta->versions.count(version) == 0) return std::optional<ResolvedVersion>();
  return std::optional<ResolvedVersion>(ResolvedVersion{std::move(meta), version});
}

// The data of a readable version. A missing record means the metadata and
// the version disagree, which the atomic batches rule out; answer 404 rather
// than fail the request.
Result<Json> LoadReadable(storage::Backend& view, const std::string& path, int64_t version) {
  ASSIGN_OR_RETURN(std::optional<Json> data, LoadVersionData(view, path, version));
  if (!data) {
    COFFER_LOG(kWarn, "kv") << "kv v2 version record missing for a live version (version "
                            << version << ")";
    return NotFound();
  }
  return std::move(*data);
}

// Adds `data` as the new current version and commits the version record, the
// metadata and the trimming of old versions as one batch.
// REQUIRES: the secret's KeyLock held exclusively.
Result<Response> CommitVersion(KvV2State& state, storage::Backend& view, const std::string& path,
                               Metadata meta, const Config& config, const Json& data) {
  int64_t now = state.Now();
  int64_t deletion = DeletionTimeFor(now, config.delete_version_after, meta.delete_version_after);
  std::vector<int64_t> trimmed = meta.AddVersion(now, deletion, meta.EffectiveMaxVersions(config));
  storage::Batch batch;
  batch.push_back(StoreVersionData(path, meta.current_version, data));
  Json written = meta.VersionJson(meta.current_version);
  batch.push_back(StoreMetadata(path, std::move(meta)));
  for (int64_t old : trimmed) batch.push_back(storage::Op::Delete(VersionKey(path, old)));
  RETURN_IF_ERROR(view.Write(batch));
  return Response::Data(std::move(written));
}

Result<Response> ReadData(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  ASSIGN_OR_RETURN(int64_t requested, VersionParam(req.data));
  if (!IsSecretPath(path)) return NotFound();
  std::shared_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<ResolvedVersion> found, Resolve(*req.storage, path, requested));
  if (!found) return NotFound();
  Json body = Json::object();
  auto& fields = body.get_ref<Json::object_t&>();
  fields.emplace("data", nullptr);
  fields.emplace("metadata", found->meta->VersionJson(found->version));
  if (!found->meta->versions.at(found->version).ReadableAt(state.Now())) {
    return NotFoundWithData(std::move(body));
  }
  if (req.raw_data_ok) {
    // The stored record's text goes out as it is: no parse of the secret and
    // no rendering of it again.
    ASSIGN_OR_RETURN(std::optional<std::string> record,
                     req.storage->Get(VersionKey(path, found->version)));
    if (record.has_value()) {
      if (std::optional<std::string_view> text = VersionDataText(*record)) {
        Response r;
        r.data_json.reserve(text->size() + 200);
        r.data_json += "{\"data\":";
        r.data_json += *text;
        r.data_json += ",\"metadata\":";
        AppendJson(&r.data_json, fields["metadata"]);
        r.data_json += '}';
        return r;
      }
    }
  }
  ASSIGN_OR_RETURN(fields["data"], LoadReadable(*req.storage, path, found->version));
  return Response::Data(std::move(body));
}

Result<Response> WriteData(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  RETURN_IF_ERROR(CheckSecretPath(path));
  ASSIGN_OR_RETURN(Json data, DataField(req.data));
  ASSIGN_OR_RETURN(std::optional<int64_t> cas, CasOption(req.data));
  std::unique_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(Config config, LoadConfig(*req.storage));
  ASSIGN_OR_RETURN(std::optional<Metadata> meta, LoadMetadata(*req.storage, path));
  Metadata current = meta ? std::move(*meta) : Metadata{};
  RETURN_IF_ERROR(CheckCas(cas, config, current));
  return CommitVersion(state, *req.storage, path, std::move(current), config, data);
}

// PATCH: an RFC 7386 merge of "data" onto the current version, written as a
// new version. Needs a readable current version.
Result<Response> PatchData(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  RETURN_IF_ERROR(CheckSecretPath(path));
  ASSIGN_OR_RETURN(Json patch, DataField(req.data));
  ASSIGN_OR_RETURN(std::optional<int64_t> cas, CasOption(req.data));
  std::unique_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<ResolvedVersion> found, Resolve(*req.storage, path, 0));
  if (!found) return NotFound();
  ASSIGN_OR_RETURN(Config config, LoadConfig(*req.storage));
  RETURN_IF_ERROR(CheckCas(cas, config, *found->meta));
  if (!found->meta->versions.at(found->version).ReadableAt(state.Now())) {
    return NotFoundWithData(
        Json{{"data", nullptr}, {"metadata", found->meta->VersionJson(found->version)}});
  }
  ASSIGN_OR_RETURN(Json merged, LoadReadable(*req.storage, path, found->version));
  merged.merge_patch(patch);
  return CommitVersion(state, *req.storage, path, Metadata(*found->meta), config, merged);
}

// DELETE data/<path>: soft-deletes the current version; a no-op when there is
// none or it is already deleted or destroyed.
Result<Response> DeleteLatest(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  if (!IsSecretPath(path)) return Response::Empty();
  std::unique_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<Metadata> meta, LoadMetadata(*req.storage, path));
  if (!meta) return Response::Empty();
  auto it = meta->versions.find(meta->current_version);
  int64_t now = state.Now();
  if (it == meta->versions.end() || !it->second.ReadableAt(now)) return Response::Empty();
  it->second.deletion_time = now;
  RETURN_IF_ERROR(req.storage->Write({StoreMetadata(path, *meta)}));
  return Response::Empty();
}

enum class VersionAction { kDelete, kUndelete, kDestroy };

// delete/, undelete/, destroy/: applies the action to each listed version
// that exists; unknown versions are skipped, as is a missing secret.
Result<Response> ChangeVersions(KvV2State& state, VersionAction action, const EngineRequest& req,
                                const Params& params) {
  const std::string& path = PathParam(params);
  RETURN_IF_ERROR(CheckSecretPath(path));
  ASSIGN_OR_RETURN(std::vector<int64_t> versions, VersionsField(req.data));
  std::unique_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<Metadata> meta, LoadMetadata(*req.storage, path));
  if (!meta) return Response::Empty();
  int64_t now = state.Now();
  storage::Batch batch;
  bool changed = false;
  for (int64_t n : versions) {
    auto it = meta->versions.find(n);
    if (it == meta->versions.end() || it->second.destroyed) continue;
    VersionInfo& v = it->second;
    switch (action) {
      case VersionAction::kDelete:
        if (v.DeletedAt(now)) continue;
        v.deletion_time = now;
        break;
      case VersionAction::kUndelete:
        if (v.deletion_time == 0) continue;
        v.deletion_time = 0;
        break;
      case VersionAction::kDestroy:
        v.destroyed = true;
        batch.push_back(storage::Op::Delete(VersionKey(path, n)));
        break;
    }
    changed = true;
  }
  if (!changed) return Response::Empty();
  batch.push_back(StoreMetadata(path, *meta));
  RETURN_IF_ERROR(req.storage->Write(batch));
  return Response::Empty();
}

// The key structure of `data` with every leaf replaced by null; objects at
// `depth` (when non-zero) count as leaves.
Json Subkeys(const Json& data, int64_t depth, int64_t level) {
  Json out = Json::object();
  for (const auto& [k, v] : data.items()) {
    bool descend = v.is_object() && (depth == 0 || level < depth);
    out[k] = descend ? Subkeys(v, depth, level + 1) : Json(nullptr);
  }
  return out;
}

Result<Response> ReadSubkeys(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  ASSIGN_OR_RETURN(int64_t requested, VersionParam(req.data));
  ASSIGN_OR_RETURN(std::optional<int64_t> depth, GetInt(req.data, "depth"));
  if (depth && *depth < 0) return InvalidArgument("depth must be a non-negative integer");
  if (!IsSecretPath(path)) return NotFound();
  std::shared_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<ResolvedVersion> found, Resolve(*req.storage, path, requested));
  if (!found) return NotFound();
  Json body{{"subkeys", nullptr}, {"metadata", found->meta->VersionJson(found->version)}};
  if (!found->meta->versions.at(found->version).ReadableAt(state.Now())) {
    return NotFoundWithData(std::move(body));
  }
  ASSIGN_OR_RETURN(Json data, LoadReadable(*req.storage, path, found->version));
  body["subkeys"] = Subkeys(data, depth.value_or(0), 1);
  return Response::Data(std::move(body));
}

Result<bool> SecretExists(const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  if (!IsSecretPath(path)) return false;
  ASSIGN_OR_RETURN(std::shared_ptr<const Metadata> meta, LoadMetadataShared(*req.storage, path));
  return meta != nullptr;
}

// Binds a handler to the shared state.
template <typename F>
framework::Handler Bind(const StatePtr& state, F f) {
  return
      [state, f](const EngineRequest& req, const Params& params) { return f(*state, req, params); };
}

framework::Handler BindAction(const StatePtr& state, VersionAction action) {
  return [state, action](const EngineRequest& req, const Params& params) {
    return ChangeVersions(*state, action, req, params);
  };
}

}  // namespace

std::vector<framework::Path> DataPaths(StatePtr state) {
  std::vector<framework::Path> paths;
  paths.push_back(
      framework::Path{.pattern = "data/*path",
                      .operations = {{Operation::kRead, Bind(state, ReadData)},
                                     {Operation::kUpdate, Bind(state, WriteData)},
                                     {Operation::kPatch, Bind(state, PatchData)},
                                     {Operation::kDelete, Bind(state, DeleteLatest)}},
                      .exists = SecretExists,
                      .help = "Write, patch, read and soft-delete versions of a secret."});
  paths.push_back(framework::Path{
      .pattern = "delete/*path",
      .operations = {{Operation::kUpdate, BindAction(state, VersionAction::kDelete)}},
      .help = "Soft-delete the given versions of a secret."});
  paths.push_back(framework::Path{
      .pattern = "undelete/*path",
      .operations = {{Operation::kUpdate, BindAction(state, VersionAction::kUndelete)}},
      .help = "Restore soft-deleted versions of a secret."});
  paths.push_back(framework::Path{
      .pattern = "destroy/*path",
      .operations = {{Operation::kUpdate, BindAction(state, VersionAction::kDestroy)}},
      .help = "Permanently remove the data of the given versions of a secret."});
  paths.push_back(
      framework::Path{.pattern = "subkeys/*path",
                      .operations = {{Operation::kRead, Bind(state, ReadSubkeys)}},
                      .help = "Read the key structure of a secret version without its values."});
  return paths;
}

}  // namespace coffer::engines::kv2
