#include "auth/approle_secret_id.h"

#include <ctime>

#include "auth/cidr.h"
#include "common/json_util.h"
#include "common/time_format.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "engines/stored_json.h"

namespace coffer::auth::approle {
namespace {

std::string EntryKey(const std::string& role, const std::string& hmac) {
  return SecretIdPrefix(role) + hmac;
}

std::string IndexKey(const std::string& role, const std::string& accessor) {
  return AccessorPrefix(role) + accessor;
}

// metadata arrives as an object, or as a JSON string of one (hvac), or null.
Result<std::map<std::string, std::string>> ParseMetadata(const Json& data) {
  using Map = std::map<std::string, std::string>;
  if (!data.is_object() || !data.contains("metadata")) return Map();
  const Json& raw = data["metadata"];
  if (raw.is_string()) {
    const std::string& text = raw.get_ref<const std::string&>();
    if (text.empty()) return Map();
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return InvalidArgument("failed to parse metadata: expected a JSON object of strings");
    }
    for (const auto& [k, v] : parsed.items()) {
      if (!v.is_string()) {
        return InvalidArgument("failed to parse metadata: value of \"" + k.substr(0, 64) +
                               "\" is not a string");
      }
    }
    ASSIGN_OR_RETURN(std::optional<Map> m, GetStringMap(Json{{"metadata", parsed}}, "metadata"));
    return m.value_or(Map());
  }
  ASSIGN_OR_RETURN(std::optional<Map> m, GetStringMap(data, "metadata"));
  return m.value_or(Map());
}

}  // namespace

Json SecretIdEntry::ToStored() const {
  return Json{{"accessor", accessor},
              {"creation_time", creation_time},
              {"expiration_time", expiration_time},
              {"last_updated_time", last_updated_time},
              {"metadata", metadata},
              {"num_uses", num_uses},
              {"ttl", ttl},
              {"cidr_list", cidr_list},
              {"token_bound_cidrs", token_bound_cidrs}};
}

Result<SecretIdEntry> SecretIdEntry::FromStored(const Json& j) {
  SecretIdEntry e;
  try {
    e.accessor = j.at("accessor").get<std::string>();
    e.creation_time = j.at("creation_time").get<int64_t>();
    e.expiration_time = j.at("expiration_time").get<int64_t>();
    e.last_updated_time = j.at("last_updated_time").get<int64_t>();
    e.metadata = j.at("metadata").get<std::map<std::string, std::string>>();
    e.num_uses = j.at("num_uses").get<int64_t>();
    e.ttl = j.at("ttl").get<int64_t>();
    e.cidr_list = j.at("cidr_list").get<std::vector<std::string>>();
    e.token_bound_cidrs = j.at("token_bound_cidrs").get<std::vector<std::string>>();
  } catch (const Json::exception& ex) {
    return Corruption(std::string("stored approle secret id: ") + ex.what());
  }
  return e;
}

Json SecretIdEntry::ToLookupJson() const {
  return Json{{"secret_id_accessor", accessor},
              {"creation_time", FormatTime(creation_time)},
              {"expiration_time", FormatTime(expiration_time)},
              {"last_updated_time", FormatTime(last_updated_time)},
              {"metadata", metadata},
              {"secret_id_num_uses", num_uses},
              {"secret_id_ttl", ttl},
              {"cidr_list", cidr_list},
              {"token_bound_cidrs", token_bound_cidrs}};
}

std::string FormatTime(int64_t unix_seconds) {
  if (unix_seconds == 0) return "0001-01-01T00:00:00Z";  // Go's zero time
  std::string out = FormatRfc3339(unix_seconds);
  return out.empty() ? "0001-01-01T00:00:00Z" : out;
}

Result<SecretIdEntry> NewSecretIdEntry(const Json& data, const Role& role, int64_t now) {
  SecretIdEntry e;
  ASSIGN_OR_RETURN(e.metadata, ParseMetadata(data));
  ASSIGN_OR_RETURN(auto cidrs, GetStringList(data, "cidr_list"));
  ASSIGN_OR_RETURN(auto token_cidrs, GetStringList(data, "token_bound_cidrs"));
  ASSIGN_OR_RETURN(auto ttl, GetDuration(data, "ttl"));
  ASSIGN_OR_RETURN(auto num_uses, GetInt(data, "num_uses"));

  if (cidrs) {
    RETURN_IF_ERROR(ValidateCidrList(*cidrs, "cidr_list"));
    if (!role.secret_id_bound_cidrs.empty() &&
        !CidrListWithin(*cidrs, role.secret_id_bound_cidrs)) {
      return InvalidArgument("cidr_list must lie within the role's secret_id_bound_cidrs");
    }
    e.cidr_list = std::move(*cidrs);
  }
  if (token_cidrs) {
    RETURN_IF_ERROR(ValidateCidrList(*token_cidrs, "token_bound_cidrs"));
    if (!role.token.bound_cidrs.empty() && !CidrListWithin(*token_cidrs, role.token.bound_cidrs)) {
      return InvalidArgument("token_bound_cidrs must lie within the role's token_bound_cidrs");
    }
    e.token_bound_cidrs = std::move(*token_cidrs);
  }

  e.ttl = role.secret_id_ttl;
  if (ttl && *ttl > 0) {
    if (role.secret_id_ttl > 0 && *ttl > role.secret_id_ttl) {
      return InvalidArgument("ttl cannot be longer than the role's secret_id_ttl");
    }
    e.ttl = *ttl;
  }
  e.num_uses = role.secret_id_num_uses;
  if (num_uses) {
    if (*num_uses < 0) return InvalidArgument("num_uses cannot be negative");
    if (role.secret_id_num_uses > 0 && (*num_uses == 0 || *num_uses > role.secret_id_num_uses)) {
      return InvalidArgument("num_uses cannot be higher than the role's secret_id_num_uses");
    }
    e.num_uses = *num_uses;
  }

  e.accessor = crypto::RandomUuid();
  e.creation_time = now;
  e.last_updated_time = now;
  e.expiration_time = e.ttl > 0 ? now + e.ttl : 0;
  return e;
}

std::string SecretIdHmac(const std::string& salt, const std::string& secret_id) {
  return crypto::HexEncode(crypto::HmacSha256(salt, secret_id));
}

Result<std::optional<SecretIdEntry>> LoadSecretId(storage::Backend* s, const std::string& role,
                                                  const std::string& hmac) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, s->Get(EntryKey(role, hmac)));
  if (!raw) return std::optional<SecretIdEntry>();
  ASSIGN_OR_RETURN(Json j, engines::ParseStoredJson(*raw, "approle secret id"));
  ASSIGN_OR_RETURN(SecretIdEntry e, SecretIdEntry::FromStored(j));
  return std::optional<SecretIdEntry>(std::move(e));
}

Status StoreSecretId(storage::Backend* s, const std::string& role, const std::string& hmac,
                     const SecretIdEntry& entry) {
  return s->Write({storage::Op::Put(EntryKey(role, hmac), DumpJsonCompact(entry.ToStored())),
                   storage::Op::Put(IndexKey(role, entry.accessor),
                                    DumpJsonCompact(Json{{"secret_id_hmac", hmac}}))});
}

Status DestroySecretId(storage::Backend* s, const std::string& role, const std::string& hmac,
                       const std::string& accessor) {
  return s->Write(
      {storage::Op::Delete(EntryKey(role, hmac)), storage::Op::Delete(IndexKey(role, accessor))});
}

Result<std::optional<std::string>> HmacForAccessor(storage::Backend* s, const std::string& role,
                                                   const std::string& accessor) {
  if (accessor.empty() || accessor.find('/') != std::string::npos) {
    return std::optional<std::string>();
  }
  ASSIGN_OR_RETURN(std::optional<std::string> raw, s->Get(IndexKey(role, accessor)));
  if (!raw) return std::optional<std::string>();
  ASSIGN_OR_RETURN(Json j, engines::ParseStoredJson(*raw, "approle accessor index"));
  if (!j.is_object() || !j.contains("secret_id_hmac") || !j["secret_id_hmac"].is_string()) {
    return Corruption("approle accessor index entry is malformed");
  }
  return std::optional<std::string>(j["secret_id_hmac"].get<std::string>());
}

}  // namespace coffer::auth::approle
