#include "crypto/kdf.h"

#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <semaphore>
#include <thread>

namespace coffer::crypto {

namespace {
std::atomic<uint64_t> scrypt_work{0};
}  // namespace

uint64_t ScryptWorkDone() { return scrypt_work.load(std::memory_order_relaxed); }

Result<std::string> Scrypt(std::string_view password, std::string_view salt, uint64_t N,
                           uint32_t r, uint32_t p, size_t len) {
  if (N < 2 || (N & (N - 1)) != 0) return InvalidArgument("scrypt N must be a power of two > 1");
  if (r == 0 || p == 0) return InvalidArgument("scrypt r and p must be positive");
  if (len == 0 || len > (size_t{1} << 20)) return InvalidArgument("scrypt output length out of range");
  // Memory estimate in 128-byte units: N*r for V plus p*r for B (plus slack),
  // computed with overflow checks before multiplying by 128.
  const uint64_t limit_units = kScryptMaxMemory / 128;
  if (N > limit_units || r > limit_units / N) return InvalidArgument("scrypt parameters too costly");
  uint64_t units = N * r;
  if (p > limit_units / r || units + uint64_t{p} * r + 2 * uint64_t{r} > limit_units) {
    return InvalidArgument("scrypt parameters too costly");
  }
  std::string out(len, '\0');
  // scrypt is memory-hard (N=2^15, r=8: 32 MiB, touched at random): more of
  // them at once than there are cores only thrash the caches and multiply
  // the memory. With 8 handler threads on 2 cores, 8 concurrent logins ran
  // at a fraction of the rate of one at a time. So at most one per core
  // runs; the rest wait their turn.
  static std::counting_semaphore<> slots(
      static_cast<std::ptrdiff_t>(std::max(1u, std::thread::hardware_concurrency())));
  slots.acquire();
  const int ok = EVP_PBE_scrypt(password.empty() ? "" : password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.empty() ? "" : salt.data()),
                     salt.size(), N, r, p, kScryptMaxMemory + (uint64_t{1} << 20),
                     reinterpret_cast<unsigned char*>(out.data()), out.size());
  slots.release();
  if (ok != 1) return InvalidArgument("scrypt failed (parameters rejected by OpenSSL)");
  scrypt_work.fetch_add(N * r * p, std::memory_order_relaxed);
  return out;
}

}  // namespace coffer::crypto
