#include "crypto/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

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

}  // namespace

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t done = 0;
  // RAND_bytes takes an int length; fill large buffers in chunks.
  while (done < n) {
    size_t chunk = std::min<size_t>(n - done, INT_MAX);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done),
                   static_cast<int>(chunk)) != 1) {
      return Internal("RAND_bytes failed");
    }
    done += chunk;
  }
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
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

}  // namespace coffer::crypto
