#include "core/sys_audit.h"

#include "common/json_util.h"
#include "core/core.h"

namespace coffer::core {
namespace {

using framework::Params;
using framework::Path;

Result<Response> EnableAudit(Core& core, const EngineRequest& req, const std::string& path) {
  ASSIGN_OR_RETURN(auto type, GetString(req.data, "type"));
  if (!type || type->empty()) return InvalidArgument("audit device type must be specified");
  ASSIGN_OR_RETURN(auto description, GetString(req.data, "description"));
  ASSIGN_OR_RETURN(auto local, GetBool(req.data, "local"));
  Json options = req.data.contains("options") ? req.data["options"] : Json::object();
  if (options.is_null()) options = Json::object();
  if (!options.is_object()) return InvalidArgument("options must be a map of strings");
  RETURN_IF_ERROR(core.audit_table().Enable(path, *type, description.value_or(""), options,
                                            local.value_or(false)));
  return Response::Empty();
}

Result<Response> AuditHash(Core& core, const EngineRequest& req, const std::string& path) {
  ASSIGN_OR_RETURN(auto input, GetString(req.data, "input"));
  if (!input || input->empty()) return InvalidArgument("the \"input\" parameter is empty");
  Result<std::string> hash = core.audit_broker().Hash(path, *input);
  if (!hash.ok()) return InvalidArgument("unknown audit backend " + path);
  return Response::Data(Json{{"hash", *hash}});
}

}  // namespace

std::vector<Path> SysAuditPaths(Core& core) {
  Core* c = &core;
  std::vector<Path> paths;
  paths.push_back(Path{
      .pattern = "audit",
      .operations = {{Operation::kRead,
                      [c](const EngineRequest&, const Params&) -> Result<Response> {
                        return Response::Data(c->audit_broker().List());
                      }}},
      .help = "List the enabled audit devices."});
  paths.push_back(Path{
      .pattern = "audit/*path",
      .operations = {{Operation::kUpdate,
                      [c](const EngineRequest& r, const Params& p) {
                        return EnableAudit(*c, r, p.at("path"));
                      }},
                     {Operation::kDelete,
                      [c](const EngineRequest&, const Params& p) -> Result<Response> {
                        RETURN_IF_ERROR(c->audit_table().Disable(p.at("path")));
                        return Response::Empty();
                      }}},
      .help = "Enable or disable an audit device."});
  paths.push_back(Path{
      .pattern = "audit-hash/*path",
      .operations = {{Operation::kUpdate,
                      [c](const EngineRequest& r, const Params& p) {
                        return AuditHash(*c, r, p.at("path"));
                      }}},
      .help = "Hash a value the way an audit device does."});
  return paths;
}

}  // namespace coffer::core
