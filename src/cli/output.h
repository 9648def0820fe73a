// Output formatting shared by the client commands: the two-column table the
// vault CLI prints, indented JSON, Go-style rendering of JSON values, and the
// text of an API error.
//
// Thread-safety: pure functions.
// Invariants: nothing here writes to a stream; callers decide where text goes.
#pragma once

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
