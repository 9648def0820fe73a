// config/:name, reset/:name, rotate-root/:name of the database engine.
#include <set>
#include <string>

#include "common/json_util.h"
#include "common/log.h"
#include "engines/database_paths.h"
#include "engines/pg_users.h"

namespace coffer::engines::database {
namespace {

using framework::Params;

// Fields of config/:name that are the engine's; everything else is a
// connection detail handed to the plugin, as in Vault.
const std::set<std::string, std::less<>>& EngineFields() {
  static const std::set<std::string, std::less<>> kFields = {
      "name", "plugin_name", "plugin_version", "verify_connection", "allowed_roles",
      "root_rotation_statements", "password_policy"};
  return kFields;
}

Status CheckView(const EngineRequest& req) {
  if (req.storage == nullptr) return Internal("engine request has no storage view");
  return Status::Ok();
}

// "postgres://user:secret@host/db": a literal password in the URL, which a
// read would show and rotate-root could not change.
bool UrlHasLiteralPassword(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  size_t at = url.find('@', scheme + 3);
  if (at == std::string::npos) return false;
  std::string userinfo = url.substr(scheme + 3, at - scheme - 3);
  size_t colon = userinfo.find(':');
  return colon != std::string::npos && userinfo.substr(colon + 1) != "{{password}}";
}

// Applies the request's fields to `c` (a new config, or the stored one on
// update: fields not sent keep their values).
Status ApplyFields(const Json& data, bool create, DbConfig* c, bool* verify) {
  ASSIGN_OR_RETURN(auto plugin, GetString(data, "plugin_name"));
  if (plugin) c->plugin_name = *plugin;
  if (create && c->plugin_name.empty()) return InvalidArgument("empty plugin name");
  ASSIGN_OR_RETURN(auto version, GetString(data, "plugin_version"));
  if (version) c->plugin_version = *version;
  ASSIGN_OR_RETURN(auto verify_opt, GetBool(data, "verify_connection"));
  *verify = verify_opt.value_or(true);
  c->verify_connection = *verify;
  ASSIGN_OR_RETURN(auto roles, GetStringList(data, "allowed_roles"));
  if (roles) c->allowed_roles = *roles;
  ASSIGN_OR_RETURN(auto rotation, GetStatements(data, "root_rotation_statements"));
  if (rotation) c->root_rotation_statements = *rotation;
  ASSIGN_OR_RETURN(auto policy, GetString(data, "password_policy"));
  if (policy) c->password_policy = *policy;
  if (!c->password_policy.empty()) {
    return InvalidArgument("password_policy is not supported: passwords follow the default "
                           "policy (20 characters of [A-Za-z0-9-])");
  }
  for (const auto& [key, value] : data.items()) {
    if (EngineFields().count(key) != 0) continue;
    c->connection_details[key] = value;
  }
  ASSIGN_OR_RETURN(auto tmpl, GetString(c->connection_details, "username_template"));
  if (tmpl && !tmpl->empty()) {
    return InvalidArgument("username_template is not supported: usernames follow the default "
                           "template v-<display name>-<role>-<random>-<unix time>");
  }
  auto url = c->connection_details.find("connection_url");
  if (url == c->connection_details.end() || !url->is_string() ||
      url->get<std::string>().empty()) {
    return InvalidArgument("connection_url cannot be empty");
  }
  return Status::Ok();
}

Result<Response> WriteConfig(DatabaseBackend& b, const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  const std::string& name = p.at("name");
  ASSIGN_OR_RETURN(std::optional<DbConfig> existing, LoadConfig(*req.storage, name));
  DbConfig config = existing.value_or(DbConfig{});
  bool verify = true;
  RETURN_IF_ERROR(ApplyFields(req.data, !existing.has_value(), &config, &verify));
  Result<PgClientPtr> client = b.NewClient(config);
  if (!client.ok()) {
    return InvalidArgument("error creating database object: " + client.status().message());
  }
  if (verify) {
    Status st = (*client)->Ping();
    if (!st.ok()) {
      return InvalidArgument("error creating database object: error verifying connection: " +
                             st.message());
    }
  }
  RETURN_IF_ERROR(SaveConfig(*req.storage, name, config));
  b.Install(name, config, *client);
  Response resp;
  if (UrlHasLiteralPassword(config.Detail("connection_url"))) {
    resp.warnings.push_back(
        "Password found in connection_url, use a templated url to enable root rotation and "
        "prevent read access to password information.");
  }
  return resp;
}

Result<Response> ReadConfig(const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  ASSIGN_OR_RETURN(std::optional<DbConfig> config, LoadConfig(*req.storage, p.at("name")));
  if (!config) return NotFound();
  return Response::Data(config->ToResponse());
}

Result<Response> DeleteConfig(DatabaseBackend& b, const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  RETURN_IF_ERROR(req.storage->Delete(kConfigPrefix + p.at("name")));
  b.Drop(p.at("name"));
  return Response::Empty();
}

Result<Response> ListConfigs(const EngineRequest& req, const Params&) {
  RETURN_IF_ERROR(CheckView(req));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, req.storage->List(kConfigPrefix));
  return framework::ListResponse(std::move(keys));
}

Result<Response> ResetConfig(DatabaseBackend& b, const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  const std::string& name = p.at("name");
  ASSIGN_OR_RETURN(DbConfig config, RequireConfig(*req.storage, name));
  b.Drop(name);
  ASSIGN_OR_RETURN(PgClientPtr client, b.NewClient(config));
  b.Install(name, config, std::move(client));
  return Response::Empty();
}

Result<Response> RotateRoot(DatabaseBackend& b, const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  const std::string& name = p.at("name");
  std::unique_lock<std::mutex> rotating = b.LockRotation();
  ASSIGN_OR_RETURN(DbConfig config, RequireConfig(*req.storage, name));
  const std::string username = config.Detail("username");
  if (username.empty()) {
    return InvalidArgument("unable to rotate root credentials: no username in configuration");
  }
  if (config.Detail("connection_url").find("{{password}}") == std::string::npos) {
    return InvalidArgument(
        "unable to rotate root credentials: connection_url must use {{password}} templating");
  }
  ASSIGN_OR_RETURN(PgClientPtr client, b.Client(name, config));
  const std::string password = GeneratePassword();
  Status st = RotatePassword(*client, username, password, config.root_rotation_statements);
  if (!st.ok()) return IOError("failed to update user: " + st.message());
  DbConfig rotated = config;
  rotated.connection_details["password"] = password;
  st = SaveConfig(*req.storage, name, rotated);
  if (!st.ok()) {
    // The database already has the new password; without it stored the
    // engine cannot connect again until an operator sets a password.
    COFFER_LOG(kError, "database") << "root password of connection " << name
                                   << " rotated in the database but not stored: "
                                   << st.ToString();
    return st;
  }
  // Old connections were opened with the old password: start afresh.
  b.Drop(name);
  Result<PgClientPtr> fresh = b.NewClient(rotated);
  if (fresh.ok()) b.Install(name, rotated, *fresh);
  return Response::Empty();
}

Result<bool> ConfigExists(const EngineRequest& req, const Params& p) {
  RETURN_IF_ERROR(CheckView(req));
  ASSIGN_OR_RETURN(auto raw, req.storage->Get(kConfigPrefix + p.at("name")));
  return raw.has_value();
}

}  // namespace

Result<DbConfig> RequireConfig(storage::Backend& view, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<DbConfig> config, LoadConfig(view, name));
  if (!config) {
    return InvalidArgument("failed to find entry for connection with name: \"" + name + "\"");
  }
  return *std::move(config);
}

std::vector<framework::Path> ConfigPaths(std::shared_ptr<DatabaseBackend> b) {
  auto bind = [b](auto fn) {
    return [b, fn](const EngineRequest& req, const Params& p) { return fn(*b, req, p); };
  };
  return {
      framework::Path{.pattern = "config/",
                      .operations = {{Operation::kList, ListConfigs}},
                      .help = "List the configured database connections."},
      framework::Path{.pattern = "config/:name",
                      .operations = {{Operation::kUpdate, bind(WriteConfig)},
                                     {Operation::kRead, ReadConfig},
                                     {Operation::kDelete, bind(DeleteConfig)}},
                      .exists = ConfigExists,
                      .help = "Configure a connection to a database: plugin_name, "
                              "connection_url ({{username}}/{{password}} templated), username, "
                              "password, allowed_roles, verify_connection, pool settings."},
      framework::Path{.pattern = "reset/:name",
                      .operations = {{Operation::kUpdate, bind(ResetConfig)}},
                      .help = "Close a connection's pool and reopen it from the stored config."},
      framework::Path{.pattern = "rotate-root/:name",
                      .operations = {{Operation::kUpdate, bind(RotateRoot)}},
                      .help = "Change the root user's password in the database and store the "
                              "new one; it is never shown."},
  };
}

}  // namespace coffer::engines::database
