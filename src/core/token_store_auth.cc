// TokenStore::CreateForAuth: minting the token of a login.
#include <algorithm>

#include "common/json_util.h"
#include "core/token_store.h"
#include "core/token_ttl.h"

namespace coffer::core {
namespace {

// "auth/userpass/" -> "userpass", "auth/corp/ldap/" -> "corp-ldap".
std::string MountDisplayPrefix(const MountEntry& mount) {
  std::string p = mount.path;
  if (p.starts_with("auth/")) p = p.substr(5);
  std::replace(p.begin(), p.end(), '/', '-');
  while (!p.empty() && p.back() == '-') p.pop_back();
  return p.empty() ? mount.type : p;
}

Result<std::string> TokenTypeOf(const std::string& requested) {
  if (requested.empty() || requested == "service" || requested == "default" ||
      requested == "default-service") {
    return std::string("service");
  }
  if (requested == "batch" || requested == "default-batch") return std::string("batch");
  return InvalidArgument("invalid 'token_type' value");
}

}  // namespace

Result<AuthInfo> TokenStore::CreateForAuth(const AuthInfo& req, const MountEntry& mount,
                                           const SystemView& system,
                                           const std::string& creation_path) {
  std::vector<std::string> policies = req.policies;
  if (!req.no_default_policy) policies.push_back("default");
  policies = NormalizePolicies(std::move(policies));
  if (std::find(policies.begin(), policies.end(), "root") != policies.end()) {
    return InvalidArgument("auth methods cannot create root tokens");
  }
  std::string requested_type = req.token_type;
  if (requested_type.empty() || requested_type == "default") {
    // The mount decides: default-service / default-batch, or a forced type.
    auto t = mount.extra_config.find("token_type");
    if (t != mount.extra_config.end() && t->is_string()) requested_type = t->get<std::string>();
  }
  ASSIGN_OR_RETURN(std::string type, TokenTypeOf(requested_type));
  if (req.num_uses < 0) return InvalidArgument("number of uses cannot be negative");
  if (type == "batch") {
    if (req.explicit_max_ttl > 0) {
      return InvalidArgument("batch tokens cannot have \"explicit_max_ttl\" set");
    }
    if (req.period > 0) return InvalidArgument("batch tokens cannot have \"period\" set");
    if (req.num_uses > 0) return InvalidArgument("batch tokens cannot have \"num_uses\" set");
  }

  TtlDecision ttl = InitialTtl(TtlInputs{.requested_ttl = req.lease_duration,
                                         .explicit_max_ttl = req.explicit_max_ttl,
                                         .period = req.period,
                                         .mount_default_ttl = system.default_lease_ttl,
                                         .mount_max_ttl = system.max_lease_ttl});

  TokenEntry e;
  e.policies = policies;
  e.path = creation_path;
  e.display_name = MountDisplayPrefix(mount);
  if (!req.display_name.empty()) e.display_name += "-" + req.display_name;
  if (req.metadata.is_object()) {
    for (const auto& [k, v] : req.metadata.items()) {
      std::string s;
      if (ScalarToString(v, &s)) e.meta[k] = s;
    }
  }
  e.entity_id = req.entity_id;
  e.bound_cidrs = req.bound_cidrs;
  e.type = type;
  e.ttl = ttl.ttl;
  e.explicit_max_ttl = req.explicit_max_ttl;
  e.period = req.period;
  e.num_uses = req.num_uses;
  e.renewable = req.renewable && type == "service" && ttl.ttl > 0;
  ASSIGN_OR_RETURN(TokenEntry made, Create(std::move(e)));

  AuthInfo out = req;
  out.client_token = made.id;
  out.accessor = made.accessor;
  out.policies = made.policies;
  out.token_policies = made.policies;
  out.metadata = made.meta.empty() ? Json(nullptr) : Json(made.meta);
  out.lease_duration = made.ttl;
  out.renewable = made.renewable;
  out.token_type = made.type;
  out.orphan = true;
  out.display_name = made.display_name;
  return out;
}

}  // namespace coffer::core
