// Hashes, HMAC and constant-time comparison (OpenSSL 3 underneath; HMAC over
// its SHA-256 block functions, see hmac_key.h).
//
// Thread-safety: pure functions; safe from any thread.
// Invariants: digests are returned raw (not hex); use HexEncode to print.
// Secrets (MACs, tokens, keys) must be compared with ConstantTimeEqual, never
// with == or memcmp.
#pragma once

#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::crypto {

// Raw 32-byte SHA-256 digest.
std::string Sha256(std::string_view data);
// Raw 64-byte SHA-512 digest.
std::string Sha512(std::string_view data);
// Raw 32-byte HMAC-SHA256 of data under key.
std::string HmacSha256(std::string_view key, std::string_view data);

// True when a and b are byte-for-byte equal. Runs in time independent of the
// contents; only whether the lengths differ can leak.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// Raw digest by Vault-style algorithm name: "sha2-224", "sha2-256",
// "sha2-384", "sha2-512", "sha3-224", "sha3-256", "sha3-384", "sha3-512".
// An unknown name is kInvalidArgument.
Result<std::string> HashByName(std::string_view algorithm, std::string_view data);

}  // namespace coffer::crypto
