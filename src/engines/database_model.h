// database_model: the database engine's stored records and the pure rules
// around them.
//
// Storage layout (inside the mount's view), as Vault's:
//   config/<name>  DbConfig JSON: plugin_name, plugin_version, allowed_roles,
//                  root_credentials_rotate_statements, password_policy,
//                  verify_connection, connection_details (connection_url,
//                  username, password, max_open_connections, ... as written)
//   role/<name>    DbRole JSON: db_name, the four statement lists,
//                  default_ttl, max_ttl (seconds)
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coffer/json.h"
#include "coffer/status.h"
#include "coffer/storage.h"
#include "engines/pg_client.h"

namespace coffer::engines::database {

inline constexpr char kPostgresPlugin[] = "postgresql-database-plugin";
inline constexpr char kConfigPrefix[] = "config/";
inline constexpr char kRolePrefix[] = "role/";

struct DbConfig {
  std::string plugin_name;
  std::string plugin_version;
  std::vector<std::string> allowed_roles;
  std::vector<std::string> root_rotation_statements;
  std::string password_policy;
  bool verify_connection = true;
  // connection_url, username, password and the pool settings, kept as
  // written (Vault returns them as given, less the password).
  Json connection_details = Json::object();

  Json ToStored() const;
  static Result<DbConfig> FromStored(const Json& j);
  // The read response: the stored record without the password.
  Json ToResponse() const;

  std::string Detail(const char* key) const;  // a string detail, "" if absent
};

struct DbRole {
  std::string db_name;
  std::vector<std::string> creation_statements;
  std::vector<std::string> revocation_statements;
  std::vector<std::string> rollback_statements;
  std::vector<std::string> renew_statements;
  int64_t default_ttl = 0;
  int64_t max_ttl = 0;

  Json ToStored() const;
  static Result<DbRole> FromStored(const Json& j);
  Json ToResponse() const;
};

Result<std::optional<DbConfig>> LoadConfig(storage::Backend& view, const std::string& name);
Status SaveConfig(storage::Backend& view, const std::string& name, const DbConfig& config);
Result<std::optional<DbRole>> LoadRole(storage::Backend& view, const std::string& name);
Status SaveRole(storage::Backend& view, const std::string& name, const DbRole& role);

// Pool settings from connection_details (Vault's postgres fields):
// max_open_connections (default 4), max_idle_connections (0: the same as
// max_open; negative: none; capped at max_open), max_connection_lifetime
// (duration, default 0: forever); connection_url with {{username}} and
// {{password}} substituted (percent-encoded in a postgres:// URL, quoted in
// a key=value string, raw with disable_escaping).
Result<PgPoolOptions> PoolOptions(const DbConfig& config);

// Vault's allowed_roles check: "*" allows every role; an entry may be a glob
// with '*' at its start and/or end.
bool RoleAllowed(const std::vector<std::string>& allowed_roles, const std::string& role);

// A statement list field: a JSON array of strings, or one string (one
// entry: statements hold commas, so no comma splitting). nullopt when absent.
Result<std::optional<std::vector<std::string>>> GetStatements(const Json& data, const char* key);

// v-<display name, 8>-<role, 8>-<20 random [A-Za-z0-9]>-<unix seconds>, cut
// to 63 bytes (PostgreSQL's identifier limit), as Vault's default template.
std::string GenerateUsername(const std::string& display_name, const std::string& role,
                             int64_t unix_seconds);

// Vault's default password policy: 20 characters of [A-Za-z0-9-] with at
// least one of each of upper, lower, digit and '-'.
std::string GeneratePassword();

}  // namespace coffer::engines::database
