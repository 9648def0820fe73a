#include "common/json_util.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/duration.h"

namespace coffer {
namespace {

constexpr size_t kMaxShownInput = 128;

// The offending value as it appears in the error text: strings unquoted
// (like Go's %v), other values as compact JSON; long values are cut short.
std::string ShowInput(const Json& v) {
  std::string s =
      v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > kMaxShownInput) s = s.substr(0, kMaxShownInput) + "...";
  return s;
}

Status ConvertError(const Json& v, std::string_view key, std::string_view reason) {
  return InvalidArgument("error converting input " + ShowInput(v) + " for field \"" +
                         std::string(key) + "\": " + std::string(reason));
}

// The value at key, or nullptr when obj is not an object, the key is absent
// or its value is null.
const Json* Lookup(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

bool ParseDecimalInt(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void AppendTrimmed(std::string_view item, std::vector<std::string>* out) {
  item = Trim(item);
  if (!item.empty()) out->emplace_back(item);
}

}  // namespace

bool ParseGoBool(std::string_view s, bool* out) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") {
    *out = true;
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    *out = false;
    return true;
  }
  return false;
}

bool ScalarToString(const Json& v, std::string* out) {
  switch (v.type()) {
    case Json::value_t::string:
      *out = v.get<std::string>();
      return true;
    case Json::value_t::boolean:
      *out = v.get<bool>() ? "true" : "false";
      return true;
    case Json::value_t::number_integer:
      *out = std::to_string(v.get<int64_t>());
      return true;
    case Json::value_t::number_unsigned:
      *out = std::to_string(v.get<uint64_t>());
      return true;
    case Json::value_t::number_float: {
      // Shortest round-trip text without an exponent, like Go's
      // strconv.FormatFloat(f, 'f', -1, 64).
      char buf[400];
      auto [ptr, ec] =
          std::to_chars(buf, buf + sizeof(buf), v.get<double>(), std::chars_format::fixed);
      if (ec != std::errc()) return false;
      out->assign(buf, ptr);
      return true;
    }
    default:
      return false;
  }
}

Result<std::optional<bool>> GetBool(const Json& obj, std::string_view key) {
  const Json* v = Lookup(obj, key);
  if (v == nullptr) return std::optional<bool>();
  switch (v->type()) {
    case Json::value_t::boolean:
      return std::optional<bool>(v->get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return std::optional<bool>(v->get<double>() != 0);
    case Json::value_t::string: {
      bool b = false;
      if (ParseGoBool(v->get_ref<const std::string&>(), &b)) return std::optional<bool>(b);
      return ConvertError(*v, key, "cannot parse '" + ShowInput(*v) + "' as bool");
    }
    default:
      return ConvertError(*v, key, std::string("expected a bool, got ") + v->type_name());
  }
}

Result<std::optional<int64_t>> GetInt(const Json& obj, std::string_view key) {
  const Json* v = Lookup(obj, key);
  if (v == nullptr) return std::optional<int64_t>();
  switch (v->type()) {
    case Json::value_t::number_integer:
      return std::optional<int64_t>(v->get<int64_t>());
    case Json::value_t::number_unsigned: {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return ConvertError(*v, key, "value out of range");
      }
      return std::optional<int64_t>(static_cast<int64_t>(u));
    }
    case Json::value_t::number_float: {
      double d = v->get<double>();
      if (!std::isfinite(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0) {
        return ConvertError(*v, key, "value out of range");
      }
      return std::optional<int64_t>(static_cast<int64_t>(d));
    }
    case Json::value_t::boolean:
      return std::optional<int64_t>(v->get<bool>() ? 1 : 0);
    case Json::value_t::string: {
      const std::string& s = v->get_ref<const std::string&>();
      if (s.empty()) return std::optional<int64_t>(0);
      int64_t i = 0;
      if (ParseDecimalInt(s, &i)) return std::optional<int64_t>(i);
      return ConvertError(*v, key, "cannot parse '" + ShowInput(*v) + "' as int");
    }
    default:
      return ConvertError(*v, key, std::string("expected an int, got ") + v->type_name());
  }
}

Result<std::optional<std::string>> GetString(const Json& obj, std::string_view key) {
  const Json* v = Lookup(obj, key);
  if (v == nullptr) return std::optional<std::string>();
  std::string s;
  if (!ScalarToString(*v, &s)) {
    return ConvertError(*v, key, std::string("expected a string, got ") + v->type_name());
  }
  return std::optional<std::string>(std::move(s));
}

Result<std::optional<std::vector<std::string>>> GetStringList(const Json& obj,
                                                              std::string_view key) {
  using List = std::vector<std::string>;
  const Json* v = Lookup(obj, key);
  if (v == nullptr) return std::optional<List>();
  List out;
  if (v->is_string()) {
    std::string_view s = v->get_ref<const std::string&>();
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      if (comma == std::string_view::npos) comma = s.size();
      AppendTrimmed(s.substr(start, comma - start), &out);
      start = comma + 1;
    }
    return std::optional<List>(std::move(out));
  }
  if (v->is_array()) {
    for (const Json& item : *v) {
      std::string s;
      if (!ScalarToString(item, &s)) {
        return ConvertError(*v, key,
                            std::string("list items must be strings, got ") + item.type_name());
      }
      AppendTrimmed(s, &out);
    }
    return std::optional<List>(std::move(out));
  }
  std::string s;
  if (ScalarToString(*v, &s)) {
    AppendTrimmed(s, &out);
    return std::optional<List>(std::move(out));
  }
  return ConvertError(*v, key, std::string("expected a list of strings, got ") + v->type_name());
}

Result<std::optional<int64_t>> GetDuration(const Json& obj, std::string_view key) {
  const Json* v = Lookup(obj, key);
  if (v == nullptr) return std::optional<int64_t>();
  auto seconds = ParseDurationSeconds(*v);
  if (!seconds.ok()) return ConvertError(*v, key, seconds.status().message());
  return std::optional<int64_t>(*seconds);
}

Result<std::optional<std::map<std::string, std::string>>> GetStringMap(const Json& obj,
                                                                       std::string_view key) {
  using Map = std::map<std::string, std::string>;
  const Json* v = Lookup(obj, key);
  if (v == nullptr) return std::optional<Map>();
  Map out;
  if (v->is_object()) {
    for (const auto& [k, item] : v->items()) {
      std::string s;
      if (item.is_null()) continue;
      if (!ScalarToString(item, &s)) {
        return ConvertError(*v, key,
                            "value of \"" + k + "\" must be a string, got " + item.type_name());
      }
      out[k] = std::move(s);
    }
    return std::optional<Map>(std::move(out));
  }
  if (v->is_array()) {
    for (const Json& item : *v) {
      if (!item.is_string()) {
        return ConvertError(*v, key, "expected \"key=value\" strings");
      }
      const std::string& s = item.get_ref<const std::string&>();
      size_t eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        return ConvertError(*v, key, "expected \"key=value\" strings");
      }
      out[s.substr(0, eq)] = s.substr(eq + 1);
    }
    return std::optional<Map>(std::move(out));
  }
  return ConvertError(*v, key, std::string("expected a map, got ") + v->type_name());
}

std::string StoredString(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> StoredStrings(const Json& obj, std::string_view key) {
  std::vector<std::string> out;
  if (!obj.is_object()) return out;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return out;
  for (const Json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

namespace {

// Printable ASCII other than '"' and '\\' stands for itself in a JSON
// string; anything else goes through the JSON library's escaping. Eight
// bytes at a time: every response renders its strings through here.
bool NeedsNoEscape(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  // Some byte of x is below n (n <= 128), exactly.
  auto has_less = [](uint64_t x, uint64_t n) { return ((x - kOnes * n) & ~x & kHighs) != 0; };
  auto has_byte = [&](uint64_t x, uint64_t b) { return has_less(x ^ (kOnes * b), 1); };
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    if ((x & kHighs) != 0 || has_less(x, 0x20) || has_byte(x, 0x7f) || has_byte(x, '"') ||
        has_byte(x, '\\')) {
      return false;
    }
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

template <typename Int>
void AppendInteger(std::string* out, Int v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out->append(buf, end);
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  if (NeedsNoEscape(s)) {
    out->push_back('"');
    out->append(s);
    out->push_back('"');
  } else {
    *out += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

void AppendJson(std::string* out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      *out += "null";
      return;
    case Json::value_t::boolean:
      *out += value.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      AppendInteger(out, value.get<int64_t>());
      return;
    case Json::value_t::number_unsigned:
      AppendInteger(out, value.get<uint64_t>());
      return;
    case Json::value_t::string:
      AppendJsonString(out, value.get_ref<const std::string&>());
      return;
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, item] : value.get_ref<const Json::object_t&>()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, key);
        out->push_back(':');
        AppendJson(out, item);
      }
      out->push_back('}');
      return;
    }
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const Json& item : value.get_ref<const Json::array_t&>()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(out, item);
      }
      out->push_back(']');
      return;
    }
    default:  // floats (the library's shortest round-trip form), binary, discarded
      *out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

std::string DumpJsonCompact(const Json& value) {
  std::string out;
  AppendJson(&out, value);
  return out;
}

namespace {

void AppendJsonKey(std::string* out, std::string_view key) {
  AppendJsonString(out, key);
  out->push_back(':');
}

}  // namespace

void AppendJsonField(std::string* out, std::string_view key, int64_t value) {
  AppendJsonKey(out, key);
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  (void)ec;  // 24 bytes hold any int64_t
  out->append(digits, end);
}

void AppendJsonField(std::string* out, std::string_view key, bool value) {
  AppendJsonKey(out, key);
  *out += value ? "true" : "false";
}

void AppendJsonField(std::string* out, std::string_view key, std::string_view value) {
  AppendJsonKey(out, key);
  AppendJsonString(out, value);
}

void AppendJsonField(std::string* out, std::string_view key,
                     const std::vector<std::string>& value) {
  AppendJsonKey(out, key);
  out->push_back('[');
  for (size_t i = 0; i < value.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(out, value[i]);
  }
  out->push_back(']');
}

void AppendJsonValueField(std::string* out, std::string_view key, const Json& value) {
  AppendJsonKey(out, key);
  AppendJson(out, value);
}

void AppendJsonField(std::string* out, std::string_view key,
                     const std::map<std::string, std::string>& value) {
  AppendJsonKey(out, key);
  out->push_back('{');
  bool first = true;
  for (const auto& [k, v] : value) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonField(out, k, std::string_view(v));
  }
  out->push_back('}');
}

}  // namespace coffer
