// Certificates of the cluster port (8201): a per-replication-set CA and the
// server and client leaves it signs, minted in-process with OpenSSL 3.
//
// Thread-safety: pure functions; safe from any thread.
// Invariants: every key is a fresh EC P-256 key; certificates are signed with
// ECDSA-SHA256; PEM in, PEM out (keys as unencrypted PKCS#8). Keys are
// secrets: nothing here logs them and error messages never include PEM text.
// Every server certificate carries the DNS SAN kClusterServerName, which
// clients verify instead of the dialled host, so cluster addresses may be IP
// addresses or DNS names.
#pragma once

#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::cluster {

struct CertKey {
  std::string cert_pem;
  std::string key_pem;  // secret
};

// DNS SAN of every server cert; clients verify it (ssl_target_name_override).
inline constexpr char kClusterServerName[] = "coffer-cluster";

// A self-signed CA: EC P-256, CN = common_name, basicConstraints CA:TRUE
// (critical, pathlen 0), keyUsage keyCertSign + cRLSign, valid 10 years.
Result<CertKey> NewCa(std::string_view common_name);

enum class CertUsage { kServer, kClient };

// A leaf signed by `ca`: fresh EC P-256 key, CN = common_name, random 128-bit
// serial, basicConstraints CA:FALSE, keyUsage digitalSignature, and
// extendedKeyUsage serverAuth (kServer, plus SAN DNS:coffer-cluster) or
// clientAuth (kClient). Valid from one hour ago (clock skew) for `days` days.
// kInvalidArgument when `ca` does not parse, its key does not match its
// certificate, or days is not positive.
Result<CertKey> IssueCert(const CertKey& ca, std::string_view common_name, CertUsage usage,
                          int days = 3650);

// SHA-256 of the certificate's DER, lower-case hex (64 characters).
Result<std::string> CertFingerprint(std::string_view cert_pem);

// The subject's CN ("" when the subject has none).
Result<std::string> CertCommonName(std::string_view cert_pem);

// Checks a PEM bundle holds at least one certificate and nothing unparsable
// (for CA bundles before they reach gRPC, whose errors are opaque).
Status CheckCertBundle(std::string_view pem, std::string_view what);

// Checks cert and key parse and belong together.
Status CheckCertKey(const CertKey& pair, std::string_view what);

}  // namespace coffer::cluster
