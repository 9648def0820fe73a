#include "crypto/random.h"

#include <gtest/gtest.h>

#include <array>
#include <regex>
#include <set>

namespace coffer::crypto {
namespace {

TEST(RandomTest, BytesHaveRequestedLengthAndDiffer) {
  auto a = RandomBytes(32);
  auto b = RandomBytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(RandomBytes(0)->size(), 0u);
}

TEST(RandomTest, UuidIsCanonicalVersion4) {
  const std::regex kV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string u = RandomUuid();
    EXPECT_TRUE(std::regex_match(u, kV4)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(RandomTest, Base62AlphabetAndRoughUniformity) {
  const std::string s = RandomBase62(62 * 400);
  ASSERT_EQ(s.size(), 62u * 400);
  std::array<int, 128> counts{};
  for (char c : s) {
    ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) << c;
    ++counts[static_cast<unsigned char>(c)];
  }
  // Expected 400 per symbol; a modulo-biased generator without rejection
  // would still pass this, but a broken alphabet mapping (symbols never or
  // doubly produced) would not. Bounds are ~7 standard deviations.
  for (char c : std::string("09AZaz")) {
    EXPECT_GT(counts[static_cast<unsigned char>(c)], 260) << c;
    EXPECT_LT(counts[static_cast<unsigned char>(c)], 540) << c;
  }
  EXPECT_EQ(RandomBase62(0), "");
  EXPECT_EQ(RandomBase62(1).size(), 1u);
}

TEST(RandomTest, Uint64Varies) {
  auto a = RandomUint64();
  auto b = RandomUint64();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace coffer::crypto
