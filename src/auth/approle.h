// AppRole: machine login with a role_id and (usually) a secret_id.
//
// Paths (relative to the mount, e.g. auth/approle/):
//   role/                                   LIST  role names
//   role/:role_name                         GET/POST/PUT/DELETE
//   role/:role_name/role-id                 GET; POST {role_id} sets a custom one
//   role/:role_name/secret-id               POST: new secret id; LIST: accessors
//   role/:role_name/custom-secret-id        POST {secret_id, ...}
//   role/:role_name/secret-id/lookup        POST {secret_id}
//   role/:role_name/secret-id/destroy       POST/DELETE {secret_id}
//   role/:role_name/secret-id-accessor/lookup   POST {secret_id_accessor}
//   role/:role_name/secret-id-accessor/destroy  POST/DELETE {secret_id_accessor}
//   role/:role_name/<field>                 GET/POST/DELETE one role field
//                                           (policies, token-ttl, ...)
//   tidy/secret-id                          POST: drop expired secret ids
//   login                                   POST (unauthenticated) {role_id, secret_id}
// Storage layout: approle_role.h and approle_secret_id.h, plus "salt" (the
// per-mount HMAC key, 32 random bytes, created on first use).
//
// Thread-safety: Handle() may run concurrently. One mutex per mount
// serialises writes and the consumption of secret id uses, so a secret id
// with N uses logs in at most N times.
// Invariants: role ids and secret ids are only stored as HMACs; a failed
// login says only "invalid role or secret ID" (400), whichever part was wrong.
#pragma once

#include <cstdint>
#include <functional>

#include "coffer/engine.h"

namespace coffer::auth {

struct AppRoleOptions {
  // Unix seconds; the system clock when empty. Tests inject a fake one.
  std::function<int64_t()> clock;
};

EnginePtr NewAppRole(AppRoleOptions options = {});

}  // namespace coffer::auth
