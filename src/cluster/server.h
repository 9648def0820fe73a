// The cluster-port (8201) gRPC server: mutual TLS, the client certificate
// required and verified against the trusted CAs (the union of the
// replication sets' CAs). Which peer may call which RPC is the services'
// business: they read the verified certificate with PeerFingerprint /
// PeerCommonName.
//
// Thread-safety: Start, Shutdown and the destructor are called by the owner
// from one thread; port()/address() are immutable after Start. The services
// run on gRPC's own threads.
// Invariants: a started Server listens until Shutdown; after Shutdown returns
// no handler runs and the port is released (SO_REUSEPORT is off, so a bind to
// a port in use fails instead of silently sharing it). Streaming handlers must
// watch ServerContext::IsCancelled(): Shutdown cancels them at the grace
// deadline and then waits for them to return.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cluster/certs.h"
#include "coffer/status.h"

namespace coffer::cluster {

// Largest message either side of the cluster port accepts (gRPC's default is
// 4 MiB; Merkle-sync fetches and forwarded requests may be larger).
inline constexpr int kMaxMessageBytes = 64 << 20;

struct ServerTls {
  CertKey identity;            // the server's cert + key
  std::string client_ca_pem;   // one or more CA certs (concatenated PEM) client certs must chain to
};

class Server {
 public:
  // Binds `address` ("host:port"; port 0 = any free port; ":port" = every
  // interface, as "0.0.0.0:port") with mutual TLS
  // (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY) and serves
  // `services` (not owned; must outlive the server). kInvalidArgument for
  // unparsable certificates; kUnavailable with a clear message when the bind
  // fails.
  static Result<std::unique_ptr<Server>> Start(const std::string& address, const ServerTls& tls,
                                               const std::vector<grpc::Service*>& services);
  ~Server();  // Shutdown(2 s deadline) then wait

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting, lets calls in flight finish for up to `grace`, cancels
  // the rest and waits for every handler to return. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);
  int port() const { return port_; }             // the bound port
  std::string address() const;                   // host:bound-port ("0.0.0.0" for "")

 private:
  Server(std::unique_ptr<grpc::Server> server, std::string host, int port)
      : server_(std::move(server)), host_(std::move(host)), port_(port) {}

  std::unique_ptr<grpc::Server> server_;
  std::string host_;
  int port_;
  bool shut_down_ = false;
};

// The verified client certificate of the calling peer (x509_pem_cert of the
// auth context): its SHA-256 fingerprint (lower-case hex) / CN; "" when absent.
std::string PeerFingerprint(const grpc::ServerContext& ctx);
std::string PeerCommonName(const grpc::ServerContext& ctx);

}  // namespace coffer::cluster
