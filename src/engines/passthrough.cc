#include "engines/passthrough.h"

#include <optional>
#include <string>

#include "common/duration.h"
#include "engines/stored_json.h"

namespace coffer::engines {
namespace {

using framework::Params;

bool IsWritableKey(const std::string& path) { return !path.empty() && path.back() != '/'; }

Status CheckStorage(const EngineRequest& req) {
  if (req.storage == nullptr) return Internal("engine request has no storage view");
  return Status::Ok();
}

// The lease hint of a KV v1 read: "ttl" (or the older "lease") when it parses
// as a duration, else the mount's default. A bad value is not an error: the
// secret is still readable.
int64_t TtlHint(const Json& data, int64_t default_ttl) {
  for (const char* field : {"ttl", "lease"}) {
    auto it = data.find(field);
    if (it == data.end()) continue;
    auto seconds = ParseDurationSeconds(*it);
    return seconds.ok() ? *seconds : default_ttl;
  }
  return default_ttl;
}

Result<Response> Read(const EngineRequest& req, const PassthroughOptions& options) {
  RETURN_IF_ERROR(CheckStorage(req));
  if (req.path.empty()) return NotFound();
  ASSIGN_OR_RETURN(std::optional<std::string> raw, req.storage->Get(req.path));
  if (!raw) return NotFound();
  ASSIGN_OR_RETURN(Json data, ParseStoredJson(*raw, "secret"));
  if (!data.is_object()) return Corruption("stored secret is not a JSON object");
  Response resp;
  if (options.ttl_hints) {
    resp.secret = SecretInfo{.lease_id = "",
                             .renewable = false,
                             .lease_duration = TtlHint(data, req.system.default_lease_ttl)};
  }
  resp.data = std::move(data);
  return resp;
}

Result<Response> List(const EngineRequest& req) {
  RETURN_IF_ERROR(CheckStorage(req));
  std::string prefix = req.path;
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  ASSIGN_OR_RETURN(std::vector<std::string> keys, req.storage->List(prefix));
  return framework::ListResponse(std::move(keys));
}

Result<Response> Write(const EngineRequest& req) {
  RETURN_IF_ERROR(CheckStorage(req));
  if (req.path.empty()) return InvalidArgument("missing path");
  if (!IsWritableKey(req.path)) return InvalidArgument("cannot write to a path ending in '/'");
  if (!req.data.is_object()) return InvalidArgument("request data must be a JSON object");
  if (req.data.empty()) return InvalidArgument("missing data fields");
  RETURN_IF_ERROR(req.storage->Put(req.path, DumpJsonCompact(req.data)));
  return Response::Empty();
}

Result<Response> Delete(const EngineRequest& req) {
  RETURN_IF_ERROR(CheckStorage(req));
  if (!IsWritableKey(req.path)) return Response::Empty();  // nothing can live there
  RETURN_IF_ERROR(req.storage->Delete(req.path));
  return Response::Empty();
}

Result<bool> Exists(const EngineRequest& req) {
  RETURN_IF_ERROR(CheckStorage(req));
  if (!IsWritableKey(req.path)) return false;
  ASSIGN_OR_RETURN(std::optional<std::string> raw, req.storage->Get(req.path));
  return raw.has_value();
}

}  // namespace

std::vector<framework::Path> PassthroughPaths(PassthroughOptions options) {
  framework::Path path{
      .pattern = "*path",
      .operations =
          {
              {Operation::kRead,
               [options](const EngineRequest& req, const Params&) { return Read(req, options); }},
              {Operation::kList, [](const EngineRequest& req, const Params&) { return List(req); }},
              {Operation::kUpdate,
               [](const EngineRequest& req, const Params&) { return Write(req); }},
              {Operation::kDelete,
               [](const EngineRequest& req, const Params&) { return Delete(req); }},
          },
      .exists = [](const EngineRequest& req, const Params&) { return Exists(req); },
      .help = "Pass-through secret storage: read, write, list and delete JSON objects.",
  };
  return {std::move(path)};
}

}  // namespace coffer::engines
