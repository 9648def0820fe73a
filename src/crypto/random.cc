#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "common/byte_codec.h"
#include "common/log.h"

namespace coffer::crypto {
namespace {

// For the infallible helpers: a DRBG failure is not recoverable and must never
// be papered over with a weak identifier.
std::string MustRandomBytes(size_t n) {
  Result<std::string> bytes = RandomBytes(n);
  if (!bytes.ok()) {
    COFFER_LOG(kError, "crypto") << "random generator failed: " << bytes.status().ToString();
    std::abort();
  }
  return std::move(bytes).value();
}

bool FillFromDrbg(unsigned char* out, size_t n) {
  size_t done = 0;
  // RAND_bytes takes an int length; fill large buffers in chunks.
  while (done < n) {
    const size_t chunk = std::min<size_t>(n - done, INT_MAX);
    if (RAND_bytes(out + done, static_cast<int>(chunk)) != 1) return false;
    done += chunk;
  }
  return true;
}

// Small draws (token ids, nonces, UUIDs: several per request) come from a
// per-thread pool filled by one RAND_bytes call: each call costs more than
// the AES-GCM it feeds. Bytes are wiped from the pool as they are handed out,
// so it never holds anything a caller already has; a forked child empties its
// copy (it must never hand out its parent's bytes again).
constexpr size_t kPoolBytes = 4096;
constexpr size_t kPooledDrawMax = 64;

struct Pool {
  std::array<unsigned char, kPoolBytes> bytes{};
  size_t next = kPoolBytes;  // bytes[next..] are unused; all used at start
  ~Pool() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

thread_local Pool pool;

void ForgetPoolInChild() {
  OPENSSL_cleanse(pool.bytes.data(), pool.bytes.size());
  pool.next = kPoolBytes;
}

bool DrawFromPool(unsigned char* out, size_t n) {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, ForgetPoolInChild); });
  if (kPoolBytes - pool.next < n) {
    if (!FillFromDrbg(pool.bytes.data(), kPoolBytes)) return false;
    pool.next = 0;
  }
  std::memcpy(out, pool.bytes.data() + pool.next, n);
  OPENSSL_cleanse(pool.bytes.data() + pool.next, n);
  pool.next += n;
  return true;
}

}  // namespace

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  const bool ok = n <= kPooledDrawMax ? DrawFromPool(data, n) : FillFromDrbg(data, n);
  if (!ok) return Internal("RAND_bytes failed");
  return out;
}

std::string RandomUuid() {
  std::string b = MustRandomBytes(16);
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    unsigned char c = static_cast<unsigned char>(b[i]);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0x0f]);
  }
  return out;
}

std::string RandomString(size_t n, std::string_view alphabet) {
  // Bytes at or above the largest multiple of the alphabet size are
  // rejected, so each symbol is equally likely (no modulo bias).
  const unsigned size = static_cast<unsigned>(alphabet.size());
  if (size == 0 || size > 256) return std::string();
  const unsigned limit = 256 - (256 % size);
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    // Some bytes are rejected; ask for a little more than needed.
    std::string pool = MustRandomBytes((n - out.size()) + 8);
    for (char ch : pool) {
      unsigned v = static_cast<unsigned char>(ch);
      if (v >= limit) continue;
      out.push_back(alphabet[v % size]);
      if (out.size() == n) break;
    }
  }
  return out;
}

std::string RandomBase62(size_t n) {
  return RandomString(n, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}

Result<uint64_t> RandomUint64() {
  ASSIGN_OR_RETURN(std::string b, RandomBytes(8));
  uint64_t v = 0;
  ByteReader(b).U64(&v);  // 8 bytes: cannot fall short
  return v;
}

}  // namespace coffer::crypto
