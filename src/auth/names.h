// Names of users and roles in auth method paths.
//
// Thread-safety: pure functions.
// Invariant: a valid name is 1..kMaxNameLength characters from
// [A-Za-z0-9_.-], starting and ending with [A-Za-z0-9_] (Vault's generic
// name pattern), so it is always a single path and storage-key segment.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace coffer::auth {

inline constexpr size_t kMaxNameLength = 256;

bool IsValidName(std::string_view name);

std::string AsciiLower(std::string_view s);

}  // namespace coffer::auth
