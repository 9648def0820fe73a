#include "storage/merkle_diff.h"

#include <gtest/gtest.h>

namespace coffer::storage {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(DifferingBuckets, ListsExactlyTheBucketsThatDiffer) {
  std::vector<std::string> a(8, std::string(32, '\0'));
  std::vector<std::string> b = a;
  EXPECT_TRUE(DifferingBuckets(a, b).empty());
  b[1][0] = 'x';
  b[7][31] = 'y';
  EXPECT_EQ(DifferingBuckets(a, b), (std::vector<uint32_t>{1, 7}));
  EXPECT_EQ(DifferingBuckets(b, a), (std::vector<uint32_t>{1, 7}));
}

TEST(DifferingBuckets, AShortListDiffersInEveryMissingBucket) {
  std::vector<std::string> a(4, std::string(32, '\0'));
  std::vector<std::string> b(2, std::string(32, '\0'));
  EXPECT_EQ(DifferingBuckets(a, b), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(DifferingBuckets({}, b), (std::vector<uint32_t>{0, 1}));
}

TEST(DiffKeys, FetchesNewAndChangedRemovesGone) {
  Pairs local = {{"a", "1"}, {"b", "2"}, {"d", "4"}, {"f", "6"}};
  Pairs remote = {{"a", "1"}, {"b", "X"}, {"c", "3"}, {"f", "6"}, {"g", "7"}};
  KeyDiff d = DiffKeys(local, remote);
  EXPECT_EQ(d.fetch, (std::vector<std::string>{"b", "c", "g"}));
  EXPECT_EQ(d.remove, (std::vector<std::string>{"d"}));
}

TEST(DiffKeys, EmptySides) {
  Pairs some = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(DiffKeys({}, {}), KeyDiff{});
  EXPECT_EQ(DiffKeys({}, some).fetch, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(DiffKeys({}, some).remove.empty());
  EXPECT_EQ(DiffKeys(some, {}).remove, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(DiffKeys(some, {}).fetch.empty());
  EXPECT_EQ(DiffKeys(some, some), KeyDiff{});
}

}  // namespace
}  // namespace coffer::storage
