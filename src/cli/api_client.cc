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
  std::string payload;
  if (!body.is_null()) {
    payload = body.dump();
    headers["Content-Type"] = "application/json";
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
