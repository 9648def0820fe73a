// AES-256-GCM authenticated encryption (OpenSSL 3 EVP underneath): one-off
// calls with a key given each time, and AesGcmKey for a key used many times.
//
// Thread-safety: the functions are pure; AesGcmKey's methods may be called
// concurrently.
// Invariants: keys are exactly 32 bytes and nonces exactly 12 bytes
// (kInvalidArgument otherwise). Output of Seal is ciphertext || 16-byte tag.
// Open returns kCorruption for a failed tag or an input too short to hold a
// tag, and never returns unauthenticated plaintext. A (key, nonce) pair must
// never be used twice: callers draw nonces from RandomBytes(12).
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/status.h"

namespace coffer::crypto {

inline constexpr size_t kAesKeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;

Result<std::string> AesGcmSeal(std::string_view key32, std::string_view nonce12,
                               std::string_view plaintext, std::string_view aad);

Result<std::string> AesGcmOpen(std::string_view key32, std::string_view nonce12,
                               std::string_view ciphertext_with_tag, std::string_view aad);

// A fixed key, expanded once. Seal and Open give exactly what AesGcmSeal and
// AesGcmOpen give with that key, but take an OpenSSL context that already
// holds the key schedule from a small pool and only set the nonce, instead of
// creating, keying and freeing one per call (about half the cost of sealing
// or opening a small value). Destroying the key frees every context (OpenSSL
// wipes their key schedules) and wipes the key bytes: the owner destroys it
// when the key must leave memory (a barrier's seal).
class AesGcmKey {
 public:
  // kInvalidArgument unless key32 is 32 bytes.
  static Result<std::unique_ptr<AesGcmKey>> Make(std::string_view key32);
  ~AesGcmKey();
  AesGcmKey(const AesGcmKey&) = delete;
  AesGcmKey& operator=(const AesGcmKey&) = delete;

  Result<std::string> Seal(std::string_view nonce12, std::string_view plaintext,
                           std::string_view aad) const;
  Result<std::string> Open(std::string_view nonce12, std::string_view ciphertext_with_tag,
                           std::string_view aad) const;

 private:
  explicit AesGcmKey(std::string_view key32);
  // A context keyed for `encrypt` (from the pool, or a new one); nullptr on
  // failure. Give it back with Return only after a successful call.
  EVP_CIPHER_CTX* Take(bool encrypt) const;
  void Return(bool encrypt, EVP_CIPHER_CTX* ctx) const;

  std::string key_;  // wiped by the destructor
  mutable std::mutex mu_;
  mutable std::vector<EVP_CIPHER_CTX*> idle_[2];  // GUARDED_BY(mu_); [0] open, [1] seal
};

}  // namespace coffer::crypto
