#include "crypto/shamir.h"

#include <openssl/crypto.h>

#include <array>

#include "crypto/random.h"

namespace coffer::crypto {
namespace gf256 {

uint8_t Mul(uint8_t a, uint8_t b) {
  unsigned acc = 0;
  unsigned x = a;
  unsigned y = b;
  for (int i = 0; i < 8; ++i) {
    // mask is 0xff when the low bit of y is set, else 0 (no branch).
    unsigned mask = 0u - (y & 1u);
    acc ^= x & mask;
    y >>= 1;
    // Multiply x by the generator; reduce by 0x11b when bit 7 was set.
    unsigned carry = 0u - ((x >> 7) & 1u);
    x = ((x << 1) ^ (0x1bu & carry)) & 0xffu;
  }
  return static_cast<uint8_t>(acc & 0xffu);
}

uint8_t Inverse(uint8_t a) {
  // a^254 = a^(2+4+8+16+32+64+128): square seven times, multiplying in each
  // square. The sequence of operations is the same for every a (and 0^254 = 0).
  uint8_t result = 1;
  uint8_t power = a;
  for (int i = 1; i < 8; ++i) {
    power = Mul(power, power);  // a^(2^i)
    result = Mul(result, power);
  }
  return result;
}

}  // namespace gf256

namespace {

// Draws x-coordinates: a random permutation of 1..255 (Fisher-Yates with
// rejection-sampled indices), of which the first `parts` are used.
Result<std::array<uint8_t, 255>> ShuffledXs() {
  std::array<uint8_t, 255> xs;
  for (int i = 0; i < 255; ++i) xs[i] = static_cast<uint8_t>(i + 1);
  for (int i = 254; i > 0; --i) {
    const uint64_t bound = static_cast<uint64_t>(i) + 1;
    const uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);  // unbiased
    uint64_t r = 0;
    do {
      ASSIGN_OR_RETURN(r, RandomUint64());
    } while (r >= limit);
    std::swap(xs[i], xs[r % bound]);
  }
  return xs;
}

// Wipes a buffer of secret-derived bytes when it goes out of scope.
struct Wipe {
  std::string& s;
  ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
};

}  // namespace

Result<std::vector<std::string>> ShamirSplit(std::string_view secret, int parts, int threshold) {
  if (secret.empty()) return InvalidArgument("cannot split an empty secret");
  if (parts < 2 || parts > 255) return InvalidArgument("parts must be between 2 and 255");
  if (threshold < 2) return InvalidArgument("threshold must be at least 2");
  if (threshold > parts) return InvalidArgument("threshold cannot exceed parts");

  ASSIGN_OR_RETURN(auto xs, ShuffledXs());
  const size_t degree = static_cast<size_t>(threshold) - 1;
  // coeffs[j * degree + (k - 1)] is coefficient k of byte j's polynomial.
  ASSIGN_OR_RETURN(std::string coeffs, RandomBytes(secret.size() * degree));
  Wipe wipe_coeffs{coeffs};

  std::vector<std::string> shares(static_cast<size_t>(parts));
  for (int s = 0; s < parts; ++s) {
    const uint8_t x = xs[s];
    std::string& share = shares[s];
    share.resize(secret.size() + 1);
    for (size_t j = 0; j < secret.size(); ++j) {
      // Horner: ((c_d * x + c_{d-1}) * x + ... ) * x + secret[j].
      const char* c = coeffs.data() + j * degree;
      uint8_t y = 0;
      for (size_t k = degree; k >= 1; --k) {
        y = gf256::Mul(y, x) ^ static_cast<uint8_t>(c[k - 1]);
      }
      y = gf256::Mul(y, x) ^ static_cast<uint8_t>(secret[j]);
      share[j] = static_cast<char>(y);
    }
    share[secret.size()] = static_cast<char>(x);
  }
  return shares;
}

Result<std::string> ShamirCombine(const std::vector<std::string>& shares) {
  if (shares.size() < 2) return InvalidArgument("at least two shares are required");
  if (shares.size() > 255) return InvalidArgument("too many shares");
  const size_t len = shares[0].size();
  if (len < 2) return InvalidArgument("shares must be at least two bytes long");
  std::array<bool, 256> seen{};
  std::vector<uint8_t> xs(shares.size());
  for (size_t i = 0; i < shares.size(); ++i) {
    if (shares[i].size() != len) return InvalidArgument("all shares must be the same length");
    // x-coordinates are public; branching on them leaks nothing.
    const uint8_t x = static_cast<uint8_t>(shares[i].back());
    if (x == 0) return InvalidArgument("share has an invalid x-coordinate");
    if (seen[x]) return InvalidArgument("duplicate share detected");
    seen[x] = true;
    xs[i] = x;
  }

  // Lagrange basis at 0: l_i = prod_{m != i} x_m / (x_m - x_i); in GF(2^8)
  // subtraction is XOR. These depend only on the public x-coordinates.
  std::vector<uint8_t> basis(shares.size());
  for (size_t i = 0; i < shares.size(); ++i) {
    uint8_t num = 1;
    uint8_t den = 1;
    for (size_t m = 0; m < shares.size(); ++m) {
      if (m == i) continue;
      num = gf256::Mul(num, xs[m]);
      den = gf256::Mul(den, xs[m] ^ xs[i]);
    }
    basis[i] = gf256::Mul(num, gf256::Inverse(den));
  }

  std::string secret(len - 1, '\0');
  for (size_t j = 0; j + 1 < len; ++j) {
    uint8_t acc = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
      acc ^= gf256::Mul(static_cast<uint8_t>(shares[i][j]), basis[i]);
    }
    secret[j] = static_cast<char>(acc);
  }
  return secret;
}

}  // namespace coffer::crypto
