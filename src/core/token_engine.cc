#include "core/token_engine.h"

#include "common/json_util.h"
#include "core/token_engine_util.h"
#include "core/token_ttl.h"

namespace coffer::core {
namespace tokenengine {

Json LookupData(const TokenEntry& e, int64_t now, bool include_id) {
  const int64_t expire = e.ExpireTime();
  Json d{{"accessor", e.accessor},
         {"creation_time", e.creation_time},
         {"creation_ttl", e.creation_ttl},
         {"display_name", e.display_name},
         {"entity_id", e.entity_id},
         {"expire_time", expire == 0 ? Json(nullptr) : Json(FormatRfc3339(expire))},
         {"explicit_max_ttl", e.explicit_max_ttl},
         {"id", include_id ? e.id : ""},
         {"issue_time", e.issue_time},
         {"meta", e.meta.empty() ? Json(nullptr) : Json(e.meta)},
         {"num_uses", e.num_uses},
         {"orphan", e.orphan},
         {"path", e.path},
         {"policies", e.policies},
         {"renewable", e.renewable},
         {"ttl", e.RemainingTtl(now)},
         {"type", e.type}};
  if (e.period > 0) d["period"] = e.period;
  if (!e.role.empty()) d["role"] = e.role;
  if (!e.bound_cidrs.empty()) d["bound_cidrs"] = e.bound_cidrs;
  if (e.last_renewal_time > 0) {
    d["last_renewal_time"] = e.last_renewal_time;
    d["last_renewal"] = FormatRfc3339(e.last_renewal_time);
  }
  return d;
}

AuthInfo AuthFor(const TokenEntry& e) {
  AuthInfo a;
  a.client_token = e.id;
  a.accessor = e.accessor;
  a.policies = e.policies;
  a.token_policies = e.policies;
  a.metadata = e.meta.empty() ? Json(nullptr) : Json(e.meta);
  a.lease_duration = e.ttl;
  a.renewable = e.renewable;
  a.entity_id = e.entity_id;
  a.token_type = e.type;
  a.orphan = e.orphan;
  a.num_uses = e.num_uses;
  a.explicit_max_ttl = e.explicit_max_ttl;
  a.period = e.period;
  a.display_name = e.display_name;
  a.bound_cidrs = e.bound_cidrs;
  return a;
}

}  // namespace tokenengine

namespace {

using framework::Params;
using framework::Path;
using tokenengine::AuthFor;
using tokenengine::CreateMode;
using tokenengine::LookupData;

// The value of `key` from the path (legacy "<op>/:key" forms) or the body.
Result<std::string> Field(const EngineRequest& req, const Params& params, const std::string& key,
                          const char* missing) {
  auto it = params.find(key);
  if (it != params.end() && !it->second.empty()) return it->second;
  ASSIGN_OR_RETURN(auto v, GetString(req.data, key));
  if (!v.has_value() || v->empty()) return InvalidArgument(missing);
  return *v;
}

Result<const Caller*> CallerOf(const EngineRequest& req) {
  if (req.caller == nullptr) return PermissionDenied();
  return req.caller;
}

Result<int64_t> Increment(const EngineRequest& req) {
  ASSIGN_OR_RETURN(auto inc, GetDuration(req.data, "increment"));
  return inc.value_or(0);
}

Result<Response> Renewed(TokenStore& tokens, const EngineRequest& req, const TokenEntry& e,
                         bool echo_token) {
  ASSIGN_OR_RETURN(int64_t increment, Increment(req));
  ASSIGN_OR_RETURN(TokenEntry renewed,
                   tokens.RenewByHash(e.hash, increment, req.system.max_lease_ttl));
  renewed.id = echo_token ? e.id : "";
  Response r;
  r.auth = AuthFor(renewed);
  return r;
}

std::vector<Path> LookupPaths(TokenStore& t) {
  auto lookup = [&t](const EngineRequest& req, const Params& params) -> Result<Response> {
    RETURN_IF_ERROR(CallerOf(req).status());
    ASSIGN_OR_RETURN(std::string token, Field(req, params, "token", "missing token ID"));
    ASSIGN_OR_RETURN(auto e, t.Lookup(token));
    if (!e.has_value()) return PermissionDenied("bad token");
    return Response::Data(LookupData(*e, t.Now(), true));
  };
  auto lookup_self = [&t](const EngineRequest& req, const Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(const Caller* c, CallerOf(req));
    ASSIGN_OR_RETURN(auto e, t.LookupSelf(c->token_id));
    if (!e.has_value()) return PermissionDenied("bad token");
    return Response::Data(LookupData(*e, t.Now(), true));
  };
  auto lookup_accessor = [&t](const EngineRequest& req, const Params& params) -> Result<Response> {
    RETURN_IF_ERROR(CallerOf(req).status());
    ASSIGN_OR_RETURN(std::string accessor, Field(req, params, "accessor", "missing accessor"));
    ASSIGN_OR_RETURN(auto e, t.LookupByAccessor(accessor));
    if (!e.has_value()) return InvalidArgument("invalid accessor");
    return Response::Data(LookupData(*e, t.Now(), false));
  };
  return {
      Path{.pattern = "lookup",
           .operations = {{Operation::kRead, lookup}, {Operation::kUpdate, lookup}},
           .help = "Look up a token's properties."},
      Path{.pattern = "lookup/:token",
           .operations = {{Operation::kRead, lookup}},
           .help = "Deprecated: the token in the URL ends up in logs; POST to lookup."},
      Path{.pattern = "lookup-self",
           .operations = {{Operation::kRead, lookup_self}, {Operation::kUpdate, lookup_self}},
           .help = "Look up the calling token's properties."},
      Path{.pattern = "lookup-accessor",
           .operations = {{Operation::kUpdate, lookup_accessor}},
           .help = "Look up a token's properties by its accessor."},
      Path{.pattern = "lookup-accessor/:accessor",
           .operations = {{Operation::kUpdate, lookup_accessor}},
           .help = "Deprecated form of lookup-accessor."},
  };
}

std::vector<Path> RenewPaths(TokenStore& t) {
  auto renew = [&t](const EngineRequest& req, const Params& params) -> Result<Response> {
    RETURN_IF_ERROR(CallerOf(req).status());
    ASSIGN_OR_RETURN(std::string token, Field(req, params, "token", "missing token ID"));
    if (token.starts_with("hvb.")) return InvalidArgument("batch tokens cannot be renewed");
    ASSIGN_OR_RETURN(auto e, t.Lookup(token));
    if (!e.has_value()) return InvalidArgument("token not found");
    return Renewed(t, req, *e, true);
  };
  auto renew_self = [&t](const EngineRequest& req, const Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(const Caller* c, CallerOf(req));
    if (c->token_id.starts_with("hvb.")) return InvalidArgument("batch tokens cannot be renewed");
    ASSIGN_OR_RETURN(auto e, t.LookupSelf(c->token_id));
    if (!e.has_value()) return InvalidArgument("token not found");
    return Renewed(t, req, *e, true);
  };
  auto renew_accessor = [&t](const EngineRequest& req, const Params& params) -> Result<Response> {
    RETURN_IF_ERROR(CallerOf(req).status());
    ASSIGN_OR_RETURN(std::string accessor, Field(req, params, "accessor", "missing accessor"));
    ASSIGN_OR_RETURN(auto e, t.LookupByAccessor(accessor));
    if (!e.has_value()) return InvalidArgument("invalid accessor");
    return Renewed(t, req, *e, false);
  };
  return {
      Path{.pattern = "renew",
           .operations = {{Operation::kUpdate, renew}},
           .help = "Renew a token."},
      Path{.pattern = "renew/:token",
           .operations = {{Operation::kUpdate, renew}},
           .help = "Deprecated form of renew."},
      Path{.pattern = "renew-self",
           .operations = {{Operation::kUpdate, renew_self}},
           .help = "Renew the calling token."},
      Path{.pattern = "renew-accessor",
           .operations = {{Operation::kUpdate, renew_accessor}},
           .help = "Renew a token by its accessor."},
  };
}

std::vector<Path> RevokePaths(TokenStore& t) {
  auto revoke = [&t](const EngineRequest& req, const Params& params) -> Result<Response> {
    RETURN_IF_ERROR(CallerOf(req).status());
    ASSIGN_OR_RETURN(std::string token, Field(req, params, "token", "missing token ID"));
    RETURN_IF_ERROR(t.Revoke(token));
    return Response::Empty();
  };
  auto revoke_self = [&t](const EngineRequest& req, const Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(const Caller* c, CallerOf(req));
    RETURN_IF_ERROR(t.Revoke(c->token_id));
    return Response::Empty();
  };
  auto revoke_orphan = [&t](const EngineRequest& req, const Params& params) -> Result<Response> {
    ASSIGN_OR_RETURN(const Caller* c, CallerOf(req));
    if (!tokenengine::Privileged(*c)) {
      return InvalidArgument("root or sudo privileges required to revoke and orphan");
    }
    ASSIGN_OR_RETURN(std::string token, Field(req, params, "token", "missing token ID"));
    RETURN_IF_ERROR(t.RevokeOrphan(token));
    return Response::Empty();
  };
  auto revoke_accessor = [&t](const EngineRequest& req, const Params& params) -> Result<Response> {
    RETURN_IF_ERROR(CallerOf(req).status());
    ASSIGN_OR_RETURN(std::string accessor, Field(req, params, "accessor", "missing accessor"));
    ASSIGN_OR_RETURN(auto e, t.LookupByAccessor(accessor));
    if (!e.has_value()) return InvalidArgument("invalid accessor");
    RETURN_IF_ERROR(t.RevokeTreeByHash(e->hash));
    return Response::Empty();
  };
  return {
      Path{.pattern = "revoke",
           .operations = {{Operation::kUpdate, revoke}},
           .help = "Revoke a token and all its children."},
      Path{.pattern = "revoke-self",
           .operations = {{Operation::kUpdate, revoke_self}},
           .help = "Revoke the calling token and all its children."},
      Path{.pattern = "revoke-orphan",
           .operations = {{Operation::kUpdate, revoke_orphan}},
           .help = "Revoke a token; its children become orphans (root or sudo)."},
      Path{.pattern = "revoke-accessor",
           .operations = {{Operation::kUpdate, revoke_accessor}},
           .help = "Revoke a token and its children by the token's accessor."},
  };
}

std::vector<Path> RolePaths(TokenStore& t) {
  auto list = [&t](const EngineRequest&, const Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(auto names, t.ListRoles());
    return framework::ListResponse(std::move(names));
  };
  auto read = [&t](const EngineRequest&, const Params& p) -> Result<Response> {
    ASSIGN_OR_RETURN(auto role, t.GetRole(p.at("role_name")));
    if (!role.has_value()) return NotFound("");
    return Response::Data(RoleToJson(*role));
  };
  auto write = [&t](const EngineRequest& req, const Params& p) -> Result<Response> {
    const std::string& name = p.at("role_name");
    ASSIGN_OR_RETURN(auto existing, t.GetRole(name));
    TokenRole current = existing.value_or(TokenRole{});
    current.name = name;
    ASSIGN_OR_RETURN(TokenRole role, ApplyRoleFields(req.data, std::move(current)));
    RETURN_IF_ERROR(t.PutRole(role));
    return Response::Empty();
  };
  auto remove = [&t](const EngineRequest&, const Params& p) -> Result<Response> {
    RETURN_IF_ERROR(t.DeleteRole(p.at("role_name")));
    return Response::Empty();
  };
  auto exists = [&t](const EngineRequest&, const Params& p) -> Result<bool> {
    ASSIGN_OR_RETURN(auto role, t.GetRole(p.at("role_name")));
    return role.has_value();
  };
  return {
      Path{.pattern = "roles/",
           .operations = {{Operation::kList, list}},
           .help = "List token roles."},
      Path{.pattern = "roles/:role_name",
           .operations = {{Operation::kRead, read},
                          {Operation::kCreate, write},
                          {Operation::kUpdate, write},
                          {Operation::kDelete, remove}},
           .exists = exists,
           .help = "Create, read, update and delete token roles."},
  };
}

}  // namespace

std::vector<Path> TokenPaths(TokenStore& t) {
  auto create = [&t](CreateMode mode) {
    return [&t, mode](const EngineRequest& req, const Params& p) -> Result<Response> {
      return tokenengine::HandleCreate(t, req, p, mode);
    };
  };
  std::vector<Path> paths = {
      Path{.pattern = "create",
           .operations = {{Operation::kUpdate, create(CreateMode::kNormal)}},
           .help = "Create a child token of the calling token."},
      Path{.pattern = "create-orphan",
           .operations = {{Operation::kUpdate, create(CreateMode::kOrphan)}},
           .help = "Create a token with no parent."},
      Path{.pattern = "create/:role_name",
           .operations = {{Operation::kUpdate, create(CreateMode::kRole)}},
           .help = "Create a token from a token role."},
  };
  for (auto* group : {LookupPaths, RenewPaths, RevokePaths, RolePaths}) {
    for (Path& p : group(t)) paths.push_back(std::move(p));
  }
  paths.push_back(Path{
      .pattern = "accessors/",
      .operations = {{Operation::kList,
                      [&t](const EngineRequest&, const Params&) -> Result<Response> {
                        ASSIGN_OR_RETURN(auto accessors, t.ListAccessors());
                        return framework::ListResponse(std::move(accessors));
                      }}},
      .help = "List the accessors of every stored token (sudo)."});
  paths.push_back(Path{
      .pattern = "tidy",
      .operations = {{Operation::kUpdate,
                      [&t](const EngineRequest&, const Params&) -> Result<Response> {
                        ASSIGN_OR_RETURN(TidyReport report, t.Tidy());
                        Response r;
                        r.warnings.push_back(
                            "Tidy operation successfully started. Revoked " +
                            std::to_string(report.expired + report.dangling_children) +
                            " token(s) and removed " + std::to_string(report.stale_accessors) +
                            " stale accessor(s); details are in the server log.");
                        return r;
                      }}},
      .help = "Remove expired tokens and repair the token indexes."});
  return paths;
}

}  // namespace coffer::core
