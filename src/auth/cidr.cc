#include "auth/cidr.h"

#include <arpa/inet.h>

#include <charconv>

namespace coffer::auth {
namespace {

std::optional<IpAddress> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = 4;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = 6;
    return ip;
  }
  return std::nullopt;
}

// ::ffff:a.b.c.d -> a.b.c.d
IpAddress Unmap(IpAddress ip) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (ip.family != 6) return ip;
  for (int i = 0; i < 12; ++i) {
    if (ip.bytes[i] != kMappedPrefix[i]) return ip;
  }
  IpAddress v4;
  v4.family = 4;
  for (int i = 0; i < 4; ++i) v4.bytes[i] = ip.bytes[12 + i];
  return v4;
}

bool PrefixEqual(const IpAddress& a, const IpAddress& b, int prefix) {
  int full = prefix / 8;
  for (int i = 0; i < full; ++i) {
    if (a.bytes[i] != b.bytes[i]) return false;
  }
  int rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

}  // namespace

Result<Cidr> ParseCidr(std::string_view text, std::string_view field) {
  auto bad = [&] {
    return InvalidArgument("invalid CIDR block \"" + std::string(text.substr(0, 64)) + "\" in \"" +
                           std::string(field) + "\"");
  };
  size_t slash = text.find('/');
  std::optional<IpAddress> ip = ParseIp(text.substr(0, slash));
  if (!ip) return bad();
  int max_prefix = ip->family == 4 ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 ||
        prefix > max_prefix) {
      return bad();
    }
  }
  Cidr c;
  c.prefix = prefix;
  c.network.family = ip->family;
  // Clear the host bits.
  for (int i = 0; i < max_prefix / 8; ++i) {
    int bits = prefix - i * 8;
    uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
    c.network.bytes[i] = ip->bytes[i] & mask;
  }
  return c;
}

Status ValidateCidrList(const std::vector<std::string>& cidrs, std::string_view field) {
  for (const std::string& c : cidrs) {
    auto parsed = ParseCidr(c, field);
    if (!parsed.ok()) return parsed.status();
  }
  return Status::Ok();
}

std::optional<IpAddress> ParseRemoteAddress(std::string_view remote_addr) {
  std::string_view host = remote_addr;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = host.substr(1, close - 1);
  } else if (host.find(':') != host.rfind(':')) {
    // Two or more colons and no brackets: a bare IPv6 address.
  } else if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::optional<IpAddress> ip = ParseIp(host);
  if (!ip) return std::nullopt;
  return Unmap(*ip);
}

bool CidrContains(const Cidr& block, const IpAddress& ip) {
  IpAddress addr = Unmap(ip);
  if (addr.family != block.network.family) return false;
  return PrefixEqual(block.network, addr, block.prefix);
}

bool CidrListWithin(const std::vector<std::string>& inner, const std::vector<std::string>& outer) {
  std::vector<Cidr> outer_blocks;
  for (const std::string& o : outer) {
    auto c = ParseCidr(o, "");
    if (c.ok()) outer_blocks.push_back(*c);
  }
  for (const std::string& i : inner) {
    auto c = ParseCidr(i, "");
    if (!c.ok()) return false;
    bool inside = false;
    for (const Cidr& o : outer_blocks) {
      if (o.network.family == c->network.family && o.prefix <= c->prefix &&
          PrefixEqual(o.network, c->network, o.prefix)) {
        inside = true;
        break;
      }
    }
    if (!inside) return false;
  }
  return true;
}

Status CheckRemoteAddress(const std::vector<std::string>& cidrs, const EngineRequest& req) {
  if (cidrs.empty()) return Status::Ok();
  if (req.original == nullptr) return PermissionDenied();
  std::optional<IpAddress> ip = ParseRemoteAddress(req.original->remote_addr);
  if (!ip) return PermissionDenied();
  for (const std::string& c : cidrs) {
    auto block = ParseCidr(c, "");
    if (block.ok() && CidrContains(*block, *ip)) return Status::Ok();
  }
  return PermissionDenied();
}

}  // namespace coffer::auth
