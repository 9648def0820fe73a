// Private to src/http (included only from .cc files: it pulls in Asio).
//
// What the listener (server.cc) and its connections (connection.cc) share,
// and the entry point that starts serving one accepted socket.
//
// Lifetime: ServerShared is owned jointly (shared_ptr) by the server and by
// every connection, so whichever is destroyed last frees it. The worker pool
// it points at is owned by the server and outlives all I/O (the server joins
// its I/O threads before destroying anything).
//
// Thread-safety: `mu` guards the registry of live connections; nothing else in
// ServerShared changes after Start. ConnectionBase::Close() may be called only
// once no I/O thread is running (Server::Stop).
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "http/server.h"
#include "http/worker_pool.h"

namespace coffer::http::internal {

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Closes the socket. REQUIRES: no I/O thread is running.
  virtual void Close() = 0;
};

struct ServerShared {
  ServerOptions options;  // normalized: positive thread counts, resolved timeouts
  Handler handler;
  std::unique_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  WorkerPool* workers = nullptr;                    // owned by the server
  WorkerPool* fibers = nullptr;                     // owned by the server; fiber mode
  std::atomic<bool> stopping{false};

  uint64_t Register(std::weak_ptr<ConnectionBase> connection);
  void Unregister(uint64_t id);
  std::vector<std::shared_ptr<ConnectionBase>> Live();

 private:
  std::mutex mu_;
  std::map<uint64_t, std::weak_ptr<ConnectionBase>> live_;  // guarded by mu_
  uint64_t next_id_ = 1;                                    // guarded by mu_
};

// Serves `socket` (TLS if shared->tls) until the peer goes away, a timeout
// fires or the server stops. `loop` is the io_context the socket belongs to,
// run by one thread, which does all of the connection's work.
void StartConnection(std::shared_ptr<ServerShared> shared, boost::asio::io_context& loop,
                     boost::asio::ip::tcp::socket socket, std::string remote_addr);

}  // namespace coffer::http::internal
