#include "storage/keys.h"

namespace coffer::storage {

Status ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("storage key must not be empty");
  if (key.find('\0') != std::string_view::npos) {
    return InvalidArgument("storage key must not contain a NUL byte");
  }
  return Status::Ok();
}

Status ValidateBatch(const Batch& batch) {
  for (const Op& op : batch) RETURN_IF_ERROR(ValidateKey(op.key));
  return Status::Ok();
}

std::optional<Child> ImmediateChild(std::string_view prefix, std::string_view key) {
  if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view rest = key.substr(prefix.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return Child{std::string(rest), false};
  return Child{std::string(rest.substr(0, slash + 1)), true};
}

std::string SkipPastDir(std::string_view dir_prefix) {
  std::string out(dir_prefix);
  if (!out.empty() && out.back() == '/') out.back() = '0';
  return out;
}

std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto last = static_cast<unsigned char>(out.back());
    if (last != 0xff) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return std::nullopt;
}

}  // namespace coffer::storage
