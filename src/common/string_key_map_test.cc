#include "common/string_key_map.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace coffer {
namespace {

TEST(StringKeyMapTest, AHashedKeyFindsWhatItsTextWasStoredUnder) {
  StringKeyMap<int> m;
  const std::string stored = "logical/0a1b2c3d-long-enough-to-live-on-the-heap/metadata/secret";
  m.emplace(stored, 7);
  const HashedKey k = HashKey(stored);
  EXPECT_EQ(k.hash, std::hash<std::string>{}(stored));
  auto it = m.find(k);
  ASSERT_NE(it, m.end());
  EXPECT_EQ(it->second, 7);
  EXPECT_EQ(m.find(std::string_view(stored)), it);
  EXPECT_EQ(m.find(HashKey(stored.substr(1))), m.end());
}

TEST(StringKeyMapTest, KeysThatShareAHashBucketStayApart) {
  // Many keys, few buckets: lookups compare the text, not just the hash.
  StringKeyMap<int> m(2);
  for (int i = 0; i < 200; ++i) m.emplace("key/" + std::to_string(i), i);
  for (int i = 0; i < 200; ++i) {
    const std::string key = "key/" + std::to_string(i);
    auto it = m.find(HashKey(key));
    ASSERT_NE(it, m.end()) << key;
    EXPECT_EQ(it->second, i);
  }
  EXPECT_EQ(m.find(HashKey("key/200")), m.end());
}

}  // namespace
}  // namespace coffer
