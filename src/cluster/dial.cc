#include "cluster/dial.h"

#include <grpcpp/security/credentials.h>

#include "common/host_port.h"
#include "cluster/server.h"

namespace coffer::cluster {

Result<std::string> GrpcTarget(std::string_view cluster_addr) {
  std::string_view rest = cluster_addr;
  size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    std::string_view scheme = rest.substr(0, scheme_end);
    if (scheme != "https" && scheme != "http" && scheme != "tcp") {
      return InvalidArgument("cluster address \"" + std::string(cluster_addr.substr(0, 200)) +
                             "\": unsupported scheme (use https://host:port or host:port)");
    }
    rest = rest.substr(scheme_end + 3);
  }
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) rest = rest.substr(0, slash);
  ASSIGN_OR_RETURN(HostPort hp, SplitHostPort(rest));
  return hp.host + ":" + std::to_string(hp.port);
}

Result<std::shared_ptr<grpc::Channel>> Dial(std::string_view cluster_addr, const DialTls& tls) {
  ASSIGN_OR_RETURN(std::string target, GrpcTarget(cluster_addr));
  RETURN_IF_ERROR(CheckCertBundle(tls.server_ca_pem, "cluster server CA"));
  RETURN_IF_ERROR(CheckCertKey(tls.client, "cluster client identity"));

  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.server_ca_pem;
  options.pem_private_key = tls.client.key_pem;
  options.pem_cert_chain = tls.client.cert_pem;

  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(kClusterServerName);
  // Own subchannels: channels with equal arguments would otherwise share one
  // connection process-wide, and a redial would not reconnect.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, grpc::SslCredentials(options), args);
  if (!channel) return Internal("cannot create a cluster channel to " + target);
  return channel;
}

}  // namespace coffer::cluster
