// AppRole secret id endpoints: generate, custom, list, lookup, destroy, by
// secret id or by accessor. Part of AppRoleEngine (approle_engine.h).
#include "auth/approle_engine.h"
#include "auth/approle_secret_id.h"
#include "common/json_util.h"
#include "crypto/random.h"

namespace coffer::auth::approle {
namespace {

Result<std::string> RequiredString(const Json& data, const char* key) {
  ASSIGN_OR_RETURN(std::optional<std::string> v, GetString(data, key));
  if (!v || v->empty()) return InvalidArgument(std::string("missing ") + key);
  return std::move(*v);
}

Status AccessorNotFound() {
  return NotFound("failed to find accessor entry for secret_id_accessor");
}

}  // namespace

std::vector<framework::Path> AppRoleEngine::SecretIdPaths() {
  using framework::Path;
  auto destroy = WithRole(&AppRoleEngine::DestroySecretIdHandler);
  auto destroy_accessor = WithRole(&AppRoleEngine::DestroyAccessor);
  return {
      Path{.pattern = "role/:role_name/secret-id/",
           .operations = {{Operation::kList, WithRole(&AppRoleEngine::ListSecretIds)}},
           .help = "List the accessors of a role's secret ids."},
      Path{.pattern = "role/:role_name/secret-id",
           .operations = {{Operation::kUpdate, WithRole(&AppRoleEngine::GenerateSecretId)}},
           .help = "Generate a secret id for a role."},
      Path{.pattern = "role/:role_name/custom-secret-id",
           .operations = {{Operation::kUpdate, WithRole(&AppRoleEngine::CustomSecretId)}},
           .help = "Register a secret id chosen by the caller."},
      Path{.pattern = "role/:role_name/secret-id/lookup",
           .operations = {{Operation::kUpdate, WithRole(&AppRoleEngine::LookupSecretId)}},
           .help = "Read the properties of a secret id."},
      Path{.pattern = "role/:role_name/secret-id/destroy",
           .operations = {{Operation::kUpdate, destroy}, {Operation::kDelete, destroy}},
           .help = "Destroy a secret id."},
      Path{.pattern = "role/:role_name/secret-id-accessor/lookup",
           .operations = {{Operation::kUpdate, WithRole(&AppRoleEngine::LookupAccessor)}},
           .help = "Read the properties of a secret id by its accessor."},
      Path{.pattern = "role/:role_name/secret-id-accessor/destroy",
           .operations = {{Operation::kUpdate, destroy_accessor},
                          {Operation::kDelete, destroy_accessor}},
           .help = "Destroy a secret id by its accessor."},
  };
}

Result<Response> AppRoleEngine::GenerateSecretId(const EngineRequest& req,
                                                 const std::string& name) {
  return StoreNewSecretId(req, name, crypto::RandomUuid());
}

Result<Response> AppRoleEngine::CustomSecretId(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::string secret_id, RequiredString(req.data, "secret_id"));
  return StoreNewSecretId(req, name, secret_id);
}

Result<Response> AppRoleEngine::StoreNewSecretId(const EngineRequest& req, const std::string& name,
                                                 const std::string& secret_id) {
  ASSIGN_OR_RETURN(std::string salt, Salt(req.storage));
  std::lock_guard<fiber::SharedMutex> lock(mu_);
  ASSIGN_OR_RETURN(Role role, RequireRole(req.storage, name));
  if (!role.bind_secret_id) return InvalidArgument("bind_secret_id is not set on the role");
  ASSIGN_OR_RETURN(SecretIdEntry entry, NewSecretIdEntry(req.data, role, Now()));
  std::string hmac = SecretIdHmac(salt, secret_id);
  ASSIGN_OR_RETURN(auto existing, LoadSecretId(req.storage, name, hmac));
  if (existing) return InvalidArgument("secret_id is already registered");
  RETURN_IF_ERROR(StoreSecretId(req.storage, name, hmac, entry));
  return Response::Data(Json{{"secret_id", secret_id},
                             {"secret_id_accessor", entry.accessor},
                             {"secret_id_ttl", entry.ttl},
                             {"secret_id_num_uses", entry.num_uses}});
}

Result<Response> AppRoleEngine::ListSecretIds(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(Role role, RequireRole(req.storage, name));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, req.storage->List(AccessorPrefix(role.name)));
  std::vector<std::string> accessors;
  for (std::string& k : keys) {
    if (!k.empty() && k.back() != '/') accessors.push_back(std::move(k));
  }
  return framework::ListResponse(std::move(accessors));
}

Result<Response> AppRoleEngine::LookupSecretId(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::string secret_id, RequiredString(req.data, "secret_id"));
  ASSIGN_OR_RETURN(std::string salt, Salt(req.storage));
  ASSIGN_OR_RETURN(Role role, RequireRole(req.storage, name));
  ASSIGN_OR_RETURN(auto entry, LoadSecretId(req.storage, role.name, SecretIdHmac(salt, secret_id)));
  // Unknown or expired: an empty response, as Vault answers.
  if (!entry || entry->Expired(Now())) return Response::Empty();
  return Response::Data(entry->ToLookupJson());
}

Result<Response> AppRoleEngine::DestroySecretIdHandler(const EngineRequest& req,
                                                       const std::string& name) {
  ASSIGN_OR_RETURN(std::string secret_id, RequiredString(req.data, "secret_id"));
  ASSIGN_OR_RETURN(std::string salt, Salt(req.storage));
  std::lock_guard<fiber::SharedMutex> lock(mu_);
  ASSIGN_OR_RETURN(Role role, RequireRole(req.storage, name));
  std::string hmac = SecretIdHmac(salt, secret_id);
  ASSIGN_OR_RETURN(auto entry, LoadSecretId(req.storage, role.name, hmac));
  if (entry) RETURN_IF_ERROR(DestroySecretId(req.storage, role.name, hmac, entry->accessor));
  return Response::Empty();
}

Result<Response> AppRoleEngine::LookupAccessor(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::string accessor, RequiredString(req.data, "secret_id_accessor"));
  ASSIGN_OR_RETURN(Role role, RequireRole(req.storage, name));
  ASSIGN_OR_RETURN(auto hmac, HmacForAccessor(req.storage, role.name, accessor));
  if (!hmac) return AccessorNotFound();
  ASSIGN_OR_RETURN(auto entry, LoadSecretId(req.storage, role.name, *hmac));
  if (!entry) return AccessorNotFound();
  return Response::Data(entry->ToLookupJson());
}

Result<Response> AppRoleEngine::DestroyAccessor(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::string accessor, RequiredString(req.data, "secret_id_accessor"));
  std::lock_guard<fiber::SharedMutex> lock(mu_);
  ASSIGN_OR_RETURN(Role role, RequireRole(req.storage, name));
  ASSIGN_OR_RETURN(auto hmac, HmacForAccessor(req.storage, role.name, accessor));
  if (!hmac) return AccessorNotFound();
  RETURN_IF_ERROR(DestroySecretId(req.storage, role.name, *hmac, accessor));
  return Response::Empty();
}

}  // namespace coffer::auth::approle
