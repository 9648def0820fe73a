#include "core/sys_mounts.h"

#include <chrono>
#include <map>
#include <mutex>

#include "common/duration.h"
#include "common/json_util.h"
#include "common/log.h"
#include "core/core.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

using framework::Params;
using framework::Path;

constexpr char kTuneSuffix[] = "/tune";

// Auth mounts carry the type of token they issue by default.
std::string TokenType(const MountEntry& e) {
  if (e.extra_config.contains("token_type") && e.extra_config["token_type"].is_string()) {
    return e.extra_config["token_type"].get<std::string>();
  }
  return "default-service";
}

Json MountConfigJson(const MountEntry& e) {
  Json c = {{"default_lease_ttl", e.default_lease_ttl},
            {"max_lease_ttl", e.max_lease_ttl},
            {"force_no_cache", false}};
  if (e.is_auth) c["token_type"] = TokenType(e);
  if (!e.listing_visibility.empty()) c["listing_visibility"] = e.listing_visibility;
  for (auto it = e.extra_config.begin(); it != e.extra_config.end(); ++it) c[it.key()] = it.value();
  return c;
}

// Reads a TTL that may be "system" (meaning: the default, 0).
Result<std::optional<int64_t>> GetTtl(const Json& obj, const char* key) {
  if (obj.is_object() && obj.contains(key) && obj[key].is_string() && obj[key] == "system") {
    return std::optional<int64_t>(0);
  }
  return GetDuration(obj, key);
}

// Applies the tunable fields of `data` (the config object of an enable
// request, or a tune body) to `e`.
Status ApplyConfig(const Json& data, MountEntry& e, int64_t system_max) {
  ASSIGN_OR_RETURN(auto def, GetTtl(data, "default_lease_ttl"));
  ASSIGN_OR_RETURN(auto max, GetTtl(data, "max_lease_ttl"));
  if (def) e.default_lease_ttl = *def;
  if (max) e.max_lease_ttl = *max;
  int64_t effective_max = e.max_lease_ttl > 0 ? e.max_lease_ttl : system_max;
  if (e.default_lease_ttl > effective_max) {
    return InvalidArgument("given default lease TTL greater than given max lease TTL");
  }
  if (e.max_lease_ttl > system_max) {
    return InvalidArgument("max lease TTL cannot be larger than the system max lease TTL");
  }
  ASSIGN_OR_RETURN(auto desc, GetString(data, "description"));
  if (desc) e.description = *desc;
  ASSIGN_OR_RETURN(auto vis, GetString(data, "listing_visibility"));
  if (vis) {
    if (!vis->empty() && *vis != "unauth" && *vis != "hidden") {
      return InvalidArgument("invalid listing_visibility " + *vis);
    }
    e.listing_visibility = *vis;
  }
  ASSIGN_OR_RETURN(auto token_type, GetString(data, "token_type"));
  if (token_type) {
    if (!e.is_auth) return InvalidArgument("token_type can only be set on auth methods");
    if (e.type == "token") {
      return InvalidArgument("token_type cannot be set for the token auth method");
    }
    if (*token_type != "default-service" && *token_type != "default-batch" &&
        *token_type != "service" && *token_type != "batch") {
      return InvalidArgument("invalid value for \"token_type\": " + *token_type);
    }
    e.extra_config["token_type"] = *token_type;
  }
  for (const char* key : {"audit_non_hmac_request_keys", "audit_non_hmac_response_keys",
                          "passthrough_request_headers", "allowed_response_headers"}) {
    ASSIGN_OR_RETURN(auto list, GetStringList(data, key));
    if (list) e.extra_config[key] = *list;
  }
  return Status::Ok();
}

// Merges an options map into the entry, checking KV version changes.
Status ApplyOptions(const Json& data, MountEntry& e) {
  ASSIGN_OR_RETURN(auto options, GetStringMap(data, "options"));
  if (!options) return Status::Ok();
  Json merged = e.options.is_object() ? e.options : Json::object();
  for (const auto& [k, v] : *options) {
    if (k == "version" && e.type == "kv") {
      std::string old = merged.value("version", std::string("1"));
      if (old.empty()) old = "1";
      if (v != "1" && v != "2") return InvalidArgument("invalid KV version \"" + v + "\"");
      if (old == "2" && v == "1") {
        return InvalidArgument("cannot downgrade mount from version 2 to version 1");
      }
    }
    merged[k] = v;
  }
  e.options = merged;
  return Status::Ok();
}

Result<Response> ListMounts(Core& core, bool auth) {
  Json data = Json::object();
  for (const MountEntry& e : core.router().Entries(auth)) {
    std::string key = auth ? e.path.substr(5) : e.path;  // auth tables drop "auth/"
    data[key] = MountInfoJson(e);
  }
  return Response::Data(data);
}

Result<Response> EnableMount(Core& core, const std::string& path, const Json& data, bool auth) {
  ASSIGN_OR_RETURN(auto type, GetString(data, "type"));
  if (!type || type->empty()) return InvalidArgument("backend type must be specified as a string");
  MountEntry e;
  e.is_auth = auth;
  e.path = auth ? "auth/" + NormalizeMountPath(path) : NormalizeMountPath(path);
  e.type = *type;
  if (auth && e.type == "token") {
    return InvalidArgument("token credential backend cannot be instantiated");
  }
  if (!auth && (e.type == "system" || e.type == "cubbyhole" || e.type == "identity")) {
    return InvalidArgument("mount type of \"" + e.type + "\" is not mountable");
  }
  if (e.type == "kv-v1" || e.type == "kv-v2") {
    e.options = Json{{"version", e.type == "kv-v1" ? "1" : "2"}};
    e.type = "kv";
  }
  ASSIGN_OR_RETURN(auto local, GetBool(data, "local"));
  ASSIGN_OR_RETURN(auto seal_wrap, GetBool(data, "seal_wrap"));
  ASSIGN_OR_RETURN(auto entropy, GetBool(data, "external_entropy_access"));
  e.local = local.value_or(false);
  e.seal_wrap = seal_wrap.value_or(false);
  e.external_entropy_access = entropy.value_or(false);
  ASSIGN_OR_RETURN(auto desc, GetString(data, "description"));
  e.description = desc.value_or("");
  if (data.contains("config") && !data["config"].is_null()) {
    if (!data["config"].is_object()) return InvalidArgument("config must be an object");
    RETURN_IF_ERROR(ApplyConfig(data["config"], e, core.options().max_lease_ttl_s));
  }
  RETURN_IF_ERROR(ApplyOptions(data, e));
  if (auth && e.options.is_object() && e.options.contains("version")) {
    return InvalidArgument("the version option is not supported for auth methods");
  }
  if (e.type == "kv" && (!e.options.is_object() || !e.options.contains("version"))) {
    // Vault records an explicit version for kv mounts.
    Json o = e.options.is_object() ? e.options : Json::object();
    o["version"] = "1";
    e.options = o;
  }
  ASSIGN_OR_RETURN(MountEntry mounted, core.router().Mount(std::move(e)));
  (void)mounted;
  return Response::Empty();
}

Result<Response> TuneRead(Core& core, const std::string& mount_path) {
  auto e = core.router().Entry(mount_path);
  if (!e) return InvalidArgument("cannot fetch sysview for path \"" + mount_path + "\"");
  Json d = {{"default_lease_ttl",
             e->default_lease_ttl > 0 ? e->default_lease_ttl : core.options().default_lease_ttl_s},
            {"max_lease_ttl",
             e->max_lease_ttl > 0 ? e->max_lease_ttl : core.options().max_lease_ttl_s},
            {"force_no_cache", false},
            {"description", e->description}};
  if (e->options.is_object()) d["options"] = e->options;
  if (!e->listing_visibility.empty()) d["listing_visibility"] = e->listing_visibility;
  if (e->is_auth) d["token_type"] = TokenType(*e);
  for (auto it = e->extra_config.begin(); it != e->extra_config.end(); ++it) d[it.key()] = it.value();
  return Response::Data(d);
}

Result<Response> TuneWrite(Core& core, const std::string& mount_path, const Json& data) {
  int64_t system_max = core.options().max_lease_ttl_s;
  RETURN_IF_ERROR(core.router().Tune(mount_path, [&](MountEntry& e) -> Status {
    RETURN_IF_ERROR(ApplyConfig(data, e, system_max));
    return ApplyOptions(data, e);
  }));
  return Response::Empty();
}

// sys/mounts/<path>[/tune] and sys/auth/<path>[/tune].
Result<Response> MountPath(Core& core, const EngineRequest& req, const Params& p, bool auth) {
  std::string path = p.at("path");
  bool tune = path.size() > sizeof(kTuneSuffix) - 1 &&
              path.compare(path.size() - (sizeof(kTuneSuffix) - 1), std::string::npos,
                           kTuneSuffix) == 0;
  if (tune) path.resize(path.size() - (sizeof(kTuneSuffix) - 1));
  if (path.empty()) return InvalidArgument("missing mount path");
  std::string mount_path = auth ? "auth/" + NormalizeMountPath(path) : NormalizeMountPath(path);
  bool write = req.operation == Operation::kUpdate || req.operation == Operation::kCreate;
  if (tune) {
    if (req.operation == Operation::kRead) return TuneRead(core, mount_path);
    if (write) return TuneWrite(core, mount_path, req.data);
    return Unsupported();
  }
  if (req.operation == Operation::kRead) {
    auto e = core.router().Entry(mount_path);
    if (!e) {
      return InvalidArgument(auth ? "No auth engine at " + NormalizeMountPath(path)
                                  : "No secret engine mount at " + mount_path);
    }
    return Response::Data(MountInfoJson(*e));
  }
  if (write) return EnableMount(core, path, req.data, auth);
  if (req.operation == Operation::kDelete) {
    if (Router::IsProtected(mount_path)) {
      return InvalidArgument("cannot unmount \"" + mount_path + "\"");
    }
    if (core.router().Entry(mount_path).has_value()) {
      // Its leases go first (for an auth method: its tokens' leases).
      RETURN_IF_ERROR(core.expiration().RevokePrefix(mount_path, /*sync=*/true, /*force=*/false));
    }
    if (auth && core.router().Entry(mount_path).has_value()) {
      // Tokens issued through the method go with it, as in Vault.
      ASSIGN_OR_RETURN(int revoked, core.tokens().RevokeByPathPrefix(mount_path));
      if (revoked > 0) {
        COFFER_LOG(kInfo, "router") << "revoked " << revoked << " token(s) issued by "
                                    << mount_path;
      }
    }
    RETURN_IF_ERROR(core.router().Unmount(mount_path));
    return Response::Empty();
  }
  return Unsupported();
}

// Completed remounts, for sys/remount/status/:id. Remounts finish
// synchronously; the record lets the CLI's status poll succeed.
struct RemountLog {
  std::mutex mu;
  std::map<std::string, Json> done;
};

RemountLog& Remounts() {
  static RemountLog* log = new RemountLog();
  return *log;
}

Result<Response> Remount(Core& core, const EngineRequest& req) {
  ASSIGN_OR_RETURN(auto from, GetString(req.data, "from"));
  ASSIGN_OR_RETURN(auto to, GetString(req.data, "to"));
  if (!from || from->empty() || !to || to->empty()) {
    return InvalidArgument("both 'from' and 'to' must be specified");
  }
  // Lease ids carry the old path: the moved mount's leases are revoked.
  if (core.router().Entry(NormalizeMountPath(*from)).has_value()) {
    RETURN_IF_ERROR(core.expiration().RevokePrefix(NormalizeMountPath(*from), true, false));
  }
  RETURN_IF_ERROR(core.router().Remount(*from, *to));
  std::string id = crypto::RandomUuid();
  {
    RemountLog& log = Remounts();
    std::lock_guard<std::mutex> lock(log.mu);
    if (log.done.size() > 1000) log.done.erase(log.done.begin());
    log.done[id] = Json{{"source_mount", NormalizeMountPath(*from)},
                        {"target_mount", NormalizeMountPath(*to)},
                        {"status", "success"}};
  }
  return Response::Data(Json{{"migration_id", id}});
}

Result<Response> RemountStatus(const Params& p) {
  RemountLog& log = Remounts();
  std::lock_guard<std::mutex> lock(log.mu);
  auto it = log.done.find(p.at("id"));
  if (it == log.done.end()) return NotFound();
  return Response::Data(Json{{"migration_id", it->first}, {"migration_info", it->second}});
}

// May the caller see this mount? Root sees everything; others need some
// capability on a path under it.
Result<bool> CanSee(Core& core, const Caller* caller, const MountEntry& e) {
  if (caller == nullptr) return false;
  if (caller->root) return true;
  ASSIGN_OR_RETURN(auto acl, core.policies().AclFor(caller->policies));
  return acl->GrantsAnythingUnder(e.path);
}

Result<Response> UiMounts(Core& core, const EngineRequest& req) {
  Json secret = Json::object();
  Json auth = Json::object();
  for (bool is_auth : {false, true}) {
    for (const MountEntry& e : core.router().Entries(is_auth)) {
      ASSIGN_OR_RETURN(bool visible, CanSee(core, req.caller, e));
      Json& out = is_auth ? auth : secret;
      std::string key = is_auth ? e.path.substr(5) : e.path;
      if (visible) {
        out[key] = MountInfoJson(e);
      } else if (e.listing_visibility == "unauth") {
        out[key] = Json{{"type", e.type}, {"description", e.description}, {"options", e.options}};
      }
    }
  }
  return Response::Data(Json{{"secret", secret}, {"auth", auth}});
}

Result<Response> UiMountPath(Core& core, const EngineRequest& req, const Params& p) {
  const std::string& path = p.at("path");
  auto preflight_denied = [&path]() {
    return PermissionDenied(
        "preflight capability check returned 403, please ensure client's policies grant access "
        "to path \"" + NormalizeMountPath(path) + "\"");
  };
  auto match = core.router().Find(path);
  if (!match.ok()) return preflight_denied();
  const MountEntry& e = match->route->entry;
  ASSIGN_OR_RETURN(bool visible, CanSee(core, req.caller, e));
  if (!visible) return preflight_denied();
  Json info = MountInfoJson(e);
  info["path"] = e.path;
  return Response::Data(info);
}

}  // namespace

Json MountInfoJson(const MountEntry& e) {
  return Json{{"accessor", e.accessor},
              {"config", MountConfigJson(e)},
              {"description", e.description},
              {"external_entropy_access", e.external_entropy_access},
              {"local", e.local},
              {"options", e.options},
              {"plugin_version", ""},
              {"running_plugin_version", ""},
              {"running_sha256", ""},
              {"seal_wrap", e.seal_wrap},
              {"type", e.type},
              {"uuid", e.uuid}};
}

std::vector<Path> SysMountPaths(Core& core) {
  Core* c = &core;
  std::vector<Path> paths;
  paths.push_back(Path{
      .pattern = "mounts",
      .operations = {{Operation::kRead,
                      [c](const EngineRequest&, const Params&) { return ListMounts(*c, false); }}},
      .help = "List the mounted secrets engines."});
  auto mounts = [c](const EngineRequest& r, const Params& p) { return MountPath(*c, r, p, false); };
  paths.push_back(Path{.pattern = "mounts/*path",
                       .operations = {{Operation::kRead, mounts},
                                      {Operation::kUpdate, mounts},
                                      {Operation::kDelete, mounts}},
                       .help = "Enable, read, tune or disable a secrets engine."});
  paths.push_back(Path{
      .pattern = "auth",
      .operations = {{Operation::kRead,
                      [c](const EngineRequest&, const Params&) { return ListMounts(*c, true); }}},
      .help = "List the enabled auth methods."});
  auto auths = [c](const EngineRequest& r, const Params& p) { return MountPath(*c, r, p, true); };
  paths.push_back(Path{.pattern = "auth/*path",
                       .operations = {{Operation::kRead, auths},
                                      {Operation::kUpdate, auths},
                                      {Operation::kDelete, auths}},
                       .help = "Enable, read, tune or disable an auth method."});
  paths.push_back(Path{
      .pattern = "remount",
      .operations = {{Operation::kUpdate,
                      [c](const EngineRequest& r, const Params&) { return Remount(*c, r); }}},
      .help = "Move a mount to another path."});
  paths.push_back(Path{
      .pattern = "remount/status/:id",
      .operations = {{Operation::kRead,
                      [](const EngineRequest&, const Params& p) { return RemountStatus(p); }}},
      .help = "Status of a remount."});
  paths.push_back(Path{
      .pattern = "internal/ui/mounts",
      .operations = {{Operation::kRead,
                      [c](const EngineRequest& r, const Params&) { return UiMounts(*c, r); }}},
      .help = "Mounts visible to the caller (token optional).",
      .unauthenticated = true});
  paths.push_back(Path{
      .pattern = "internal/ui/mounts/*path",
      .operations = {{Operation::kRead,
                      [c](const EngineRequest& r, const Params& p) {
                        return UiMountPath(*c, r, p);
                      }}},
      .help = "The mount that serves a path, for clients that route KV v1/v2 requests.",
      .unauthenticated = true});
  return paths;
}

}  // namespace coffer::core
