#include "storage/leaf_index.h"

#include <gtest/gtest.h>

#include <string>

namespace coffer::storage {
namespace {

MerkleKeyDigest Digest(const std::string& key) { return MerkleKeyOf(key).digest; }
std::string LeafOf(char c) { return std::string(kMerkleHashSize, c); }

TEST(LeafIndexTest, FindsWhatWasSetPerTreeAndForgetsWhatWasErased) {
  LeafIndex index(10);
  ASSERT_TRUE(index.complete());
  EXPECT_EQ(index.Find(0, Digest("a")), std::nullopt);
  index.Set(0, Digest("a"), LeafOf('1'));
  index.Set(1, Digest("b"), LeafOf('2'));
  EXPECT_EQ(index.Find(0, Digest("a")), LeafOf('1'));
  EXPECT_EQ(index.Find(1, Digest("a")), std::nullopt);  // the trees are apart
  EXPECT_EQ(index.Find(1, Digest("b")), LeafOf('2'));
  index.Set(0, Digest("a"), LeafOf('3'));  // an overwrite takes no room
  EXPECT_EQ(index.Find(0, Digest("a")), LeafOf('3'));
  EXPECT_EQ(index.size(), 2u);
  index.Erase(0, Digest("a"));
  index.Erase(0, Digest("never there"));
  EXPECT_EQ(index.Find(0, Digest("a")), std::nullopt);
  EXPECT_EQ(index.size(), 1u);
}

TEST(LeafIndexTest, PastTheCapacityNewKeysAreLeftOutAndHeldOnesStayExact) {
  LeafIndex index(2);
  index.Set(0, Digest("a"), LeafOf('1'));
  index.Set(1, Digest("b"), LeafOf('2'));
  index.Set(0, Digest("a"), LeafOf('4'));  // no new entry: still complete
  ASSERT_TRUE(index.complete());
  index.Set(0, Digest("c"), LeafOf('3'));
  EXPECT_FALSE(index.complete());
  EXPECT_EQ(index.Find(0, Digest("c")), std::nullopt);
  EXPECT_EQ(index.size(), 2u);
  index.Set(0, Digest("a"), LeafOf('5'));  // held keys are still updated
  EXPECT_EQ(index.Find(0, Digest("a")), LeafOf('5'));
  index.Erase(1, Digest("b"));  // and erased, which makes room
  index.Set(0, Digest("d"), LeafOf('6'));
  EXPECT_EQ(index.Find(0, Digest("d")), LeafOf('6'));
  EXPECT_FALSE(index.complete());  // "c" is still missing: never complete again
}

TEST(LeafIndexTest, ZeroCapacityHoldsNothing) {
  LeafIndex index(0);
  EXPECT_FALSE(index.complete());
  index.Set(0, Digest("a"), LeafOf('1'));
  EXPECT_EQ(index.size(), 0u);
}

TEST(LeafIndexTest, KeysAreNamedByTheLeadingBytesOfTheirSha256) {
  // The digest is the head of the hash the bucket comes from.
  const MerkleKey k = MerkleKeyOf("logical/u/k1");
  EXPECT_EQ(k.bucket, MerkleBucketOf("logical/u/k1"));
  EXPECT_NE(MerkleKeyOf("logical/u/k2").digest, k.digest);
  EXPECT_EQ(MerkleKeyOf("logical/u/k1").digest, k.digest);
}

}  // namespace
}  // namespace coffer::storage
