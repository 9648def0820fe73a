// Activation tokens and the bootstrap package they unlock.
//
// secondary-token on a primary mints a package (ActivationPackage: the set's
// ids, the primary's cluster address, the CA that signed the primary's server
// certificate, the secondary's client certificate and key, the set
// generation, and the primary's root key) and stores it response-wrapped: the
// wrapping token *is* the activation token. The token is JWT-shaped
// (header.payload.signature, base64url), as Vault's is, so operators' tools
// can read its payload: `addr` is the primary's API address the secondary
// unwraps at. The signature (HMAC-SHA256 under a per-set key) lets the primary
// recognise its own tokens; what makes a token usable is the wrapping token
// behind it (single use, TTL, revocable).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/json.h"
#include "coffer/status.h"
#include "replication/types.h"

namespace coffer::replication {

struct ActivationClaims {
  Type type = Type::kPerformance;
  std::string addr;          // the primary's API address ("https://10.0.0.1:8200")
  std::string cluster_addr;  // the primary's cluster address
  std::string secondary_id;
  std::string cluster_id;
  int64_t issued_at = 0;     // Unix seconds
  int64_t expires_at = 0;    // Unix seconds
  std::string nonce;         // random: no two tokens are equal
};

// header.payload.signature.
std::string EncodeActivationToken(const ActivationClaims& claims, std::string_view signing_key);
// Reads the payload without checking the signature (the secondary has no key).
// kInvalidArgument for anything that is not a well-formed activation token.
Result<ActivationClaims> DecodeActivationToken(std::string_view token);
// Also checks the signature (constant time) and the expiry against `now`.
Result<ActivationClaims> VerifyActivationToken(std::string_view token, std::string_view signing_key,
                                               int64_t now);

struct ActivationPackage {
  Type type = Type::kPerformance;
  std::string cluster_id;
  std::string secondary_id;
  std::string primary_cluster_addr;
  std::string primary_api_addr;
  std::string server_ca_pem;  // verifies the primary's cluster-port certificate
  std::string client_cert_pem, client_key_pem;
  uint64_t generation = 1;
  std::string root_key;  // 32 bytes: opens the primary's keyring after bootstrap
};

Json PackageToJson(const ActivationPackage& p);
Result<ActivationPackage> PackageFromJson(const Json& j);

}  // namespace coffer::replication
