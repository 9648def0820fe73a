#include "common/decoded_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace coffer {
namespace {

TEST(DecodedCacheTest, HitsOnlyOnTheExactBytes) {
  DecodedCache<std::string> cache(16);
  EXPECT_EQ(cache.Find("k", "v1"), nullptr);
  cache.Put("k", "v1", "decoded v1");
  auto hit = cache.Find("k", "v1");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, "decoded v1");
  // Changed bytes under the same key: a miss, never the old value.
  EXPECT_EQ(cache.Find("k", "v2"), nullptr);
  EXPECT_EQ(cache.Find("k", "v1 "), nullptr);
  EXPECT_EQ(cache.Find("other", "v1"), nullptr);
  cache.Put("k", "v2", "decoded v2");
  EXPECT_EQ(cache.Find("k", "v1"), nullptr);
  EXPECT_EQ(*cache.Find("k", "v2"), "decoded v2");
}

// Shared bytes: the same pointer hits without a comparison; other bytes with
// the same content hit too (and become the remembered pointer); other content
// misses even at the same address's key.
TEST(DecodedCacheTest, SharedBytesHitByIdentityAndStillOnlyOnTheExactBytes) {
  DecodedCache<std::string> cache(16);
  auto v1 = std::make_shared<const std::string>("v1");
  EXPECT_EQ(cache.Find("k", v1), nullptr);
  auto put = cache.Put("k", v1, "decoded v1");
  ASSERT_NE(put, nullptr);
  EXPECT_EQ(cache.Find("k", v1), put);
  auto same_content = std::make_shared<const std::string>("v1");
  EXPECT_EQ(cache.Find("k", same_content), put);
  EXPECT_EQ(cache.Find("k", "v1"), put);
  EXPECT_EQ(cache.Find("k", std::make_shared<const std::string>("v2")), nullptr);
  EXPECT_EQ(cache.Find("other", v1), nullptr);
  cache.Put("k", "v2", "decoded v2");
  EXPECT_EQ(cache.Find("k", v1), nullptr);
  EXPECT_EQ(*cache.Find("k", std::make_shared<const std::string>("v2")), "decoded v2");
}

TEST(DecodedCacheTest, ClearDropsEverything) {
  DecodedCache<int> cache(16);
  cache.Put("a", "1", 1);
  cache.Put("b", "2", 2);
  EXPECT_EQ(cache.size(), 2u);
  cache.Clear();
  EXPECT_EQ(cache.Find("a", "1"), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DecodedCacheTest, StaysWithinItsCapacity) {
  DecodedCache<int> cache(32);
  for (int i = 0; i < 10000; ++i) cache.Put("key" + std::to_string(i), "b", i);
  int live = 0;
  for (int i = 0; i < 10000; ++i) live += cache.Find("key" + std::to_string(i), "b") != nullptr;
  EXPECT_GT(live, 0);
  EXPECT_LE(live, 32 + 16);  // capacity / shards rounded up, per shard
}

}  // namespace
}  // namespace coffer
