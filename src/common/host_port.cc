#include "common/host_port.h"

#include <cctype>

namespace coffer {
namespace {

bool IsHostNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool IsV6Char(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

}  // namespace

Result<HostPort> SplitHostPort(std::string_view text, HostPortRules rules) {
  const std::string quoted = "\"" + std::string(text.substr(0, 200)) + "\"";
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return InvalidArgument("address " + quoted + " is not [ipv6]:port");
    }
    host = text.substr(0, close + 1);
    port = text.substr(close + 2);
    if (host.size() < 3) return InvalidArgument("address " + quoted + " has an empty host");
    std::string_view literal = host.substr(1, host.size() - 2);
    size_t zone = literal.find('%');  // a zone id ("%eth0") is an interface name
    for (size_t i = 0; i < literal.size(); ++i) {
      bool ok = i < zone ? IsV6Char(literal[i]) : (i == zone || IsHostNameChar(literal[i]));
      if (!ok) return InvalidArgument("address " + quoted + " has an invalid IPv6 host");
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgument("address " + quoted + " has no port");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.empty() && !rules.allow_empty_host) {
      return InvalidArgument("address " + quoted + " has an empty host");
    }
    if (host.find(':') != std::string_view::npos) {
      return InvalidArgument("address " + quoted + ": write an IPv6 host in brackets, [::1]:8201");
    }
    for (char c : host) {
      if (!IsHostNameChar(c)) return InvalidArgument("address " + quoted + " has an invalid host");
    }
  }
  if (port.empty() || port.size() > 5) {
    return InvalidArgument("address " + quoted + " has no valid port");
  }
  int value = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return InvalidArgument("address " + quoted + " has no valid port");
    }
    value = value * 10 + (c - '0');
  }
  if (value > 65535 || (value == 0 && !rules.allow_zero_port)) {
    return InvalidArgument("address " + quoted + " has a port out of range");
  }
  return HostPort{std::string(host), value};
}

}  // namespace coffer
