#include "auth/approle_role.h"

#include "auth/cidr.h"
#include "common/json_util.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "engines/stored_json.h"

namespace coffer::auth::approle {

Json Role::ToStored() const {
  Json j = token.ToStored();
  j["name"] = name;
  j["role_id"] = role_id;
  j["bind_secret_id"] = bind_secret_id;
  j["secret_id_bound_cidrs"] = secret_id_bound_cidrs;
  j["secret_id_num_uses"] = secret_id_num_uses;
  j["secret_id_ttl"] = secret_id_ttl;
  j["local_secret_ids"] = local_secret_ids;
  return j;
}

Result<Role> Role::FromStored(const Json& j) {
  Role r;
  try {
    r.name = j.at("name").get<std::string>();
    r.role_id = j.at("role_id").get<std::string>();
    r.bind_secret_id = j.at("bind_secret_id").get<bool>();
    r.secret_id_bound_cidrs = j.at("secret_id_bound_cidrs").get<std::vector<std::string>>();
    r.secret_id_num_uses = j.at("secret_id_num_uses").get<int64_t>();
    r.secret_id_ttl = j.at("secret_id_ttl").get<int64_t>();
    r.local_secret_ids = j.at("local_secret_ids").get<bool>();
  } catch (const Json::exception& e) {
    return Corruption(std::string("stored approle role: ") + e.what());
  }
  ASSIGN_OR_RETURN(r.token, TokenFields::FromStored(j));
  return r;
}

Result<Role> ApplyRoleFields(const Json& data, Role r, bool creating) {
  ASSIGN_OR_RETURN(auto bind, GetBool(data, "bind_secret_id"));
  ASSIGN_OR_RETURN(auto cidrs, GetStringList(data, "secret_id_bound_cidrs"));
  if (!cidrs) {
    ASSIGN_OR_RETURN(cidrs, GetStringList(data, "bound_cidr_list"));  // deprecated
  }
  ASSIGN_OR_RETURN(auto num_uses, GetInt(data, "secret_id_num_uses"));
  ASSIGN_OR_RETURN(auto ttl, GetDuration(data, "secret_id_ttl"));
  ASSIGN_OR_RETURN(auto local, GetBool(data, "local_secret_ids"));

  if (bind) r.bind_secret_id = *bind;
  if (cidrs) {
    RETURN_IF_ERROR(ValidateCidrList(*cidrs, "secret_id_bound_cidrs"));
    r.secret_id_bound_cidrs = std::move(*cidrs);
  }
  if (num_uses) {
    if (*num_uses < 0) return InvalidArgument("secret_id_num_uses cannot be negative");
    r.secret_id_num_uses = *num_uses;
  }
  if (ttl) r.secret_id_ttl = *ttl;
  if (local) {
    if (creating) {
      r.local_secret_ids = *local;
    } else if (*local != r.local_secret_ids) {
      return InvalidArgument("local_secret_ids can only be modified during role creation");
    }
  }
  ASSIGN_OR_RETURN(r.token, ParseTokenFields(data, std::move(r.token), kAppRoleLegacyKeys));
  if (!r.bind_secret_id && r.secret_id_bound_cidrs.empty() && r.token.bound_cidrs.empty()) {
    return InvalidArgument(
        "at least one constraint should be enabled on the role: bind_secret_id, "
        "secret_id_bound_cidrs or token_bound_cidrs");
  }
  return r;
}

Json RoleToJson(const Role& r) {
  Json j = TokenFieldsToJson(r.token, kAppRoleLegacyKeys);
  j["bind_secret_id"] = r.bind_secret_id;
  j["secret_id_bound_cidrs"] = r.secret_id_bound_cidrs;
  j["secret_id_num_uses"] = r.secret_id_num_uses;
  j["secret_id_ttl"] = r.secret_id_ttl;
  j["local_secret_ids"] = r.local_secret_ids;
  return j;
}

std::string RoleKey(const std::string& name) { return "role/" + name; }

std::string RoleIdKey(const std::string& salt, const std::string& role_id) {
  return "role_id/" + crypto::HexEncode(crypto::HmacSha256(salt, role_id));
}

std::string SecretIdPrefix(const std::string& role_name) { return "secret_id/" + role_name + "/"; }
std::string AccessorPrefix(const std::string& role_name) { return "accessor/" + role_name + "/"; }

Result<std::optional<Role>> LoadRole(storage::Backend* s, const std::string& name) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, s->Get(RoleKey(name)));
  if (!raw) return std::optional<Role>();
  ASSIGN_OR_RETURN(Json j, engines::ParseStoredJson(*raw, "approle role"));
  ASSIGN_OR_RETURN(Role r, Role::FromStored(j));
  return std::optional<Role>(std::move(r));
}

Result<std::optional<std::string>> RoleNameForRoleId(storage::Backend* s, const std::string& salt,
                                                     const std::string& role_id) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, s->Get(RoleIdKey(salt, role_id)));
  if (!raw) return std::optional<std::string>();
  ASSIGN_OR_RETURN(Json j, engines::ParseStoredJson(*raw, "approle role_id index"));
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) {
    return Corruption("approle role_id index entry is malformed");
  }
  return std::optional<std::string>(j["name"].get<std::string>());
}

Status SaveRole(storage::Backend* s, const std::string& salt, const Role& role,
                const std::string& old_role_id) {
  storage::Batch batch;
  batch.push_back(storage::Op::Put(RoleKey(role.name), DumpJsonCompact(role.ToStored())));
  if (old_role_id != role.role_id) {
    if (!old_role_id.empty()) batch.push_back(storage::Op::Delete(RoleIdKey(salt, old_role_id)));
    batch.push_back(storage::Op::Put(RoleIdKey(salt, role.role_id),
                                     DumpJsonCompact(Json{{"name", role.name}})));
  }
  return s->Write(batch);
}

Status DeleteRole(storage::Backend* s, const std::string& salt, const Role& role) {
  storage::Batch batch;
  batch.push_back(storage::Op::Delete(RoleKey(role.name)));
  batch.push_back(storage::Op::Delete(RoleIdKey(salt, role.role_id)));
  for (const std::string& prefix : {SecretIdPrefix(role.name), AccessorPrefix(role.name)}) {
    ASSIGN_OR_RETURN(std::vector<std::string> keys, s->ListAll(prefix));
    for (std::string& k : keys) batch.push_back(storage::Op::Delete(std::move(k)));
  }
  return s->Write(batch);
}

}  // namespace coffer::auth::approle
