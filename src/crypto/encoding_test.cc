#include "crypto/encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace coffer::crypto {
namespace {

std::string AllBytes() {
  std::string s;
  for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(HexTest, EncodesLowerCase) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(HexTest, DecodesBothCasesAndRoundTrips) {
  auto d = HexDecode("00aBfF");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, std::string("\x00\xab\xff", 3));
  auto all = HexDecode(HexEncode(AllBytes()));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, AllBytes());
}

TEST(HexTest, RejectsOddLengthAndBadCharacters) {
  EXPECT_EQ(HexDecode("abc").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HexDecode("zz").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HexDecode("0g").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(HexDecode(" 0").status().code(), Code::kInvalidArgument);
}

// RFC 4648 section 10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> kCases[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : kCases) {
    EXPECT_EQ(Base64Encode(plain), enc);
    auto d = Base64Decode(enc);
    ASSERT_TRUE(d.ok()) << enc;
    EXPECT_EQ(*d, plain);
  }
}

TEST(Base64Test, AcceptsMissingPaddingAndNewlines) {
  EXPECT_EQ(Base64RawEncode("fo"), "Zm8");
  EXPECT_EQ(*Base64Decode("Zm8"), "fo");
  EXPECT_EQ(*Base64Decode("Zg"), "f");
  EXPECT_EQ(*Base64Decode("Zm9v\nYmFy\r\n"), "foobar");
}

TEST(Base64Test, RejectsInvalidInput) {
  EXPECT_EQ(Base64Decode("Zm9v!").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Base64Decode("Zm-_").status().code(), Code::kInvalidArgument);  // URL alphabet
  EXPECT_EQ(Base64Decode("Z").status().code(), Code::kInvalidArgument);     // truncated
  EXPECT_EQ(Base64Decode("Zm=9").status().code(), Code::kInvalidArgument);  // data after '='
  EXPECT_EQ(Base64Decode("Zm8==").status().code(), Code::kInvalidArgument);  // excess padding
  EXPECT_EQ(Base64Decode("Zm9v====").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Base64Decode("Zm 9v").status().code(), Code::kInvalidArgument);
}

TEST(Base64Test, RoundTripsAllLengths) {
  std::string all = AllBytes();
  for (size_t n = 0; n <= all.size(); n += 7) {
    std::string s = all.substr(0, n);
    EXPECT_EQ(*Base64Decode(Base64Encode(s)), s);
    EXPECT_EQ(*Base64Decode(Base64RawEncode(s)), s);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(s)), s);
  }
}

TEST(Base64UrlTest, UsesUrlAlphabetWithoutPadding) {
  std::string s("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(s), "+/+/");
  EXPECT_EQ(Base64UrlEncode(s), "-_-_");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), s);
  EXPECT_EQ(Base64UrlDecode("+/+/").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Base64UrlDecode("Zm9v\n").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace coffer::crypto
