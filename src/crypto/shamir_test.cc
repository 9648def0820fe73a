#include "crypto/shamir.h"

#include <gtest/gtest.h>

#include <set>

#include "crypto/random.h"

namespace coffer::crypto {
namespace {

// Textbook multiplication: carry-less product, then reduce by 0x11b.
uint8_t SlowMul(uint8_t a, uint8_t b) {
  uint16_t product = 0;
  for (int i = 0; i < 8; ++i) {
    if (b & (1 << i)) product ^= static_cast<uint16_t>(a) << i;
  }
  for (int bit = 14; bit >= 8; --bit) {
    if (product & (1 << bit)) product ^= 0x11b << (bit - 8);
  }
  return static_cast<uint8_t>(product);
}

TEST(Gf256Test, MulMatchesReferenceForAllPairs) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      ASSERT_EQ(gf256::Mul(a, b), SlowMul(a, b)) << a << "*" << b;
    }
  }
  EXPECT_EQ(gf256::Mul(0x57, 0x83), 0xc1);  // FIPS-197 section 4.2
}

TEST(Gf256Test, InverseOfEveryNonZeroElement) {
  EXPECT_EQ(gf256::Inverse(0), 0);
  EXPECT_EQ(gf256::Inverse(1), 1);
  EXPECT_EQ(gf256::Inverse(0x53), 0xca);  // FIPS-197 section 4.4 example
  for (int a = 1; a < 256; ++a) {
    EXPECT_EQ(gf256::Mul(a, gf256::Inverse(a)), 1) << a;
  }
}

// Calls fn with every subset of {0..n-1} of size k.
template <typename Fn>
void ForEachSubset(int n, int k, Fn fn) {
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    if (__builtin_popcount(mask) != k) continue;
    std::vector<int> idx;
    for (int i = 0; i < n; ++i) {
      if (mask & (1u << i)) idx.push_back(i);
    }
    fn(idx);
  }
}

TEST(ShamirTest, EveryThresholdSubsetRecoversAndSmallerOnesDoNot) {
  const std::string secret = RandomBytes(32).value();
  for (int n = 2; n <= 7; ++n) {
    for (int t = 2; t <= n; ++t) {
      auto shares = ShamirSplit(secret, n, t);
      ASSERT_TRUE(shares.ok()) << shares.status().ToString();
      ASSERT_EQ(shares->size(), static_cast<size_t>(n));
      std::set<char> xs;
      for (const auto& s : *shares) {
        ASSERT_EQ(s.size(), secret.size() + 1);
        EXPECT_NE(s.back(), 0);
        xs.insert(s.back());
      }
      EXPECT_EQ(xs.size(), static_cast<size_t>(n)) << "x-coordinates must be distinct";

      ForEachSubset(n, t, [&](const std::vector<int>& idx) {
        std::vector<std::string> subset;
        for (int i : idx) subset.push_back((*shares)[i]);
        auto got = ShamirCombine(subset);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        EXPECT_EQ(*got, secret) << "n=" << n << " t=" << t;
      });
      ForEachSubset(n, t - 1, [&](const std::vector<int>& idx) {
        std::vector<std::string> subset;
        for (int i : idx) subset.push_back((*shares)[i]);
        auto got = ShamirCombine(subset);
        // One share is rejected outright; two or more give garbage.
        if (got.ok()) {
          EXPECT_NE(*got, secret) << "n=" << n << " t=" << t;
        } else {
          EXPECT_EQ(idx.size(), 1u) << got.status().ToString();
        }
      });
    }
  }
}

TEST(ShamirTest, MoreThanThresholdSharesAlsoRecover) {
  const std::string secret = "the root key";
  auto shares = ShamirSplit(secret, 5, 3).value();
  EXPECT_EQ(ShamirCombine(shares).value(), secret);
}

TEST(ShamirTest, SingleByteSecretAndMaxParts) {
  auto shares = ShamirSplit("k", 255, 255);
  ASSERT_TRUE(shares.ok());
  EXPECT_EQ(ShamirCombine(*shares).value(), "k");
}

TEST(ShamirTest, SplitValidatesParameters) {
  EXPECT_EQ(ShamirSplit("", 3, 2).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirSplit("s", 1, 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirSplit("s", 3, 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirSplit("s", 3, 4).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirSplit("s", 256, 2).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirSplit("s", -1, -2).status().code(), Code::kInvalidArgument);
}

TEST(ShamirTest, CombineValidatesShares) {
  auto shares = ShamirSplit("secret", 3, 2).value();
  EXPECT_EQ(ShamirCombine({}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirCombine({shares[0]}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirCombine({shares[0], shares[0]}).status().code(), Code::kInvalidArgument);
  // Same x-coordinate with different y-values is still a duplicate.
  std::string forged = shares[1];
  forged.back() = shares[0].back();
  EXPECT_EQ(ShamirCombine({shares[0], forged}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirCombine({shares[0], shares[1].substr(1)}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ShamirCombine({"a", "b"}).status().code(), Code::kInvalidArgument);
  std::string zero_x = shares[1];
  zero_x.back() = '\0';
  EXPECT_EQ(ShamirCombine({shares[0], zero_x}).status().code(), Code::kInvalidArgument);
}

TEST(ShamirTest, SplitsAreRandomized) {
  auto a = ShamirSplit("same secret", 3, 2).value();
  auto b = ShamirSplit("same secret", 3, 2).value();
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace coffer::crypto
