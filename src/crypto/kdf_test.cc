#include "crypto/kdf.h"

#include <gtest/gtest.h>

#include "crypto/encoding.h"

namespace coffer::crypto {
namespace {

// RFC 7914 section 12, first two vectors (the others are too slow for a unit
// test).
TEST(KdfTest, ScryptRfc7914Vectors) {
  auto a = Scrypt("", "", 16, 1, 1, 64);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(HexEncode(*a),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
  auto b = Scrypt("password", "NaCl", 1024, 8, 16, 64);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(HexEncode(*b),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST(KdfTest, ScryptRejectsBadParameters) {
  EXPECT_EQ(Scrypt("p", "s", 1000, 8, 1, 32).status().code(), Code::kInvalidArgument);  // not 2^k
  EXPECT_EQ(Scrypt("p", "s", 1, 8, 1, 32).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Scrypt("p", "s", 16, 0, 1, 32).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Scrypt("p", "s", 16, 1, 0, 32).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Scrypt("p", "s", 16, 1, 1, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Scrypt("p", "s", uint64_t{1} << 40, 8, 1, 32).status().code(),
            Code::kInvalidArgument);  // would need far more than the memory cap
}

}  // namespace
}  // namespace coffer::crypto
