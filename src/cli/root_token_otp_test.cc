#include "cli/root_token_otp.h"

#include <gtest/gtest.h>

#include <set>

namespace coffer::cli {
namespace {

// Computed independently (Python: base64 of the byte-wise XOR).
constexpr char kToken[] = "hvs.Xq3LbU9vTz1sWn7Kp0Rr2dYe";
constexpr char kOtp[] = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1w";
constexpr char kEncodedPadded[] = "KRRASh0XBSQrPwAdGBcDHRgeAjoiQ2oGZxJoEg==";
constexpr char kEncodedRaw[] = "KRRASh0XBSQrPwAdGBcDHRgeAjoiQ2oGZxJoEg";

TEST(RootTokenOtpTest, DecodesKnownVectorWithoutPadding) {
  auto token = DecodeRootToken(kEncodedRaw, kOtp);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(*token, kToken);
}

TEST(RootTokenOtpTest, DecodesKnownVectorWithPadding) {
  auto token = DecodeRootToken(kEncodedPadded, kOtp);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, kToken);
}

TEST(RootTokenOtpTest, EncodeMatchesKnownVectorAndRoundTrips) {
  auto encoded = EncodeRootToken(kToken, kOtp);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, kEncodedRaw);
  std::string otp = GenerateOtp();
  auto again = EncodeRootToken(kToken, otp);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*DecodeRootToken(*again, otp), kToken);
}

TEST(RootTokenOtpTest, WrongOtpGivesADifferentToken) {
  auto token = DecodeRootToken(kEncodedRaw, "Zb3dEf6hIj9kLm2nOp5qRs8tUv1w");
  ASSERT_TRUE(token.ok());
  EXPECT_NE(*token, kToken);
}

TEST(RootTokenOtpTest, RejectsLengthMismatchBadBase64AndEmptyOtp) {
  EXPECT_EQ(DecodeRootToken(kEncodedRaw, "short").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeRootToken("not base64!", kOtp).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(DecodeRootToken(kEncodedRaw, "").status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(EncodeRootToken("abc", "ab").ok());
}

TEST(RootTokenOtpTest, GeneratedOtpsAreBase62OfLength28AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    std::string otp = GenerateOtp();
    ASSERT_EQ(otp.size(), 28u);
    for (char c : otp) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << otp;
    seen.insert(otp);
  }
  EXPECT_EQ(seen.size(), 20u);
}

}  // namespace
}  // namespace coffer::cli
