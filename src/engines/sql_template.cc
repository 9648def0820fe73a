#include "engines/sql_template.h"

#include <cctype>

#include "coffer/json.h"
#include "crypto/encoding.h"

namespace coffer::engines::sql {
namespace {

// Where the lexer is: which characters end the current token.
enum class Context {
  kCode,           // plain SQL
  kString,         // '...'
  kEscapeString,   // E'...'
  kIdentifier,     // "..."
  kDollar,         // $tag$ ... $tag$
  kLineComment,    // -- ... \n
  kBlockComment,   // /* ... */ (nests in PostgreSQL)
};

bool IsIdentChar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 || c == '_' || u >= 0x80;
}

bool IsTagStart(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalpha(u) != 0 || c == '_' || u >= 0x80;
}

std::string Doubled(std::string_view value, char quote, bool backslashes) {
  std::string out;
  out.reserve(value.size() + 2);
  for (char c : value) {
    if (c == quote || (backslashes && c == '\\')) out.push_back(c);
    out.push_back(c);
  }
  return out;
}

// The value of `key`, escaped for `ctx`.
Result<std::string> Substitute(Context ctx, std::string_view key, const TemplateValue& v) {
  const std::string what = "cannot substitute {{" + std::string(key) + "}}: ";
  if (v.text.find('\0') != std::string::npos) {
    return InvalidArgument(what + "the value contains a NUL byte");
  }
  switch (ctx) {
    case Context::kCode:
      return v.kind == ValueKind::kIdentifier ? QuoteIdentifier(v.text) : QuoteLiteral(v.text);
    case Context::kString:
      return Doubled(v.text, '\'', false);
    case Context::kEscapeString:
      return Doubled(v.text, '\'', true);
    case Context::kIdentifier:
      return Doubled(v.text, '"', false);
    case Context::kDollar:
      // Nothing can be escaped inside a dollar-quoted string; a '$' could
      // close it.
      if (v.text.find('$') != std::string::npos) {
        return InvalidArgument(what + "the value contains '$' and sits in a dollar-quoted string");
      }
      return v.text;
    case Context::kLineComment:
    case Context::kBlockComment:
      break;
  }
  return Internal("placeholder substituted inside a comment");
}

std::string_view Trim(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b])) != 0) ++b;
  size_t e = s.size();
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])) != 0) --e;
  return s.substr(b, e - b);
}

// Valid UTF-8 with no control characters but tab, CR and LF: what a
// base64-decoded statement must look like to be taken as one.
bool IsPlainText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
      if (c == 0x7f) return false;
      ++i;
      continue;
    }
    size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

bool LooksBase64(std::string_view s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '/' && c != '=') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string QuoteIdentifier(std::string_view value) {
  return "\"" + Doubled(value, '"', false) + "\"";
}

std::string QuoteLiteral(std::string_view value) {
  bool backslash = value.find('\\') != std::string_view::npos;
  std::string body = Doubled(value, '\'', backslash);
  return (backslash ? " E'" : "'") + body + "'";
}

Result<std::vector<std::string>> RenderStatements(std::string_view sql,
                                                  const TemplateValues& values) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    std::string_view t = Trim(cur);
    if (!t.empty()) out.emplace_back(t);
    cur.clear();
  };
  Context ctx = Context::kCode;
  std::string dollar_tag;
  int depth = 0;
  const size_t n = sql.size();
  size_t i = 0;
  auto next_is = [&](char c) { return i + 1 < n && sql[i + 1] == c; };
  while (i < n) {
    bool in_comment = ctx == Context::kLineComment || ctx == Context::kBlockComment;
    if (!in_comment && sql.compare(i, 2, "{{") == 0) {
      size_t close = sql.find("}}", i + 2);
      if (close != std::string_view::npos) {
        std::string_view key = sql.substr(i + 2, close - i - 2);
        auto it = values.find(key);
        if (it != values.end()) {
          ASSIGN_OR_RETURN(std::string piece, Substitute(ctx, key, it->second));
          cur += piece;
          i = close + 2;
          continue;
        }
      }
    }
    const char c = sql[i];
    switch (ctx) {
      case Context::kCode:
        if (c == ';') {
          flush();
          ++i;
          continue;
        }
        if (c == '\'') {
          bool escape = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                        (i < 2 || !IsIdentChar(sql[i - 2]));
          ctx = escape ? Context::kEscapeString : Context::kString;
        } else if (c == '"') {
          ctx = Context::kIdentifier;
        } else if (c == '-' && next_is('-')) {
          ctx = Context::kLineComment;
          cur += "--";
          i += 2;
          continue;
        } else if (c == '/' && next_is('*')) {
          ctx = Context::kBlockComment;
          depth = 1;
          cur += "/*";
          i += 2;
          continue;
        } else if (c == '$' && (i == 0 || !IsIdentChar(sql[i - 1]))) {
          // $$ or $tag$ opens a dollar-quoted string; $1 is a parameter.
          size_t j = i + 1;
          if (j < n && IsTagStart(sql[j])) {
            while (j < n && IsIdentChar(sql[j])) ++j;
          }
          if (j < n && sql[j] == '$') {
            dollar_tag = std::string(sql.substr(i, j - i + 1));
            ctx = Context::kDollar;
            cur += dollar_tag;
            i = j + 1;
            continue;
          }
        }
        break;
      case Context::kString:
      case Context::kEscapeString:
        if (ctx == Context::kEscapeString && c == '\\' && i + 1 < n) {
          cur += sql.substr(i, 2);
          i += 2;
          continue;
        }
        if (c == '\'') {
          if (next_is('\'')) {
            cur += "''";
            i += 2;
            continue;
          }
          ctx = Context::kCode;
        }
        break;
      case Context::kIdentifier:
        if (c == '"') {
          if (next_is('"')) {
            cur += "\"\"";
            i += 2;
            continue;
          }
          ctx = Context::kCode;
        }
        break;
      case Context::kDollar:
        if (sql.compare(i, dollar_tag.size(), dollar_tag) == 0) {
          cur += dollar_tag;
          i += dollar_tag.size();
          ctx = Context::kCode;
          continue;
        }
        break;
      case Context::kLineComment:
        if (c == '\n') ctx = Context::kCode;
        break;
      case Context::kBlockComment:
        if (c == '*' && next_is('/')) {
          cur += "*/";
          i += 2;
          if (--depth == 0) ctx = Context::kCode;
          continue;
        }
        if (c == '/' && next_is('*')) {
          cur += "/*";
          i += 2;
          ++depth;
          continue;
        }
        break;
    }
    cur.push_back(c);
    ++i;
  }
  switch (ctx) {
    case Context::kString:
    case Context::kEscapeString:
      return InvalidArgument("unterminated quoted string in statement");
    case Context::kIdentifier:
      return InvalidArgument("unterminated quoted identifier in statement");
    case Context::kDollar:
      return InvalidArgument("unterminated dollar-quoted string in statement");
    case Context::kBlockComment:
      return InvalidArgument("unterminated /* comment in statement");
    case Context::kCode:
    case Context::kLineComment:
      break;
  }
  flush();
  return out;
}

std::vector<std::string> ExpandStatementEntries(const std::vector<std::string>& entries) {
  std::vector<std::string> out;
  for (const std::string& entry : entries) {
    std::string text = entry;
    std::string_view trimmed = Trim(text);
    if (LooksBase64(trimmed)) {
      Result<std::string> decoded = crypto::Base64Decode(trimmed);
      if (decoded.ok() && IsPlainText(*decoded)) text = std::move(decoded).value();
    }
    trimmed = Trim(text);
    if (!trimmed.empty() && trimmed.front() == '[') {
      Json arr = Json::parse(trimmed, nullptr, false);
      bool all_strings = arr.is_array();
      if (all_strings) {
        for (const Json& s : arr) all_strings = all_strings && s.is_string();
      }
      if (all_strings) {
        for (const Json& s : arr) out.push_back(s.get<std::string>());
        continue;
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

Result<std::vector<std::string>> RenderStatementList(const std::vector<std::string>& entries,
                                                     const TemplateValues& values) {
  std::vector<std::string> out;
  for (const std::string& text : ExpandStatementEntries(entries)) {
    ASSIGN_OR_RETURN(std::vector<std::string> statements, RenderStatements(text, values));
    for (std::string& s : statements) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace coffer::engines::sql
