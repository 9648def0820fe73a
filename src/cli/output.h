// Output formatting shared by the client commands: the two-column table the
// vault CLI prints, indented JSON, Go-style rendering of JSON values, and the
// text of an API error.
//
// Thread-safety: pure functions.
// Invariants: nothing here writes to a stream; callers decide where text goes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/json.h"

namespace coffer::cli {

struct Row {
  std::string key;
  std::string value;
};

// Columns aligned with four spaces between them; with `header`, a
// "Key/Value" heading underlined by "---"/"-----" comes first. Each line ends
// in '\n'; the last column is not padded.
std::string FormatTable(const std::vector<Row>& rows, bool header = true);

// A table of columns: rows[0] is the heading, underlined with dashes as long
// as each heading word; cells are separated by four spaces, the last column is
// not padded, and an empty cell shows as "n/a" (as the vault CLI's tables do).
std::string FormatColumns(const std::vector<std::vector<std::string>>& rows);

// A TTL in seconds as the vault CLI shows it: Go's duration text without
// trailing zero units: 0 -> "0s", 2764800 -> "768h", 5400 -> "1h30m",
// 3630 -> "1h30s".
std::string HumanDuration(int64_t seconds);

// Whether a response field holds a TTL that tables show with HumanDuration:
// "ttl", "period", "duration", "lease_max", "ttl_max" and names ending in
// "_ttl", "_period" or "_duration".
bool LooksLikeDuration(std::string_view key);

// A field value in a table cell: FormatValue, except that integral values of
// TTL-looking keys (LooksLikeDuration) are shown with HumanDuration.
std::string TableValue(std::string_view key, const Json& value);

// Go's %q of a string list, as the CLI prints policies: ["a" "b"], [] when empty.
std::string QuotedList(const std::vector<std::string>& items);

// Two-space indented JSON followed by '\n'.
std::string FormatJson(const Json& value);
std::string FormatJson(const nlohmann::ordered_json& value);

// A JSON value as Go's "%v" prints the decoded value: strings raw, null as
// "<nil>", arrays as "[a b]", objects as "map[k:v ...]" (keys sorted).
std::string FormatValue(const Json& value);

// The body of an error response as the vault CLI shows it:
//   Error making API request.
//
//   URL: PUT http://127.0.0.1:8200/v1/sys/seal
//   Code: 403. Errors:
//
//   * permission denied
// A body that is not {"errors":[...]} is shown under "Raw Message:".
std::string FormatApiError(std::string_view method, std::string_view url, int status,
                           std::string_view body);

}  // namespace coffer::cli
