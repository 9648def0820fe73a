#include "http/render.h"

#include <algorithm>
#include <array>

#include "common/json_util.h"
#include "crypto/random.h"

namespace coffer::http {
namespace {

constexpr char kJsonType[] = "application/json";

// Appends "key":value pairs in the order written (Vault's field order).
// Keys and scalar values are written directly (the envelope is rendered for
// every response; a Json temporary and a dump per field cost a fifth of a
// kv read); objects and arrays are dumped by the JSON library.
class ObjectWriter {
 public:
  ObjectWriter() : out_("{") { out_.reserve(512); }
  void Raw(std::string_view key, std::string_view json_value) {
    Key(key);
    out_ += json_value;
  }
  void Add(std::string_view key, const Json& value) {
    Key(key);
    switch (value.type()) {
      case Json::value_t::null:
        out_ += "null";
        break;
      case Json::value_t::boolean:
        out_ += value.get<bool>() ? "true" : "false";
        break;
      case Json::value_t::number_integer:
        out_ += std::to_string(value.get<int64_t>());
        break;
      case Json::value_t::number_unsigned:
        out_ += std::to_string(value.get<uint64_t>());
        break;
      case Json::value_t::string:
        AppendJsonString(&out_, value.get_ref<const std::string&>());
        break;
      default:
        AppendJson(&out_, value);
    }
  }
  void Add(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(&out_, value);
  }
  void Add(std::string_view key, const std::string& value) { Add(key, std::string_view(value)); }
  void Add(std::string_view key, const char* value) { Add(key, std::string_view(value)); }
  void Add(std::string_view key, bool value) {
    Key(key);
    out_ += value ? "true" : "false";
  }
  void Add(std::string_view key, int64_t value) {
    Key(key);
    out_ += std::to_string(value);
  }
  void Add(std::string_view key, std::nullptr_t) {
    Key(key);
    out_ += "null";
  }
  std::string Finish() && {
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  void Key(std::string_view key) {
    if (out_.size() > 1) out_.push_back(',');
    AppendJsonString(&out_, key);
    out_.push_back(':');
  }

  std::string out_;
};

std::string RenderAuth(const AuthInfo& a) {
  ObjectWriter w;
  w.Add("client_token", a.client_token);
  w.Add("accessor", a.accessor);
  w.Add("policies", a.policies);
  if (!a.token_policies.empty()) w.Add("token_policies", a.token_policies);
  if (!a.identity_policies.empty()) w.Add("identity_policies", a.identity_policies);
  w.Add("metadata", a.metadata);
  w.Add("lease_duration", a.lease_duration);
  w.Add("renewable", a.renewable);
  w.Add("entity_id", a.entity_id);
  w.Add("token_type", a.token_type);
  w.Add("orphan", a.orphan);
  w.Add("mfa_requirement", nullptr);
  w.Add("num_uses", a.num_uses);
  return std::move(w).Finish();
}

std::string RenderWrapInfo(const WrapInfo& wi) {
  ObjectWriter w;
  w.Add("token", wi.token);
  w.Add("accessor", wi.accessor);
  w.Add("ttl", wi.ttl);
  w.Add("creation_time", wi.creation_time);
  w.Add("creation_path", wi.creation_path);
  w.Add("wrapped_accessor", wi.wrapped_accessor);
  return std::move(w).Finish();
}

constexpr std::string_view kEnvelopeKeys[] = {
    "request_id", "lease_id", "renewable", "lease_duration", "data",
    "wrap_info",  "warnings", "auth",      "mount_type",
};

bool IsEnvelopeKey(std::string_view key) {
  for (auto k : kEnvelopeKeys) {
    if (k == key) return true;
  }
  return false;
}

std::string RenderEnvelope(const Request& request, const Response& r, std::string_view request_id) {
  const bool wrapped = r.wrap_info.has_value();
  ObjectWriter w;
  if (!wrapped && IsInjectedRoute(request.path) && r.data.is_object()) {
    for (const auto& [key, value] : r.data.items()) {
      if (!IsEnvelopeKey(key)) w.Add(key, value);
    }
  }
  // No temporaries: `data` can be a large tree, and a ternary of Json would
  // copy it.
  w.Add("request_id", wrapped ? std::string_view() : request_id);
  const bool leased = !wrapped && r.secret.has_value();
  w.Add("lease_id", leased ? std::string_view(r.secret->lease_id) : std::string_view());
  w.Add("renewable", leased ? r.secret->renewable : false);
  w.Add("lease_duration", leased ? r.secret->lease_duration : int64_t{0});
  if (wrapped) {
    w.Add("data", nullptr);
    w.Raw("wrap_info", RenderWrapInfo(*r.wrap_info));
  } else {
    if (r.data_json.empty()) {
      w.Add("data", r.data);
    } else {
      w.Raw("data", r.data_json);
    }
    w.Add("wrap_info", nullptr);
  }
  // A wrapped response carries only wrap_info (Vault leaves the rest zero).
  if (wrapped || r.warnings.empty()) {
    w.Add("warnings", nullptr);
  } else {
    w.Add("warnings", Json(r.warnings));
  }
  if (!wrapped && r.auth.has_value()) {
    w.Raw("auth", RenderAuth(*r.auth));
  } else {
    w.Add("auth", nullptr);
  }
  w.Add("mount_type", wrapped ? std::string_view() : std::string_view(r.mount_type));
  return std::move(w).Finish();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Headers a handler may not set: the transport and the renderer own them.
bool IsReservedHeader(std::string_view name) {
  for (std::string_view r :
       {"content-type", "content-length", "transfer-encoding", "connection", "cache-control"}) {
    if (EqualsIgnoreCase(name, r)) return true;
  }
  return false;
}

int SanitizeStatus(int status) { return (status < 200 || status > 999) ? 500 : status; }

// Shared tail: extra headers, Cache-Control, HEAD and 204 have no body.
HttpResponse Finish(int status, std::string content_type, std::string body,
                    const std::map<std::string, std::string>& extra, bool head_only) {
  HttpResponse out;
  out.status = status;
  const bool no_body = status == 204 || status == 304;
  if (!no_body && !content_type.empty()) out.headers.emplace_back("Content-Type", content_type);
  out.headers.emplace_back("Cache-Control", "no-store");
  for (const auto& [k, v] : extra) {
    if (!IsReservedHeader(k)) out.headers.emplace_back(k, v);
  }
  if (!no_body && !head_only) out.body = std::move(body);
  return out;
}

std::string ErrorBody(const Status& status) {
  Json errors = Json::array();
  if (!status.message().empty()) errors.push_back(status.message());
  return DumpJsonCompact(Json{{"errors", std::move(errors)}});
}

// Vault's LIST post-processing: nil or empty keys is a 404 unless the
// response carries something else; keys must be strings.
std::optional<Status> CheckListResult(const Response& r) {
  if (r.wrap_info.has_value()) return std::nullopt;
  const Json* keys = nullptr;
  if (r.data.is_object()) {
    auto it = r.data.find("keys");
    if (it != r.data.end() && !it->is_null()) keys = &*it;
  }
  if (keys == nullptr) {
    const size_t data_keys = r.data.is_object() ? r.data.size() - r.data.count("keys") : 0;
    const bool has_other = data_keys > 0 || !r.warnings.empty();
    if (has_other) return std::nullopt;
    return NotFound("");
  }
  if (!keys->is_array()) return Internal("keys not a string array");
  for (const auto& k : *keys) {
    if (!k.is_string()) return Internal("keys not a string array");
  }
  if (keys->empty()) return NotFound("");
  return std::nullopt;
}

}  // namespace

bool IsInjectedRoute(std::string_view path) {
  static constexpr std::string_view kExact[] = {
      "sys/audit",
      "sys/auth",
      "sys/config/cors",
      "sys/config/auditing/request-headers",
      "sys/capabilities",
      "sys/capabilities-accessor",
      "sys/capabilities-self",
      "sys/key-status",
      "sys/mounts",
      "sys/policy",
      "sys/rekey/backup",
      "sys/rekey/recovery-key-backup",
      "sys/remount",
      "sys/rotate",
      "sys/wrapping/wrap",
  };
  static constexpr std::string_view kPrefixes[] = {
      "sys/audit/",  "sys/audit-hash/", "sys/auth/", "sys/config/auditing/request-headers/",
      "sys/mounts/", "sys/policy/",
  };
  for (auto p : kPrefixes) {
    if (path.substr(0, p.size()) == p) return true;
  }
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  for (auto e : kExact) {
    if (path == e) return true;
  }
  return false;
}

HttpResponse RenderResponse(const Request& request, const Response& response,
                            std::string_view request_id) {
  const bool head_only = response.head_only || request.operation == Operation::kHead;
  if (response.kind == Response::Kind::kRaw) {
    const int status = response.status == 0 ? 200 : SanitizeStatus(response.status);
    return Finish(status, response.raw_content_type, response.raw_body, response.headers,
                  head_only);
  }
  if (request.operation == Operation::kList) {
    if (auto err = CheckListResult(response)) return RenderError(*err, head_only);
  }
  int status = SanitizeStatus(response.status);
  if (response.status == 0) {
    const bool empty = response.data.is_null() && response.data_json.empty() &&
                       !response.auth.has_value() &&
                       !response.wrap_info.has_value() && response.warnings.empty();
    status = empty ? 204 : 200;
  }
  std::string body;
  if (status != 204 && !head_only) body = RenderEnvelope(request, response, request_id);
  return Finish(status, kJsonType, std::move(body), response.headers, head_only);
}

HttpResponse RenderError(const Status& status, bool head_only) {
  if (status.ok()) return RenderError(Internal("internal error"), head_only);
  return Finish(HttpStatusFor(status), kJsonType, ErrorBody(status), {}, head_only);
}

Response ErrorResponse(const Status& status) {
  const Status s = status.ok() ? Internal("internal error") : status;
  Response r;
  r.kind = Response::Kind::kRaw;
  r.status = HttpStatusFor(s);
  r.raw_content_type = kJsonType;
  r.raw_body = ErrorBody(s);
  return r;
}

std::string NewRequestId() { return crypto::RandomUuid(); }

}  // namespace coffer::http
