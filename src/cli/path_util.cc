#include "cli/path_util.h"

#include <vector>

namespace coffer::cli {

std::string SanitizePath(std::string_view path) {
  size_t b = path.find_first_not_of('/');
  if (b == std::string_view::npos) return "";
  size_t e = path.find_last_not_of('/');
  return std::string(path.substr(b, e - b + 1));
}

std::string EnsureTrailingSlash(std::string_view path) {
  if (path.empty()) return "";
  std::string out(path);
  while (out.size() > 1 && out.back() == '/' && out[out.size() - 2] == '/') out.pop_back();
  if (out.back() != '/') out += '/';
  return out;
}

std::string JoinPath(std::initializer_list<std::string_view> parts) {
  std::string joined;
  for (std::string_view p : parts) {
    if (p.empty()) continue;
    if (!joined.empty()) joined += '/';
    joined += p;
  }
  if (joined.empty()) return "";
  bool rooted = joined[0] == '/';
  std::vector<std::string_view> out;
  std::string_view rest = joined;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty() && out.back() != "..") {
        out.pop_back();
      } else if (!rooted) {
        out.push_back(seg);
      }
      continue;
    }
    out.push_back(seg);
  }
  std::string result = rooted ? "/" : "";
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result += '/';
    result += out[i];
  }
  if (result.empty()) return ".";
  return result;
}

}  // namespace coffer::cli
