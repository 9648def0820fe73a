#include "cluster/server.h"

#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/server_credentials.h>

#include "common/host_port.h"

namespace coffer::cluster {
namespace {

// The client pings every 10 s even when idle (dial.cc) so a cut connection is
// noticed; the server must accept that rather than answer GOAWAY
// "too_many_pings", and pings its clients the same way.
void SetTransportArgs(grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
}

std::string PeerCertPem(const grpc::ServerContext& ctx) {
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (!auth) return "";
  std::vector<grpc::string_ref> values = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const std::string& address, const ServerTls& tls,
                                              const std::vector<grpc::Service*>& services) {
  ASSIGN_OR_RETURN(HostPort listen,
                   SplitHostPort(address, {.allow_zero_port = true, .allow_empty_host = true}));
  // ":8201" means every interface (as in the server config); gRPC wants a host.
  if (listen.host.empty()) listen.host = "0.0.0.0";
  const std::string bind_address = listen.host + ":" + std::to_string(listen.port);
  RETURN_IF_ERROR(CheckCertKey(tls.identity, "cluster server identity"));
  RETURN_IF_ERROR(CheckCertBundle(tls.client_ca_pem, "cluster client CA"));

  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = tls.client_ca_pem;
  options.pem_key_cert_pairs.push_back({tls.identity.key_pem, tls.identity.cert_pem});

  grpc::ServerBuilder builder;
  SetTransportArgs(builder);
  int bound_port = 0;
  builder.AddListeningPort(bind_address, grpc::SslServerCredentials(options), &bound_port);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port == 0) {
    if (server) server->Shutdown();
    return Unavailable("cannot listen on cluster address " + address +
                       " (address in use or not local)");
  }
  return std::unique_ptr<Server>(new Server(std::move(server), listen.host, bound_port));
}

Server::~Server() { Shutdown(std::chrono::seconds(2)); }

void Server::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
}

std::string Server::address() const { return host_ + ":" + std::to_string(port_); }

std::string PeerFingerprint(const grpc::ServerContext& ctx) {
  std::string pem = PeerCertPem(ctx);
  if (pem.empty()) return "";
  Result<std::string> fingerprint = CertFingerprint(pem);
  return fingerprint.ok() ? *fingerprint : "";
}

std::string PeerCommonName(const grpc::ServerContext& ctx) {
  std::string pem = PeerCertPem(ctx);
  if (pem.empty()) return "";
  Result<std::string> cn = CertCommonName(pem);
  return cn.ok() ? *cn : "";
}

}  // namespace coffer::cluster
