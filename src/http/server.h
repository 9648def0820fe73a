// The HTTP/1.1 listener: accepts TCP (optionally TLS) connections, parses
// requests with Boost.Beast, and hands each one to a Handler on a worker pool.
//
//   ServerOptions opts;
//   opts.address = "127.0.0.1:0";            // port 0: a free port
//   ASSIGN_OR_RETURN(auto server, Server::Start(opts, handler));
//   std::string addr = server->BoundAddress();  // "127.0.0.1:54321"
//
// Threading: `io_threads` threads each run their own asio io_context and own
// the connections accepted onto it (in turn), so a connection is only ever
// touched by one I/O thread. Handlers run on a separate pool of
// `worker_threads`, so a handler blocking on disk or the network never stalls
// I/O; the response is posted back to the connection's I/O thread for
// writing. Requests for which `serve_inline` answers true skip the pool and
// run on the I/O thread (no thread hand-off): it must accept only requests
// that never wait long (local reads). No mutex is held across I/O.
//
// Limits enforced before the handler sees anything: request bodies over
// `max_request_size` get 413 without being buffered; headers over
// `max_header_bytes` get 431; malformed HTTP gets 400 and the connection is
// closed; connections idle or slow beyond the timeouts are closed.
//
// Thread-safety: BoundAddress() and Stop() may be called from any thread
// except a handler (Stop waits for running handlers). Stop() is idempotent;
// the destructor calls it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "coffer/status.h"
#include "http/exchange.h"

namespace coffer::http {

struct ServerOptions {
  // "host:port", "[::1]:8200" or ":8200" (all interfaces). Port 0 picks a
  // free port; see Server::BoundAddress().
  std::string address = "127.0.0.1:8200";

  bool tls = false;                // off: plain HTTP
  std::string tls_cert_file;       // PEM certificate (chain allowed)
  std::string tls_key_file;        // PEM private key
  std::string tls_client_ca_file;  // if set, client certificates are verified
  bool tls_require_client_cert = false;
  std::string tls_min_version = "tls12";  // tls10 | tls11 | tls12 | tls13

  int64_t max_request_size = 32 << 20;  // bytes; 0: the default, < 0: unlimited
  uint32_t max_header_bytes = 64 << 10;

  // Zero disables a timeout; a zero header or idle timeout falls back to
  // read_timeout (as Go's net/http does). Enforced to within a quarter of
  // the shortest timeout (at most 1 s late).
  std::chrono::milliseconds read_header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds read_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};

  int io_threads = 2;
  // Handlers that may block. A durable write waits on its thread for the
  // group commit, so this bounds how many writes can share one fsync: 8
  // made groups of ~4.5 at 64 connections, 64 gave +30% kv v2 writes/s.
  int worker_threads = 64;

  // Handlers `serve_on_fiber` picks run as fibers on this many threads
  // (common/fiber.h): a durable write suspends its fiber for the group
  // commit instead of blocking a thread.
  int fiber_threads = 2;

  // Unset: every request goes to the worker pool. Called on an I/O thread
  // with the translated request; must be cheap and never block.
  std::function<bool(const Request&)> serve_inline;
  // Of the requests not served inline, those to run on the fiber pool: the
  // handler must keep fiber.h's rule (no lock held across a suspension that
  // another fiber takes by blocking its thread) and never block long (a
  // network call, a long wait, heavy CPU hold the pool's thread and every
  // fiber on it). Unset: none. Called on an I/O thread; cheap, never blocks.
  std::function<bool(const Request&)> serve_on_fiber;
};

class Server {
 public:
  // Binds, listens and starts serving. InvalidArgument for a bad address or
  // TLS configuration; IOError if the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler handler);

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();

  // The listening address, "127.0.0.1:54321" or "[::1]:54321".
  std::string BoundAddress() const;

  // Stops accepting, closes every connection and waits for running handlers.
  void Stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::http
