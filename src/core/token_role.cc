#include "core/token_role.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "auth/cidr.h"
#include "common/json_util.h"

namespace coffer::core {
namespace {

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool ValidSuffix(const std::string& s) {
  if (s.find("..") != std::string::npos) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
  });
}

bool ValidRoleType(const std::string& t) {
  return t == "service" || t == "batch" || t == "default-service" || t == "default-batch";
}

// Reads a list field under its new name, else its legacy name.
Result<std::optional<std::vector<std::string>>> ListField(const Json& data, std::string_view key,
                                                          std::string_view legacy = {}) {
  ASSIGN_OR_RETURN(auto v, GetStringList(data, key));
  if (!v.has_value() && !legacy.empty()) {
    ASSIGN_OR_RETURN(v, GetStringList(data, legacy));
  }
  return v;
}

Result<std::optional<int64_t>> DurationField(const Json& data, std::string_view key,
                                             std::string_view legacy) {
  ASSIGN_OR_RETURN(auto v, GetDuration(data, key));
  if (!v.has_value()) {
    ASSIGN_OR_RETURN(v, GetDuration(data, legacy));
  }
  return v;
}

}  // namespace

std::vector<std::string> NormalizePolicies(std::vector<std::string> policies) {
  std::vector<std::string> out;
  for (std::string& p : policies) {
    std::string t = Trim(std::move(p));
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!t.empty()) out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool PolicyGlobMatch(const std::string& pattern, const std::string& policy) {
  // Iterative wildcard match with single-star backtracking: linear-ish, no
  // recursion on client-supplied patterns.
  size_t p = 0, s = 0, star = std::string::npos, mark = 0;
  while (s < policy.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.size() && pattern[p] == policy[s]) {
      ++p;
      ++s;
    } else if (star != std::string::npos) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Json TokenRole::ToStored() const {
  return Json{{"name", name},
              {"allowed_policies", allowed_policies},
              {"disallowed_policies", disallowed_policies},
              {"allowed_policies_glob", allowed_policies_glob},
              {"disallowed_policies_glob", disallowed_policies_glob},
              {"allowed_entity_aliases", allowed_entity_aliases},
              {"bound_cidrs", bound_cidrs},
              {"path_suffix", path_suffix},
              {"token_type", token_type},
              {"period", period},
              {"explicit_max_ttl", explicit_max_ttl},
              {"num_uses", num_uses},
              {"orphan", orphan},
              {"renewable", renewable},
              {"no_default_policy", no_default_policy}};
}

Result<TokenRole> TokenRole::FromStored(const Json& j) {
  try {
    TokenRole r;
    r.name = j.at("name").get<std::string>();
    r.allowed_policies = j.at("allowed_policies").get<std::vector<std::string>>();
    r.disallowed_policies = j.at("disallowed_policies").get<std::vector<std::string>>();
    r.allowed_policies_glob = j.at("allowed_policies_glob").get<std::vector<std::string>>();
    r.disallowed_policies_glob = j.at("disallowed_policies_glob").get<std::vector<std::string>>();
    r.allowed_entity_aliases = j.at("allowed_entity_aliases").get<std::vector<std::string>>();
    r.bound_cidrs = j.at("bound_cidrs").get<std::vector<std::string>>();
    r.path_suffix = j.at("path_suffix").get<std::string>();
    r.token_type = j.at("token_type").get<std::string>();
    r.period = j.at("period").get<int64_t>();
    r.explicit_max_ttl = j.at("explicit_max_ttl").get<int64_t>();
    r.num_uses = j.at("num_uses").get<int64_t>();
    r.orphan = j.at("orphan").get<bool>();
    r.renewable = j.at("renewable").get<bool>();
    r.no_default_policy = j.at("no_default_policy").get<bool>();
    if (!ValidRoleType(r.token_type)) return Corruption("token role has an unknown token_type");
    return r;
  } catch (const Json::exception& ex) {
    return Corruption(std::string("token role is unreadable: ") + ex.what());
  }
}

Result<TokenRole> ApplyRoleFields(const Json& data, TokenRole r) {
  ASSIGN_OR_RETURN(auto allowed, ListField(data, "allowed_policies"));
  if (allowed) r.allowed_policies = NormalizePolicies(*allowed);
  ASSIGN_OR_RETURN(auto disallowed, ListField(data, "disallowed_policies"));
  if (disallowed) r.disallowed_policies = NormalizePolicies(*disallowed);
  ASSIGN_OR_RETURN(auto allowed_glob, ListField(data, "allowed_policies_glob"));
  if (allowed_glob) r.allowed_policies_glob = NormalizePolicies(*allowed_glob);
  ASSIGN_OR_RETURN(auto disallowed_glob, ListField(data, "disallowed_policies_glob"));
  if (disallowed_glob) r.disallowed_policies_glob = NormalizePolicies(*disallowed_glob);
  ASSIGN_OR_RETURN(auto aliases, ListField(data, "allowed_entity_aliases"));
  if (aliases) r.allowed_entity_aliases = *aliases;
  ASSIGN_OR_RETURN(auto cidrs, ListField(data, "token_bound_cidrs", "bound_cidrs"));
  if (cidrs) {
    RETURN_IF_ERROR(auth::ValidateCidrList(*cidrs, "token_bound_cidrs"));
    r.bound_cidrs = *cidrs;
  }
  ASSIGN_OR_RETURN(auto suffix, GetString(data, "path_suffix"));
  if (suffix) {
    if (!ValidSuffix(*suffix)) return InvalidArgument("path_suffix contains invalid characters");
    r.path_suffix = *suffix;
  }
  ASSIGN_OR_RETURN(auto type, GetString(data, "token_type"));
  if (type) {
    std::string t = *type == "default" || type->empty() ? "default-service" : *type;
    if (!ValidRoleType(t)) return InvalidArgument("invalid 'token_type' value");
    r.token_type = t;
  }
  ASSIGN_OR_RETURN(auto period, DurationField(data, "token_period", "period"));
  if (period) r.period = *period;
  ASSIGN_OR_RETURN(auto max, DurationField(data, "token_explicit_max_ttl", "explicit_max_ttl"));
  if (max) r.explicit_max_ttl = *max;
  ASSIGN_OR_RETURN(auto uses, GetInt(data, "token_num_uses"));
  if (uses) {
    if (*uses < 0) return InvalidArgument("token_num_uses cannot be negative");
    r.num_uses = *uses;
  }
  ASSIGN_OR_RETURN(auto orphan, GetBool(data, "orphan"));
  if (orphan) r.orphan = *orphan;
  ASSIGN_OR_RETURN(auto renewable, GetBool(data, "renewable"));
  if (renewable) r.renewable = *renewable;
  ASSIGN_OR_RETURN(auto no_default, GetBool(data, "token_no_default_policy"));
  if (no_default) r.no_default_policy = *no_default;

  if (r.token_type == "batch") {
    if (!r.orphan) return InvalidArgument("orphan must be set for roles issuing batch tokens");
    if (r.renewable) return InvalidArgument("renewable must be false for roles issuing batch tokens");
    if (r.period > 0) return InvalidArgument("batch tokens cannot be periodic");
    if (r.explicit_max_ttl > 0) {
      return InvalidArgument("batch tokens cannot have an explicit max TTL set");
    }
  }
  return r;
}

Json RoleToJson(const TokenRole& r) {
  Json out{{"name", r.name},
           {"allowed_policies", r.allowed_policies},
           {"disallowed_policies", r.disallowed_policies},
           {"allowed_policies_glob", r.allowed_policies_glob},
           {"disallowed_policies_glob", r.disallowed_policies_glob},
           {"allowed_entity_aliases", r.allowed_entity_aliases},
           {"orphan", r.orphan},
           {"renewable", r.renewable},
           {"path_suffix", r.path_suffix},
           {"token_type", r.token_type},
           {"period", r.period},
           {"token_period", r.period},
           {"explicit_max_ttl", r.explicit_max_ttl},
           {"token_explicit_max_ttl", r.explicit_max_ttl},
           {"token_num_uses", r.num_uses},
           {"token_no_default_policy", r.no_default_policy},
           {"token_bound_cidrs", r.bound_cidrs}};
  if (!r.bound_cidrs.empty()) out["bound_cidrs"] = r.bound_cidrs;
  return out;
}

}  // namespace coffer::core
