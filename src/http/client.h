// A small synchronous HTTP/1.1 client for the CLI and for tests.
//
//   Client client({.address = "https://127.0.0.1:8200", .ca_cert_file = ca});
//   ASSIGN_OR_RETURN(ClientResponse r,
//                    client.Do("GET", "/v1/sys/health", "", {{"X-Vault-Token", t}}));
//
// Keeps one keep-alive connection and reuses it; if the server closed it in
// the meantime, the request is retried once on a fresh connection. TLS
// certificates and the host name (or IP address) are verified unless
// tls_skip_verify. Connection failures are Unavailable with a Go-style message
// ("dial tcp 127.0.0.1:8200: connection refused").
//
// Thread-safety: a Client is not thread-safe; use one per thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::http {

struct ClientOptions {
  std::string address = "http://127.0.0.1:8200";  // or https://host:port
  std::string ca_cert_file;                       // PEM; empty: the system trust store
  bool tls_skip_verify = false;
  std::string tls_server_name;   // SNI and the name verified; empty: the address host
  std::string client_cert_file;  // optional client certificate (mutual TLS)
  std::string client_key_file;
  int timeout_s = 60;  // per request (connect, write, read); <= 0: no deadline
};

struct ClientResponse {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; repeats joined by ", "
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // `target` is the request-target: "/v1/sys/health?standbycode=200".
  // `headers` are sent as given; Host, Content-Length and User-Agent are set
  // unless present.
  Result<ClientResponse> Do(std::string_view method, std::string_view target, std::string_view body,
                            const std::map<std::string, std::string>& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::http
