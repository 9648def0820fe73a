#include "http/client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <optional>

namespace coffer::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr uint64_t kMaxResponseBody = uint64_t{1} << 30;
constexpr uint32_t kMaxResponseHeader = 64 << 10;

// Go-style error text: "connection refused", "i/o timeout".
std::string ErrorText(const error_code& ec) {
  if (ec == beast::error::timeout) return "i/o timeout";
  if (ec == asio::error::eof || ec == bhttp::error::end_of_stream) return "EOF";
  std::string m = ec.message();
  if (!m.empty() && m[0] >= 'A' && m[0] <= 'Z' && !(m.size() > 1 && m[1] >= 'A' && m[1] <= 'Z')) {
    m[0] = static_cast<char>(m[0] - 'A' + 'a');
  }
  return m;
}

bool IsIpAddress(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

struct Client::Impl {
  ClientOptions opts;
  Status config_error;  // reported by every Do when the options are unusable
  bool tls = false;
  std::string scheme;
  std::string host;  // without brackets
  std::string port;
  std::string host_port;  // "127.0.0.1:8200" / "[::1]:8200", also the Host header
  std::string server_name;

  asio::io_context ioc;
  std::unique_ptr<asio::ssl::context> ssl_ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<TlsStream> secure;
  beast::flat_buffer buffer;

  explicit Impl(ClientOptions o) : opts(std::move(o)) { config_error = Configure(); }

  Status Configure() {
    std::string_view rest = opts.address;
    if (rest.rfind("https://", 0) == 0) {
      tls = true;
      rest.remove_prefix(8);
    } else if (rest.rfind("http://", 0) == 0) {
      rest.remove_prefix(7);
    } else if (rest.find("://") != std::string_view::npos) {
      return InvalidArgument("unsupported address scheme in \"" + opts.address + "\"");
    }
    scheme = tls ? "https" : "http";
    rest = rest.substr(0, rest.find('/'));
    if (rest.empty()) return InvalidArgument("invalid address \"" + opts.address + "\"");
    if (rest[0] == '[') {
      const size_t close = rest.find(']');
      if (close == std::string_view::npos) {
        return InvalidArgument("invalid address \"" + opts.address + "\"");
      }
      host = std::string(rest.substr(1, close - 1));
      auto after = rest.substr(close + 1);
      port = after.size() > 1 && after[0] == ':' ? std::string(after.substr(1)) : "";
    } else {
      const size_t colon = rest.rfind(':');
      host = std::string(rest.substr(0, colon));
      port = colon == std::string_view::npos ? "" : std::string(rest.substr(colon + 1));
    }
    if (port.empty()) port = tls ? "443" : "80";
    if (host.empty()) return InvalidArgument("invalid address \"" + opts.address + "\"");
    host_port = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
    server_name = opts.tls_server_name.empty() ? host : opts.tls_server_name;
    if (!tls) return Status::Ok();

    ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ssl_ctx->native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (opts.tls_skip_verify) {
      ssl_ctx->set_verify_mode(asio::ssl::verify_none);
    } else {
      if (opts.ca_cert_file.empty()) {
        ssl_ctx->set_default_verify_paths(ec);
      } else {
        ssl_ctx->load_verify_file(opts.ca_cert_file, ec);
      }
      if (ec) return InvalidArgument("error loading CA certificate: " + ec.message());
      ssl_ctx->set_verify_mode(asio::ssl::verify_peer);
    }
    if (!opts.client_cert_file.empty()) {
      ssl_ctx->use_certificate_chain_file(opts.client_cert_file, ec);
      if (!ec) ssl_ctx->use_private_key_file(opts.client_key_file, asio::ssl::context::pem, ec);
      if (ec) return InvalidArgument("error loading client certificate: " + ec.message());
    }
    return Status::Ok();
  }

  template <class Initiate>
  error_code Run(Initiate&& initiate) {
    error_code result = asio::error::would_block;
    initiate([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  beast::tcp_stream& Lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  bool Connected() const { return plain.has_value() || secure.has_value(); }

  void Disconnect() {
    if (Connected()) {
      error_code ec;
      Lowest().socket().close(ec);
    }
    secure.reset();
    plain.reset();
    buffer.clear();
  }

  // A non-positive timeout_s means no deadline.
  void ArmDeadline(beast::tcp_stream& stream, std::chrono::steady_clock::time_point deadline) {
    if (opts.timeout_s > 0) {
      stream.expires_at(deadline);
    } else {
      stream.expires_never();
    }
  }

  Status Connect(std::chrono::steady_clock::time_point deadline) {
    const std::string dial = "dial tcp " + host_port + ": ";
    tcp::resolver resolver(ioc);
    error_code ec;
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return Unavailable("dial tcp: lookup " + host + ": " + ErrorText(ec));
    plain.emplace(ioc);
    ArmDeadline(*plain, deadline);
    ec = Run([&](auto handler) { plain->async_connect(endpoints, std::move(handler)); });
    if (ec) {
      Disconnect();
      return Unavailable(dial + ErrorText(ec));
    }
    plain->socket().set_option(tcp::no_delay(true), ec);
    if (!tls) return Status::Ok();

    secure.emplace(std::move(*plain), *ssl_ctx);
    plain.reset();
    SSL* ssl = secure->native_handle();
    if (!IsIpAddress(server_name)) SSL_set_tlsext_host_name(ssl, server_name.c_str());
    if (!opts.tls_skip_verify) {
      if (IsIpAddress(server_name)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str());
      } else {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        SSL_set1_host(ssl, server_name.c_str());
      }
    }
    ec = Run([&](auto handler) {
      secure->async_handshake(asio::ssl::stream_base::client, std::move(handler));
    });
    if (ec) {
      std::string why = ErrorText(ec);
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK)
        why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
      Disconnect();
      return Unavailable("tls handshake with " + host_port + ": " + why);
    }
    return Status::Ok();
  }

  struct Attempt {
    Result<ClientResponse> result;
    bool stale = false;  // the reused connection was dead before any reply
  };

  template <class Stream>
  Attempt RoundTrip(Stream& stream, bhttp::request<bhttp::string_body>& req, bool head,
                    const std::string& what) {
    error_code ec = Run([&](auto handler) { bhttp::async_write(stream, req, std::move(handler)); });
    if (ec) return {Unavailable(what + ErrorText(ec)), true};
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    parser.header_limit(kMaxResponseHeader);
    if (head) parser.skip(true);
    ec = Run([&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
    if (ec) {
      const bool stale = !parser.got_some() &&
                         (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                          ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
      return {Unavailable(what + ErrorText(ec)), stale};
    }
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto [it, inserted] = out.headers.emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) Disconnect();
    return {std::move(out), false};
  }

  Result<ClientResponse> Do(std::string_view method, std::string_view target, std::string_view body,
                            const std::map<std::string, std::string>& headers) {
    RETURN_IF_ERROR(config_error);
    bhttp::request<bhttp::string_body> req;
    req.version(11);
    req.method_string(beast::string_view(method.data(), method.size()));
    req.target(beast::string_view(target.data(), target.size()));
    req.set(bhttp::field::host, host_port);
    req.set(bhttp::field::user_agent, "coffer/" COFFER_VERSION);
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::string(body);
    req.prepare_payload();
    const bool head = method == "HEAD";
    const std::string what =
        std::string(method) + " \"" + scheme + "://" + host_port + std::string(target) + "\": ";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opts.timeout_s);

    for (int attempt = 0;; ++attempt) {
      const bool reused = Connected();
      if (!reused) RETURN_IF_ERROR(Connect(deadline));
      ArmDeadline(Lowest(), deadline);
      Attempt a = secure ? RoundTrip(*secure, req, head, what) : RoundTrip(*plain, req, head, what);
      if (a.result.ok()) return std::move(a.result);
      Disconnect();
      if (!(reused && a.stale && attempt == 0)) return a.result.status();
    }
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

Result<ClientResponse> Client::Do(std::string_view method, std::string_view target,
                                  std::string_view body,
                                  const std::map<std::string, std::string>& headers) {
  try {
    return impl_->Do(method, target, body, headers);
  } catch (const std::exception& e) {  // Beast throws on malformed header names/values
    impl_->Disconnect();
    return InvalidArgument(std::string("http request: ") + e.what());
  }
}

}  // namespace coffer::http
