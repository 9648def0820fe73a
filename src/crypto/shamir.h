// Shamir's secret sharing over GF(2^8) (AES field polynomial
// x^8 + x^4 + x^3 + x + 1), used to split the root key into unseal keys.
//
// Thread-safety: pure functions; safe from any thread.
// Share format: len(secret) + 1 bytes: one y-value per secret byte, then a
// single trailing byte holding the share's x-coordinate (non-zero, distinct
// across the shares of one split, assigned in random order).
// Side channels: field arithmetic on secret data (y-values, coefficients,
// results) uses no secret-indexed table and no secret-dependent branch:
// multiplication is a masked shift-and-add loop, inversion is a^254 by a fixed
// square-and-multiply chain. Only public facts (share count, lengths and the
// x-coordinates, which are not secret) steer control flow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"

namespace coffer::crypto {

// Splits secret (non-empty) into `parts` shares, any `threshold` of which
// recover it. REQUIRES 2 <= threshold <= parts <= 255 (else kInvalidArgument).
// Each byte of the secret gets its own random polynomial of degree
// threshold-1 whose constant term is that byte.
Result<std::vector<std::string>> ShamirSplit(std::string_view secret, int parts, int threshold);

// Recovers the secret by Lagrange interpolation at x = 0. Needs at least two
// shares of equal length >= 2 with distinct, non-zero x-coordinates
// (kInvalidArgument otherwise). Fewer shares than the split's threshold
// produce an unrelated byte string, not an error: the scheme cannot tell.
Result<std::string> ShamirCombine(const std::vector<std::string>& shares);

namespace gf256 {
// Exposed for tests. Both run in constant time.
uint8_t Mul(uint8_t a, uint8_t b);
// Multiplicative inverse; Inverse(0) is 0.
uint8_t Inverse(uint8_t a);
}  // namespace gf256

}  // namespace coffer::crypto
