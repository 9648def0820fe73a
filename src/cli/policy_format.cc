#include "cli/policy_format.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include "common/hcl.h"
#include "core/policy.h"

namespace coffer::cli {
namespace {

constexpr int kIndent = 2;

bool IsIdentifier(std::string_view k) {
  if (k.empty()) return false;
  auto start_ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!start_ok(k[0])) return false;
  return std::all_of(k.begin(), k.end(), [&](char c) {
    return start_ok(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

bool IsBlockList(const Json& v) {
  return v.is_array() && !v.empty() &&
         std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_object(); });
}

// Scalars and lists of them on one line; objects never reach here.
std::string Inline(const Json& v) {
  if (v.is_string()) return Quote(v.get<std::string>());
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) out += ", ";
      out += v[i].is_object() ? "{}" : Inline(v[i]);
    }
    return out + "]";
  }
  return v.dump();  // numbers, booleans
}

std::vector<std::string> OrderedKeys(const Json& obj, bool rule_body) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : obj.items()) keys.push_back(k);  // sorted by nlohmann
  if (rule_body) {
    // "policy" and "capabilities" lead, as policies are usually written.
    std::stable_partition(keys.begin(), keys.end(),
                          [](const std::string& k) { return k == "capabilities"; });
    std::stable_partition(keys.begin(), keys.end(),
                          [](const std::string& k) { return k == "policy"; });
  }
  return keys;
}

void RenderBody(const Json& obj, int depth, bool rule_body, std::string* out);

std::string KeyText(const std::string& k, int depth) {
  // Parameter names (inside a rule's maps) are always quoted; rule keys are
  // bare when they can be.
  return depth <= 1 && IsIdentifier(k) ? k : Quote(k);
}

void RenderBody(const Json& obj, int depth, bool rule_body, std::string* out) {
  std::string pad(static_cast<size_t>(depth * kIndent), ' ');
  std::vector<std::string> keys = OrderedKeys(obj, rule_body);
  size_t width = 0;
  for (const std::string& k : keys) {
    if (!IsBlockList(obj[k])) width = std::max(width, KeyText(k, depth).size());
  }
  for (const std::string& k : keys) {
    const Json& v = obj[k];
    std::string key = KeyText(k, depth);
    if (IsBlockList(v)) {  // a repeated block: written out once per occurrence
      for (const Json& item : v) {
        *out += pad + key + " {\n";
        RenderBody(item, depth + 1, false, out);
        *out += pad + "}\n";
      }
      continue;
    }
    *out += pad + key + std::string(width - key.size(), ' ') + " = ";
    if (v.is_object()) {
      if (v.empty()) {
        *out += "{}\n";
        continue;
      }
      *out += "{\n";
      RenderBody(v, depth + 1, false, out);
      *out += pad + "}\n";
    } else {
      *out += Inline(v) + "\n";
    }
  }
}

}  // namespace

Result<std::string> FormatPolicy(std::string_view text, std::string_view filename) {
  ASSIGN_OR_RETURN(Json doc, hcl::ParseHclOrJson(text, filename));
  RETURN_IF_ERROR(core::ParsePolicy("fmt", std::string(text)).status());
  if (!doc.is_object()) return InvalidArgument("failed to parse policy: not an object");
  std::string out;
  // Top-level attributes other than the path rules ("name") come first.
  for (const auto& [k, v] : doc.items()) {
    if (k == "path") continue;
    out += KeyText(k, 0) + " = " + (v.is_object() || IsBlockList(v) ? v.dump() : Inline(v)) + "\n";
  }
  bool first = out.empty();
  Status shape = Status::Ok();
  if (auto it = doc.find("path"); it != doc.end()) {
    hcl::ForEachEntry(*it, [&](const std::string& pattern, const Json& body) {
      if (!body.is_object()) {
        shape = InvalidArgument("failed to parse policy: path \"" + pattern +
                                "\": the rule must be a block");
        return;
      }
      if (!first) out += "\n";
      first = false;
      out += "path " + Quote(pattern) + " {\n";
      RenderBody(body, 1, /*rule_body=*/true, &out);
      out += "}\n";
    });
  }
  RETURN_IF_ERROR(shape);
  return out;
}

bool HasComments(std::string_view text) {
  size_t i = 0;
  size_t n = text.size();
  while (i < n) {
    char c = text[i];
    if (c == '"') {
      ++i;
      while (i < n && text[i] != '"' && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
      ++i;
      continue;
    }
    if (c == '#') return true;
    if (c == '/' && i + 1 < n && (text[i + 1] == '/' || text[i + 1] == '*')) return true;
    if (c == '<' && i + 1 < n && text[i + 1] == '<') {
      size_t j = i + 2;
      if (j < n && text[j] == '-') ++j;
      size_t start = j;
      while (j < n && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      std::string_view marker = text.substr(start, j - start);
      if (marker.empty()) {
        i += 2;
        continue;
      }
      // Skip the heredoc's lines up to the one that is only the marker.
      size_t line = text.find('\n', j);
      while (line != std::string_view::npos) {
        size_t next = text.find('\n', line + 1);
        std::string_view l =
            text.substr(line + 1, (next == std::string_view::npos ? n : next) - (line + 1));
        size_t b = l.find_first_not_of(" \t");
        size_t e = l.find_last_not_of(" \t\r");
        if (b != std::string_view::npos && l.substr(b, e - b + 1) == marker) {
          line = next;
          break;
        }
        line = next;
      }
      i = line == std::string_view::npos ? n : line;
      continue;
    }
    ++i;
  }
  return false;
}

}  // namespace coffer::cli
