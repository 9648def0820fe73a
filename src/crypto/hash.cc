#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "common/log.h"

namespace coffer::crypto {
namespace {

Result<std::string> Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) {
    return Internal("EVP_Digest failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

// SHA-2 over an in-memory buffer cannot fail on a working OpenSSL; if it does,
// returning a wrong digest would be worse than stopping.
std::string MustDigest(const EVP_MD* md, std::string_view data) {
  Result<std::string> d = Digest(md, data);
  if (!d.ok()) {
    COFFER_LOG(kError, "crypto") << "digest failed: " << d.status().ToString();
    std::abort();
  }
  return std::move(d).value();
}

}  // namespace

std::string Sha256(std::string_view data) { return MustDigest(EVP_sha256(), data); }

std::string Sha512(std::string_view data) { return MustDigest(EVP_sha512(), data); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // HMAC() accepts a null key pointer only with length 0; give it a valid one.
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) == nullptr) {
    COFFER_LOG(kError, "crypto") << "HMAC-SHA256 failed";
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> HashByName(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = nullptr;
  if (algorithm == "sha2-224") {
    md = EVP_sha224();
  } else if (algorithm == "sha2-256") {
    md = EVP_sha256();
  } else if (algorithm == "sha2-384") {
    md = EVP_sha384();
  } else if (algorithm == "sha2-512") {
    md = EVP_sha512();
  } else if (algorithm == "sha3-224") {
    md = EVP_sha3_224();
  } else if (algorithm == "sha3-256") {
    md = EVP_sha3_256();
  } else if (algorithm == "sha3-384") {
    md = EVP_sha3_384();
  } else if (algorithm == "sha3-512") {
    md = EVP_sha3_512();
  } else {
    return InvalidArgument("unsupported hash algorithm \"" + std::string(algorithm) + "\"");
  }
  return Digest(md, data);
}

}  // namespace coffer::crypto
