// Key rules and listing helpers shared by every storage backend.
//
// Both backends keep keys in bytewise order and answer List(prefix) the same
// way: walk the keys that start with prefix, emit each immediate child once,
// and jump over a whole sub-directory as soon as its first key is seen. These
// helpers hold that logic so the backends cannot drift apart.
//
// Thread-safety: pure functions over their arguments.
// Invariants: a valid key is non-empty and contains no NUL byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "coffer/status.h"
#include "coffer/storage.h"

namespace coffer::storage {

// InvalidArgument for an empty key or one containing a NUL byte.
Status ValidateKey(std::string_view key);

// ValidateKey for every op of the batch; the first bad key wins.
Status ValidateBatch(const Batch& batch);

// One entry of a List answer, derived from a key under the listed prefix.
struct Child {
  std::string name;  // relative to the prefix; ends with '/' for a directory
  bool is_dir = false;
};

// The immediate child of `prefix` that `key` falls under, or nullopt when key
// does not start with prefix or equals it (a key is not its own child).
//   ImmediateChild("a/", "a/b")   -> {"b", false}
//   ImmediateChild("a/", "a/c/d") -> {"c/", true}
std::optional<Child> ImmediateChild(std::string_view prefix, std::string_view key);

// The smallest key greater than every key that starts with `dir_prefix`, which
// must end with '/'. Because '0' is the byte after '/', this is dir_prefix with
// its final '/' replaced by '0'. Seeking there skips the whole sub-directory.
// REQUIRES: !dir_prefix.empty() && dir_prefix.back() == '/'
std::string SkipPastDir(std::string_view dir_prefix);

// The smallest string greater than every string that starts with prefix, or
// nullopt when there is none (prefix empty or all 0xff bytes). Used as an
// exclusive upper bound for prefix scans.
std::optional<std::string> PrefixUpperBound(std::string_view prefix);

}  // namespace coffer::storage
