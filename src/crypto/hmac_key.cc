// HMAC (RFC 2104) over OpenSSL's SHA-256 block functions: their state after
// one block can be copied, which EVP contexts cannot without an allocation.
// Those functions are deprecated in OpenSSL 3 but still built and exported;
// this file alone uses them.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "crypto/hmac_key.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace coffer::crypto {
namespace {

constexpr size_t kBlock = SHA256_CBLOCK;  // 64

[[noreturn]] void Failed() {
  COFFER_LOG(kError, "crypto") << "HMAC-SHA256 failed";
  std::abort();
}

}  // namespace

struct HmacSha256Key::Pads {
  SHA256_CTX inner;  // after SHA-256 absorbed key ^ ipad
  SHA256_CTX outer;  // after SHA-256 absorbed key ^ opad
};

HmacSha256Key::HmacSha256Key(std::string_view key) : pads_(std::make_unique<Pads>()) {
  unsigned char block[kBlock] = {};
  if (key.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  if (SHA256_Init(&pads_->inner) != 1 || SHA256_Update(&pads_->inner, pad, kBlock) != 1) Failed();
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  if (SHA256_Init(&pads_->outer) != 1 || SHA256_Update(&pads_->outer, pad, kBlock) != 1) Failed();
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
}

HmacSha256Key::~HmacSha256Key() {
  if (pads_) OPENSSL_cleanse(pads_.get(), sizeof(Pads));
}

HmacSha256Key::HmacSha256Key(HmacSha256Key&&) noexcept = default;

HmacSha256Key& HmacSha256Key::operator=(HmacSha256Key&& other) noexcept {
  if (this != &other) {
    if (pads_) OPENSSL_cleanse(pads_.get(), sizeof(Pads));
    pads_ = std::move(other.pads_);
  }
  return *this;
}

std::string HmacSha256Key::Mac(std::string_view data) const {
  if (!pads_) Failed();  // used after a move
  SHA256_CTX ctx = pads_->inner;
  unsigned char inner_digest[SHA256_DIGEST_LENGTH];
  if (SHA256_Update(&ctx, data.data(), data.size()) != 1 || SHA256_Final(inner_digest, &ctx) != 1) {
    Failed();
  }
  ctx = pads_->outer;
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  if (SHA256_Update(&ctx, inner_digest, sizeof(inner_digest)) != 1 ||
      SHA256_Final(reinterpret_cast<unsigned char*>(out.data()), &ctx) != 1) {
    Failed();
  }
  OPENSSL_cleanse(&ctx, sizeof(ctx));
  return out;
}

}  // namespace coffer::crypto
