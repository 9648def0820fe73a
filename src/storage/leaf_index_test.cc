#include "storage/leaf_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
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
  index.Set(0, Digest("a"), LeafOf('4'));  // no new entry
  ASSERT_TRUE(index.holds_all());
  index.Set(0, Digest("c"), LeafOf('3'));
  EXPECT_FALSE(index.holds_all());
  EXPECT_TRUE(index.complete());  // "c" is in the filter
  EXPECT_EQ(index.Find(0, Digest("c")), std::nullopt);
  EXPECT_FALSE(index.MissIsFinal(Digest("c")));  // read it from storage
  EXPECT_TRUE(index.MissIsFinal(Digest("never set")));
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.unheld(), 1u);
  index.Set(0, Digest("a"), LeafOf('5'));  // held keys are still updated
  EXPECT_EQ(index.Find(0, Digest("a")), LeafOf('5'));
  index.Erase(1, Digest("b"));  // and erased, which makes room
  index.Set(0, Digest("d"), LeafOf('6'));
  EXPECT_EQ(index.Find(0, Digest("d")), LeafOf('6'));
  EXPECT_FALSE(index.MissIsFinal(Digest("c")));  // the filter forgets nothing
  EXPECT_FALSE(index.holds_all());
}

// The filter takes 4 keys per leaf of capacity; one more and a miss is never
// final again (every key not held is read from storage).
TEST(LeafIndexTest, OnceTheFilterIsFullTooNoMissIsFinal) {
  LeafIndex index(2);
  index.Set(0, Digest("held-1"), LeafOf('1'));
  index.Set(0, Digest("held-2"), LeafOf('1'));
  const size_t room = LeafIndex::kUnheldPerCapacity * 2;
  int i = 0;
  while (index.unheld() < room) index.Set(1, Digest("left-" + std::to_string(i++)), LeafOf('2'));
  ASSERT_TRUE(index.complete());
  int j = 0;  // a key the filter does not claim
  while (!index.MissIsFinal(Digest("new-" + std::to_string(j)))) ++j;
  const MerkleKeyDigest last = Digest("new-" + std::to_string(j));
  index.Set(0, last, LeafOf('3'));
  EXPECT_FALSE(index.complete());
  EXPECT_FALSE(index.MissIsFinal(last));
  EXPECT_FALSE(index.MissIsFinal(Digest("never set")));
  EXPECT_EQ(index.Find(0, Digest("held-1")), LeafOf('1'));  // hits still answer
}

TEST(LeafIndexTest, ZeroCapacityHoldsNothing) {
  LeafIndex index(0);
  EXPECT_FALSE(index.complete());
  index.Set(0, Digest("a"), LeafOf('1'));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.unheld(), 0u);
  EXPECT_FALSE(index.MissIsFinal(Digest("a")));
  EXPECT_FALSE(index.MissIsFinal(Digest("b")));
}

// The table probes linearly and shifts entries back on erase: a long random
// run of sets and erases over a small key space (so probe chains collide,
// wrap around the end and are cut by erases) must always agree with a map.
TEST(LeafIndexTest, SetsAndErasesInAnyOrderAgreeWithAMap) {
  LeafIndex index(1 << 20);
  std::map<std::pair<int, std::string>, std::string> model;
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("logical/u/key-" + std::to_string(i));
  std::mt19937 rng(7);
  for (int step = 0; step < 40000; ++step) {
    const int tree = static_cast<int>(rng() % 2);
    const std::string& name = names[rng() % names.size()];
    // Erase more often than set while large, so the table also shrinks back
    // to a few entries and grows again.
    const bool erase = rng() % 100 < (model.size() > 200 ? 70 : 30);
    if (erase) {
      index.Erase(tree, Digest(name));
      model.erase({tree, name});
    } else {
      const std::string leaf = LeafOf(static_cast<char>('a' + rng() % 26));
      index.Set(tree, Digest(name), leaf);
      model[{tree, name}] = leaf;
    }
    if (step % 997 == 0 || step == 39999) {
      ASSERT_EQ(index.size(), model.size()) << "step " << step;
      for (int t = 0; t < 2; ++t) {
        for (const std::string& n : names) {
          auto it = model.find({t, n});
          ASSERT_EQ(index.Find(t, Digest(n)),
                    it == model.end() ? std::nullopt : std::optional<std::string>(it->second))
              << "step " << step << " tree " << t << " " << n;
        }
      }
    }
  }
  EXPECT_TRUE(index.complete());
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
