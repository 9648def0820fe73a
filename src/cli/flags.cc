#include "cli/flags.h"

#include <charconv>
#include <limits>

#include "common/json_util.h"

namespace coffer::cli {

void FlagSet::Add(std::string name, Kind kind, void* target, std::string usage) {
  flags_.push_back(Flag{std::move(name), kind, target, std::move(usage), group_});
}

void FlagSet::String(std::string name, std::string* target, std::string usage) {
  Add(std::move(name), Kind::kString, target, std::move(usage));
}
void FlagSet::Bool(std::string name, bool* target, std::string usage) {
  Add(std::move(name), Kind::kBool, target, std::move(usage));
}
void FlagSet::Int(std::string name, int* target, std::string usage) {
  Add(std::move(name), Kind::kInt, target, std::move(usage));
}
void FlagSet::StringList(std::string name, std::vector<std::string>* target, std::string usage) {
  Add(std::move(name), Kind::kStringList, target, std::move(usage));
}

FlagSet::Flag* FlagSet::Find(std::string_view name) {
  for (Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

bool FlagSet::IsSet(std::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return f.set;
  }
  return false;
}

Status FlagSet::Assign(Flag& flag, std::string_view value) {
  switch (flag.kind) {
    case Kind::kString:
      *static_cast<std::string*>(flag.target) = std::string(value);
      break;
    case Kind::kStringList:
      static_cast<std::vector<std::string>*>(flag.target)->emplace_back(value);
      break;
    case Kind::kBool: {
      bool b = false;
      if (!ParseGoBool(value, &b)) {
        return InvalidArgument("invalid boolean value \"" + std::string(value) + "\" for -" +
                               flag.name);
      }
      *static_cast<bool*>(flag.target) = b;
      break;
    }
    case Kind::kInt: {
      long long n = 0;
      const char* begin = value.data();
      const char* end = value.data() + value.size();
      if (begin != end && *begin == '+') ++begin;
      auto [ptr, ec] = std::from_chars(begin, end, n);
      if (value.empty() || ec != std::errc() || ptr != end || n < std::numeric_limits<int>::min() ||
          n > std::numeric_limits<int>::max()) {
        return InvalidArgument("invalid integer value \"" + std::string(value) + "\" for -" +
                               flag.name);
      }
      *static_cast<int*>(flag.target) = static_cast<int>(n);
      break;
    }
  }
  flag.set = true;
  return Status::Ok();
}

Result<std::vector<std::string>> FlagSet::Parse(const std::vector<std::string>& args) {
  size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;  // positional, or "-" (stdin)
    std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    if (body.empty() || body[0] == '-' || body[0] == '=') {
      return InvalidArgument("bad flag syntax: " + std::string(arg));
    }
    std::string_view name = body;
    std::string_view value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    Flag* flag = Find(name);
    if (flag == nullptr) {
      if (name == "h" || name == "help") {
        help_requested_ = true;
        return std::vector<std::string>{};
      }
      return InvalidArgument("flag provided but not defined: -" + std::string(name));
    }
    if (flag->kind == Kind::kBool && !has_value) {
      RETURN_IF_ERROR(Assign(*flag, "true"));
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return InvalidArgument("flag needs an argument: -" + std::string(name));
      }
      value = args[++i];
    }
    RETURN_IF_ERROR(Assign(*flag, value));
  }
  return std::vector<std::string>(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
}

std::string FlagSet::Usage() const {
  std::string out;
  const std::string* group = nullptr;
  for (const Flag& f : flags_) {
    if (!f.group.empty() && (group == nullptr || *group != f.group)) {
      out += f.group + ":\n\n";
    }
    group = &f.group;
    out += "  -" + f.name;
    switch (f.kind) {
      case Kind::kString:
      case Kind::kStringList:
        out += "=<string>";
        break;
      case Kind::kInt:
        out += "=<int>";
        break;
      case Kind::kBool:
        break;
    }
    out += "\n      " + f.usage + "\n\n";
  }
  return out;
}

}  // namespace coffer::cli
