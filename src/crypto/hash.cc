#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <cstdlib>
#include <memory>

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

// The digest fetched once: EVP_sha256() makes EVP_Digest look the algorithm
// up by name on every call (OpenSSL 3), which cost more than hashing the
// small inputs hashed per write (WAL record, Merkle leaves and buckets).
const EVP_MD* FetchedDigest(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    COFFER_LOG(kError, "crypto") << "cannot fetch digest " << name;
    std::abort();
  }
  return md;
}

}  // namespace

std::string Sha256(std::string_view data) {
  static const EVP_MD* const md = FetchedDigest("SHA256");
  return MustDigest(md, data);
}

std::string Sha512(std::string_view data) {
  static const EVP_MD* const md = FetchedDigest("SHA512");
  return MustDigest(md, data);
}

namespace {

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

[[noreturn]] void HmacFailed() {
  COFFER_LOG(kError, "crypto") << "HMAC-SHA256 failed";
  std::abort();
}

// An HMAC context with its digest (SHA-256) already chosen, made once. Each
// call duplicates it and sets only the key: HMAC() with EVP_sha256() would
// look up both algorithms by name on every call (OpenSSL 3), which cost
// several times the hashing itself on the per-request token hash.
const EVP_MAC_CTX* HmacSha256Prototype() {
  static EVP_MAC_CTX* const prototype = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) HmacFailed();
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context keeps its own reference
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (ctx == nullptr || EVP_MAC_CTX_set_params(ctx, params) != 1) HmacFailed();
    return ctx;
  }();
  return prototype;
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  MacCtxPtr ctx(EVP_MAC_CTX_dup(HmacSha256Prototype()));
  // EVP_MAC_init treats a null key as "keep the previous key": give an empty
  // key a valid pointer so it really is the empty key.
  static const unsigned char kEmpty = 0;
  const unsigned char* key_ptr =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (!ctx || EVP_MAC_init(ctx.get(), key_ptr, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out, &len, sizeof(out)) != 1) {
    HmacFailed();
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
