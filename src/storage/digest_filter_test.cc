#include "storage/digest_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace coffer::storage {
namespace {

MerkleKeyDigest Digest(const std::string& key) { return MerkleKeyOf(key).digest; }
MerkleKeyDigest Given(int i) { return Digest("logical/u/given-" + std::to_string(i)); }
MerkleKeyDigest Other(int i) { return Digest("logical/u/other-" + std::to_string(i)); }

TEST(DigestFilterTest, AnEmptyFilterClaimsNothing) {
  DigestFilter filter(100);
  EXPECT_TRUE(filter.empty());
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(filter.MayContain(Other(i)));
  DigestFilter none(0);
  EXPECT_FALSE(none.Add(Given(0)));
  EXPECT_FALSE(none.MayContain(Given(0)));
  EXPECT_TRUE(none.empty());
}

// No false "no": the leaf index relies on it to skip storage reads.
TEST(DigestFilterTest, NeverDeniesADigestItWasGiven) {
  constexpr int kKeys = 20000;
  DigestFilter filter(kKeys);
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(filter.Add(Given(i))) << i;
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(filter.MayContain(Given(i))) << i;
  // A digest it already claimed is not counted again.
  EXPECT_LE(filter.size(), static_cast<size_t>(kKeys));
  EXPECT_GE(filter.size(), static_cast<size_t>(kKeys) * 99 / 100);
  const size_t before = filter.size();
  ASSERT_TRUE(filter.Add(Given(7)));
  EXPECT_EQ(filter.size(), before);
}

// Full, it claims about 1 in 1,000 digests it was never given (16 bits and 7
// bits set per key, in 512-bit blocks).
TEST(DigestFilterTest, RarelyClaimsADigestItWasNotGiven) {
  constexpr int kKeys = 20000;
  DigestFilter filter(kKeys);
  for (int i = 0; i < kKeys; ++i) filter.Add(Given(i));
  int claimed = 0;
  constexpr int kProbes = 200000;
  for (int i = 0; i < kProbes; ++i) claimed += filter.MayContain(Other(i)) ? 1 : 0;
  EXPECT_LT(claimed, kProbes * 3 / 1000);  // < 0.3%
  EXPECT_GT(claimed, 0);                   // a filter, not a set
}

TEST(DigestFilterTest, TakesNoMoreThanItsMaximum) {
  DigestFilter filter(50);
  int i = 0;
  while (filter.size() < 50) ASSERT_TRUE(filter.Add(Given(i++)));
  // Find a digest it does not claim; adding it is refused and changes nothing.
  int j = 0;
  while (filter.MayContain(Other(j))) ++j;
  EXPECT_FALSE(filter.Add(Other(j)));
  EXPECT_FALSE(filter.MayContain(Other(j)));
  EXPECT_EQ(filter.size(), 50u);
  EXPECT_TRUE(filter.Add(Given(0)));  // one it holds is still accepted
}

}  // namespace
}  // namespace coffer::storage
