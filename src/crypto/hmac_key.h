// HMAC-SHA256 under one fixed key, for keys that MAC many messages (the
// token store's salt hashes the token of every request).
//
//   crypto::HmacSha256Key key(salt);
//   std::string mac = key.Mac(token);  // == HmacSha256(salt, token)
//
// The key's inner and outer pad blocks are hashed once, at construction; a
// Mac() then hashes only the message and the inner digest (two SHA-256
// compressions for a short message) instead of setting up an OpenSSL MAC
// context per call, which cost three times the hashing itself.
//
// Thread-safety: Mac() is const and may be called concurrently.
// Invariants: the precomputed states are key material; they are wiped when
// the object is destroyed or moved from.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace coffer::crypto {

class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(HmacSha256Key&&) noexcept;
  HmacSha256Key& operator=(HmacSha256Key&&) noexcept;
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // Raw 32-byte HMAC-SHA256 of data under the key.
  std::string Mac(std::string_view data) const;

 private:
  struct Pads;
  std::unique_ptr<Pads> pads_;
};

}  // namespace coffer::crypto
