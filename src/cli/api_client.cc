#include "cli/api_client.h"

#include "cli/output.h"

namespace coffer::cli {

ApiClient::ApiClient(ApiConfig config, Transport transport)
    : config_(std::move(config)), transport_(std::move(transport)) {}

std::string ApiClient::Url(std::string_view path) const {
  return config_.address + "/v1/" + std::string(path);
}

Result<ApiResponse> ApiClient::Send(std::string_view method, std::string_view path,
                                    const Json& body) const {
  std::map<std::string, std::string> headers = {{"X-Vault-Request", "true"}};
  if (!config_.token.empty()) headers["X-Vault-Token"] = config_.token;
  // The kv commands' mount lookup is plumbing, never wrapped (as the vault CLI).
  if (!config_.wrap_ttl.empty() && !path.starts_with("sys/internal/ui/mounts")) {
    headers["X-Vault-Wrap-TTL"] = config_.wrap_ttl;
  }
  std::string payload;
  if (!body.is_null()) {
    payload = body.dump();
    headers["Content-Type"] =
        method == "PATCH" ? "application/merge-patch+json" : "application/json";
  }
  std::string target = "/v1/" + std::string(path);
  Result<HttpReply> reply = transport_(method, target, payload, headers);
  if (!reply.ok()) {
    return Status(reply.status().code(),
                  std::string(method) + " " + Url(path) + ": " + reply.status().message());
  }
  ApiResponse out;
  out.status = reply->status;
  out.raw_body = std::move(reply->body);
  if (!out.raw_body.empty()) {
    out.body = Json::parse(out.raw_body, nullptr, /*allow_exceptions=*/false);
    if (out.body.is_discarded()) {
      out.body = nullptr;
      if (out.status < 400) {
        return Internal(std::string(method) + " " + Url(path) +
                        ": response body is not valid JSON");
      }
    }
  }
  return out;
}

Result<Json> ApiClient::Call(std::string_view method, std::string_view path,
                             const Json& body) const {
  ASSIGN_OR_RETURN(ApiResponse resp, Send(method, path, body));
  if (resp.status >= 400) {
    return Status(CodeForHttpStatus(resp.status),
                  FormatApiError(method, Url(path), resp.status, resp.raw_body));
  }
  return std::move(resp.body);
}

Result<std::optional<Json>> ApiClient::Read(std::string_view path) const {
  ASSIGN_OR_RETURN(ApiResponse resp, Send("GET", path));
  if (resp.status == 404) {
    const Json& b = resp.body;
    bool has_data =
        b.is_object() && b.contains("data") && b["data"].is_object() && !b["data"].empty();
    bool has_warnings = b.is_object() && b.contains("warnings") && b["warnings"].is_array() &&
                        !b["warnings"].empty();
    if (has_data || has_warnings) return std::optional<Json>(std::move(resp.body));
    return std::optional<Json>();
  }
  if (resp.status >= 400) {
    return Status(CodeForHttpStatus(resp.status),
                  FormatApiError("GET", Url(path), resp.status, resp.raw_body));
  }
  if (resp.body.is_null()) return std::optional<Json>();
  return std::optional<Json>(std::move(resp.body));
}

Result<std::optional<Json>> ApiClient::Write(std::string_view method, std::string_view path,
                                             const Json& body) const {
  ASSIGN_OR_RETURN(Json reply, Call(method, path, body));
  if (reply.is_null()) return std::optional<Json>();
  return std::optional<Json>(std::move(reply));
}

namespace {

bool Unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void AppendHex(std::string* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  *out += '%';
  *out += kHex[c >> 4];
  *out += kHex[c & 0xF];
}

std::string QueryEscape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (Unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      AppendHex(&out, c);
    }
  }
  return out;
}

}  // namespace

std::string EscapePath(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    // Go's url.PathEscape keeps these sub-delimiters and ':' '@' in a path.
    if (Unreserved(c) || c == '/' || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' ||
        c == ')' || c == '*' || c == '+' || c == ',' || c == ';' || c == '=' || c == ':' ||
        c == '@') {
      out += static_cast<char>(c);
    } else {
      AppendHex(&out, c);
    }
  }
  return out;
}

std::string QueryString(const std::map<std::string, std::vector<std::string>>& values) {
  std::string out;
  for (const auto& [k, vs] : values) {
    for (const std::string& v : vs) {
      if (!out.empty()) out += '&';
      out += QueryEscape(k) + "=" + QueryEscape(v);
    }
  }
  return out;
}

Code CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
      return Code::kInvalidArgument;
    case 401:
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 405:
      return Code::kUnsupportedOperation;
    case 412:
      return Code::kPreconditionFailed;
    case 413:
      return Code::kTooLarge;
    case 415:
      return Code::kUnsupportedMediaType;
    case 429:
      return Code::kRateLimited;
    case 503:
      return Code::kUnavailable;
    default:
      return Code::kInternal;
  }
}

}  // namespace coffer::cli
