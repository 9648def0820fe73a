#include "auth/token_fields.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "auth/cidr.h"
#include "common/json_util.h"

namespace coffer::auth {
namespace {

constexpr const char* kTokenTypes[] = {"default", "service", "batch", "default-service",
                                       "default-batch"};

std::vector<std::string> SanitizePolicies(std::vector<std::string> in) {
  for (std::string& p : in) {
    std::transform(p.begin(), p.end(), p.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  std::sort(in.begin(), in.end());
  in.erase(std::unique(in.begin(), in.end()), in.end());
  return in;
}

// The value of `key`, else of `alias` when the alias is allowed.
template <typename T, typename Getter>
Result<std::optional<T>> GetEither(const Json& data, const char* key, const char* alias,
                                   bool alias_allowed, Getter get) {
  ASSIGN_OR_RETURN(std::optional<T> v, get(data, key));
  if (v || !alias_allowed) return v;
  return get(data, alias);
}

bool IsBatch(const std::string& type) { return type == "batch" || type == "default-batch"; }

}  // namespace

Json TokenFields::ToStored() const {
  return Json{{"token_ttl", ttl},
              {"token_max_ttl", max_ttl},
              {"token_explicit_max_ttl", explicit_max_ttl},
              {"token_period", period},
              {"token_num_uses", num_uses},
              {"token_policies", policies},
              {"token_bound_cidrs", bound_cidrs},
              {"token_no_default_policy", no_default_policy},
              {"token_type", type}};
}

Result<TokenFields> TokenFields::FromStored(const Json& j) {
  TokenFields f;
  try {
    f.ttl = j.at("token_ttl").get<int64_t>();
    f.max_ttl = j.at("token_max_ttl").get<int64_t>();
    f.explicit_max_ttl = j.at("token_explicit_max_ttl").get<int64_t>();
    f.period = j.at("token_period").get<int64_t>();
    f.num_uses = j.at("token_num_uses").get<int64_t>();
    f.policies = j.at("token_policies").get<std::vector<std::string>>();
    f.bound_cidrs = j.at("token_bound_cidrs").get<std::vector<std::string>>();
    f.no_default_policy = j.at("token_no_default_policy").get<bool>();
    f.type = j.at("token_type").get<std::string>();
  } catch (const Json::exception& e) {
    return Corruption(std::string("stored token fields: ") + e.what());
  }
  return f;
}

Result<TokenFields> ParseTokenFields(const Json& data, TokenFields f,
                                     const LegacyTokenKeys& legacy) {
  using Strings = std::vector<std::string>;
  ASSIGN_OR_RETURN(auto ttl, GetEither<int64_t>(data, "token_ttl", "ttl", legacy.ttl, GetDuration));
  ASSIGN_OR_RETURN(auto max_ttl,
                   GetEither<int64_t>(data, "token_max_ttl", "max_ttl", legacy.ttl, GetDuration));
  ASSIGN_OR_RETURN(auto period,
                   GetEither<int64_t>(data, "token_period", "period", legacy.period, GetDuration));
  ASSIGN_OR_RETURN(auto policies,
                   GetEither<Strings>(data, "token_policies", "policies", true, GetStringList));
  ASSIGN_OR_RETURN(auto cidrs, GetEither<Strings>(data, "token_bound_cidrs", "bound_cidrs",
                                                  legacy.bound_cidrs, GetStringList));
  ASSIGN_OR_RETURN(auto explicit_max, GetDuration(data, "token_explicit_max_ttl"));
  ASSIGN_OR_RETURN(auto num_uses, GetInt(data, "token_num_uses"));
  ASSIGN_OR_RETURN(auto no_default, GetBool(data, "token_no_default_policy"));
  ASSIGN_OR_RETURN(auto type, GetString(data, "token_type"));

  if (ttl) f.ttl = *ttl;
  if (max_ttl) f.max_ttl = *max_ttl;
  if (period) f.period = *period;
  if (policies) f.policies = SanitizePolicies(std::move(*policies));
  if (cidrs) {
    RETURN_IF_ERROR(ValidateCidrList(*cidrs, "token_bound_cidrs"));
    f.bound_cidrs = std::move(*cidrs);
  }
  if (explicit_max) f.explicit_max_ttl = *explicit_max;
  if (num_uses) {
    if (*num_uses < 0) return InvalidArgument("token_num_uses cannot be negative");
    f.num_uses = *num_uses;
  }
  if (no_default) f.no_default_policy = *no_default;
  if (type) {
    if (std::find(std::begin(kTokenTypes), std::end(kTokenTypes), *type) == std::end(kTokenTypes)) {
      return InvalidArgument("invalid 'token_type' value \"" + type->substr(0, 32) + "\"");
    }
    f.type = *type;
  }
  if (f.max_ttl > 0 && f.ttl > f.max_ttl) {
    return InvalidArgument("token_ttl cannot be greater than token_max_ttl");
  }
  if (IsBatch(f.type) && f.period > 0) {
    return InvalidArgument("batch tokens cannot be periodic: token_period must be 0");
  }
  return f;
}

Json TokenFieldsToJson(const TokenFields& f, const LegacyTokenKeys& legacy) {
  Json out = f.ToStored();
  if (!f.policies.empty()) out["policies"] = f.policies;
  if (legacy.ttl && f.ttl > 0) out["ttl"] = f.ttl;
  if (legacy.ttl && f.max_ttl > 0) out["max_ttl"] = f.max_ttl;
  if (legacy.period && f.period > 0) out["period"] = f.period;
  if (legacy.bound_cidrs && !f.bound_cidrs.empty()) out["bound_cidrs"] = f.bound_cidrs;
  return out;
}

void FillAuth(const TokenFields& f, AuthInfo* auth, const SystemView* system) {
  std::vector<std::string> policies = f.policies;
  if (!f.no_default_policy) policies.push_back("default");
  policies = SanitizePolicies(std::move(policies));
  auth->policies = policies;
  auth->token_policies = policies;

  int64_t ttl = f.ttl;
  if (ttl == 0 && system != nullptr) ttl = system->default_lease_ttl;
  int64_t cap = f.max_ttl;
  if (system != nullptr && system->max_lease_ttl > 0 && (cap == 0 || system->max_lease_ttl < cap)) {
    cap = system->max_lease_ttl;
  }
  if (f.explicit_max_ttl > 0 && (cap == 0 || f.explicit_max_ttl < cap)) cap = f.explicit_max_ttl;
  if (f.period > 0) {
    // A periodic token lives one period at a time; only an explicit max caps it.
    ttl = f.period;
    cap = f.explicit_max_ttl;
  }
  if (cap > 0 && (ttl == 0 || ttl > cap)) ttl = cap;
  auth->lease_duration = ttl;

  auth->explicit_max_ttl = f.explicit_max_ttl;
  auth->period = f.period;
  auth->num_uses = f.num_uses;
  auth->no_default_policy = f.no_default_policy;
  auth->bound_cidrs = f.bound_cidrs;
  // "default" leaves the choice to the mount's token_type (tunable on
  // sys/auth/<path>/tune); the token store resolves it.
  auth->token_type = IsBatch(f.type)                                      ? "batch"
                     : (f.type == "service" || f.type == "default-service") ? "service"
                                                                            : "default";
  auth->renewable = !IsBatch(f.type);
  auth->orphan = true;
}

}  // namespace coffer::auth
