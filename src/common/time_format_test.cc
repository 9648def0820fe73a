#include "common/time_format.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace coffer {
namespace {

// What the C library says, the reference the arithmetic must match.
std::string Reference(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  char buf[64];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

TEST(TimeFormatTest, KnownInstants) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1795902005), "2026-11-28T21:40:05Z");
  EXPECT_EQ(FormatRfc3339(-62135596800), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(253402300799), "9999-12-31T23:59:59Z");
}

TEST(TimeFormatTest, NanosDropTrailingZeros) {
  constexpr int64_t kS = 1795902005;
  EXPECT_EQ(FormatRfc3339Nano(kS * 1000000000), "2026-11-28T21:40:05Z");
  EXPECT_EQ(FormatRfc3339Nano(kS * 1000000000 + 123000000), "2026-11-28T21:40:05.123Z");
  EXPECT_EQ(FormatRfc3339Nano(kS * 1000000000 + 1), "2026-11-28T21:40:05.000000001Z");
  EXPECT_EQ(FormatRfc3339Nano(kS * 1000000000 + 120450780), "2026-11-28T21:40:05.12045078Z");
  EXPECT_EQ(FormatRfc3339Nano(-1), "1969-12-31T23:59:59.999999999Z");
}

TEST(TimeFormatTest, YearsBeforeOneThousandHaveFourDigitsAsInGo) {
  // glibc's %Y writes "940"; Go's layout "2006" writes "0940".
  EXPECT_EQ(FormatRfc3339(-32482127210), "0940-09-06T10:53:10Z");
  EXPECT_EQ(FormatRfc3339(-62167219200), "0000-01-01T00:00:00Z");
}

TEST(TimeFormatTest, MatchesTheCLibraryEverywhereInYearsOneThousandToNineThousand) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> any(-30610224000, 253402300799);  // 1000..9999
  for (int i = 0; i < 200000; ++i) {
    const int64_t s = any(rng);
    ASSERT_EQ(FormatRfc3339(s), Reference(s)) << s;
  }
  // Every day boundary around leap years and centuries.
  for (int64_t day = -354000; day < 800000; day += 97) {
    ASSERT_EQ(FormatRfc3339(day * 86400), Reference(day * 86400)) << day;
    ASSERT_EQ(FormatRfc3339(day * 86400 - 1), Reference(day * 86400 - 1)) << day;
  }
}

TEST(TimeFormatTest, YearsBeyondFourDigitsKeepTheCLibrarySpelling) {
  EXPECT_EQ(FormatRfc3339(253402300800), Reference(253402300800));  // 10000-01-01
}

}  // namespace
}  // namespace coffer
