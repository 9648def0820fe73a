#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

#include "common/log.h"
#include "crypto/hmac_key.h"

namespace coffer::crypto {
namespace {

// A digest context kept by one thread and reinitialised per call. EVP_Digest
// allocates a context and the provider's state, and frees both, on every
// call: about as much as hashing the ~100-byte inputs hashed per write (the
// value and leaf hashes, the WAL record; ~9 per kv v2 write). Hashing never
// suspends a fiber, so no two calls share a context at once.
struct ThreadDigestContext {
  ThreadDigestContext() : ctx(EVP_MD_CTX_new()) {}
  ~ThreadDigestContext() { EVP_MD_CTX_free(ctx); }
  ThreadDigestContext(const ThreadDigestContext&) = delete;
  ThreadDigestContext& operator=(const ThreadDigestContext&) = delete;
  EVP_MD_CTX* ctx;
};

Result<std::string> Digest(const EVP_MD* md, std::string_view data) {
  thread_local ThreadDigestContext context;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (context.ctx == nullptr || EVP_DigestInit_ex2(context.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, out, &len) != 1) {
    return Internal("digest failed");
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

// The key's pads are hashed per call here; a caller with a fixed key keeps an
// HmacSha256Key instead. Either way cheaper than an OpenSSL MAC context per
// call (EVP_MAC_CTX_dup + init + final + free: about three times the hashing).
std::string HmacSha256(std::string_view key, std::string_view data) {
  return HmacSha256Key(key).Mac(data);
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
