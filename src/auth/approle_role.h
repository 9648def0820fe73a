// AppRole roles: the role model, its request fields, and its storage.
//
// Storage (inside the mount's view):
//   "role/<name>"                   the role (JSON, includes role_id)
//   "role_id/<hex HMAC(salt, id)>"  {"name": <role name>}: role_id -> role
// Role ids are looked up only through their HMAC, so the index does not hold
// them in the clear.
//
// Thread-safety: pure functions over a storage backend; callers serialise
// read-modify-write sequences (the engine holds its mutex).
// Invariants of a Role returned by ApplyRoleFields:
//  - at least one constraint: bind_secret_id, secret_id_bound_cidrs or
//    token_bound_cidrs;
//  - secret_id_num_uses and secret_id_ttl are non-negative; CIDRs parse;
//  - local_secret_ids changes only when the role is created.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/token_fields.h"
#include "coffer/json.h"
#include "coffer/status.h"
#include "coffer/storage.h"

namespace coffer::auth::approle {

struct Role {
  std::string name;
  std::string role_id;
  bool bind_secret_id = true;
  std::vector<std::string> secret_id_bound_cidrs;
  int64_t secret_id_num_uses = 0;
  int64_t secret_id_ttl = 0;  // seconds; 0 = secret ids never expire
  bool local_secret_ids = false;
  TokenFields token;

  Json ToStored() const;
  static Result<Role> FromStored(const Json& j);
};

// `current` with the fields present in `data` applied. The role_id field is
// not handled here (it needs the index). `creating` is true for a new role.
Result<Role> ApplyRoleFields(const Json& data, Role current, bool creating);

// The read view of a role (no role_id, as Vault's role read).
Json RoleToJson(const Role& role);

// Storage keys.
std::string RoleKey(const std::string& name);
std::string RoleIdKey(const std::string& salt, const std::string& role_id);
std::string SecretIdPrefix(const std::string& role_name);  // "secret_id/<name>/"
std::string AccessorPrefix(const std::string& role_name);  // "accessor/<name>/"

Result<std::optional<Role>> LoadRole(storage::Backend* s, const std::string& name);
// The name of the role owning role_id, nullopt when none.
Result<std::optional<std::string>> RoleNameForRoleId(storage::Backend* s, const std::string& salt,
                                                     const std::string& role_id);
// Writes the role and moves its role_id index from `old_role_id` (empty for
// a new role), atomically.
Status SaveRole(storage::Backend* s, const std::string& salt, const Role& role,
                const std::string& old_role_id);
// Deletes the role, its role_id index, its secret ids and their accessors.
Status DeleteRole(storage::Backend* s, const std::string& salt, const Role& role);

}  // namespace coffer::auth::approle
