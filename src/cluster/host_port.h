// "host:port" parsing shared by the cluster server (listen address) and dial
// (peer address).
//
// Thread-safety: pure functions.
// Invariants: an IPv6 host keeps its brackets ("[::1]"), so host + ":" + port
// is always a valid gRPC target again.
#pragma once

#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::cluster {

struct HostPort {
  std::string host;  // a DNS name, an IPv4 literal or a bracketed IPv6 literal
  int port = 0;
};

// Splits "host:port" / "[v6]:port". kInvalidArgument for a missing or
// non-numeric port, a port over 65535 (or 0 unless allow_zero), an empty
// host, an unbracketed IPv6 literal, or characters no host name has.
Result<HostPort> SplitHostPort(std::string_view text, bool allow_zero);

}  // namespace coffer::cluster
