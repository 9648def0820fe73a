#include "core/wrapping.h"

#include <algorithm>

#include "common/json_util.h"
#include "common/log.h"
#include "core/storage_view.h"

namespace coffer::core {
namespace {

constexpr char kResponseKey[] = "response";
constexpr char kRewrapPath[] = "sys/wrapping/rewrap";

bool IsWrappingToken(const TokenEntry& e) {
  return !e.IsBatch() && e.policies.size() == 1 && e.policies[0] == kResponseWrappingPolicy;
}

Status InvalidWrappingToken() { return InvalidArgument(kInvalidWrappingToken); }

// The wrapping token's own cubbyhole.
Result<StorageView> CubbyholeOf(Router& router, const TokenEntry& e) {
  ASSIGN_OR_RETURN(Router::Match cubby, router.Find("cubbyhole/"));
  return StorageView(cubby.route->view.get(), e.cubbyhole_id + "/");
}

// The token to unwrap: live, and a wrapping token. A third party spends its
// single use here; a first-party caller's request already did.
Result<TokenEntry> TakeWrappingToken(TokenStore& tokens, const std::string& token,
                                     bool third_party) {
  ASSIGN_OR_RETURN(auto found,
                   third_party ? tokens.LookupAndUse(token) : tokens.LookupSelf(token));
  if (!found.has_value() || !IsWrappingToken(*found)) return InvalidWrappingToken();
  return *found;
}

// The stored response text of a taken token; a third party's token is
// revoked once read (a first party's is revoked by the core after the request).
Result<std::string> ReadWrapped(TokenStore& tokens, Router& router, const TokenEntry& e,
                                bool third_party) {
  Result<std::string> text = [&]() -> Result<std::string> {
    ASSIGN_OR_RETURN(StorageView view, CubbyholeOf(router, e));
    ASSIGN_OR_RETURN(auto raw, view.Get(kResponseKey));
    if (!raw.has_value()) return InvalidWrappingToken();
    Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains(kResponseKey) ||
        !j[kResponseKey].is_string()) {
      return Corruption("the wrapped response is unreadable");
    }
    return j[kResponseKey].get<std::string>();
  }();
  if (third_party) {
    Status st = tokens.RevokeIfSpent(e);
    if (!st.ok()) {
      COFFER_LOG(kWarn, "wrapping") << "could not revoke an unwrapped token (accessor "
                                    << e.accessor << "): " << st.ToString();
    }
  }
  return text;
}

Json StringsJson(const std::vector<std::string>& v) { return Json(v); }

std::vector<std::string> Strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key) || !j[key].is_array()) return out;
  for (const auto& s : j[key]) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

bool IsEmptyResponse(const Response& r) {
  return r.data.is_null() && !r.auth.has_value() && !r.secret.has_value() &&
         r.warnings.empty();
}

}  // namespace

bool WrapTtlAllowed(const AclDecision& d, const std::optional<int64_t>& wrap_ttl) {
  const int64_t ttl = wrap_ttl.value_or(0);
  if (d.max_wrapping_ttl > 0 && (ttl == 0 || ttl > d.max_wrapping_ttl)) return false;
  if (d.min_wrapping_ttl > 0 && (ttl == 0 || ttl < d.min_wrapping_ttl)) return false;
  // Merging policies can leave min above max: nothing satisfies both.
  if (d.min_wrapping_ttl > 0 && d.max_wrapping_ttl > 0 &&
      d.max_wrapping_ttl < d.min_wrapping_ttl) {
    return false;
  }
  return true;
}

Status ValidateWrappingRequest(TokenStore& tokens, const Request& req,
                               const std::string& relative) {
  if (relative != "wrapping/unwrap" && relative != "wrapping/rewrap") return Status::Ok();
  ASSIGN_OR_RETURN(auto body_token, GetString(req.data, "token"));
  const std::string token =
      body_token && !body_token->empty() ? *body_token : req.client_token;
  if (token.empty()) return InvalidWrappingToken();
  ASSIGN_OR_RETURN(auto found, tokens.Lookup(token));
  if (!found.has_value() || !IsWrappingToken(*found)) return InvalidWrappingToken();
  return Status::Ok();
}

Json ResponseToStored(const Response& r) {
  Json j = Json::object();
  j["data"] = r.data;
  j["warnings"] = StringsJson(r.warnings);
  j["mount_type"] = r.mount_type;
  if (r.secret.has_value()) {
    j["secret"] = Json{{"lease_id", r.secret->lease_id},
                       {"renewable", r.secret->renewable},
                       {"lease_duration", r.secret->lease_duration}};
  }
  if (r.auth.has_value()) {
    const AuthInfo& a = *r.auth;
    j["auth"] = Json{{"client_token", a.client_token},
                     {"accessor", a.accessor},
                     {"policies", StringsJson(a.policies)},
                     {"token_policies", StringsJson(a.token_policies)},
                     {"identity_policies", StringsJson(a.identity_policies)},
                     {"metadata", a.metadata},
                     {"lease_duration", a.lease_duration},
                     {"renewable", a.renewable},
                     {"entity_id", a.entity_id},
                     {"token_type", a.token_type},
                     {"orphan", a.orphan},
                     {"num_uses", a.num_uses}};
  }
  return j;
}

Result<Response> ResponseFromStored(const Json& j) {
  if (!j.is_object()) return Corruption("the wrapped response is not an object");
  try {
    Response r;
    r.data = j.value("data", Json(nullptr));
    r.warnings = Strings(j, "warnings");
    r.mount_type = j.value("mount_type", "");
    if (j.contains("secret") && j["secret"].is_object()) {
      const Json& s = j["secret"];
      SecretInfo info;
      info.lease_id = s.value("lease_id", "");
      info.renewable = s.value("renewable", false);
      info.lease_duration = s.value("lease_duration", int64_t{0});
      r.secret = std::move(info);
    }
    if (j.contains("auth") && j["auth"].is_object()) {
      const Json& a = j["auth"];
      AuthInfo info;
      info.client_token = a.value("client_token", "");
      info.accessor = a.value("accessor", "");
      info.policies = Strings(a, "policies");
      info.token_policies = Strings(a, "token_policies");
      info.identity_policies = Strings(a, "identity_policies");
      info.metadata = a.value("metadata", Json(nullptr));
      info.lease_duration = a.value("lease_duration", int64_t{0});
      info.renewable = a.value("renewable", false);
      info.entity_id = a.value("entity_id", "");
      info.token_type = a.value("token_type", "service");
      info.orphan = a.value("orphan", false);
      info.num_uses = a.value("num_uses", int64_t{0});
      r.auth = std::move(info);
    }
    return r;
  } catch (const Json::exception& e) {
    return Corruption(std::string("the wrapped response is unreadable: ") + e.what());
  }
}

namespace {

// Creates the single-use wrapping token (id `token_id`, or a fresh one when
// empty) and stores `stored` in its cubbyhole; undoes the token on failure.
Result<WrapInfo> StoreWrapped(TokenStore& tokens, Router& router, const std::string& stored,
                              int64_t ttl, const std::string& creation_path, std::string token_id) {
  TokenEntry te;
  te.id = std::move(token_id);
  te.policies = {kResponseWrappingPolicy};
  te.path = creation_path;
  te.ttl = ttl;
  te.explicit_max_ttl = ttl;
  te.num_uses = 1;
  ASSIGN_OR_RETURN(TokenEntry created, tokens.Create(std::move(te)));
  Status st = [&]() -> Status {
    ASSIGN_OR_RETURN(StorageView view, CubbyholeOf(router, created));
    return view.Put(kResponseKey, Json{{kResponseKey, stored}}.dump());
  }();
  if (!st.ok()) {
    Status undo = tokens.Revoke(created.id);
    if (!undo.ok()) {
      COFFER_LOG(kWarn, "wrapping") << "could not revoke a half-made wrapping token (accessor "
                                    << created.accessor << "): " << undo.ToString();
    }
    return st;
  }
  WrapInfo w;
  w.token = created.id;
  w.accessor = created.accessor;
  w.ttl = ttl;
  w.creation_time = created.issue_time;
  w.creation_path = creation_path;
  return w;
}

}  // namespace

Result<Response> MaybeWrap(TokenStore& tokens, Router& router, const Request& req,
                           Response resp) {
  if (resp.kind != Response::Kind::kEnvelope) return resp;
  int64_t ttl = 0;
  std::string creation_path = req.path;
  if (resp.wrap_info.has_value() && resp.wrap_info->token.empty()) {
    ttl = resp.wrap_info->ttl;
    if (!resp.wrap_info->creation_path.empty()) creation_path = resp.wrap_info->creation_path;
    resp.wrap_info.reset();
  }
  if (req.wrap_ttl_seconds.value_or(0) > 0) {
    ttl = ttl == 0 ? *req.wrap_ttl_seconds : std::min(ttl, *req.wrap_ttl_seconds);
  }
  if (ttl <= 0) return resp;
  if (!MaterializeData(resp)) return Internal("response data is not a JSON object");
  if (IsEmptyResponse(resp)) return resp;

  // A rewrap hands over the stored text as it is, so it never nests.
  std::string stored;
  if (req.path == kRewrapPath && resp.data.is_object() && resp.data.contains(kResponseKey) &&
      resp.data[kResponseKey].is_string()) {
    stored = resp.data[kResponseKey].get<std::string>();
  } else {
    stored = DumpJsonCompact(ResponseToStored(resp));
  }

  ASSIGN_OR_RETURN(WrapInfo w, StoreWrapped(tokens, router, stored, ttl, creation_path, ""));
  Response out;
  if (resp.auth.has_value()) w.wrapped_accessor = resp.auth->accessor;
  out.wrap_info = std::move(w);
  out.warnings = std::move(resp.warnings);
  out.mount_type = std::move(resp.mount_type);
  return out;
}

Result<Response> UnwrapResponse(TokenStore& tokens, Router& router, const std::string& token,
                                bool third_party) {
  ASSIGN_OR_RETURN(TokenEntry e, TakeWrappingToken(tokens, token, third_party));
  ASSIGN_OR_RETURN(std::string text, ReadWrapped(tokens, router, e, third_party));
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corruption("the wrapped response is not JSON");
  return ResponseFromStored(j);
}

Result<Response> LookupWrapping(TokenStore& tokens, const std::string& token) {
  if (token.empty()) return InvalidArgument("missing \"token\" value in input");
  ASSIGN_OR_RETURN(auto found, tokens.Lookup(token));
  if (!found.has_value() || !IsWrappingToken(*found)) return InvalidWrappingToken();
  return Response::Data(Json{{"creation_path", found->path},
                             {"creation_time", found->issue_time},
                             {"creation_ttl", found->creation_ttl}});
}

Result<Response> RewrapResponse(TokenStore& tokens, Router& router, const std::string& token,
                                bool third_party) {
  ASSIGN_OR_RETURN(TokenEntry e, TakeWrappingToken(tokens, token, third_party));
  ASSIGN_OR_RETURN(std::string text, ReadWrapped(tokens, router, e, third_party));
  Response r = Response::Data(Json{{kResponseKey, text}});
  WrapInfo w;
  w.ttl = e.creation_ttl;
  w.creation_path = e.path;
  r.wrap_info = std::move(w);
  return r;
}

Result<WrapInfo> WrapResponseAs(TokenStore& tokens, Router& router, const Response& resp,
                                int64_t ttl, const std::string& creation_path,
                                std::string token_id) {
  if (ttl <= 0) return InvalidArgument("wrapping TTL must be positive");
  std::string stored = DumpJsonCompact(ResponseToStored(resp));
  return StoreWrapped(tokens, router, stored, ttl, creation_path, std::move(token_id));
}

}  // namespace coffer::core
