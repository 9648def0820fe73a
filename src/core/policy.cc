#include "core/policy.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "common/duration.h"
#include "common/hcl.h"

namespace coffer::core {
namespace {

struct CapabilityName {
  std::string_view name;
  uint32_t bit;
};

// Alphabetical, so CapabilityNames needs no sort.
constexpr CapabilityName kCapabilityNames[] = {
    {"create", kCapCreate}, {"delete", kCapDelete}, {"deny", kCapDeny}, {"list", kCapList},
    {"patch", kCapPatch},   {"read", kCapRead},     {"sudo", kCapSudo}, {"update", kCapUpdate},
};

Status Fail(const std::string& detail) {
  return InvalidArgument("failed to parse policy: " + detail);
}

Status PathFail(const std::string& pattern, const std::string& detail) {
  return Fail("path \"" + pattern + "\": " + detail);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// nlohmann refuses to serialise invalid UTF-8; the raw text is stored as a
// JSON string, so it must be valid. The library reports this by throwing,
// which we turn into a bool here.
bool IsValidUtf8(const std::string& text) {
  try {
    (void)Json(text).dump();
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}

// A list of strings; a lone string is a one-item list (HCL1 decodes it so).
Result<std::vector<std::string>> StringList(const std::string& pattern, const std::string& key,
                                            const Json& v) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
    return out;
  }
  if (!v.is_array()) return PathFail(pattern, "\"" + key + "\" must be a list of strings");
  for (const Json& item : v) {
    if (!item.is_string()) return PathFail(pattern, "\"" + key + "\" must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// Appends `values` to the constraint for `name`; an empty list (any value)
// absorbs everything else, in either order.
void MergeParameter(ParameterMap& map, const std::string& name, std::vector<Json> values) {
  auto it = map.find(name);
  if (it == map.end()) {
    map.emplace(name, std::move(values));
  } else if (it->second.empty() || values.empty()) {
    it->second.clear();
  } else {
    for (Json& v : values) it->second.push_back(std::move(v));
  }
}

Result<ParameterMap> ParameterConstraints(const std::string& pattern, const std::string& key,
                                          const Json& v) {
  ParameterMap out;
  if (v.is_null()) return out;
  if (!v.is_object() && !v.is_array()) {
    return PathFail(pattern, "\"" + key + "\" must be a map of parameter names to value lists");
  }
  if (v.is_array()) {
    for (const Json& item : v) {
      if (!item.is_object()) {
        return PathFail(pattern, "\"" + key + "\" must be a map of parameter names to value lists");
      }
    }
  }
  Status st;
  hcl::ForEachEntry(v, [&](const std::string& name, const Json& values) {
    if (!st.ok()) return;
    std::vector<Json> list;
    if (values.is_array()) {
      for (const Json& item : values) {
        if (item.is_object()) {
          st = PathFail(pattern, "\"" + key + "\": values of \"" + name + "\" must be scalars");
          return;
        }
        list.push_back(item);
      }
    } else if (values.is_object()) {
      st = PathFail(pattern, "\"" + key + "\": values of \"" + name + "\" must be a list");
      return;
    } else if (!values.is_null()) {
      list.push_back(values);
    }
    std::string lowered = Lower(name);
    if (lowered == "*" && !list.empty()) {
      st = PathFail(pattern, "\"" + key + "\": \"*\" only takes an empty value list");
      return;
    }
    MergeParameter(out, lowered, std::move(list));
  });
  if (!st.ok()) return st;
  return out;
}

Result<int64_t> WrappingTtl(const std::string& pattern, const std::string& key, const Json& v) {
  Result<int64_t> secs = ParseDurationSeconds(v);
  if (!secs.ok()) return PathFail(pattern, "invalid " + key + ": " + secs.status().message());
  return *secs;
}

// The deprecated `policy = "..."` shorthand.
Status ApplyShorthand(const std::string& pattern, const Json& v, uint32_t* caps) {
  if (!v.is_string()) return PathFail(pattern, "\"policy\" must be a string");
  const std::string s = v.get<std::string>();
  if (s == "deny") {
    *caps = kCapDeny;
  } else if (s == "read") {
    *caps |= kCapRead | kCapList;
  } else if (s == "write") {
    *caps |= kCapCreate | kCapRead | kCapUpdate | kCapDelete | kCapList;
  } else if (s == "sudo") {
    *caps |= kCapCreate | kCapRead | kCapUpdate | kCapDelete | kCapList | kCapSudo;
  } else {
    return PathFail(pattern, "invalid policy \"" + s + "\"");
  }
  return Status::Ok();
}

Result<PathRule> ParsePathRule(const std::string& written, const Json& body) {
  PathRule rule;
  rule.pattern = written;
  if (!rule.pattern.empty() && rule.pattern[0] == '/') rule.pattern.erase(0, 1);
  if (!body.is_object()) return PathFail(written, "the path block must be an object");
  for (const auto& [key, value] : body.items()) {
    if (key == "capabilities") {
      ASSIGN_OR_RETURN(auto names, StringList(written, key, value));
      for (const std::string& name : names) {
        std::optional<uint32_t> bit = CapabilityFromName(name);
        if (!bit) return PathFail(written, "invalid capability \"" + name + "\"");
        rule.capabilities |= *bit;
      }
    } else if (key == "policy") {
      RETURN_IF_ERROR(ApplyShorthand(written, value, &rule.capabilities));
    } else if (key == "allowed_parameters") {
      ASSIGN_OR_RETURN(rule.allowed_parameters, ParameterConstraints(written, key, value));
    } else if (key == "denied_parameters") {
      ASSIGN_OR_RETURN(rule.denied_parameters, ParameterConstraints(written, key, value));
    } else if (key == "required_parameters") {
      ASSIGN_OR_RETURN(auto names, StringList(written, key, value));
      for (std::string& name : names) rule.required_parameters.push_back(Lower(std::move(name)));
    } else if (key == "min_wrapping_ttl") {
      ASSIGN_OR_RETURN(rule.min_wrapping_ttl, WrappingTtl(written, key, value));
    } else if (key == "max_wrapping_ttl") {
      ASSIGN_OR_RETURN(rule.max_wrapping_ttl, WrappingTtl(written, key, value));
    } else if (key == "mfa_methods" || key == "control_group" || key == "comment" ||
               key == "subscribe_event_types") {
      // Accepted for compatibility with policies written for Vault; these
      // features (enterprise MFA, control groups, events) do not exist here.
    } else {
      return PathFail(written, "invalid key \"" + key + "\"");
    }
  }
  if (rule.max_wrapping_ttl > 0 && rule.max_wrapping_ttl < rule.min_wrapping_ttl) {
    return PathFail(written, "max_wrapping_ttl cannot be less than min_wrapping_ttl");
  }
  if (rule.capabilities & kCapDeny) {
    // A deny block grants nothing, so constraints on what it grants are moot.
    rule.capabilities = kCapDeny;
    rule.allowed_parameters.clear();
    rule.denied_parameters.clear();
    rule.required_parameters.clear();
    rule.min_wrapping_ttl = 0;
    rule.max_wrapping_ttl = 0;
  }
  return rule;
}

}  // namespace

std::optional<uint32_t> CapabilityFromName(std::string_view name) {
  for (const CapabilityName& c : kCapabilityNames) {
    if (c.name == name) return c.bit;
  }
  return std::nullopt;
}

std::vector<std::string> CapabilityNames(uint32_t caps) {
  if (caps & kCapDeny) return {"deny"};
  std::vector<std::string> out;
  for (const CapabilityName& c : kCapabilityNames) {
    if (caps & c.bit) out.emplace_back(c.name);
  }
  return out;
}

std::string NormalizePolicyName(std::string_view name) {
  size_t begin = 0;
  size_t end = name.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(name[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(name[end - 1]))) --end;
  return Lower(std::string(name.substr(begin, end - begin)));
}

namespace {

// Semantic errors (an unknown key, a bad capability) come from the parsed
// document, which has no positions. Point at the line where the quoted name
// in the message first appears in the text, so the operator can find it.
Status WithLine(const Status& st, const std::string& text) {
  const std::string& m = st.message();
  // The innermost name is the last quoted one ('path "a": invalid key "b"').
  size_t close = m.rfind('"');
  size_t open = (close == std::string::npos || close == 0) ? std::string::npos
                                                          : m.rfind('"', close - 1);
  if (open == std::string::npos || close == open + 1) return st;
  std::string word = m.substr(open + 1, close - open - 1);
  size_t at = text.find(word);
  if (at == std::string::npos) return st;
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return Status(st.code(), m + " (line " + std::to_string(line) + ")");
}

Result<Policy> ParsePolicyDocument(const std::string& name, const std::string& text);

}  // namespace

Result<Policy> ParsePolicy(const std::string& name, const std::string& text) {
  Result<Policy> parsed = ParsePolicyDocument(name, text);
  if (parsed.ok()) return parsed;
  // Syntax errors already carry name:line:column.
  if (parsed.status().message().find(NormalizePolicyName(name) + ":") != std::string::npos) {
    return parsed;
  }
  return WithLine(parsed.status(), text);
}

namespace {

Result<Policy> ParsePolicyDocument(const std::string& name, const std::string& text) {
  Policy policy;
  policy.name = NormalizePolicyName(name);
  policy.raw = text;
  if (!IsValidUtf8(text)) return Fail("policy text is not valid UTF-8");
  Result<Json> parsed = hcl::ParseHclOrJson(text, policy.name);
  if (!parsed.ok()) return Fail(parsed.status().message());
  const Json& doc = *parsed;
  if (!doc.is_object()) return Fail("a policy must be an object");
  for (const auto& [key, value] : doc.items()) {
    if (key != "name" && key != "path") return Fail("invalid key \"" + key + "\"");
  }
  auto paths = doc.find("path");
  if (paths == doc.end() || paths->is_null()) return policy;
  bool shape_ok = paths->is_object() || paths->is_array();
  if (paths->is_array()) {
    for (const Json& item : *paths) shape_ok = shape_ok && item.is_object();
  }
  if (!shape_ok) return Fail("\"path\" must be blocks of the form path \"<pattern>\" { ... }");
  Status st;
  hcl::ForEachEntry(*paths, [&](const std::string& pattern, const Json& body) {
    if (!st.ok()) return;
    // JSON policies may give a block as a list of bodies; each is a rule.
    std::vector<const Json*> bodies;
    if (body.is_array()) {
      for (const Json& b : body) bodies.push_back(&b);
    } else {
      bodies.push_back(&body);
    }
    for (const Json* b : bodies) {
      Result<PathRule> rule = ParsePathRule(pattern, *b);
      if (!rule.ok()) {
        st = rule.status();
        return;
      }
      policy.paths.push_back(std::move(rule).value());
    }
  });
  if (!st.ok()) return st;
  return policy;
}

}  // namespace

}  // namespace coffer::core
