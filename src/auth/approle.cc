#include "auth/approle.h"

#include <openssl/crypto.h>

#include <chrono>

#include "auth/approle_engine.h"
#include "auth/approle_secret_id.h"
#include "auth/cidr.h"
#include "auth/names.h"
#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"
#include "crypto/encoding.h"
#include "crypto/random.h"
#include "engines/stored_json.h"

namespace coffer::auth {
namespace approle {
namespace {

using framework::Params;

constexpr char kSaltKey[] = "salt";
constexpr size_t kSaltBytes = 32;
constexpr char kBadLogin[] = "invalid role or secret ID";

}  // namespace

AppRoleEngine::AppRoleEngine(AppRoleOptions options)
    : options_(std::move(options)), paths_(BuildPaths()) {}

framework::Handler AppRoleEngine::WithRole(RoleHandler h) {
  return [this, h](const EngineRequest& req, const Params& p) -> Result<Response> {
    const std::string& name = p.at("role_name");
    if (!IsValidName(name)) return NotFound("unsupported path");
    return (this->*h)(req, name);
  };
}

std::vector<framework::Path> AppRoleEngine::BuildPaths() {
  using framework::Path;
  auto role_exists = [](const EngineRequest& req, const Params& p) -> Result<bool> {
    if (!IsValidName(p.at("role_name"))) return false;
    ASSIGN_OR_RETURN(auto raw, req.storage->Get(RoleKey(p.at("role_name"))));
    return raw.has_value();
  };
  std::vector<Path> paths = {
      Path{.pattern = "role/",
           .operations = {{Operation::kList, [this](const EngineRequest& req,
                                                    const Params&) { return ListRoles(req); }}},
           .help = "List roles."},
      Path{.pattern = "role/:role_name",
           .operations = {{Operation::kRead, WithRole(&AppRoleEngine::ReadRole)},
                          {Operation::kUpdate, WithRole(&AppRoleEngine::WriteRole)},
                          {Operation::kDelete, WithRole(&AppRoleEngine::DeleteRoleHandler)}},
           .exists = role_exists,
           .help = "Manage a role: secret id constraints and token settings."},
      Path{.pattern = "role/:role_name/role-id",
           .operations = {{Operation::kRead, WithRole(&AppRoleEngine::ReadRoleId)},
                          {Operation::kUpdate, WithRole(&AppRoleEngine::WriteRoleId)}},
           .help = "Read or set a role's role_id."},
      Path{.pattern = "tidy/secret-id",
           .operations = {{Operation::kUpdate,
                           [this](const EngineRequest& req, const Params&) { return Tidy(req); }}},
           .help = "Delete expired secret ids and dangling accessors."},
      Path{.pattern = "login",
           .operations = {{Operation::kUpdate,
                           [this](const EngineRequest& req, const Params&) { return Login(req); }}},
           .help = "Log in with a role_id and secret_id.",
           .unauthenticated = true},
  };
  for (std::vector<Path> more : {SecretIdPaths(), FieldPaths()}) {
    for (Path& p : more) paths.push_back(std::move(p));
  }
  return paths;
}

int64_t AppRoleEngine::Now() const {
  if (options_.clock) return options_.clock();
  return UnixSeconds();
}

void AppRoleEngine::Invalidate(std::string_view key) {
  if (key != kSaltKey) return;
  std::lock_guard<fiber::SharedMutex> lock(salt_mu_);
  OPENSSL_cleanse(salt_.data(), salt_.size());
  salt_.clear();
}

Result<std::string> AppRoleEngine::Salt(storage::Backend* s) {
  std::lock_guard<fiber::SharedMutex> lock(salt_mu_);
  if (!salt_.empty()) return salt_;
  ASSIGN_OR_RETURN(std::optional<std::string> raw, s->Get(kSaltKey));
  if (raw) {
    auto decoded = crypto::HexDecode(*raw);
    if (!decoded.ok() || decoded->size() != kSaltBytes)
      return Corruption("approle salt is malformed");
    salt_ = std::move(*decoded);
    return salt_;
  }
  ASSIGN_OR_RETURN(std::string fresh, crypto::RandomBytes(kSaltBytes));
  RETURN_IF_ERROR(s->Put(kSaltKey, crypto::HexEncode(fresh)));
  salt_ = std::move(fresh);
  return salt_;
}

Result<Role> AppRoleEngine::RequireRole(storage::Backend* s, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<Role> role, LoadRole(s, name));
  if (!role) return InvalidArgument("role \"" + name + "\" does not exist");
  return std::move(*role);
}

Result<Response> AppRoleEngine::ListRoles(const EngineRequest& req) {
  ASSIGN_OR_RETURN(std::vector<std::string> keys, req.storage->List("role/"));
  std::vector<std::string> names;
  for (std::string& k : keys) {
    if (!k.empty() && k.back() != '/') names.push_back(std::move(k));
  }
  return framework::ListResponse(std::move(names));
}

Result<Response> AppRoleEngine::ReadRole(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<Role> role, LoadRole(req.storage, name));
  if (!role) return NotFound();
  return Response::Data(RoleToJson(*role));
}

Result<Response> AppRoleEngine::WriteRole(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::string salt, Salt(req.storage));
  ASSIGN_OR_RETURN(std::optional<std::string> custom_id, GetString(req.data, "role_id"));
  std::lock_guard<fiber::SharedMutex> lock(mu_);
  ASSIGN_OR_RETURN(std::optional<Role> existing, LoadRole(req.storage, name));
  Role base;
  base.name = name;
  std::string old_role_id;
  if (existing) {
    base = std::move(*existing);
    old_role_id = base.role_id;
  }
  ASSIGN_OR_RETURN(Role role, ApplyRoleFields(req.data, std::move(base), old_role_id.empty()));
  if (custom_id && !custom_id->empty()) {
    ASSIGN_OR_RETURN(auto owner, RoleNameForRoleId(req.storage, salt, *custom_id));
    if (owner && *owner != name) return InvalidArgument("role_id is already in use");
    role.role_id = *custom_id;
  }
  if (role.role_id.empty()) role.role_id = crypto::RandomUuid();
  RETURN_IF_ERROR(SaveRole(req.storage, salt, role, old_role_id));
  return Response::Empty();
}

Result<Response> AppRoleEngine::DeleteRoleHandler(const EngineRequest& req,
                                                  const std::string& name) {
  ASSIGN_OR_RETURN(std::string salt, Salt(req.storage));
  std::lock_guard<fiber::SharedMutex> lock(mu_);
  ASSIGN_OR_RETURN(std::optional<Role> role, LoadRole(req.storage, name));
  if (!role) return Response::Empty();
  RETURN_IF_ERROR(DeleteRole(req.storage, salt, *role));
  return Response::Empty();
}

Result<Response> AppRoleEngine::ReadRoleId(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<Role> role, LoadRole(req.storage, name));
  if (!role) return NotFound();
  return Response::Data(Json{{"role_id", role->role_id}});
}

Result<Response> AppRoleEngine::WriteRoleId(const EngineRequest& req, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<std::string> role_id, GetString(req.data, "role_id"));
  if (!role_id || role_id->empty()) return InvalidArgument("missing role_id");
  ASSIGN_OR_RETURN(std::string salt, Salt(req.storage));
  std::lock_guard<fiber::SharedMutex> lock(mu_);
  ASSIGN_OR_RETURN(std::optional<Role> role, LoadRole(req.storage, name));
  if (!role) return NotFound("role \"" + name + "\" does not exist");
  ASSIGN_OR_RETURN(auto owner, RoleNameForRoleId(req.storage, salt, *role_id));
  if (owner && *owner != name) return InvalidArgument("role_id is already in use");
  std::string old = role->role_id;
  role->role_id = *role_id;
  RETURN_IF_ERROR(SaveRole(req.storage, salt, *role, old));
  return Response::Empty();
}

Result<Response> AppRoleEngine::Login(const EngineRequest& req) {
  ASSIGN_OR_RETURN(std::optional<std::string> role_id, GetString(req.data, "role_id"));
  if (!role_id || role_id->empty()) return InvalidArgument("missing role_id");
  ASSIGN_OR_RETURN(std::string salt, Salt(req.storage));
  ASSIGN_OR_RETURN(std::optional<std::string> name, RoleNameForRoleId(req.storage, salt, *role_id));
  if (!name) return InvalidArgument(kBadLogin);
  ASSIGN_OR_RETURN(std::optional<Role> role, LoadRole(req.storage, *name));
  if (!role) return InvalidArgument(kBadLogin);
  RETURN_IF_ERROR(CheckRemoteAddress(role->secret_id_bound_cidrs, req));

  Json metadata = Json::object();
  std::vector<std::string> token_cidrs = role->token.bound_cidrs;
  if (role->bind_secret_id) {
    ASSIGN_OR_RETURN(std::optional<std::string> secret_id, GetString(req.data, "secret_id"));
    if (!secret_id || secret_id->empty()) return InvalidArgument("missing secret_id");
    std::string hmac = SecretIdHmac(salt, *secret_id);
    auto check = [&](const SecretIdEntry& e) -> Status {
      RETURN_IF_ERROR(CheckRemoteAddress(e.cidr_list, req));
      if (!e.token_bound_cidrs.empty()) token_cidrs = e.token_bound_cidrs;
      return CheckRemoteAddress(token_cidrs, req);
    };
    // A secret id with unlimited uses that has not expired is only read: its
    // logins hold the lock shared, so the logins of one secret id (a fleet of
    // instances sharing it) do not queue on each other. Consuming a use or
    // destroying an expired entry reads it again under the exclusive lock.
    std::optional<SecretIdEntry> entry;
    bool read_only = false;
    {
      std::shared_lock<fiber::SharedMutex> read(mu_);
      ASSIGN_OR_RETURN(entry, LoadSecretId(req.storage, *name, hmac));
      if (!entry) return InvalidArgument(kBadLogin);
      read_only = entry->num_uses == 0 && !entry->Expired(Now());
    }
    if (read_only) {
      RETURN_IF_ERROR(check(*entry));
    } else {
      std::lock_guard<fiber::SharedMutex> lock(mu_);
      ASSIGN_OR_RETURN(entry, LoadSecretId(req.storage, *name, hmac));
      if (!entry) return InvalidArgument(kBadLogin);
      int64_t now = Now();
      if (entry->Expired(now)) {
        RETURN_IF_ERROR(DestroySecretId(req.storage, *name, hmac, entry->accessor));
        return InvalidArgument(kBadLogin);
      }
      RETURN_IF_ERROR(check(*entry));
      // Consume one use only once every check has passed.
      if (entry->num_uses == 1) {
        RETURN_IF_ERROR(DestroySecretId(req.storage, *name, hmac, entry->accessor));
      } else if (entry->num_uses > 1) {
        --entry->num_uses;
        entry->last_updated_time = now;
        RETURN_IF_ERROR(StoreSecretId(req.storage, *name, hmac, *entry));
      }
    }
    for (const auto& [k, v] : entry->metadata) metadata[k] = v;
  } else {
    RETURN_IF_ERROR(CheckRemoteAddress(token_cidrs, req));
  }
  metadata["role_name"] = *name;

  AuthInfo auth;
  FillAuth(role->token, &auth, &req.system);
  auth.bound_cidrs = token_cidrs;
  auth.metadata = std::move(metadata);
  Response resp;
  resp.auth = std::move(auth);
  return resp;
}

Result<Response> AppRoleEngine::Tidy(const EngineRequest& req) {
  std::lock_guard<fiber::SharedMutex> lock(mu_);
  int64_t now = Now();
  storage::Batch batch;
  ASSIGN_OR_RETURN(std::vector<std::string> entries, req.storage->ListAll("secret_id/"));
  for (const std::string& key : entries) {
    // "secret_id/<role>/<hmac>"
    size_t slash = key.find('/', sizeof("secret_id/") - 1);
    if (slash == std::string::npos) continue;
    std::string role = key.substr(sizeof("secret_id/") - 1, slash - (sizeof("secret_id/") - 1));
    auto entry = LoadSecretId(req.storage, role, key.substr(slash + 1));
    if (!entry.ok()) {
      COFFER_LOG(kWarn, "approle")
          << "tidy: dropping unreadable secret id entry: " << entry.status().ToString();
      batch.push_back(storage::Op::Delete(key));
    } else if (*entry && (*entry)->Expired(now)) {
      batch.push_back(storage::Op::Delete(key));
      batch.push_back(storage::Op::Delete(AccessorPrefix(role) + (*entry)->accessor));
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::string> accessors, req.storage->ListAll("accessor/"));
  for (const std::string& key : accessors) {
    size_t slash = key.find('/', sizeof("accessor/") - 1);
    if (slash == std::string::npos) continue;
    std::string role = key.substr(sizeof("accessor/") - 1, slash - (sizeof("accessor/") - 1));
    auto hmac = HmacForAccessor(req.storage, role, key.substr(slash + 1));
    bool dangling = !hmac.ok() || !*hmac;
    if (!dangling) {
      ASSIGN_OR_RETURN(auto live, req.storage->Get(SecretIdPrefix(role) + **hmac));
      dangling = !live.has_value();
    }
    if (dangling) batch.push_back(storage::Op::Delete(key));
  }
  if (!batch.empty()) RETURN_IF_ERROR(req.storage->Write(batch));
  Response resp;
  resp.warnings.push_back("Tidy operation successfully completed.");
  return resp;
}

}  // namespace approle

EnginePtr NewAppRole(AppRoleOptions options) {
  return std::make_unique<approle::AppRoleEngine>(std::move(options));
}

}  // namespace coffer::auth
