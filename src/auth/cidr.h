// CIDR blocks for auth methods: parsing the lists a role or user is bound to
// (token_bound_cidrs, secret_id_bound_cidrs, cidr_list) and checking a
// client's address against them.
//
// Thread-safety: pure functions and plain values.
// Invariants: a parsed Cidr has its host bits cleared; IPv4 blocks are kept
// as IPv4 (family 4) and an IPv4-mapped IPv6 client address ("::ffff:a.b.c.d")
// is matched as the IPv4 address it carries. A bare address is a full-length
// block (/32 or /128), as Vault accepts.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/engine.h"
#include "coffer/status.h"

namespace coffer::auth {

struct IpAddress {
  int family = 4;                   // 4 or 6
  std::array<uint8_t, 16> bytes{};  // first 4 used for IPv4
};

struct Cidr {
  IpAddress network;
  int prefix = 0;  // 0..32 or 0..128
};

// "10.0.0.0/8", "10.1.2.3", "fd00::/8", "::1". `field` names the request
// field in the error message.
Result<Cidr> ParseCidr(std::string_view text, std::string_view field);

// Every entry parses (the list itself is kept as the client wrote it).
Status ValidateCidrList(const std::vector<std::string>& cidrs, std::string_view field);

// The address part of "ip:port", "[v6]:port", or a bare address; nullopt
// when it is not an IP address.
std::optional<IpAddress> ParseRemoteAddress(std::string_view remote_addr);

bool CidrContains(const Cidr& block, const IpAddress& ip);

// True when every block of `inner` lies inside some block of `outer`. Both
// lists must already be valid. An empty `outer` contains nothing.
bool CidrListWithin(const std::vector<std::string>& inner, const std::vector<std::string>& outer);

// OK when `cidrs` is empty or the request's client address lies inside one of
// them; otherwise (including an unknown client address) PermissionDenied.
Status CheckRemoteAddress(const std::vector<std::string>& cidrs, const EngineRequest& req);

}  // namespace coffer::auth
