#include "common/byte_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace coffer {
namespace {

TEST(ByteCodecTest, VarintsRoundTripAtEveryWidth) {
  const uint64_t unsigned_cases[] = {0, 1, 127, 128, 16383, 16384, 1ULL << 35,
                                     std::numeric_limits<uint64_t>::max()};
  const int64_t signed_cases[] = {0, 1, -1, 63, -64, 64, 1'700'000'000'000'000'000LL,
                                  std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max()};
  std::string out;
  for (uint64_t v : unsigned_cases) PutVarint(out, v);
  for (int64_t v : signed_cases) PutSignedVarint(out, v);
  PutLengthPrefixed(out, "bytes\0in");
  PutU8(out, 7);
  PutU32(out, 0xdeadbeef);
  PutU64(out, 42);
  ByteReader r(out);
  for (uint64_t want : unsigned_cases) {
    uint64_t got = 1;
    ASSERT_TRUE(r.Varint(&got));
    EXPECT_EQ(got, want);
  }
  for (int64_t want : signed_cases) {
    int64_t got = 1;
    ASSERT_TRUE(r.SignedVarint(&got));
    EXPECT_EQ(got, want);
  }
  std::string s;
  uint8_t u8 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  ASSERT_TRUE(r.LengthPrefixed(&s) && r.U8(&u8) && r.U32(&u32) && r.U64(&u64));
  EXPECT_EQ(s, "bytes");  // the literal's length stops at its NUL
  EXPECT_EQ(u8, 7);
  EXPECT_EQ(u32, 0xdeadbeefu);
  EXPECT_EQ(u64, 42u);
  EXPECT_TRUE(r.Empty());
}

TEST(ByteCodecTest, SmallSignedValuesTakeOneByte) {
  std::string out;
  PutSignedVarint(out, -1);
  PutSignedVarint(out, 63);
  EXPECT_EQ(out.size(), 2u);
}

TEST(ByteCodecTest, ShortOrOverlongInputIsRefusedAndNothingIsConsumed) {
  std::string full;
  PutVarint(full, std::numeric_limits<uint64_t>::max());  // 10 bytes
  for (size_t n = 0; n < full.size(); ++n) {
    ByteReader r(std::string_view(full).substr(0, n));
    uint64_t v = 0;
    EXPECT_FALSE(r.Varint(&v)) << n;
    EXPECT_EQ(r.remaining(), n);
  }
  // An eleventh byte, or a tenth beyond bit 63, does not fit 64 bits.
  const std::string eleven_bytes = std::string(10, '\x80') + '\x01';
  const std::string too_wide_bytes = std::string(9, '\xff') + '\x02';
  ByteReader eleven(eleven_bytes);
  uint64_t v = 0;
  EXPECT_FALSE(eleven.Varint(&v));
  ByteReader too_wide(too_wide_bytes);
  EXPECT_FALSE(too_wide.Varint(&v));
  // A length longer than what follows.
  std::string prefixed;
  PutVarint(prefixed, 100);
  prefixed += "short";
  ByteReader r(prefixed);
  std::string s;
  EXPECT_FALSE(r.LengthPrefixed(&s));
  EXPECT_EQ(r.remaining(), prefixed.size());
  uint32_t u32 = 0;
  ByteReader three("abc");
  EXPECT_FALSE(three.U32(&u32));
}

}  // namespace
}  // namespace coffer
