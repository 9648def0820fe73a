// Client side of the cluster port: mutual-TLS gRPC channels to a peer.
//
// Thread-safety: pure functions; a returned channel is safe to share between
// threads (gRPC channels are).
// Invariants: every channel verifies the server certificate against the
// given CA bundle and the fixed name kClusterServerName (never the dialled
// host), presents the given client certificate, and owns its connection (a
// local subchannel pool), so a new Dial re-resolves DNS and reconnects.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>

#include "cluster/certs.h"
#include "coffer/status.h"

namespace coffer::cluster {

struct DialTls {
  std::string server_ca_pem;  // CA cert(s) the server certificate must chain to
  CertKey client;             // this node's client certificate + key
};

// "https://host:8201", "host:8201", "[::1]:8201" -> "host:8201" / "[::1]:8201"
// (a trailing "/" or path after the port is dropped); kInvalidArgument for a
// missing port, another scheme, or garbage.
Result<std::string> GrpcTarget(std::string_view cluster_addr);

// A fresh channel (never shared: a new Dial re-resolves DNS names) to
// cluster_addr with mutual TLS, verifying the server's cert against
// server_ca_pem and the name kClusterServerName
// (GRPC_SSL_TARGET_NAME_OVERRIDE_ARG), with short reconnect backoff (initial
// 100 ms, max 2 s) and keepalive (10 s, timeout 5 s, permit without calls) so
// a cut connection is noticed. Connecting is lazy: a refused handshake shows
// up as UNAVAILABLE on the first RPC. kInvalidArgument for a bad address or
// unparsable certificates.
Result<std::shared_ptr<grpc::Channel>> Dial(std::string_view cluster_addr, const DialTls& tls);

}  // namespace coffer::cluster
