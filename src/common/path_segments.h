// Splitting logical paths into '/'-separated segments (ACL patterns, engine
// path patterns).
//
// Thread-safety: pure function.
#pragma once

#include <string_view>
#include <vector>

namespace coffer {

// Splits on '/', keeping empty segments ("a/" -> ["a", ""], "" -> [""]).
// The views point into `s`.
std::vector<std::string_view> SplitPathSegments(std::string_view s);

}  // namespace coffer
