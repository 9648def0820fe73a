#include "common/time_format.h"

#include <ctime>

namespace coffer {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kNanosPerSecond = 1000000000;

// a / b and a % b rounded toward negative infinity (b > 0): instants before
// 1970 still split into a day (second) and a non-negative remainder.
struct FloorDiv {
  int64_t quotient;
  int64_t remainder;
};
FloorDiv DivideFloor(int64_t a, int64_t b) {
  FloorDiv d{a / b, a % b};
  if (d.remainder < 0) {
    d.remainder += b;
    --d.quotient;
  }
  return d;
}

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

// Days since 1970-01-01 to a proleptic Gregorian date: count in 400-year eras
// (146,097 days each) starting on March 1st, so the leap day ends a year.
Civil CivilFromDays(int64_t days) {
  days += 719468;  // days from 0000-03-01 to 1970-01-01
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t day_of_era = days - era * 146097;                       // [0, 146096]
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;  // [0, 399]
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;               // [0, 11]
  Civil c;
  c.day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  c.month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  c.year = year_of_era + era * 400 + (c.month <= 2 ? 1 : 0);
  return c;
}

void AppendDigits(std::string& out, int64_t value, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

// Years outside 0..9999 keep the C library's spelling.
std::string SlowFormat(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  char buf[64];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf, n);
}

// "YYYY-MM-DDTHH:MM:SS" without the zone.
std::string FormatSeconds(int64_t unix_seconds) {
  const auto [days, rest] = DivideFloor(unix_seconds, kSecondsPerDay);
  const Civil c = CivilFromDays(days);
  if (c.year < 0 || c.year > 9999) return SlowFormat(unix_seconds);
  std::string out;
  out.reserve(32);
  AppendDigits(out, c.year, 4);
  out += '-';
  AppendDigits(out, c.month, 2);
  out += '-';
  AppendDigits(out, c.day, 2);
  out += 'T';
  AppendDigits(out, rest / 3600, 2);
  out += ':';
  AppendDigits(out, rest / 60 % 60, 2);
  out += ':';
  AppendDigits(out, rest % 60, 2);
  return out;
}

}  // namespace

std::string FormatRfc3339(int64_t unix_seconds) {
  std::string out = FormatSeconds(unix_seconds);
  if (out.empty()) return out;
  out += 'Z';
  return out;
}

std::string FormatRfc3339Nano(int64_t unix_nanos) {
  auto [seconds, nanos] = DivideFloor(unix_nanos, kNanosPerSecond);
  std::string out = FormatSeconds(seconds);
  if (out.empty()) return out;
  if (nanos != 0) {
    int width = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      --width;
    }
    out += '.';
    AppendDigits(out, nanos, width);
  }
  out += 'Z';
  return out;
}

}  // namespace coffer
