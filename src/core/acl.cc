#include "core/acl.h"

#include "common/path_segments.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>
#include <utility>

#include "common/json_util.h"

namespace coffer::core {
namespace {

constexpr size_t kExact = std::string::npos;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}


// `item` may start and/or end with '*': "*" matches anything, "*x*"
// contains, "*x" suffix, "x*" prefix; otherwise equality.
bool GlobMatch(std::string_view item, std::string_view value) {
  if (item.empty()) return value.empty();
  if (item == "*") return true;
  bool lead = item.front() == '*';
  bool trail = item.back() == '*';
  if (lead && trail) return value.find(item.substr(1, item.size() - 2)) != std::string_view::npos;
  if (lead) return value.ends_with(item.substr(1));
  if (trail) return value.starts_with(item.substr(0, item.size() - 1));
  return item == value;
}

bool ScalarMatches(const Json& value, const Json& item) {
  if (value.is_null() || item.is_null()) return value.is_null() && item.is_null();
  std::string value_text;
  std::string item_text;
  if (!ScalarToString(value, &value_text) || !ScalarToString(item, &item_text)) return false;
  if (item.is_string()) return GlobMatch(item_text, value_text);
  return item_text == value_text;
}

bool InList(const Json& value, const std::vector<Json>& list) {
  return std::any_of(list.begin(), list.end(),
                     [&](const Json& item) { return ScalarMatches(value, item); });
}

// Allowed: an empty list allows any value; a list value needs every element
// allowed.
bool ValueAllowed(const Json& value, const std::vector<Json>& list) {
  if (list.empty()) return true;
  if (value.is_array()) {
    return std::all_of(value.begin(), value.end(), [&](const Json& v) { return InList(v, list); });
  }
  return InList(value, list);
}

// Denied: an empty list denies any value; a list value is denied when any
// element is.
bool ValueDenied(const Json& value, const std::vector<Json>& list) {
  if (list.empty()) return true;
  if (value.is_array()) {
    return std::any_of(value.begin(), value.end(), [&](const Json& v) { return InList(v, list); });
  }
  return InList(value, list);
}

bool IsNameGlob(const std::string& key) {
  return key.size() > 1 && (key.front() == '*' || key.back() == '*');
}

// Parameter checks for read/create/update/patch; "" when allowed, else the
// reason (names only, never values).
std::string CheckParameters(const PathRule& perms, const Json& data) {
  std::vector<std::pair<std::string, const Json*>> params;
  if (data.is_object()) {
    for (const auto& [key, value] : data.items()) params.emplace_back(Lower(key), &value);
  }
  for (const std::string& required : perms.required_parameters) {
    bool present = std::any_of(params.begin(), params.end(),
                               [&](const auto& p) { return p.first == required; });
    if (!present) return "missing required parameter \"" + required + "\"";
  }
  if (params.empty()) return "";

  if (!perms.denied_parameters.empty()) {
    if (perms.denied_parameters.count("*")) return "all parameters are denied";
    for (const auto& [name, value] : params) {
      for (const auto& [key, list] : perms.denied_parameters) {
        bool applies = key == name || (IsNameGlob(key) && GlobMatch(key, name));
        if (applies && ValueDenied(*value, list)) return "parameter \"" + name + "\" is denied";
      }
    }
  }

  if (perms.allowed_parameters.empty()) return "";
  bool allow_all = perms.allowed_parameters.count("*") > 0;
  for (const auto& [name, value] : params) {
    auto exact = perms.allowed_parameters.find(name);
    if (exact != perms.allowed_parameters.end()) {
      if (!ValueAllowed(*value, exact->second)) return "value of \"" + name + "\" is not allowed";
      continue;
    }
    bool named_by_glob = false;
    bool ok = false;
    for (const auto& [key, list] : perms.allowed_parameters) {
      if (!IsNameGlob(key) || !GlobMatch(key, name)) continue;
      named_by_glob = true;
      if (ValueAllowed(*value, list)) {
        ok = true;
        break;
      }
    }
    if (ok || (!named_by_glob && allow_all)) continue;
    if (named_by_glob) return "value of \"" + name + "\" is not allowed";
    return "parameter \"" + name + "\" is not allowed";
  }
  return "";
}

// Folds `add` into `into` (same pattern, another policy).
void Merge(PathRule& into, const PathRule& add) {
  if (into.capabilities & kCapDeny) return;
  if (add.capabilities & kCapDeny) {
    into = PathRule{};
    into.pattern = add.pattern;
    into.capabilities = kCapDeny;
    return;
  }
  into.capabilities |= add.capabilities;
  if (add.min_wrapping_ttl > 0 &&
      (into.min_wrapping_ttl == 0 || add.min_wrapping_ttl < into.min_wrapping_ttl)) {
    into.min_wrapping_ttl = add.min_wrapping_ttl;
  }
  if (add.max_wrapping_ttl > into.max_wrapping_ttl) into.max_wrapping_ttl = add.max_wrapping_ttl;
  // Key by key: an empty list (any value) absorbs values; otherwise the
  // value lists are concatenated. A policy without constraints does not lift
  // another's constraints on the same pattern (Vault behaves the same way).
  auto merge_map = [](ParameterMap& dst, const ParameterMap& src) {
    for (const auto& [key, values] : src) {
      auto it = dst.find(key);
      if (it == dst.end()) {
        dst.emplace(key, values);
      } else if (it->second.empty() || values.empty()) {
        it->second.clear();
      } else {
        it->second.insert(it->second.end(), values.begin(), values.end());
      }
    }
  };
  merge_map(into.allowed_parameters, add.allowed_parameters);
  merge_map(into.denied_parameters, add.denied_parameters);
  for (const std::string& r : add.required_parameters) {
    if (std::find(into.required_parameters.begin(), into.required_parameters.end(), r) ==
        into.required_parameters.end()) {
      into.required_parameters.push_back(r);
    }
  }
}

bool Matches(const Acl::Rule& rule, const std::string& path) {
  if (rule.plus_count == 0) return path.starts_with(rule.base);  // glob only
  std::vector<std::string_view> parts = SplitPathSegments(path);
  const auto& segs = rule.segments;
  if (parts.size() < segs.size() || (!rule.glob && parts.size() != segs.size())) return false;
  for (size_t i = 0; i < segs.size(); ++i) {
    bool last = i + 1 == segs.size();
    if (segs[i] == "+") {
      if (parts[i].empty()) return false;
    } else if (last && rule.glob) {
      if (!parts[i].starts_with(segs[i])) return false;
    } else if (parts[i] != segs[i]) {
      return false;
    }
  }
  return true;
}

// True when a has higher priority than b (see acl.h).
bool Higher(const Acl::Rule* a, const Acl::Rule* b) {
  if (a->first_wildcard != b->first_wildcard) return a->first_wildcard > b->first_wildcard;
  if (a->glob != b->glob) return !a->glob;
  if (a->plus_count != b->plus_count) return a->plus_count < b->plus_count;
  if (a->base.size() != b->base.size()) return a->base.size() > b->base.size();
  return a->pattern > b->pattern;
}

const Acl::Rule* Best(const std::vector<const Acl::Rule*>& rules) {
  const Acl::Rule* best = nullptr;
  for (const Acl::Rule* r : rules) {
    if (best == nullptr || Higher(r, best)) best = r;
  }
  return best;
}

uint32_t CapabilityFor(Operation op) {
  switch (op) {
    case Operation::kRead:
    case Operation::kHead:
      return kCapRead;
    case Operation::kList:
      return kCapList;
    case Operation::kCreate:
      return kCapCreate;
    case Operation::kUpdate:
      return kCapUpdate;
    case Operation::kPatch:
      return kCapPatch;
    case Operation::kDelete:
      return kCapDelete;
  }
  return 0;
}

Acl::Rule MakeRule(PathRule perms) {
  Acl::Rule r;
  r.pattern = perms.pattern;
  r.glob = !r.pattern.empty() && r.pattern.back() == '*';
  r.base = r.glob ? r.pattern.substr(0, r.pattern.size() - 1) : r.pattern;
  r.first_wildcard = r.glob ? r.base.size() : kExact;
  size_t offset = 0;
  std::vector<std::string_view> segs = SplitPathSegments(r.base);
  for (std::string_view seg : segs) {
    if (seg == "+") {
      if (r.plus_count == 0) r.first_wildcard = std::min(r.first_wildcard, offset);
      ++r.plus_count;
    }
    offset += seg.size() + 1;
  }
  if (r.plus_count > 0) r.segments.assign(segs.begin(), segs.end());
  r.perms = std::move(perms);
  return r;
}

}  // namespace

Result<std::shared_ptr<const Acl>> Acl::Compile(const std::vector<Policy>& policies) {
  std::shared_ptr<Acl> acl(new Acl());
  std::map<std::string, PathRule> merged;
  for (const Policy& policy : policies) {
    if (policy.name == "root") {
      acl->root_ = true;
      continue;
    }
    for (const PathRule& rule : policy.paths) {
      if (rule.pattern.find("{{") != std::string::npos) continue;  // identity template
      auto [it, inserted] = merged.try_emplace(rule.pattern, rule);
      if (!inserted) Merge(it->second, rule);
    }
  }
  if (acl->root_) return std::shared_ptr<const Acl>(std::move(acl));
  for (auto& [pattern, perms] : merged) {
    Rule rule = MakeRule(std::move(perms));
    if (rule.first_wildcard == kExact) {
      acl->exact_.emplace(pattern, std::move(rule));
    } else {
      acl->wildcard_.push_back(std::move(rule));
    }
  }
  return std::shared_ptr<const Acl>(std::move(acl));
}

void Acl::Candidates(const std::string& path, std::vector<const Rule*>* out) const {
  auto it = exact_.find(path);
  if (it != exact_.end()) out->push_back(&it->second);
  for (const Rule& rule : wildcard_) {
    if (Matches(rule, path)) out->push_back(&rule);
  }
}

const Acl::Rule* Acl::Lookup(const std::string& path) const {
  std::vector<const Rule*> candidates;
  Candidates(path, &candidates);
  return Best(candidates);
}

const Acl::Rule* Acl::LookupForList(const std::string& path) const {
  std::vector<const Rule*> candidates;
  Candidates(path, &candidates);
  if (path.ends_with('/')) Candidates(path.substr(0, path.size() - 1), &candidates);
  std::vector<const Rule*> listers;
  std::vector<const Rule*> deniers;
  for (const Rule* r : candidates) {
    if (r->perms.capabilities & kCapDeny) {
      deniers.push_back(r);
    } else if (r->perms.capabilities & kCapList) {
      listers.push_back(r);
    }
  }
  const Rule* lister = Best(listers);
  const Rule* denier = Best(deniers);
  if (denier != nullptr && (lister == nullptr || !Higher(lister, denier))) return denier;
  if (lister != nullptr) return lister;
  return Best(candidates);
}

AclDecision Acl::Check(Operation op, const std::string& path, const Json& data) const {
  AclDecision d;
  if (root_) {
    d.allowed = d.sudo = d.root = true;
    d.reason = "root policy";
    return d;
  }
  const Rule* rule = nullptr;
  if (op == Operation::kList) {
    rule = LookupForList(path.ends_with('/') ? path : path + "/");
  } else {
    rule = Lookup(path);
  }
  if (rule == nullptr) {
    d.reason = "no policy rule matches the path";
    return d;
  }
  const PathRule& perms = rule->perms;
  if (perms.capabilities & kCapDeny) {
    d.reason = "denied by rule \"" + rule->pattern + "\"";
    return d;
  }
  d.sudo = (perms.capabilities & kCapSudo) != 0;
  d.min_wrapping_ttl = perms.min_wrapping_ttl;
  d.max_wrapping_ttl = perms.max_wrapping_ttl;
  if (!(perms.capabilities & CapabilityFor(op))) {
    d.reason = "rule \"" + rule->pattern + "\" does not grant " + OperationName(op);
    return d;
  }
  if (op == Operation::kRead || op == Operation::kHead || op == Operation::kCreate ||
      op == Operation::kUpdate || op == Operation::kPatch) {
    std::string why = CheckParameters(perms, data);
    if (!why.empty()) {
      d.reason = "rule \"" + rule->pattern + "\": " + why;
      return d;
    }
  }
  d.allowed = true;
  d.reason = "allowed by rule \"" + rule->pattern + "\"";
  return d;
}

std::vector<std::string> Acl::Capabilities(const std::string& path) const {
  if (root_) return {"root"};
  const Rule* rule = Lookup(path);
  std::vector<std::string> names = CapabilityNames(rule ? rule->perms.capabilities : 0);
  if (names.empty()) names.push_back("deny");
  return names;
}

bool IsSudoPath(const std::string& path) {
  // Exact paths, and prefixes (a trailing '*').
  static constexpr std::string_view kSudoPaths[] = {
      "auth/token/accessors*",  // LIST auth/token/accessors/
      // The body form auth/token/revoke-orphan is not listed: its handler
      // checks sudo itself and answers 400, as Vault's does.
      "auth/token/revoke-orphan/*",
      "sys/audit",
      "sys/audit/*",
      "sys/auth/*",  // enable, disable, read and tune one auth method
      "sys/config/auditing/request-headers",
      "sys/config/auditing/request-headers/*",
      "sys/config/cors",
      "sys/config/ui/headers",
      "sys/config/ui/headers/*",
      "sys/internal/inspect/*",
      "sys/leases",           // GET ?type=irrevocable
      "sys/leases/lookup/*",  // LIST; sys/leases/lookup itself is not
      "sys/leases/revoke-force/*",
      "sys/leases/revoke-prefix/*",
      "sys/plugins/catalog",
      "sys/plugins/catalog/*",
      "sys/plugins/runtimes/catalog",
      "sys/plugins/runtimes/catalog/*",
      "sys/raw",
      "sys/raw/*",
      "sys/remount",
      "sys/revoke-force/*",
      "sys/revoke-prefix/*",
      "sys/rotate",
      "sys/seal",
      "sys/step-down",
  };
  for (std::string_view p : kSudoPaths) {
    if (p.ends_with('*')) {
      if (std::string_view(path).starts_with(p.substr(0, p.size() - 1))) return true;
    } else if (path == p) {
      return true;
    }
  }
  return false;
}

}  // namespace coffer::core

namespace coffer::core {

bool Acl::GrantsAnythingUnder(const std::string& prefix) const {
  if (root_) return true;
  constexpr uint32_t kAny = kCapCreate | kCapRead | kCapUpdate | kCapPatch | kCapDelete | kCapList;
  auto grants = [](const Rule& r) {
    return (r.perms.capabilities & kCapDeny) == 0 && (r.perms.capabilities & kAny) != 0;
  };
  for (const auto& [pattern, rule] : exact_) {
    if (grants(rule) && pattern.compare(0, prefix.size(), prefix) == 0) return true;
  }
  for (const Rule& rule : wildcard_) {
    if (!grants(rule)) continue;
    // A rule below the prefix, or a glob whose fixed part covers the prefix.
    const std::string& base = rule.base;
    size_t fixed = std::min(base.size(), rule.first_wildcard);
    if (base.compare(0, std::min(fixed, prefix.size()), prefix, 0,
                     std::min(fixed, prefix.size())) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace coffer::core
