// RFC 3339 timestamps in UTC, as Go's time.Format(RFC3339) and
// (RFC3339Nano) write them: "2026-11-28T21:40:05Z",
// "2026-11-28T21:40:05.123Z" (the fraction's trailing zeros dropped, no
// fraction when it is zero). Computed arithmetically (days to civil date):
// these run on every kv v2 read and token lookup, where gmtime_r + strftime
// cost more than the rest of the rendering.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace coffer {

std::string FormatRfc3339(int64_t unix_seconds);
std::string FormatRfc3339Nano(int64_t unix_nanos);

}  // namespace coffer
