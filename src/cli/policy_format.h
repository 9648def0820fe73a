// `coffer policy fmt`'s canonical policy text.
//
// The policy is parsed with the project's HCL parser (common/hcl.h; JSON is
// accepted too), validated as the server validates it (core::ParsePolicy),
// and rendered as HCL in one fixed layout:
//
//   path "secret/data/*" {
//     capabilities       = ["create", "read"]
//     allowed_parameters = {
//       "ttl" = []
//     }
//   }
//
// one block per path rule in the order written, a blank line between blocks,
// two-space indent, "policy" then "capabilities" first and other keys
// alphabetically, '=' aligned within a block, strings double-quoted.
//
// Thread-safety: pure functions.
// Invariants: formatting is idempotent (formatting the output again gives the
// same text) and the output parses to the same policy. Comments are not
// kept: the parser drops them, so HasComments() lets callers refuse first.
#pragma once

#include <string>
#include <string_view>

#include "coffer/status.h"

namespace coffer::cli {

// The canonical text. Errors are InvalidArgument: syntax errors as
// "<filename>:<line>:<column>: <what>", policy errors as the server words
// them ("failed to parse policy: ...").
Result<std::string> FormatPolicy(std::string_view text, std::string_view filename);

// Whether the text has a '#', '//' or '/* */' comment outside strings and
// heredocs.
bool HasComments(std::string_view text);

}  // namespace coffer::cli
