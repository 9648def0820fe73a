// AES-256-GCM authenticated encryption (OpenSSL 3 EVP underneath).
//
// Thread-safety: pure functions; safe from any thread.
// Invariants: keys are exactly 32 bytes and nonces exactly 12 bytes
// (kInvalidArgument otherwise). Output of Seal is ciphertext || 16-byte tag.
// Open returns kCorruption for a failed tag or an input too short to hold a
// tag, and never returns unauthenticated plaintext. A (key, nonce) pair must
// never be used twice: callers draw nonces from RandomBytes(12).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::crypto {

inline constexpr size_t kAesKeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;

Result<std::string> AesGcmSeal(std::string_view key32, std::string_view nonce12,
                               std::string_view plaintext, std::string_view aad);

Result<std::string> AesGcmOpen(std::string_view key32, std::string_view nonce12,
                               std::string_view ciphertext_with_tag, std::string_view aad);

}  // namespace coffer::crypto
