// Durations as Vault accepts and prints them.
//
// Vault's API and config files take a time span as integer seconds, as a
// numeric string, or as a Go duration string ("30s", "1h30m", "768h", "1.5h").
// These helpers turn all of those into whole seconds, and render seconds the
// way Go's time.Duration.String() does, since clients compare those strings.
//
// Thread-safety: pure functions; safe from any thread.
// Invariants: a parsed duration is never negative; fractions of a second are
// truncated (rounded toward zero), so "500ms" is 0 seconds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer {

// Accepts:
//   null                      -> 0
//   a JSON integer            -> that many seconds (a float is truncated)
//   a numeric string "300"    -> 300
//   "" (empty string)         -> 0
//   a Go duration string      -> a sequence of <decimal><unit>, units ns, us,
//                                µs (or μs), ms, s, m, h, plus d (24h) as an
//                                extension; e.g. "1h30m", "1.5h", "2d12h".
// Negative values, unknown units, missing units, other JSON types and values
// that overflow int64 seconds are InvalidArgument.
Result<int64_t> ParseDurationSeconds(const Json& v);

// Same, for a string (leading/trailing spaces are ignored).
Result<int64_t> ParseDurationSeconds(std::string_view text);

// Renders like Go's time.Duration.String() for whole seconds:
//   0 -> "0s", 45 -> "45s", 90 -> "1m30s", 3600 -> "1h0m0s",
//   2764800 -> "768h0m0s", -90 -> "-1m30s".
std::string FormatGoDuration(int64_t seconds);

}  // namespace coffer
