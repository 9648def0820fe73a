// "host:port" parsing: listener addresses in the server config, the cluster
// server's listen address and the peer addresses it dials.
//
// Thread-safety: pure functions.
// Invariants: an IPv6 host keeps its brackets ("[::1]"), so host + ":" + port
// is always a valid gRPC target again.
#pragma once

#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer {

struct HostPort {
  std::string host;  // a DNS name, an IPv4 literal or a bracketed IPv6 literal
  int port = 0;
};

struct HostPortRules {
  bool allow_zero_port = false;   // a listen address: port 0 = any free port
  bool allow_empty_host = false;  // a listen address: ":8200" = every interface
};

// Splits "host:port" / "[v6]:port". kInvalidArgument for a missing or
// non-numeric port, a port over 65535 (or 0 unless allowed), an empty host
// (unless allowed), an unbracketed IPv6 literal, or characters no host name
// has.
Result<HostPort> SplitHostPort(std::string_view text, HostPortRules rules = {});

}  // namespace coffer
