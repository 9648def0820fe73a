// AppRoleEngine: the implementation behind NewAppRole (approle.h). Internal
// to src/auth; its handlers are split over approle.cc (roles, role-id,
// login, tidy), approle_secret_id_paths.cc and approle_field_paths.cc.
//
// Thread-safety: see approle.h. `mu_` guards every read-modify-write of
// roles and secret ids (held exclusively); a login that only reads its secret
// id (unlimited uses, not expired) holds it shared. `salt_mu_` guards the
// cached salt.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "auth/approle.h"
#include "common/fiber.h"
#include "auth/approle_role.h"
#include "engines/framework.h"

namespace coffer::auth::approle {

class AppRoleEngine : public Engine {
 public:
  explicit AppRoleEngine(AppRoleOptions options);

  // Engine:
  Result<Response> Handle(const EngineRequest& req) override { return paths_.Handle(req); }
  Result<std::optional<bool>> Exists(const EngineRequest& req) override {
    return paths_.Exists(req);
  }
  std::vector<std::string> UnauthenticatedPaths() const override {
    return paths_.UnauthenticatedPaths();
  }
  // The salt replicated from the primary replaces a cached one.
  void Invalidate(std::string_view key) override;

 private:
  using RoleHandler = Result<Response> (AppRoleEngine::*)(const EngineRequest&, const std::string&);
  // Wraps a handler taking a validated role name.
  framework::Handler WithRole(RoleHandler h);

  std::vector<framework::Path> BuildPaths();
  std::vector<framework::Path> SecretIdPaths();  // approle_secret_id_paths.cc
  std::vector<framework::Path> FieldPaths();     // approle_field_paths.cc

  // approle.cc
  Result<Response> ListRoles(const EngineRequest& req);
  Result<Response> ReadRole(const EngineRequest& req, const std::string& name);
  Result<Response> WriteRole(const EngineRequest& req, const std::string& name);
  Result<Response> DeleteRoleHandler(const EngineRequest& req, const std::string& name);
  Result<Response> ReadRoleId(const EngineRequest& req, const std::string& name);
  Result<Response> WriteRoleId(const EngineRequest& req, const std::string& name);
  Result<Response> Login(const EngineRequest& req);
  Result<Response> Tidy(const EngineRequest& req);

  // approle_secret_id_paths.cc
  Result<Response> GenerateSecretId(const EngineRequest& req, const std::string& name);
  Result<Response> CustomSecretId(const EngineRequest& req, const std::string& name);
  Result<Response> ListSecretIds(const EngineRequest& req, const std::string& name);
  Result<Response> LookupSecretId(const EngineRequest& req, const std::string& name);
  Result<Response> DestroySecretIdHandler(const EngineRequest& req, const std::string& name);
  Result<Response> LookupAccessor(const EngineRequest& req, const std::string& name);
  Result<Response> DestroyAccessor(const EngineRequest& req, const std::string& name);
  Result<Response> StoreNewSecretId(const EngineRequest& req, const std::string& name,
                                    const std::string& secret_id);

  // The per-mount HMAC key, created on first use.
  Result<std::string> Salt(storage::Backend* s);
  // The role, or 400 role "<name>" does not exist.
  Result<Role> RequireRole(storage::Backend* s, const std::string& name);
  int64_t Now() const;

  const AppRoleOptions options_;
  // Both are held across writes (a use consumed, the salt created), and logins
  // may run on fibers (common/fiber.h): fiber-aware.
  fiber::SharedMutex mu_;
  fiber::SharedMutex salt_mu_;
  std::string salt_;  // guarded by salt_mu_; empty until loaded
  framework::PathEngine paths_;
};

}  // namespace coffer::auth::approle
