#include "cli/output.h"

#include <algorithm>

namespace coffer::cli {
namespace {

constexpr std::string_view kGlue = "    ";

// Go prints floats with %v as the shortest representation; integral values
// stored as floats print without a fraction.
std::string FormatNumber(const Json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<long long>(d))) {
      return std::to_string(static_cast<long long>(d));
    }
  }
  return v.dump();
}

}  // namespace

std::string FormatTable(const std::vector<Row>& rows, bool header) {
  size_t width = header ? 3 : 0;  // "Key", "---"
  for (const Row& r : rows) width = std::max(width, r.key.size());
  std::string out;
  auto line = [&](std::string_view key, std::string_view value) {
    out += key;
    if (!value.empty()) {  // no trailing padding on a row with an empty value
      out.append(width - key.size(), ' ');
      out += kGlue;
      out += value;
    }
    out += '\n';
  };
  if (header) {
    line("Key", "Value");
    line("---", "-----");
  }
  for (const Row& r : rows) line(r.key, r.value);
  return out;
}

std::string FormatJson(const Json& value) { return value.dump(2) + "\n"; }

std::string FormatJson(const nlohmann::ordered_json& value) { return value.dump(2) + "\n"; }

std::string FormatValue(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "<nil>";
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return FormatNumber(value);
    case Json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out += ' ';
        out += FormatValue(value[i]);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::string out = "map[";
      bool first = true;
      for (const auto& [k, v] : value.items()) {  // nlohmann keeps keys sorted
        if (!first) out += ' ';
        first = false;
        out += k + ":" + FormatValue(v);
      }
      return out + "]";
    }
    default:
      return value.dump();
  }
}

std::string FormatApiError(std::string_view method, std::string_view url, int status,
                           std::string_view body) {
  std::string out = "Error making API request.\n\nURL: ";
  out += method;
  out += ' ';
  out += url;
  out += "\nCode: " + std::to_string(status) + ".";
  Json parsed = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("errors") && parsed["errors"].is_array()) {
    out += " Errors:\n";
    if (!parsed["errors"].empty()) out += '\n';
    for (const Json& e : parsed["errors"]) {
      out += "* " + (e.is_string() ? e.get<std::string>() : e.dump()) + "\n";
    }
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  out += " Raw Message:\n\n";
  out += body;
  return out;
}

}  // namespace coffer::cli
