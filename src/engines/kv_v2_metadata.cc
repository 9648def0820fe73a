// KV v2 metadata and config endpoints: metadata/*path and config.
#include <mutex>
#include <shared_mutex>
#include <string>

#include "common/json_util.h"
#include "engines/kv_v2_model.h"
#include "engines/kv_v2_paths.h"
#include "engines/kv_v2_request.h"

namespace coffer::engines::kv2 {
namespace {

using framework::Params;
using StatePtr = std::shared_ptr<KvV2State>;

const std::string& PathParam(const Params& params) { return params.at("path"); }

// The key settings a metadata write or patch may carry; each is nullopt when
// the request does not mention it.
struct MetadataFields {
  std::optional<int64_t> max_versions;
  std::optional<bool> cas_required;
  std::optional<int64_t> delete_version_after;
};

Result<MetadataFields> ParseMetadataFields(const Json& body) {
  MetadataFields f;
  ASSIGN_OR_RETURN(f.max_versions, GetInt(body, "max_versions"));
  if (f.max_versions && *f.max_versions < 0) {
    return InvalidArgument("max_versions must be a non-negative integer");
  }
  ASSIGN_OR_RETURN(f.cas_required, GetBool(body, "cas_required"));
  ASSIGN_OR_RETURN(f.delete_version_after, GetDuration(body, "delete_version_after"));
  return f;
}

void Apply(const MetadataFields& f, Metadata* meta) {
  if (f.max_versions) meta->max_versions = *f.max_versions;
  if (f.cas_required) meta->cas_required = *f.cas_required;
  if (f.delete_version_after) meta->delete_version_after = *f.delete_version_after;
}

// custom_metadata of a PATCH: a merge patch onto the existing map, where a
// null value removes the key.
Result<std::map<std::string, std::string>> PatchCustomMetadata(
    std::map<std::string, std::string> current, const Json& patch) {
  if (!patch.is_object()) {
    return InvalidArgument(
        std::string("error converting input for field \"custom_metadata\": expected a map, got ") +
        patch.type_name());
  }
  for (const auto& [k, v] : patch.items()) {
    if (v.is_null()) {
      current.erase(k);
      continue;
    }
    std::string s;
    if (!ScalarToString(v, &s)) {
      return InvalidArgument("error converting input for field \"custom_metadata\": value of \"" +
                             k + "\" must be a string, got " + v.type_name());
    }
    current[k] = std::move(s);
  }
  return current;
}

Result<Response> ReadMetadata(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  if (!IsSecretPath(path)) return NotFound();
  std::shared_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<Metadata> meta, LoadMetadata(*req.storage, path));
  if (!meta) return NotFound();
  return Response::Data(meta->ToApiJson());
}

Result<Response> ListMetadata(KvV2State&, const EngineRequest& req, const Params& params) {
  std::string prefix = MetadataKey(PathParam(params));
  if (prefix.back() != '/') prefix += '/';
  ASSIGN_OR_RETURN(std::vector<std::string> keys, req.storage->List(prefix));
  return framework::ListResponse(std::move(keys));
}

// POST metadata/<path>: sets the given settings, creating the metadata (with
// no versions) when the secret does not exist yet. custom_metadata, when
// given, replaces the whole map.
Result<Response> WriteMetadata(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  RETURN_IF_ERROR(CheckSecretPath(path));
  ASSIGN_OR_RETURN(MetadataFields fields, ParseMetadataFields(req.data));
  ASSIGN_OR_RETURN(auto custom, GetStringMap(req.data, "custom_metadata"));
  if (custom) RETURN_IF_ERROR(ValidateCustomMetadata(*custom));
  std::unique_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<Metadata> existing, LoadMetadata(*req.storage, path));
  int64_t now = state.Now();
  Metadata meta = existing ? std::move(*existing) : Metadata{.created_time = now};
  Apply(fields, &meta);
  if (custom) meta.custom_metadata = std::move(*custom);
  meta.updated_time = now;
  RETURN_IF_ERROR(req.storage->Write({StoreMetadata(path, meta)}));
  return Response::Empty();
}

// PATCH metadata/<path>: like a write, but custom_metadata is merged and the
// secret must exist.
Result<Response> PatchMetadata(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  RETURN_IF_ERROR(CheckSecretPath(path));
  ASSIGN_OR_RETURN(MetadataFields fields, ParseMetadataFields(req.data));
  std::unique_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<Metadata> meta, LoadMetadata(*req.storage, path));
  if (!meta) return NotFound();
  Apply(fields, &*meta);
  auto patch = req.data.find("custom_metadata");
  if (patch != req.data.end() && !patch->is_null()) {
    ASSIGN_OR_RETURN(meta->custom_metadata,
                     PatchCustomMetadata(std::move(meta->custom_metadata), *patch));
    RETURN_IF_ERROR(ValidateCustomMetadata(meta->custom_metadata));
  }
  meta->updated_time = state.Now();
  RETURN_IF_ERROR(req.storage->Write({StoreMetadata(path, *meta)}));
  return Response::Empty();
}

// DELETE metadata/<path>: removes the metadata and every version record in
// one batch. A missing secret is not an error.
Result<Response> DeleteMetadata(KvV2State& state, const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  if (!IsSecretPath(path)) return Response::Empty();
  std::unique_lock lock(state.KeyLock(path));
  ASSIGN_OR_RETURN(std::optional<Metadata> meta, LoadMetadata(*req.storage, path));
  if (!meta) return Response::Empty();
  storage::Batch batch;
  for (const auto& [n, info] : meta->versions) {
    if (!info.destroyed) batch.push_back(storage::Op::Delete(VersionKey(path, n)));
  }
  batch.push_back(storage::Op::Delete(MetadataKey(path)));
  RETURN_IF_ERROR(req.storage->Write(batch));
  return Response::Empty();
}

Result<Response> ReadConfig(KvV2State&, const EngineRequest& req, const Params&) {
  ASSIGN_OR_RETURN(Config config, LoadConfig(*req.storage));
  return Response::Data(config.ToApiJson());
}

Result<Response> WriteConfig(KvV2State& state, const EngineRequest& req, const Params&) {
  ASSIGN_OR_RETURN(MetadataFields fields, ParseMetadataFields(req.data));
  std::lock_guard lock(state.config_lock());
  ASSIGN_OR_RETURN(Config config, LoadConfig(*req.storage));
  if (fields.max_versions) config.max_versions = *fields.max_versions;
  if (fields.cas_required) config.cas_required = *fields.cas_required;
  if (fields.delete_version_after) config.delete_version_after = *fields.delete_version_after;
  RETURN_IF_ERROR(req.storage->Write({StoreConfig(config)}));
  return Response::Empty();
}

Result<bool> MetadataExists(const EngineRequest& req, const Params& params) {
  const std::string& path = PathParam(params);
  if (!IsSecretPath(path)) return false;
  ASSIGN_OR_RETURN(std::optional<Metadata> meta, LoadMetadata(*req.storage, path));
  return meta.has_value();
}

template <typename F>
framework::Handler Bind(const StatePtr& state, F f) {
  return
      [state, f](const EngineRequest& req, const Params& params) { return f(*state, req, params); };
}

}  // namespace

std::vector<framework::Path> MetadataPaths(StatePtr state) {
  std::vector<framework::Path> paths;
  paths.push_back(framework::Path{
      .pattern = "metadata/*path",
      .operations = {{Operation::kRead, Bind(state, ReadMetadata)},
                     {Operation::kList, Bind(state, ListMetadata)},
                     {Operation::kUpdate, Bind(state, WriteMetadata)},
                     {Operation::kPatch, Bind(state, PatchMetadata)},
                     {Operation::kDelete, Bind(state, DeleteMetadata)}},
      .exists = MetadataExists,
      .help = "Read, list, configure and delete the metadata and all versions of secrets."});
  paths.push_back(framework::Path{
      .pattern = "config",
      .operations = {{Operation::kRead, Bind(state, ReadConfig)},
                     {Operation::kUpdate, Bind(state, WriteConfig)}},
      .help = "Mount-wide settings: max_versions, cas_required, delete_version_after."});
  return paths;
}

}  // namespace coffer::engines::kv2
