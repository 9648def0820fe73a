#include "common/duration.h"

#include <cmath>
#include <limits>
#include <utility>

namespace coffer {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000ULL;
constexpr uint64_t kMaxInt64 = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

Status InvalidDuration(std::string_view text) {
  return InvalidArgument("time: invalid duration \"" + std::string(text) + "\"");
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Nanoseconds per unit, or 0 for an unknown unit.
uint64_t UnitNanos(std::string_view unit) {
  static const std::pair<std::string_view, uint64_t> kUnits[] = {
      {"ns", 1ULL},
      {"us", 1'000ULL},
      {"\xC2\xB5s", 1'000ULL},  // U+00B5 micro sign
      {"\xCE\xBCs", 1'000ULL},  // U+03BC Greek small letter mu
      {"ms", 1'000'000ULL},
      {"s", kNanosPerSecond},
      {"m", 60 * kNanosPerSecond},
      {"h", 3600 * kNanosPerSecond},
      {"d", 86400 * kNanosPerSecond},  // extension: not in Go
  };
  for (const auto& [name, nanos] : kUnits) {
    if (name == unit) return nanos;
  }
  return 0;
}

// Parses all-digit text into a non-negative int64; false on overflow/non-digit.
bool ParseDecimal(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (kMaxInt64 - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = static_cast<int64_t>(v);
  return true;
}

// Go's time.ParseDuration grammar over non-negative values, in nanoseconds.
Result<uint64_t> ParseGoDurationNanos(std::string_view orig) {
  std::string_view s = orig;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    if (s.front() == '-') {
      return InvalidArgument("negative duration \"" + std::string(orig) + "\" is not allowed");
    }
    s.remove_prefix(1);
  }
  if (s == "0") return uint64_t{0};
  if (s.empty()) return InvalidDuration(orig);
  uint64_t total = 0;
  while (!s.empty()) {
    // Integer part.
    uint64_t whole = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < s.size() && IsDigit(s[i])) {
      uint64_t d = static_cast<uint64_t>(s[i] - '0');
      if (whole > (kMaxInt64 - d) / 10) overflow = true;
      if (!overflow) whole = whole * 10 + d;
      ++i;
    }
    if (overflow) return InvalidDuration(orig);
    bool had_whole = i > 0;
    // Fraction part; digits past 18 cannot change a whole-nanosecond result.
    uint64_t frac = 0;
    double scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t start = i;
      while (i < s.size() && IsDigit(s[i])) {
        if (i - start < 18) {
          frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
          scale *= 10;
        }
        ++i;
      }
      had_frac = i > start;
    }
    if (!had_whole && !had_frac) return InvalidDuration(orig);
    // Unit: everything up to the next digit or '.'.
    size_t unit_start = i;
    while (i < s.size() && s[i] != '.' && !IsDigit(s[i])) ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      return InvalidArgument("time: missing unit in duration \"" + std::string(orig) + "\"");
    }
    uint64_t unit_nanos = UnitNanos(unit);
    if (unit_nanos == 0) {
      return InvalidArgument("time: unknown unit \"" + std::string(unit) + "\" in duration \"" +
                             std::string(orig) + "\"");
    }
    if (whole > kMaxInt64 / unit_nanos) return InvalidDuration(orig);
    uint64_t part = whole * unit_nanos;
    if (frac > 0) {
      double extra = static_cast<double>(frac) * (static_cast<double>(unit_nanos) / scale);
      if (!(extra < static_cast<double>(kMaxInt64))) return InvalidDuration(orig);
      part += static_cast<uint64_t>(extra);
      if (part > kMaxInt64) return InvalidDuration(orig);
    }
    if (part > kMaxInt64 - total) return InvalidDuration(orig);
    total += part;
    s.remove_prefix(i);
  }
  return total;
}

}  // namespace

Result<int64_t> ParseDurationSeconds(std::string_view text) {
  std::string_view s = TrimSpaces(text);
  if (s.empty()) return int64_t{0};
  int64_t seconds = 0;
  if (ParseDecimal(s, &seconds)) return seconds;
  if (s.front() == '-' && s.size() > 1 && ParseDecimal(s.substr(1), &seconds)) {
    return InvalidArgument("negative duration \"" + std::string(s) + "\" is not allowed");
  }
  ASSIGN_OR_RETURN(uint64_t nanos, ParseGoDurationNanos(s));
  return static_cast<int64_t>(nanos / kNanosPerSecond);
}

Result<int64_t> ParseDurationSeconds(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return int64_t{0};
    case Json::value_t::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return InvalidArgument("duration " + v.dump() + " is out of range");
      }
      return static_cast<int64_t>(u);
    }
    case Json::value_t::number_integer: {
      int64_t i = v.get<int64_t>();
      if (i < 0) return InvalidArgument("negative duration " + v.dump() + " is not allowed");
      return i;
    }
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d)) return InvalidArgument("invalid duration " + v.dump());
      if (d < 0) return InvalidArgument("negative duration " + v.dump() + " is not allowed");
      // 2^63 is exactly representable; anything at or above it overflows.
      if (d >= 9223372036854775808.0) {
        return InvalidArgument("duration " + v.dump() + " is out of range");
      }
      return static_cast<int64_t>(d);
    }
    case Json::value_t::string:
      return ParseDurationSeconds(std::string_view(v.get_ref<const std::string&>()));
    default:
      return InvalidArgument(std::string("a duration must be a number or a string, not ") +
                             v.type_name());
  }
}

std::string FormatGoDuration(int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string out;
  // Work in unsigned so INT64_MIN negates safely.
  uint64_t u = static_cast<uint64_t>(seconds);
  if (seconds < 0) {
    out = "-";
    u = ~u + 1;
  }
  uint64_t hours = u / 3600;
  uint64_t minutes = (u / 60) % 60;
  uint64_t secs = u % 60;
  if (hours > 0) {
    out += std::to_string(hours) + "h" + std::to_string(minutes) + "m";
  } else if (minutes > 0) {
    out += std::to_string(minutes) + "m";
  }
  out += std::to_string(secs) + "s";
  return out;
}

}  // namespace coffer
