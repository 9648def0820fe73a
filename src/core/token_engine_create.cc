// The token engine's create handler: auth/token/create, create-orphan and
// create/:role_name, with the documented parameter rules.
#include <algorithm>
#include <optional>

#include "common/json_util.h"
#include "core/token_engine_util.h"
#include "core/token_ttl.h"

namespace coffer::core::tokenengine {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Go's fmt rendering of a []string: "[a b c]".
std::string GoList(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + v[i];
  return out + "]";
}

// "token" or "token-<name>", non [A-Za-z0-9-] characters replaced by '-',
// trailing '-' trimmed.
std::string DisplayName(const std::string& name) {
  if (name.empty()) return "token";
  std::string full = "token-" + name;
  for (char& c : full) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-';
    if (!ok) c = '-';
  }
  while (!full.empty() && full.back() == '-') full.pop_back();
  return full;
}

int64_t LeastSet(int64_t a, int64_t b) {
  if (a <= 0) return std::max<int64_t>(b, 0);
  if (b <= 0) return a;
  return std::min(a, b);
}

// Everything the request asks for, parsed and checked for shape.
struct CreateParams {
  std::string id;
  std::optional<std::vector<std::string>> policies;
  std::map<std::string, std::string> meta;
  bool no_parent = false;
  bool no_default_policy = false;
  bool renewable = true;
  int64_t ttl = 0;
  int64_t explicit_max_ttl = 0;
  int64_t period = 0;
  int64_t num_uses = 0;
  std::string display_name;
  std::string type;
};

Result<CreateParams> ParseParams(const Json& d) {
  CreateParams p;
  ASSIGN_OR_RETURN(auto id, GetString(d, "id"));
  if (id) p.id = *id;
  ASSIGN_OR_RETURN(auto policies, GetStringList(d, "policies"));
  if (policies) p.policies = NormalizePolicies(*policies);
  ASSIGN_OR_RETURN(auto meta, GetStringMap(d, "meta"));
  if (meta) p.meta = *meta;
  ASSIGN_OR_RETURN(auto no_parent, GetBool(d, "no_parent"));
  p.no_parent = no_parent.value_or(false);
  ASSIGN_OR_RETURN(auto no_default, GetBool(d, "no_default_policy"));
  p.no_default_policy = no_default.value_or(false);
  ASSIGN_OR_RETURN(auto renewable, GetBool(d, "renewable"));
  p.renewable = renewable.value_or(true);
  ASSIGN_OR_RETURN(auto ttl, GetDuration(d, "ttl"));
  if (!ttl) {
    ASSIGN_OR_RETURN(ttl, GetDuration(d, "lease"));
  }
  p.ttl = ttl.value_or(0);
  ASSIGN_OR_RETURN(auto max, GetDuration(d, "explicit_max_ttl"));
  p.explicit_max_ttl = max.value_or(0);
  ASSIGN_OR_RETURN(auto period, GetDuration(d, "period"));
  p.period = period.value_or(0);
  ASSIGN_OR_RETURN(auto uses, GetInt(d, "num_uses"));
  p.num_uses = uses.value_or(0);
  if (p.num_uses < 0) return InvalidArgument("number of uses cannot be negative");
  ASSIGN_OR_RETURN(auto name, GetString(d, "display_name"));
  if (name) p.display_name = *name;
  ASSIGN_OR_RETURN(auto type, GetString(d, "type"));
  if (type) p.type = *type;
  return p;
}

// "service" or "batch" from the request's type and the role's token_type.
Result<std::string> TokenType(const std::string& requested, const TokenRole* role) {
  std::string fallback = "service";
  if (role != nullptr) {
    if (role->token_type == "service" || role->token_type == "batch") return role->token_type;
    if (role->token_type == "default-batch") fallback = "batch";
  }
  if (requested.empty() || requested == "default") return fallback;
  if (requested == "service" || requested == "batch") return requested;
  return InvalidArgument("invalid 'token_type' value");
}

bool RoleAllows(const TokenRole& role, const std::string& p) {
  if (Contains(role.allowed_policies, p)) return true;
  for (const auto& g : role.allowed_policies_glob) {
    if (PolicyGlobMatch(g, p)) return true;
  }
  return false;
}

bool RoleDisallows(const TokenRole& role, const std::string& p) {
  if (Contains(role.disallowed_policies, p)) return true;
  for (const auto& g : role.disallowed_policies_glob) {
    if (PolicyGlobMatch(g, p)) return true;
  }
  return false;
}

// The new token's policies, before "default" is added.
Result<std::vector<std::string>> ChoosePolicies(const CreateParams& p, const TokenEntry& parent,
                                                const TokenRole* role, bool privileged) {
  std::vector<std::string> policies;
  const bool role_limits =
      role != nullptr && (!role->allowed_policies.empty() || !role->allowed_policies_glob.empty());
  if (role_limits) {
    policies = p.policies.value_or(role->allowed_policies);
    for (const auto& pol : policies) {
      if (pol != "default" && !RoleAllows(*role, pol)) {
        return InvalidArgument("token policies (" + GoList(policies) +
                               ") must be subset of the role's allowed policies (" +
                               GoList(role->allowed_policies) + ")");
      }
    }
  } else {
    policies = p.policies.value_or(parent.policies);
    if (!privileged) {
      for (const auto& pol : policies) {
        if (pol != "default" && !Contains(parent.policies, pol)) {
          return InvalidArgument("child policies must be subset of parent");
        }
      }
    }
  }
  for (const auto& pol : policies) {
    if (pol == "response-wrapping" || pol == "control-group") {
      return InvalidArgument("cannot assign policy \"" + pol + "\"");
    }
    if (role != nullptr && RoleDisallows(*role, pol)) {
      return InvalidArgument("token policy \"" + pol + "\" is disallowed by this role");
    }
  }
  if (Contains(policies, "root") && !parent.IsRoot()) {
    return InvalidArgument("root tokens may not be created without parent token being root");
  }
  return policies;
}

}  // namespace

Result<Response> HandleCreate(TokenStore& tokens, const EngineRequest& req,
                              const framework::Params& params, CreateMode mode) {
  if (req.caller == nullptr) return PermissionDenied();
  const Caller& caller = *req.caller;
  const bool privileged = Privileged(caller);

  ASSIGN_OR_RETURN(auto parent, tokens.LookupSelf(caller.token_id));
  if (!parent.has_value()) return InvalidArgument("parent token lookup failed: no parent found");
  if (parent->IsBatch()) return InvalidArgument("batch tokens cannot create more tokens");
  if (parent->num_uses != 0 || parent->spent) {
    return InvalidArgument("restricted use token cannot generate child tokens");
  }

  std::optional<TokenRole> role;
  std::string role_name;
  if (mode == CreateMode::kRole) {
    role_name = params.at("role_name");
    ASSIGN_OR_RETURN(role, tokens.GetRole(role_name));
    if (!role.has_value()) return InvalidArgument("unknown role " + role_name);
  }
  const TokenRole* r = role ? &*role : nullptr;

  ASSIGN_OR_RETURN(CreateParams p, ParseParams(req.data));
  if (!p.id.empty()) {
    if (!privileged) return InvalidArgument("root or sudo privileges required to specify token id");
    if (p.id.find('.') != std::string::npos) {
      return InvalidArgument("token IDs cannot contain a '.' character");
    }
  }
  if (p.no_parent && !privileged) {
    return InvalidArgument("root or sudo privileges required to create orphan token");
  }
  if (p.period > 0 && !privileged) {
    return InvalidArgument("root or sudo privileges required to create periodic token");
  }
  const bool orphan = mode == CreateMode::kOrphan || p.no_parent || (r != nullptr && r->orphan);
  const bool no_default = p.no_default_policy || (r != nullptr && r->no_default_policy);

  ASSIGN_OR_RETURN(std::vector<std::string> policies,
                   ChoosePolicies(p, *parent, r, privileged));
  if (no_default) std::erase(policies, "default");
  const bool add_default = !no_default && !Contains(policies, "root") &&
                           (privileged || Contains(parent->policies, "default"));
  if (add_default) policies.push_back("default");
  policies = NormalizePolicies(std::move(policies));

  ASSIGN_OR_RETURN(std::string type, TokenType(p.type, r));
  const int64_t period = LeastSet(p.period, r ? r->period : 0);
  const int64_t explicit_max = LeastSet(p.explicit_max_ttl, r ? r->explicit_max_ttl : 0);
  int64_t num_uses = p.num_uses;
  if (r != nullptr && r->num_uses > 0 && (num_uses == 0 || num_uses > r->num_uses)) {
    num_uses = r->num_uses;
  }
  if (type == "batch") {
    if (Contains(policies, "root")) return InvalidArgument("batch tokens cannot be root tokens");
    if (explicit_max > 0) return InvalidArgument("batch tokens cannot have \"explicit_max_ttl\" set");
    if (num_uses > 0) return InvalidArgument("batch tokens cannot have \"num_uses\" set");
    if (period > 0) return InvalidArgument("batch tokens cannot have \"period\" set");
    if (!p.id.empty()) return InvalidArgument("batch tokens cannot have a custom ID");
  }

  Response resp;
  int64_t ttl = 0;
  if (Contains(policies, "root") && p.ttl == 0 && period == 0 && explicit_max == 0) {
    // A root token without a TTL never expires; only a non-expiring parent
    // may make one.
    if (parent->ExpireTime() != 0) {
      return InvalidArgument("expiring root tokens cannot create non-expiring root tokens");
    }
  } else {
    TtlDecision d = InitialTtl(TtlInputs{.requested_ttl = p.ttl,
                                         .explicit_max_ttl = explicit_max,
                                         .period = period,
                                         .mount_default_ttl = req.system.default_lease_ttl,
                                         .mount_max_ttl = req.system.max_lease_ttl});
    ttl = d.ttl;
    if (!d.warning.empty()) resp.warnings.push_back(d.warning);
  }

  TokenEntry e;
  e.id = p.id;
  e.policies = policies;
  const std::string mount_path = req.mount != nullptr ? req.mount->path : "auth/token/";
  e.path = mount_path + (mode == CreateMode::kRole ? "create/" + role_name
                         : mode == CreateMode::kOrphan ? "create-orphan"
                                                        : "create");
  if (r != nullptr && !r->path_suffix.empty()) e.path += "/" + r->path_suffix;
  e.display_name = DisplayName(p.display_name);
  e.meta = p.meta;
  e.role = role_name;
  e.type = type;
  e.ttl = ttl;
  e.explicit_max_ttl = explicit_max;
  e.period = period;
  e.num_uses = num_uses;
  e.renewable = p.renewable && (r == nullptr || r->renewable) && type == "service" && ttl > 0;
  if (r != nullptr) e.bound_cidrs = r->bound_cidrs;
  if (!orphan) {
    e.parent = parent->hash;
    e.entity_id = parent->entity_id;
    if (e.bound_cidrs.empty()) e.bound_cidrs = parent->bound_cidrs;
  }
  ASSIGN_OR_RETURN(TokenEntry made, tokens.Create(std::move(e)));
  resp.auth = AuthFor(made);
  return resp;
}

}  // namespace coffer::core::tokenengine
