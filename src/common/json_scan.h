// json_scan: the bracket structure of JSON text, without parsing it.
//
//   JsonBrackets b = ScanJsonBrackets(R"({"a":["}",1]} x)");
//   // b.max_depth == 2, b.first_end == 13 (just past the first value's '}'),
//   // b.balanced == true
//
// Brackets inside strings (escapes included) are not structure. Nothing else
// is checked: the text need not be valid JSON. For cheap guards before (or
// instead of) a parse: the nesting limit of request bodies, the shape of a
// stored record.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <string_view>

namespace coffer {

struct JsonBrackets {
  int max_depth = 0;  // deepest nesting of {} and []
  // Just past the bracket that closes the first top-level object or array;
  // npos when none closes.
  size_t first_end = std::string_view::npos;
  bool balanced = false;  // every bracket closed in order, no string left open
};

JsonBrackets ScanJsonBrackets(std::string_view text);

}  // namespace coffer
