#include "engines/database_model.h"

#include <algorithm>
#include <cctype>

#include "common/duration.h"
#include "common/json_util.h"
#include "crypto/random.h"
#include "engines/stored_json.h"

namespace coffer::engines::database {
namespace {

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0f]);
    }
  }
  return out;
}

// A value in a libpq "key=value" string. `quoted`: the template already put
// it between single quotes.
std::string ConninfoValue(std::string_view s, bool quoted) {
  bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
  });
  if (plain) return std::string(s);
  std::string out = quoted ? "" : "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  if (!quoted) out.push_back('\'');
  return out;
}

Result<std::optional<int64_t>> DetailInt(const Json& details, const char* key) {
  return GetInt(details, key);
}

}  // namespace

Json DbConfig::ToStored() const {
  return Json{{"plugin_name", plugin_name},
              {"plugin_version", plugin_version},
              {"allowed_roles", allowed_roles},
              {"root_credentials_rotate_statements", root_rotation_statements},
              {"password_policy", password_policy},
              {"verify_connection", verify_connection},
              {"connection_details", connection_details}};
}

Result<DbConfig> DbConfig::FromStored(const Json& j) {
  if (!j.is_object()) return Corruption("stored database config is not an object");
  DbConfig c;
  c.plugin_name = j.value("plugin_name", "");
  c.plugin_version = j.value("plugin_version", "");
  c.allowed_roles = StoredStrings(j, "allowed_roles");
  c.root_rotation_statements = StoredStrings(j, "root_credentials_rotate_statements");
  c.password_policy = j.value("password_policy", "");
  c.verify_connection = j.value("verify_connection", true);
  auto it = j.find("connection_details");
  if (it != j.end() && it->is_object()) c.connection_details = *it;
  return c;
}

Json DbConfig::ToResponse() const {
  Json out = ToStored();
  out["connection_details"].erase("password");
  return out;
}

std::string DbConfig::Detail(const char* key) const {
  std::string out;
  auto it = connection_details.find(key);
  if (it != connection_details.end()) ScalarToString(*it, &out);
  return out;
}

Json DbRole::ToStored() const {
  return Json{{"db_name", db_name},
              {"creation_statements", creation_statements},
              {"revocation_statements", revocation_statements},
              {"rollback_statements", rollback_statements},
              {"renew_statements", renew_statements},
              {"default_ttl", default_ttl},
              {"max_ttl", max_ttl}};
}

Result<DbRole> DbRole::FromStored(const Json& j) {
  if (!j.is_object()) return Corruption("stored database role is not an object");
  DbRole r;
  r.db_name = j.value("db_name", "");
  r.creation_statements = StoredStrings(j, "creation_statements");
  r.revocation_statements = StoredStrings(j, "revocation_statements");
  r.rollback_statements = StoredStrings(j, "rollback_statements");
  r.renew_statements = StoredStrings(j, "renew_statements");
  r.default_ttl = j.value("default_ttl", int64_t{0});
  r.max_ttl = j.value("max_ttl", int64_t{0});
  return r;
}

Json DbRole::ToResponse() const {
  Json out = ToStored();
  out["credential_type"] = "password";
  return out;
}

Result<std::optional<DbConfig>> LoadConfig(storage::Backend& view, const std::string& name) {
  ASSIGN_OR_RETURN(auto raw, view.Get(kConfigPrefix + name));
  if (!raw.has_value()) return std::optional<DbConfig>();
  ASSIGN_OR_RETURN(Json j, ParseStoredJson(*raw, "database config"));
  ASSIGN_OR_RETURN(DbConfig c, DbConfig::FromStored(j));
  return std::optional<DbConfig>(std::move(c));
}

Status SaveConfig(storage::Backend& view, const std::string& name, const DbConfig& config) {
  return view.Put(kConfigPrefix + name, DumpJsonCompact(config.ToStored()));
}

Result<std::optional<DbRole>> LoadRole(storage::Backend& view, const std::string& name) {
  ASSIGN_OR_RETURN(auto raw, view.Get(kRolePrefix + name));
  if (!raw.has_value()) return std::optional<DbRole>();
  ASSIGN_OR_RETURN(Json j, ParseStoredJson(*raw, "database role"));
  ASSIGN_OR_RETURN(DbRole r, DbRole::FromStored(j));
  return std::optional<DbRole>(std::move(r));
}

Status SaveRole(storage::Backend& view, const std::string& name, const DbRole& role) {
  return view.Put(kRolePrefix + name, DumpJsonCompact(role.ToStored()));
}

Result<PgPoolOptions> PoolOptions(const DbConfig& config) {
  PgPoolOptions o;
  const Json& d = config.connection_details;
  ASSIGN_OR_RETURN(std::optional<int64_t> max_open, DetailInt(d, "max_open_connections"));
  ASSIGN_OR_RETURN(std::optional<int64_t> max_idle, DetailInt(d, "max_idle_connections"));
  ASSIGN_OR_RETURN(std::optional<int64_t> lifetime, GetDuration(d, "max_connection_lifetime"));
  ASSIGN_OR_RETURN(std::optional<bool> no_escape, GetBool(d, "disable_escaping"));
  o.max_open = max_open.value_or(0) > 0 ? static_cast<int>(std::min<int64_t>(*max_open, 1000)) : 4;
  int64_t idle = max_idle.value_or(0);
  o.max_idle = idle == 0 ? o.max_open : idle < 0 ? 0 : static_cast<int>(std::min<int64_t>(idle, o.max_open));
  o.max_lifetime_s = lifetime.value_or(0);

  const std::string url = config.Detail("connection_url");
  if (url.empty()) return InvalidArgument("connection_url cannot be empty");
  const bool is_url = url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
  const std::string user = config.Detail("username");
  const std::string pass = config.Detail("password");
  std::string out;
  for (size_t i = 0; i < url.size();) {
    std::string_view rest = std::string_view(url).substr(i);
    const std::string* value = nullptr;
    size_t len = 0;
    for (const auto& [key, v] : {std::pair<std::string_view, const std::string*>{"{{username}}", &user},
                                 {"{{name}}", &user},
                                 {"{{password}}", &pass}}) {
      if (rest.substr(0, key.size()) == key) {
        value = v;
        len = key.size();
      }
    }
    if (value == nullptr) {
      out.push_back(url[i++]);
      continue;
    }
    if (no_escape.value_or(false)) {
      out += *value;
    } else if (is_url) {
      out += PercentEncode(*value);
    } else {
      out += ConninfoValue(*value, i > 0 && url[i - 1] == '\'');
    }
    i += len;
  }
  o.conninfo = std::move(out);
  return o;
}

bool RoleAllowed(const std::vector<std::string>& allowed_roles, const std::string& role) {
  for (const std::string& pattern : allowed_roles) {
    if (pattern == "*" || pattern == role) return true;
    bool star_front = !pattern.empty() && pattern.front() == '*';
    bool star_back = pattern.size() > 1 && pattern.back() == '*';
    if (!star_front && !star_back) continue;
    std::string_view core(pattern);
    if (star_front) core.remove_prefix(1);
    if (star_back) core.remove_suffix(1);
    std::string_view r(role);
    if (star_front && star_back) {
      if (r.find(core) != std::string_view::npos) return true;
    } else if (star_front) {
      if (r.size() >= core.size() && r.substr(r.size() - core.size()) == core) return true;
    } else if (r.substr(0, core.size()) == core) {
      return true;
    }
  }
  return false;
}

Result<std::optional<std::vector<std::string>>> GetStatements(const Json& data, const char* key) {
  auto it = data.find(key);
  if (it == data.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) out.push_back(it->get<std::string>());
    return std::optional<std::vector<std::string>>(std::move(out));
  }
  if (it->is_array()) {
    for (const Json& v : *it) {
      if (!v.is_string()) {
        return InvalidArgument("error converting input for field \"" + std::string(key) +
                               "\": expected a list of strings");
      }
      if (!v.get<std::string>().empty()) out.push_back(v.get<std::string>());
    }
    return std::optional<std::vector<std::string>>(std::move(out));
  }
  return InvalidArgument("error converting input for field \"" + std::string(key) +
                         "\": expected a string or a list of strings");
}

std::string GenerateUsername(const std::string& display_name, const std::string& role,
                             int64_t unix_seconds) {
  std::string name = "v-" + display_name.substr(0, 8) + "-" + role.substr(0, 8) + "-" +
                     crypto::RandomBase62(20) + "-" + std::to_string(unix_seconds);
  if (name.size() > 63) name.resize(63);
  return name;
}

std::string GeneratePassword() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-";
  for (;;) {
    std::string p = crypto::RandomString(20, kAlphabet);
    auto has = [&p](auto pred) { return std::any_of(p.begin(), p.end(), pred); };
    if (has([](char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }) &&
        has([](char c) { return std::islower(static_cast<unsigned char>(c)) != 0; }) &&
        has([](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) &&
        has([](char c) { return c == '-'; })) {
      return p;
    }
  }
}

}  // namespace coffer::engines::database
