// creds/:name of the database engine, and the revoke/renew callbacks of the
// leases it creates.
#include <algorithm>
#include <string>

#include "engines/database_paths.h"
#include "engines/pg_users.h"

namespace coffer::engines::database {
namespace {

using framework::Params;

// Seconds added to VALID UNTIL beyond the lease, so the database never
// refuses a login the lease still allows (Vault adds the same).
constexpr int64_t kExpiryBufferS = 5;

// The role's TTL: its default_ttl (else the mount's), capped by its max_ttl
// and the mount's maximum.
int64_t RoleTtl(const DbRole& role, const SystemView& system, int64_t requested) {
  int64_t ttl = requested > 0              ? requested
                : role.default_ttl > 0     ? role.default_ttl
                                           : system.default_lease_ttl;
  int64_t cap = system.max_lease_ttl;
  if (role.max_ttl > 0 && (cap <= 0 || role.max_ttl < cap)) cap = role.max_ttl;
  if (cap > 0) ttl = std::min(ttl, cap);
  return ttl;
}

std::string InternalString(const Json& internal, const char* key) {
  if (!internal.is_object()) return "";
  auto it = internal.find(key);
  return it != internal.end() && it->is_string() ? it->get<std::string>() : "";
}

Result<Response> ReadCreds(DatabaseBackend& b, const EngineRequest& req, const Params& p) {
  if (req.storage == nullptr) return Internal("engine request has no storage view");
  const std::string& name = p.at("name");
  ASSIGN_OR_RETURN(std::optional<DbRole> role, LoadRole(*req.storage, name));
  if (!role) return InvalidArgument("unknown role: " + name);
  ASSIGN_OR_RETURN(DbConfig config, RequireConfig(*req.storage, role->db_name));
  if (!RoleAllowed(config.allowed_roles, name)) {
    return InvalidArgument("\"" + name + "\" is not an allowed role");
  }
  ASSIGN_OR_RETURN(PgClientPtr client, b.Client(role->db_name, config));
  const int64_t now = b.NowUnix();
  const int64_t ttl = RoleTtl(*role, req.system, 0);
  const std::string display = req.caller != nullptr ? req.caller->display_name : "";
  const std::string username = GenerateUsername(display, name, now);
  const std::string password = GeneratePassword();
  Status st = CreateUser(*client, username, password, now + ttl + kExpiryBufferS,
                         role->creation_statements, role->rollback_statements);
  if (!st.ok()) {
    if (st.code() == Code::kUnavailable) {
      return IOError("failed to connect to database \"" + role->db_name + "\": " + st.message());
    }
    return IOError("failed to create the database user: " + st.message());
  }
  Response resp = Response::Data(Json{{"username", username}, {"password", password}});
  resp.secret = SecretInfo{
      .renewable = true,
      .lease_duration = ttl,
      .register_lease = true,
      .internal_data = Json{{"username", username},
                            {"role", name},
                            {"db_name", role->db_name},
                            {"revocation_statements", role->revocation_statements}},
      .max_ttl = role->max_ttl};
  return resp;
}

}  // namespace

Status RevokeCreds(DatabaseBackend& b, const EngineRequest& req, const Json& internal_data) {
  if (req.storage == nullptr) return Internal("engine request has no storage view");
  const std::string username = InternalString(internal_data, "username");
  const std::string db_name = InternalString(internal_data, "db_name");
  if (username.empty() || db_name.empty()) {
    return Internal("database lease has no username or db_name in its internal data");
  }
  // The role's current statements when it still exists, else the ones it
  // had when the user was made.
  std::vector<std::string> statements;
  ASSIGN_OR_RETURN(std::optional<DbRole> role,
                   LoadRole(*req.storage, InternalString(internal_data, "role")));
  if (role) {
    statements = role->revocation_statements;
  } else if (auto it = internal_data.find("revocation_statements");
             it != internal_data.end() && it->is_array()) {
    for (const Json& s : *it) {
      if (s.is_string()) statements.push_back(s.get<std::string>());
    }
  }
  ASSIGN_OR_RETURN(DbConfig config, RequireConfig(*req.storage, db_name));
  ASSIGN_OR_RETURN(PgClientPtr client, b.Client(db_name, config));
  return RevokeUser(*client, username, statements);
}

Result<int64_t> RenewCreds(DatabaseBackend& b, const EngineRequest& req,
                           const Json& internal_data, int64_t increment_s) {
  if (req.storage == nullptr) return Internal("engine request has no storage view");
  const std::string role_name = InternalString(internal_data, "role");
  ASSIGN_OR_RETURN(std::optional<DbRole> role, LoadRole(*req.storage, role_name));
  if (!role) {
    return InvalidArgument("error during renew: could not find role with name: \"" + role_name +
                           "\"");
  }
  const std::string username = InternalString(internal_data, "username");
  const std::string db_name = InternalString(internal_data, "db_name");
  ASSIGN_OR_RETURN(DbConfig config, RequireConfig(*req.storage, db_name));
  ASSIGN_OR_RETURN(PgClientPtr client, b.Client(db_name, config));
  const int64_t ttl = RoleTtl(*role, req.system, increment_s);
  Status st = RenewUser(*client, username, b.NowUnix() + ttl + kExpiryBufferS,
                        role->renew_statements);
  if (!st.ok()) return IOError("failed to renew the database user: " + st.message());
  return ttl;
}

std::vector<framework::Path> CredsPaths(std::shared_ptr<DatabaseBackend> b) {
  return {
      framework::Path{
          .pattern = "creds/:name",
          .operations = {{Operation::kRead,
                          [b](const EngineRequest& req, const Params& p) {
                            return ReadCreds(*b, req, p);
                          }}},
          .help = "A new database login for a role, under a lease: revoked (the user "
                  "dropped) when the lease expires or is revoked."},
  };
}

}  // namespace coffer::engines::database
