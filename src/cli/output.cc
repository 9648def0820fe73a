#include "cli/output.h"

#include <algorithm>

#include "common/duration.h"

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

std::string FormatColumns(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return "";
  size_t ncols = 0;
  for (const auto& r : rows) ncols = std::max(ncols, r.size());
  // The heading, its underline, then the rows; empty cells become "n/a".
  std::vector<std::vector<std::string>> cells;
  cells.push_back(rows[0]);
  std::vector<std::string> underline;
  for (const std::string& h : rows[0]) underline.emplace_back(h.size(), '-');
  cells.push_back(std::move(underline));
  for (size_t i = 1; i < rows.size(); ++i) cells.push_back(rows[i]);
  for (auto& r : cells) {
    r.resize(ncols);
    for (std::string& c : r) {
      if (c.empty()) c = "n/a";
    }
  }
  std::vector<size_t> width(ncols, 0);
  for (const auto& r : cells) {
    for (size_t c = 0; c < ncols; ++c) width[c] = std::max(width[c], r[c].size());
  }
  std::string out;
  for (const auto& r : cells) {
    for (size_t c = 0; c < ncols; ++c) {
      out += r[c];
      if (c + 1 < ncols) {
        out.append(width[c] - r[c].size(), ' ');
        out += kGlue;
      }
    }
    out += '\n';
  }
  return out;
}

std::string HumanDuration(int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string s = FormatGoDuration(seconds);
  if (s.size() > 3 && s.compare(s.size() - 3, 3, "m0s") == 0) s.resize(s.size() - 2);
  if (size_t idx = s.find("h0m"); idx != std::string::npos && idx > 0) {
    s = s.substr(0, idx + 1) + s.substr(idx + 3);
  }
  return s;
}

bool LooksLikeDuration(std::string_view key) {
  auto ends_with = [&](std::string_view suffix) {
    return key.size() >= suffix.size() && key.substr(key.size() - suffix.size()) == suffix;
  };
  return key == "period" || ends_with("_period") || key == "ttl" || ends_with("_ttl") ||
         key == "duration" || ends_with("_duration") || key == "lease_max" || key == "ttl_max";
}

std::string TableValue(std::string_view key, const Json& value) {
  if (LooksLikeDuration(key) && value.is_number()) {
    if (value.is_number_integer()) return HumanDuration(value.get<int64_t>());
    if (value.is_number_float()) {
      double d = value.get<double>();
      if (d == static_cast<double>(static_cast<int64_t>(d)) && d > -9.2e18 && d < 9.2e18) {
        return HumanDuration(static_cast<int64_t>(d));
      }
    }
  }
  return FormatValue(value);
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ' ';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "]";
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
