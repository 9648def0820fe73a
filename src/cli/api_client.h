// ApiClient: what a client command uses to call the server's /v1 API.
//
// It adds the headers every request carries (X-Vault-Request: true, and
// X-Vault-Token when a token is configured), encodes JSON bodies, decodes
// JSON replies, and turns error statuses into the vault CLI's error text.
// The bytes travel through a Transport, so unit tests substitute a fake and
// only one file (http_transport.cc) knows the real HTTP client.
//
// Thread-safety: an ApiClient is used by one command on one thread.
// Invariants: the token is sent only in the X-Vault-Token header and never
// appears in an error message.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_config.h"
#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::cli {

struct HttpReply {
  int status = 0;
  std::string body;
};

// Sends one request; `target` is the origin-form path ("/v1/sys/init").
// Fails only when no HTTP response was received.
using Transport = std::function<Result<HttpReply>(
    std::string_view method, std::string_view target, std::string_view body,
    const std::map<std::string, std::string>& headers)>;

using TransportFactory = std::function<Result<Transport>(const ApiConfig&)>;

struct ApiResponse {
  int status = 0;
  Json body;  // null for an empty body
  std::string raw_body;
};

class ApiClient {
 public:
  ApiClient(ApiConfig config, Transport transport);

  // `path` is relative to /v1/ ("sys/seal-status", may carry "?query").
  // A null `body` sends no body; a PATCH body goes as
  // application/merge-patch+json, others as application/json. Errors:
  // transport failures (message "<METHOD> <url>: <cause>") and a 2xx body
  // that is not JSON.
  Result<ApiResponse> Send(std::string_view method, std::string_view path,
                           const Json& body = nullptr) const;

  // Like Send, but a status >= 400 is an error whose message is
  // FormatApiError(...). Returns the decoded body (null for 204).
  Result<Json> Call(std::string_view method, std::string_view path,
                    const Json& body = nullptr) const;

  // A read as the vault CLI does it (GET, or GET ?list=true): nullopt when
  // there is nothing there — a 404 whose body has neither data nor warnings,
  // or an empty body. A 404 that carries data or warnings (a deleted KV v2
  // version) is returned as a response. Other statuses >= 400 are errors
  // like Call()'s.
  Result<std::optional<Json>> Read(std::string_view path) const;
  // A write, patch or delete: every status >= 400 is an error; nullopt for a
  // reply without a body (204).
  Result<std::optional<Json>> Write(std::string_view method, std::string_view path,
                                    const Json& body = nullptr) const;

  // The full URL of `path`, as error messages show it.
  std::string Url(std::string_view path) const;

  const ApiConfig& config() const { return config_; }
  void set_token(std::string token) { config_.token = std::move(token); }

 private:
  ApiConfig config_;
  Transport transport_;
};

// Percent-encodes what a URL path cannot carry as is (anything but
// letters, digits, "-._~/" and the sub-delimiters Go leaves alone).
std::string EscapePath(std::string_view path);

// "k1=v1&k2=v2" with keys sorted and values query-escaped (space as '+'),
// as Go's url.Values.Encode() writes it; "" for no values.
std::string QueryString(const std::map<std::string, std::vector<std::string>>& values);

// The Status code a caller sees for an HTTP error status.
Code CodeForHttpStatus(int status);

}  // namespace coffer::cli
