// API path helpers for client commands: paths as users type them
// ("/secret/foo/") turned into the forms the vault CLI sends.
//
// Thread-safety: pure functions.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace coffer::cli {

// Without leading and trailing '/': "/secret/foo/" -> "secret/foo".
std::string SanitizePath(std::string_view path);

// With exactly one trailing '/' ("" stays "").
std::string EnsureTrailingSlash(std::string_view path);

// Go's path.Join: the non-empty parts joined with '/', then cleaned (repeated
// '/' collapsed, "." and ".." resolved, no trailing '/'); "" when all parts
// are empty.
std::string JoinPath(std::initializer_list<std::string_view> parts);

}  // namespace coffer::cli
