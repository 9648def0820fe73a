#include "common/duration.h"

#include <gtest/gtest.h>

#include <limits>

namespace coffer {
namespace {

int64_t MustParse(const Json& v) {
  auto r = ParseDurationSeconds(v);
  EXPECT_TRUE(r.ok()) << v.dump() << ": " << r.status().ToString();
  return r.ok() ? *r : -1;
}

std::string ErrorOf(const Json& v) {
  auto r = ParseDurationSeconds(v);
  EXPECT_FALSE(r.ok()) << v.dump() << " parsed as " << (r.ok() ? *r : 0);
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  return r.status().message();
}

TEST(DurationTest, NullAndIntegers) {
  EXPECT_EQ(MustParse(Json()), 0);
  EXPECT_EQ(MustParse(Json(0)), 0);
  EXPECT_EQ(MustParse(Json(300)), 300);
  EXPECT_EQ(MustParse(Json(uint64_t{2764800})), 2764800);
  EXPECT_EQ(MustParse(Json(1.9)), 1);  // truncated
  EXPECT_EQ(MustParse(Json(std::numeric_limits<int64_t>::max())),
            std::numeric_limits<int64_t>::max());
}

TEST(DurationTest, NumericStrings) {
  EXPECT_EQ(MustParse("300"), 300);
  EXPECT_EQ(MustParse("0"), 0);
  EXPECT_EQ(MustParse(""), 0);
  EXPECT_EQ(MustParse(" 45 "), 45);
}

TEST(DurationTest, GoDurationStrings) {
  EXPECT_EQ(MustParse("30s"), 30);
  EXPECT_EQ(MustParse("1h"), 3600);
  EXPECT_EQ(MustParse("1h30m"), 5400);
  EXPECT_EQ(MustParse("768h"), 2764800);
  EXPECT_EQ(MustParse("1.5h"), 5400);
  EXPECT_EQ(MustParse(".5m"), 30);
  EXPECT_EQ(MustParse("1.m"), 60);
  EXPECT_EQ(MustParse("500ms"), 0);
  EXPECT_EQ(MustParse("1500ms"), 1);
  EXPECT_EQ(MustParse("2999999999ns"), 2);
  EXPECT_EQ(MustParse("1000000us"), 1);
  EXPECT_EQ(MustParse("1000000\xC2\xB5s"), 1);
  EXPECT_EQ(MustParse("1000000\xCE\xBCs"), 1);
  EXPECT_EQ(MustParse("1m1s"), 61);
  EXPECT_EQ(MustParse("+20m"), 1200);
  EXPECT_EQ(MustParse("2d"), 172800);
  EXPECT_EQ(MustParse("1d12h"), 129600);
  EXPECT_EQ(MustParse("2562047h"), 2562047LL * 3600);  // near Go's maximum
}

TEST(DurationTest, Errors) {
  EXPECT_NE(ErrorOf(-1).find("negative"), std::string::npos);
  EXPECT_NE(ErrorOf(-0.5).find("negative"), std::string::npos);
  EXPECT_NE(ErrorOf("-5").find("negative"), std::string::npos);
  EXPECT_NE(ErrorOf("-5s").find("negative"), std::string::npos);
  EXPECT_EQ(ErrorOf("1.5"), "time: missing unit in duration \"1.5\"");
  EXPECT_EQ(ErrorOf("5x"), "time: unknown unit \"x\" in duration \"5x\"");
  EXPECT_EQ(ErrorOf("1hour"), "time: unknown unit \"hour\" in duration \"1hour\"");
  EXPECT_EQ(ErrorOf("abc"), "time: invalid duration \"abc\"");
  EXPECT_EQ(ErrorOf("h"), "time: invalid duration \"h\"");
  EXPECT_EQ(ErrorOf("."), "time: invalid duration \".\"");
  EXPECT_EQ(ErrorOf("+"), "time: invalid duration \"+\"");
  EXPECT_EQ(ErrorOf("3000000h"), "time: invalid duration \"3000000h\"");  // > int64 ns
  EXPECT_EQ(ErrorOf("99999999999999999999s"), "time: invalid duration \"99999999999999999999s\"");
  ErrorOf("99999999999999999999");  // numeric string out of range
  ErrorOf(1e30);
  ErrorOf(true);
  ErrorOf(Json::array({1}));
  ErrorOf(Json::object());
}

TEST(DurationTest, FormatGoDuration) {
  EXPECT_EQ(FormatGoDuration(0), "0s");
  EXPECT_EQ(FormatGoDuration(45), "45s");
  EXPECT_EQ(FormatGoDuration(60), "1m0s");
  EXPECT_EQ(FormatGoDuration(90), "1m30s");
  EXPECT_EQ(FormatGoDuration(3600), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(3661), "1h1m1s");
  EXPECT_EQ(FormatGoDuration(2764800), "768h0m0s");
  EXPECT_EQ(FormatGoDuration(-90), "-1m30s");
  EXPECT_EQ(FormatGoDuration(std::numeric_limits<int64_t>::min()), "-2562047788015215h30m8s");
}

TEST(DurationTest, FormatThenParseRoundTrips) {
  for (int64_t s : {0LL, 1LL, 59LL, 61LL, 3599LL, 86399LL, 2764800LL, 31536000LL}) {
    EXPECT_EQ(MustParse(FormatGoDuration(s)), s) << s;
  }
}

}  // namespace
}  // namespace coffer
