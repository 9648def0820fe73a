#include "cli/kv_args.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace coffer::cli {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("error reading file: open " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return InvalidArgument("error reading file: " + path);
  return text.str();
}

// Reads stdin once; a second use is an error, as in the vault CLI.
class StdinOnce {
 public:
  explicit StdinOnce(const StdinReader& reader) : reader_(reader) {}
  Result<std::string> Read() {
    if (!reader_) return InvalidArgument("stdin is not supported");
    if (used_) return InvalidArgument("stdin already consumed");
    used_ = true;
    return reader_();
  }

 private:
  const StdinReader& reader_;
  bool used_ = false;
};

Status MergeJsonObject(std::string_view text, std::string_view source, Json* result) {
  Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return InvalidArgument("invalid JSON object from " + std::string(source));
  }
  for (auto& [k, v] : parsed.items()) (*result)[k] = std::move(v);
  return Status::Ok();
}

void AddValue(Json* result, const std::string& key, Json value) {
  auto it = result->find(key);
  if (it == result->end()) {
    (*result)[key] = std::move(value);
    return;
  }
  if (!it->is_array()) *it = Json::array({*it});
  it->push_back(std::move(value));
}

}  // namespace

Result<Json> ParseKeyValueArgs(const std::vector<std::string>& args, const StdinReader& stdin) {
  Json result = Json::object();
  StdinOnce in(stdin);
  for (const std::string& raw : args) {
    if (raw.empty()) continue;
    size_t eq = raw.find('=');
    if (eq == std::string::npos) {
      if (raw == "-") {
        ASSIGN_OR_RETURN(std::string text, in.Read());
        RETURN_IF_ERROR(MergeJsonObject(text, "stdin", &result));
        continue;
      }
      if (raw[0] == '@') {
        ASSIGN_OR_RETURN(std::string text, ReadWholeFile(raw.substr(1)));
        RETURN_IF_ERROR(MergeJsonObject(text, raw.substr(1), &result));
        continue;
      }
      return InvalidArgument("format must be key=value");
    }
    std::string key = raw.substr(0, eq);
    std::string value = raw.substr(eq + 1);
    if (!value.empty() && value[0] == '@') {
      ASSIGN_OR_RETURN(value, ReadWholeFile(value.substr(1)));
    } else if (value.size() >= 2 && value[0] == '\\' && value[1] == '@') {
      value.erase(0, 1);
    } else if (value == "-") {
      ASSIGN_OR_RETURN(value, in.Read());
    }
    AddValue(&result, key, std::move(value));
  }
  return result;
}

Result<std::map<std::string, std::vector<std::string>>> ParseQueryArgs(
    const std::vector<std::string>& args, const StdinReader& stdin) {
  ASSIGN_OR_RETURN(Json data, ParseKeyValueArgs(args, stdin));
  std::map<std::string, std::vector<std::string>> out;
  auto text = [](const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  for (const auto& [k, v] : data.items()) {
    std::vector<std::string>& values = out[k];
    if (v.is_array()) {
      for (const Json& item : v) values.push_back(text(item));
    } else {
      values.push_back(text(v));
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseKeyValueFlag(const std::vector<std::string>& items,
                                                             std::string_view flag) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("invalid value for -" + std::string(flag) +
                             ": expected key=value, got \"" + item + "\"");
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

std::vector<std::string> SplitCommaList(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      size_t comma = item.find(',', start);
      if (comma == std::string::npos) comma = item.size();
      std::string v = item.substr(start, comma - start);
      size_t b = v.find_first_not_of(" \t");
      size_t e = v.find_last_not_of(" \t");
      if (b != std::string::npos) out.push_back(v.substr(b, e - b + 1));
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace coffer::cli
