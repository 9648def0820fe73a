#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <memory>

namespace coffer::crypto {
namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status CheckParams(std::string_view key, std::string_view nonce, size_t data_size,
                   size_t aad_size) {
  if (key.size() != kAesKeySize) return InvalidArgument("AES-256-GCM key must be 32 bytes");
  if (nonce.size() != kGcmNonceSize) return InvalidArgument("AES-GCM nonce must be 12 bytes");
  // EVP_*Update takes int lengths.
  if (data_size > static_cast<size_t>(INT_MAX) - 64 || aad_size > static_cast<size_t>(INT_MAX)) {
    return InvalidArgument("AES-GCM input too large");
  }
  return Status::Ok();
}

// The provider's AES-256-GCM, fetched once: passing EVP_aes_256_gcm() makes
// OpenSSL 3 look the algorithm up by name again on every init, which cost
// more than the encryption of a small value. Never freed (process lifetime).
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* const fetched = [] {
    const EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return c != nullptr ? c : EVP_aes_256_gcm();
  }();
  return fetched;
}

Result<CtxPtr> NewCtx(bool encrypt, std::string_view key, std::string_view nonce) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Internal("EVP_CIPHER_CTX_new failed");
  // The default GCM IV length is 12, so no EVP_CTRL_GCM_SET_IVLEN is needed.
  int rc = encrypt ? EVP_EncryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, U8(key), U8(nonce))
                   : EVP_DecryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, U8(key), U8(nonce));
  if (rc != 1) return Internal("AES-GCM init failed");
  return ctx;
}

// Encrypts with a context keyed and given its nonce.
Result<std::string> SealWith(EVP_CIPHER_CTX* ctx, std::string_view plaintext,
                             std::string_view aad) {
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx, nullptr, &len, U8(aad), static_cast<int>(aad.size())) != 1) {
    return Internal("AES-GCM aad failed");
  }
  std::string out(plaintext.size() + kGcmTagSize, '\0');
  unsigned char* dst = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx, dst, &len, U8(plaintext), static_cast<int>(plaintext.size())) != 1) {
      return Internal("AES-GCM encrypt failed");
    }
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx, dst + written, &len) != 1) {
    return Internal("AES-GCM final failed");
  }
  written += len;
  if (static_cast<size_t>(written) != plaintext.size()) return Internal("AES-GCM length mismatch");
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kGcmTagSize, dst + written) != 1) {
    return Internal("AES-GCM get tag failed");
  }
  return out;
}

// Decrypts and authenticates with a context keyed and given its nonce.
// REQUIRES: ciphertext_with_tag holds at least the tag.
Result<std::string> OpenWith(EVP_CIPHER_CTX* ctx, std::string_view ciphertext_with_tag,
                             std::string_view aad) {
  std::string_view ct = ciphertext_with_tag.substr(0, ciphertext_with_tag.size() - kGcmTagSize);
  std::string tag(ciphertext_with_tag.substr(ct.size()));
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &len, U8(aad), static_cast<int>(aad.size())) != 1) {
    return Internal("AES-GCM aad failed");
  }
  std::string out(ct.size(), '\0');
  unsigned char* dst = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  if (!ct.empty()) {
    if (EVP_DecryptUpdate(ctx, dst, &len, U8(ct), static_cast<int>(ct.size())) != 1) {
      return Internal("AES-GCM decrypt failed");
    }
    written = len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag.data()) != 1) {
    return Internal("AES-GCM set tag failed");
  }
  if (EVP_DecryptFinal_ex(ctx, dst + written, &len) != 1) {
    // Do not leave unauthenticated plaintext lying around.
    OPENSSL_cleanse(out.data(), out.size());
    return Corruption("message authentication failed");
  }
  return out;
}

// A context is pooled only up to this many per direction; more are freed.
constexpr size_t kMaxIdleContexts = 16;

}  // namespace

Result<std::string> AesGcmSeal(std::string_view key32, std::string_view nonce12,
                               std::string_view plaintext, std::string_view aad) {
  RETURN_IF_ERROR(CheckParams(key32, nonce12, plaintext.size(), aad.size()));
  ASSIGN_OR_RETURN(CtxPtr ctx, NewCtx(true, key32, nonce12));
  return SealWith(ctx.get(), plaintext, aad);
}

Result<std::string> AesGcmOpen(std::string_view key32, std::string_view nonce12,
                               std::string_view ciphertext_with_tag, std::string_view aad) {
  RETURN_IF_ERROR(CheckParams(key32, nonce12, ciphertext_with_tag.size(), aad.size()));
  if (ciphertext_with_tag.size() < kGcmTagSize) return Corruption("ciphertext too short");
  ASSIGN_OR_RETURN(CtxPtr ctx, NewCtx(false, key32, nonce12));
  return OpenWith(ctx.get(), ciphertext_with_tag, aad);
}

Result<std::unique_ptr<AesGcmKey>> AesGcmKey::Make(std::string_view key32) {
  if (key32.size() != kAesKeySize) return InvalidArgument("AES-256-GCM key must be 32 bytes");
  return std::unique_ptr<AesGcmKey>(new AesGcmKey(key32));
}

AesGcmKey::AesGcmKey(std::string_view key32) : key_(key32) {}

AesGcmKey::~AesGcmKey() {
  for (auto& idle : idle_) {
    for (EVP_CIPHER_CTX* ctx : idle) EVP_CIPHER_CTX_free(ctx);
  }
  OPENSSL_cleanse(key_.data(), key_.size());
}

EVP_CIPHER_CTX* AesGcmKey::Take(bool encrypt) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& idle = idle_[encrypt ? 1 : 0];
    if (!idle.empty()) {
      EVP_CIPHER_CTX* ctx = idle.back();
      idle.pop_back();
      return ctx;
    }
  }
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return nullptr;
  // Keyed now, nonce per call.
  const int rc = encrypt
                     ? EVP_EncryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, U8(key_), nullptr)
                     : EVP_DecryptInit_ex(ctx.get(), Aes256Gcm(), nullptr, U8(key_), nullptr);
  return rc == 1 ? ctx.release() : nullptr;
}

void AesGcmKey::Return(bool encrypt, EVP_CIPHER_CTX* ctx) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& idle = idle_[encrypt ? 1 : 0];
    if (idle.size() < kMaxIdleContexts) {
      idle.push_back(ctx);
      return;
    }
  }
  EVP_CIPHER_CTX_free(ctx);
}

Result<std::string> AesGcmKey::Seal(std::string_view nonce12, std::string_view plaintext,
                                    std::string_view aad) const {
  RETURN_IF_ERROR(CheckParams(key_, nonce12, plaintext.size(), aad.size()));
  CtxPtr ctx(Take(true));
  if (!ctx) return Internal("AES-GCM init failed");
  // A null cipher and key keep the context's key schedule; only the nonce is new.
  if (EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, nullptr, U8(nonce12)) != 1) {
    return Internal("AES-GCM init failed");
  }
  auto out = SealWith(ctx.get(), plaintext, aad);
  if (out.ok()) Return(true, ctx.release());  // a failed context is freed, never reused
  return out;
}

Result<std::string> AesGcmKey::Open(std::string_view nonce12, std::string_view ciphertext_with_tag,
                                    std::string_view aad) const {
  RETURN_IF_ERROR(CheckParams(key_, nonce12, ciphertext_with_tag.size(), aad.size()));
  if (ciphertext_with_tag.size() < kGcmTagSize) return Corruption("ciphertext too short");
  CtxPtr ctx(Take(false));
  if (!ctx) return Internal("AES-GCM init failed");
  if (EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, nullptr, U8(nonce12)) != 1) {
    return Internal("AES-GCM init failed");
  }
  auto out = OpenWith(ctx.get(), ciphertext_with_tag, aad);
  if (out.ok()) Return(false, ctx.release());
  return out;
}

}  // namespace coffer::crypto
