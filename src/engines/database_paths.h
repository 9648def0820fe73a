// database_paths: the database engine's paths, by concern, and its lease
// callbacks. Each function builds paths bound to the mount's DatabaseBackend.
//
//   database_config.cc  config/, config/:name, reset/:name, rotate-root/:name
//   database_roles.cc   roles/, roles/:name
//   database_creds.cc   creds/:name, and RevokeCreds/RenewCreds for leases
//
// Thread-safety: the handlers are safe to run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "coffer/engine.h"
#include "engines/database_backend.h"
#include "engines/framework.h"

namespace coffer::engines::database {

std::vector<framework::Path> ConfigPaths(std::shared_ptr<DatabaseBackend> b);
std::vector<framework::Path> RolePaths();
std::vector<framework::Path> CredsPaths(std::shared_ptr<DatabaseBackend> b);

// Drops the user a creds lease stands for (idempotent).
Status RevokeCreds(DatabaseBackend& b, const EngineRequest& req, const Json& internal_data);
// Extends the user's VALID UNTIL; returns the TTL granted.
Result<int64_t> RenewCreds(DatabaseBackend& b, const EngineRequest& req,
                           const Json& internal_data, int64_t increment_s);

// "failed to find entry for connection with name: \"<name>\"" when absent.
Result<DbConfig> RequireConfig(storage::Backend& view, const std::string& name);

}  // namespace coffer::engines::database
