#include "core/sys_policy.h"

#include <optional>
#include <string>
#include <utility>

#include "common/json_util.h"
#include "crypto/encoding.h"

namespace coffer::core {
namespace {

using framework::Params;
using framework::Path;

// Which request field holds the text, and what reads call it.
enum class Family { kLegacy, kAcl };

Result<Response> ListLegacy(PolicyStore& store) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, store.List());
  return Response::Data(Json{{"keys", names}, {"policies", names}});
}

Result<Response> ListAcl(PolicyStore& store) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, store.List());
  return framework::ListResponse(std::move(names));
}

Result<Response> ReadPolicy(PolicyStore& store, Family family, const Params& params) {
  ASSIGN_OR_RETURN(std::optional<Policy> policy, store.Get(params.at("name")));
  if (!policy.has_value()) return NotFound();
  const char* field = family == Family::kLegacy ? "rules" : "policy";
  return Response::Data(Json{{"name", policy->name}, {field, policy->raw}});
}

Result<Response> WritePolicy(PolicyStore& store, Family family, const EngineRequest& req,
                             const Params& params) {
  const std::string& given = params.at("name");
  const std::string name = NormalizePolicyName(given);
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(std::optional<std::string> text, GetString(req.data, "policy"));
  if (family == Family::kLegacy) {
    ASSIGN_OR_RETURN(std::optional<std::string> rules, GetString(req.data, "rules"));
    if (rules.has_value()) {
      warnings.push_back("'rules' is deprecated, please use 'policy' instead");
      if (!text.has_value() || text->empty()) text = std::move(rules);
    }
  }
  if (!text.has_value() || text->empty()) {
    return InvalidArgument("'policy' parameter not supplied or empty");
  }
  // Clients may send the text base64-encoded. Policy text proper never
  // decodes (quotes, braces and spaces are outside the alphabet).
  if (Result<std::string> decoded = crypto::Base64Decode(*text);
      decoded.ok() && !decoded->empty()) {
    text = std::move(decoded).value();
  }
  RETURN_IF_ERROR(store.Put(name, *text));
  if (name != given) warnings.push_back("policy name was converted to " + name);
  Response resp;
  resp.warnings = std::move(warnings);
  return resp;
}

Result<Response> DeletePolicy(PolicyStore& store, const Params& params) {
  RETURN_IF_ERROR(store.Delete(params.at("name")));
  return Response::Empty();
}

// "paths" (list or comma string), else the deprecated "path".
Result<std::vector<std::string>> RequestedPaths(const Json& data) {
  ASSIGN_OR_RETURN(auto paths, GetStringList(data, "paths"));
  if (!paths.has_value() || paths->empty()) {
    ASSIGN_OR_RETURN(paths, GetStringList(data, "path"));
  }
  if (!paths.has_value() || paths->empty()) return InvalidArgument("paths must be supplied");
  return std::move(*paths);
}

Result<Response> CapabilitiesResponse(PolicyStore& store, const std::vector<std::string>& policies,
                                      const std::vector<std::string>& paths) {
  ASSIGN_OR_RETURN(std::shared_ptr<const Acl> acl, store.AclFor(policies));
  Json data = Json::object();
  std::vector<std::string> last;
  for (const std::string& p : paths) {
    std::string_view lookup = p;
    if (lookup.starts_with('/')) lookup.remove_prefix(1);
    last = acl->Capabilities(std::string(lookup));
    data[p] = last;
  }
  if (paths.size() == 1) data["capabilities"] = last;
  return Response::Data(std::move(data));
}

std::vector<std::string> CallerPolicies(const Caller& caller) {
  std::vector<std::string> policies = caller.policies;
  if (caller.root) policies.push_back("root");
  return policies;
}

}  // namespace

std::vector<Path> SysPolicyPaths(PolicyStore& policies, TokenStore& tokens) {
  PolicyStore* store = &policies;
  TokenStore* token_store = &tokens;
  auto list_legacy = [store](const EngineRequest&, const Params&) { return ListLegacy(*store); };
  auto list_acl = [store](const EngineRequest&, const Params&) { return ListAcl(*store); };
  auto read = [store](Family f) {
    return [store, f](const EngineRequest&, const Params& p) { return ReadPolicy(*store, f, p); };
  };
  auto write = [store](Family f) {
    return [store, f](const EngineRequest& req, const Params& p) {
      return WritePolicy(*store, f, req, p);
    };
  };
  auto del = [store](const EngineRequest&, const Params& p) { return DeletePolicy(*store, p); };

  auto capabilities = [store, token_store](const EngineRequest& req,
                                           const Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(std::vector<std::string> paths, RequestedPaths(req.data));
    ASSIGN_OR_RETURN(std::optional<std::string> token, GetString(req.data, "token"));
    if (!token.has_value() || token->empty()) {
      // Without a token the question is about the caller, as Vault does.
      if (req.caller == nullptr) return PermissionDenied();
      return CapabilitiesResponse(*store, CallerPolicies(*req.caller), paths);
    }
    ASSIGN_OR_RETURN(std::optional<TokenEntry> entry, token_store->Lookup(*token));
    if (!entry.has_value()) return InvalidArgument("invalid token");
    return CapabilitiesResponse(*store, entry->policies, paths);
  };
  auto capabilities_self = [store](const EngineRequest& req, const Params&) -> Result<Response> {
    if (req.caller == nullptr) return PermissionDenied();
    ASSIGN_OR_RETURN(std::vector<std::string> paths, RequestedPaths(req.data));
    return CapabilitiesResponse(*store, CallerPolicies(*req.caller), paths);
  };
  auto capabilities_accessor = [store, token_store](const EngineRequest& req,
                                                    const Params&) -> Result<Response> {
    ASSIGN_OR_RETURN(std::optional<std::string> accessor, GetString(req.data, "accessor"));
    if (!accessor.has_value() || accessor->empty()) return InvalidArgument("missing accessor");
    ASSIGN_OR_RETURN(std::vector<std::string> paths, RequestedPaths(req.data));
    ASSIGN_OR_RETURN(std::optional<TokenEntry> entry, token_store->LookupByAccessor(*accessor));
    if (!entry.has_value()) return InvalidArgument("invalid accessor");
    return CapabilitiesResponse(*store, entry->policies, paths);
  };

  std::vector<Path> paths;
  paths.push_back(
      Path{.pattern = "policy",
           .operations = {{Operation::kRead, list_legacy}, {Operation::kList, list_legacy}},
           .help = "List the configured ACL policies (legacy route)."});
  paths.push_back(Path{.pattern = "policy/",
                       .operations = {{Operation::kList, list_legacy}},
                       .help = "List the configured ACL policies (legacy route)."});
  paths.push_back(Path{.pattern = "policy/:name",
                       .operations = {{Operation::kRead, read(Family::kLegacy)},
                                      {Operation::kUpdate, write(Family::kLegacy)},
                                      {Operation::kDelete, del}},
                       .help = "Read, write or delete an ACL policy (legacy route; the "
                               "text is 'rules' on read, 'policy' or 'rules' on write)."});
  paths.push_back(Path{.pattern = "policies/acl/",
                       .operations = {{Operation::kList, list_acl}},
                       .help = "List the configured ACL policies."});
  // A plain GET of the collection is not a listing: 405, as Vault answers.
  paths.push_back(Path{.pattern = "policies/acl",
                       .operations = {{Operation::kList, list_acl}},
                       .help = "List the configured ACL policies."});
  paths.push_back(Path{.pattern = "policies/acl/:name",
                       .operations = {{Operation::kRead, read(Family::kAcl)},
                                      {Operation::kUpdate, write(Family::kAcl)},
                                      {Operation::kDelete, del}},
                       .help = "Read, write or delete an ACL policy."});
  paths.push_back(Path{.pattern = "capabilities",
                       .operations = {{Operation::kUpdate, capabilities}},
                       .help = "The capabilities of a token on the given paths."});
  paths.push_back(Path{.pattern = "capabilities-self",
                       .operations = {{Operation::kUpdate, capabilities_self}},
                       .help = "The capabilities of the calling token on the given paths."});
  paths.push_back(Path{.pattern = "capabilities-accessor",
                       .operations = {{Operation::kUpdate, capabilities_accessor}},
                       .help = "The capabilities of the token behind an accessor."});
  return paths;
}

}  // namespace coffer::core
