// roles/:name of the database engine.
#include <string>

#include "common/json_util.h"
#include "engines/database_paths.h"
#include "engines/sql_template.h"

namespace coffer::engines::database {
namespace {

using framework::Params;

Status CheckView(const EngineRequest& req) {
  if (req.storage == nullptr) return Internal("engine request has no storage view");
  return Status::Ok();
}

// Statement lists must at least lex (closed quotes and comments): a role
// that could never run is refused when written, not when used.
Status CheckStatements(const char* field, const std::vector<std::string>& entries) {
  Result<std::vector<std::string>> lexed = sql::RenderStatementList(entries, {});
  if (!lexed.ok()) return InvalidArgument(std::string(field) + ": " + lexed.status().message());
  return Status::Ok();
}

Result<Response> WriteRole(const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  const std::string& name = p.at("name");
  ASSIGN_OR_RETURN(std::optional<DbRole> existing, LoadRole(*req.storage, name));
  DbRole role = existing.value_or(DbRole{});
  ASSIGN_OR_RETURN(auto db_name, GetString(req.data, "db_name"));
  if (db_name) role.db_name = *db_name;
  if (role.db_name.empty()) return InvalidArgument("database name is required");
  struct Field {
    const char* key;
    std::vector<std::string>* target;
  };
  for (Field f : {Field{"creation_statements", &role.creation_statements},
                  Field{"revocation_statements", &role.revocation_statements},
                  Field{"rollback_statements", &role.rollback_statements},
                  Field{"renew_statements", &role.renew_statements}}) {
    ASSIGN_OR_RETURN(auto statements, GetStatements(req.data, f.key));
    if (statements) *f.target = *statements;
    RETURN_IF_ERROR(CheckStatements(f.key, *f.target));
  }
  if (role.creation_statements.empty()) return InvalidArgument("empty creation statements");
  ASSIGN_OR_RETURN(auto default_ttl, GetDuration(req.data, "default_ttl"));
  if (default_ttl) role.default_ttl = *default_ttl;
  ASSIGN_OR_RETURN(auto max_ttl, GetDuration(req.data, "max_ttl"));
  if (max_ttl) role.max_ttl = *max_ttl;
  if (role.max_ttl != 0 && role.default_ttl > role.max_ttl) {
    return InvalidArgument("ttl cannot be greater than max_ttl");
  }
  RETURN_IF_ERROR(SaveRole(*req.storage, name, role));
  return Response::Empty();
}

Result<Response> ReadRole(const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  ASSIGN_OR_RETURN(std::optional<DbRole> role, LoadRole(*req.storage, p.at("name")));
  if (!role) return NotFound();
  return Response::Data(role->ToResponse());
}

Result<Response> DeleteRole(const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  RETURN_IF_ERROR(req.storage->Delete(kRolePrefix + p.at("name")));
  return Response::Empty();
}

Result<Response> ListRoles(const EngineRequest& req, const Params&) {
  RETURN_IF_ERROR(CheckView(req));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, req.storage->List(kRolePrefix));
  return framework::ListResponse(std::move(keys));
}

Result<bool> RoleExists(const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  ASSIGN_OR_RETURN(auto raw, req.storage->Get(kRolePrefix + p.at("name")));
  return raw.has_value();
}

}  // namespace

std::vector<framework::Path> RolePaths() {
  return {
      framework::Path{.pattern = "roles/",
                      .operations = {{Operation::kList, ListRoles}},
                      .help = "List the roles."},
      framework::Path{.pattern = "roles/:name",
                      .operations = {{Operation::kUpdate, WriteRole},
                                     {Operation::kRead, ReadRole},
                                     {Operation::kDelete, DeleteRole}},
                      .exists = RoleExists,
                      .help = "A role: db_name, creation/revocation/rollback/renew statements "
                              "({{name}}, {{password}}, {{expiration}} templated), default_ttl, "
                              "max_ttl."},
  };
}

}  // namespace coffer::engines::database
