#include "common/json_scan.h"

namespace coffer {

JsonBrackets ScanJsonBrackets(std::string_view text) {
  JsonBrackets out;
  int depth = 0;
  bool negative = false;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > out.max_depth) out.max_depth = depth;
    } else if (c == '}' || c == ']') {
      if (--depth < 0) negative = true;
      if (depth == 0 && out.first_end == std::string_view::npos) out.first_end = i + 1;
    }
  }
  out.balanced = depth == 0 && !negative && !in_string;
  return out;
}

}  // namespace coffer
