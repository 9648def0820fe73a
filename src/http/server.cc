// The listener: address parsing, TLS context, acceptor, I/O threads, Stop.
// Per-connection work lives in connection.cc.
#include "http/server.h"

#include <pthread.h>

#include <openssl/ssl.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <vector>

#include "common/log.h"
#include "http/connection.h"

namespace coffer::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

std::string EndpointString(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string host = addr.to_string();
  if (addr.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

Result<tcp::endpoint> ResolveListenAddress(asio::io_context& ioc, const std::string& address) {
  std::string host;
  std::string port_text;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return InvalidArgument("invalid listen address \"" + address + "\"");
    }
    host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      return InvalidArgument("invalid listen address \"" + address + "\": missing port");
    }
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    return InvalidArgument("invalid port in listen address \"" + address + "\"");
  }
  const auto port = static_cast<uint16_t>(std::stoi(port_text));
  if (host.empty()) host = "0.0.0.0";
  error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(ip, port);
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, port_text, ec);
  if (ec || results.empty()) {
    return InvalidArgument("cannot resolve listen address \"" + address +
                           "\": " + (ec ? ec.message() : "no addresses"));
  }
  return results.begin()->endpoint();
}

Result<int> TlsVersionFor(const std::string& name) {
  if (name == "tls10") return TLS1_VERSION;
  if (name == "tls11") return TLS1_1_VERSION;
  if (name == "tls12" || name.empty()) return TLS1_2_VERSION;
  if (name == "tls13") return TLS1_3_VERSION;
  return InvalidArgument("invalid tls_min_version \"" + name +
                         "\": want tls10, tls11, tls12 or tls13");
}

Result<std::unique_ptr<asio::ssl::context>> BuildTlsContext(const ServerOptions& o) {
  if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
    return InvalidArgument("TLS enabled but tls_cert_file or tls_key_file is not set");
  }
  ASSIGN_OR_RETURN(const int min_version, TlsVersionFor(o.tls_min_version));
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), min_version) != 1) {
    return InvalidArgument("cannot set TLS minimum version " + o.tls_min_version);
  }
  error_code ec;
  ctx->use_certificate_chain_file(o.tls_cert_file, ec);
  if (ec) {
    return InvalidArgument("error loading TLS certificate " + o.tls_cert_file + ": " +
                           ec.message());
  }
  ctx->use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) return InvalidArgument("error loading TLS key " + o.tls_key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return InvalidArgument("TLS key " + o.tls_key_file + " does not match certificate " +
                           o.tls_cert_file);
  }
  if (!o.tls_client_ca_file.empty()) {
    ctx->load_verify_file(o.tls_client_ca_file, ec);
    if (ec) {
      return InvalidArgument("error loading TLS client CA " + o.tls_client_ca_file + ": " +
                             ec.message());
    }
    auto mode = asio::ssl::verify_peer;
    if (o.tls_require_client_cert) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode);
  } else if (o.tls_require_client_cert) {
    return InvalidArgument("tls_require_client_cert needs tls_client_ca_file");
  }
  return ctx;
}

ServerOptions Normalize(ServerOptions o) {
  if (o.io_threads <= 0) o.io_threads = 2;
  if (o.worker_threads <= 0) o.worker_threads = 64;
  if (o.fiber_threads <= 0) o.fiber_threads = 2;
  if (o.max_request_size == 0) o.max_request_size = 32 << 20;
  if (o.max_header_bytes == 0) o.max_header_bytes = 64 << 10;
  if (o.read_header_timeout.count() <= 0) o.read_header_timeout = o.read_timeout;
  if (o.idle_timeout.count() <= 0) o.idle_timeout = o.read_timeout;
  return o;
}

}  // namespace

// One I/O thread with its own io_context: the connections it owns are served
// by that thread alone, so they need no strand and a burst of ready sockets
// is handled in one pass without waking another thread.
struct IoLoop {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{asio::make_work_guard(ioc)};
  std::thread thread;
};

struct Server::Impl {
  explicit Impl(std::shared_ptr<internal::ServerShared> s)
      : shared(std::move(s)),
        loops(MakeLoops(shared->options.io_threads)),
        workers(shared->options.worker_threads),
        fibers(shared->options.fiber_threads, WorkerPool::Runs::kOnFibers),
        acceptor(loops.front()->ioc),
        accept_retry(loops.front()->ioc) {
    shared->workers = &workers;
    shared->fibers = &fibers;
  }

  static std::vector<std::unique_ptr<IoLoop>> MakeLoops(int n) {
    std::vector<std::unique_ptr<IoLoop>> out;
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<IoLoop>());
    return out;
  }

  // Runs on the first loop's thread only (accept handlers), so next_loop
  // needs no lock. New connections go to the loops in turn.
  void Accept() {
    asio::io_context& owner = loops[next_loop]->ioc;
    next_loop = (next_loop + 1) % loops.size();
    acceptor.async_accept(owner, [this, &owner](error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || shared->stopping) return;
        // E.g. out of file descriptors: back off instead of spinning.
        COFFER_LOG(kWarn, "http") << "accept: " << ec.message();
        accept_retry.expires_after(std::chrono::milliseconds(100));
        accept_retry.async_wait([this](error_code) {
          if (!shared->stopping) Accept();
        });
        return;
      }
      error_code rec;
      const auto remote = socket.remote_endpoint(rec);
      if (!rec) {
        internal::StartConnection(shared, owner, std::move(socket), EndpointString(remote));
      }
      Accept();
    });
  }

  // Declaration order is destruction order in reverse: the io_contexts must
  // outlive the worker pool (whose abandoned jobs hold connections) and the
  // acceptor.
  std::shared_ptr<internal::ServerShared> shared;
  std::vector<std::unique_ptr<IoLoop>> loops;
  WorkerPool workers;
  WorkerPool fibers;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  size_t next_loop = 0;
  std::string bound_address;
  std::atomic<bool> stopped{false};
};

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler handler) {
  if (!handler) return InvalidArgument("http server needs a handler");
  auto shared = std::make_shared<internal::ServerShared>();
  shared->options = Normalize(options);
  shared->handler = std::move(handler);
  if (shared->options.tls) {
    ASSIGN_OR_RETURN(shared->tls, BuildTlsContext(shared->options));
  }
  auto impl = std::make_unique<Impl>(shared);
  ASSIGN_OR_RETURN(const tcp::endpoint endpoint,
                   ResolveListenAddress(impl->loops.front()->ioc, shared->options.address));
  error_code ec;
  auto fail = [&](const char* step) {
    return IOError("listen tcp " + shared->options.address + ": " + step + ": " + ec.message());
  };
  if (impl->acceptor.open(endpoint.protocol(), ec); ec) return fail("socket");
  if (impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
    return fail("setsockopt");
  }
  if (impl->acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return fail("listen");
  }
  const auto local = impl->acceptor.local_endpoint(ec);
  if (ec) return fail("getsockname");
  impl->bound_address = EndpointString(local);

  impl->Accept();
  for (auto& loop : impl->loops) {
    loop->thread = std::thread([ioc = &loop->ioc] {
      pthread_setname_np(pthread_self(), "coffer-http-io");
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          // Handlers do not throw by design; keep serving if one does.
          COFFER_LOG(kError, "http") << "I/O thread caught: " << e.what();
        }
      }
    });
  }
  COFFER_LOG(kInfo, "http") << "listening on " << impl->bound_address
                            << (shared->options.tls ? " (TLS)" : " (plain HTTP)");
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

std::string Server::BoundAddress() const { return impl_->bound_address; }

void Server::Stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  impl_->shared->stopping = true;
  for (auto& loop : impl_->loops) loop->ioc.stop();
  for (auto& loop : impl_->loops) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  // Let running handlers finish; queued ones are abandoned.
  impl_->workers.Stop();
  impl_->fibers.Stop();
  // No I/O thread runs now, so touching sockets from here is safe.
  error_code ec;
  impl_->acceptor.close(ec);
  for (auto& connection : impl_->shared->Live()) connection->Close();
}

}  // namespace coffer::http
