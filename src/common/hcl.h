// HCL (version 1, the dialect of Vault's config files and policies) to JSON.
//
// Thread-safety: pure functions; safe from any thread.
//
// Mapping to Json (the contract every caller relies on):
//   * A body (the whole file, or the inside of `{ ... }`) is a Json object.
//   * `key = value` sets key to the value. Values are strings, heredocs,
//     numbers (int64, double; decimal, negative, exponent, 0x hex), true/false,
//     lists `[ ... ]` (trailing comma allowed) and objects `{ ... }`.
//   * A block `type "l1" ... "ln" { body }` means the same as
//     `type = { "l1" = { ... { "ln" = body } } }`; `type { body }` is
//     `type = { body }`. Labels may be quoted strings or bare identifiers.
//   * A key that occurs more than once in one body has its values collected
//     into an array, in order:
//       listener "tcp" {...}  listener "tcp" {...}
//         -> {"listener": [{"tcp": {...}}, {"tcp": {...}}]}
//       path "x" {...}  path "y" {...}
//         -> {"path": [{"x": {...}}, {"y": {...}}]}
//     A key seen once stays a plain value: {"storage": {"file": {...}}}.
//     Blocks are never deep-merged. This is how Vault's JSON configs and
//     policies are written, so JSON input needs no conversion; ForEachEntry
//     walks both shapes.
//   * Keys are bare identifiers (letters, digits, '_', '-', '.'; not starting
//     with a digit, '-' or '.') or quoted strings. Items in a body are
//     separated by newlines or commas (the separator is optional).
//   * Strings: "..." with escapes \n \t \r \" \\ \/ \uXXXX (surrogate pairs
//     combined) and \UXXXXXXXX; no raw newlines. `${...}` is kept literally.
//     Heredocs: `<<EOF` ... `EOF` keeps lines as written (each line ends with
//     "\n"); `<<-EOF` also allows an indented closing marker and removes the
//     indentation common to all non-blank lines.
//   * Comments: `#` and `//` to end of line, `/* ... */`.
//
// Invariants: never crashes or recurses without bound on any input (nesting
// deeper than kMaxDepth is an error); all strings in the result are valid
// UTF-8, so dumping the Json never throws. Errors are InvalidArgument with the
// message "<filename>:<line>:<column>: <what>" (1-based, column in bytes).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "coffer/json.h"
#include "coffer/status.h"

namespace coffer::hcl {

inline constexpr int kMaxDepth = 128;

// Parses HCL text. `filename` only labels error messages.
Result<Json> Parse(std::string_view text, std::string_view filename);

// Parses JSON when `text` (after leading whitespace) starts with '{', else
// HCL. JSON nesting deeper than kMaxDepth is refused as well.
Result<Json> ParseHclOrJson(std::string_view text, std::string_view filename);

// Reads a file and parses it: JSON for a ".json" extension or content
// starting with '{', else HCL. IOError when the file cannot be read.
Result<Json> ParseFile(const std::string& path);

// Calls fn(key, value) for each member of an object, or of each object in an
// array of objects (other array elements are skipped), in order. Does nothing
// for other values. Turns both {"tcp": {...}} and [{"tcp": {...}}, ...] into
// a sequence of (type, body) pairs.
void ForEachEntry(const Json& value,
                  const std::function<void(const std::string& key, const Json& v)>& fn);

}  // namespace coffer::hcl
