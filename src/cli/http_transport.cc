#include "cli/http_transport.h"

#include <memory>

#include "http/client.h"

namespace coffer::cli {

Result<Transport> MakeHttpTransport(const ApiConfig& config) {
  http::ClientOptions options;
  options.address = config.address;
  options.ca_cert_file = config.ca_cert_file;
  options.client_cert_file = config.client_cert_file;
  options.client_key_file = config.client_key_file;
  options.tls_skip_verify = config.tls_skip_verify;
  options.tls_server_name = config.tls_server_name;
  options.timeout_s = config.timeout_s;
  auto client = std::make_shared<http::Client>(std::move(options));
  return Transport(
      [client](std::string_view method, std::string_view target, std::string_view body,
               const std::map<std::string, std::string>& headers) -> Result<HttpReply> {
        ASSIGN_OR_RETURN(http::ClientResponse resp, client->Do(method, target, body, headers));
        return HttpReply{resp.status, std::move(resp.body)};
      });
}

}  // namespace coffer::cli
