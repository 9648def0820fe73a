#include "common/hcl.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>
#include <utility>
#include <vector>

namespace coffer::hcl {
namespace {

enum class Tok {
  kEof,
  kIdent,
  kString,
  kNumber,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kEquals,
  kComma
};

struct Token {
  Tok kind = Tok::kEof;
  size_t offset = 0;  // where the token starts, for error positions
  std::string text;   // identifier name or decoded string/heredoc
  Json number;        // kNumber only
};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c) || c == '-' || c == '.'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Length of the valid UTF-8 sequence starting at s[0] (1..4), or 0 when the
// bytes there are not valid UTF-8 (overlong forms, surrogates and code points
// past U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  }
  return n;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string DescribeByte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7F) return std::string("'") + c + "'";
  static const char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 0xF];
}

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case Tok::kEof:
      return "end of input";
    case Tok::kIdent:
      return "identifier '" + t.text.substr(0, 64) + "'";
    case Tok::kString:
      return "string";
    case Tok::kNumber:
      return "number";
    case Tok::kLBrace:
      return "'{'";
    case Tok::kRBrace:
      return "'}'";
    case Tok::kLBracket:
      return "'['";
    case Tok::kRBracket:
      return "']'";
    case Tok::kEquals:
      return "'='";
    case Tok::kComma:
      return "','";
  }
  return "token";
}

// Parser state: the input, one token of lookahead, and error formatting.
class Parser {
 public:
  Parser(std::string_view text, std::string_view filename) : in_(text), filename_(filename) {
    if (in_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
  }

  Result<Json> ParseFile() {
    RETURN_IF_ERROR(Advance());
    Json root = Json::object();
    RETURN_IF_ERROR(ParseBody(&root, 0, /*top=*/true));
    return root;
  }

 private:
  Status Error(size_t offset, std::string_view what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < offset && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return InvalidArgument(std::string(filename_) + ":" + std::to_string(line) + ":" +
                           std::to_string(col) + ": " + std::string(what));
  }

  // ---- Lexer ----

  char At(size_t i) const { return i < in_.size() ? in_[i] : '\0'; }

  Status SkipSpaceAndComments() {
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (c == '#' || (c == '/' && At(pos_ + 1) == '/')) {
        size_t nl = in_.find('\n', pos_);
        pos_ = nl == std::string_view::npos ? in_.size() : nl + 1;
      } else if (c == '/' && At(pos_ + 1) == '*') {
        size_t end = in_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return Error(pos_, "unterminated comment");
        pos_ = end + 2;
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  Status Advance() {
    RETURN_IF_ERROR(SkipSpaceAndComments());
    tok_ = Token();
    tok_.offset = pos_;
    if (pos_ >= in_.size()) return Status::Ok();
    char c = in_[pos_];
    static constexpr std::pair<char, Tok> kPunctuation[] = {
        {'{', Tok::kLBrace},   {'}', Tok::kRBrace}, {'[', Tok::kLBracket},
        {']', Tok::kRBracket}, {'=', Tok::kEquals}, {',', Tok::kComma}};
    for (const auto& [ch, kind] : kPunctuation) {
      if (c == ch) {
        tok_.kind = kind;
        ++pos_;
        return Status::Ok();
      }
    }
    if (c == '"') return LexString();
    if (c == '<' && At(pos_ + 1) == '<') return LexHeredoc();
    if (IsDigit(c) || (c == '-' && IsDigit(At(pos_ + 1)))) return LexNumber();
    if (IsIdentStart(c)) {
      size_t start = pos_;
      while (pos_ < in_.size() && IsIdentChar(in_[pos_])) ++pos_;
      tok_.kind = Tok::kIdent;
      tok_.text = std::string(in_.substr(start, pos_ - start));
      return Status::Ok();
    }
    return Error(pos_, "unexpected " + DescribeByte(c));
  }

  Status LexString() {
    size_t start = pos_++;
    std::string out;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return Error(start, "unterminated string");
      char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        RETURN_IF_ERROR(LexEscape(&out));
        continue;
      }
      RETURN_IF_ERROR(AppendRawChar(&out));
    }
    tok_.kind = Tok::kString;
    tok_.text = std::move(out);
    return Status::Ok();
  }

  // Copies one character of raw string/heredoc text at pos_, refusing
  // control characters other than tab and invalid UTF-8.
  Status AppendRawChar(std::string* out) {
    auto u = static_cast<unsigned char>(in_[pos_]);
    if (u < 0x20 && u != '\t') {
      return Error(pos_, "invalid control character " + DescribeByte(in_[pos_]));
    }
    size_t n = Utf8SequenceLength(in_.substr(pos_));
    if (n == 0) return Error(pos_, "invalid UTF-8");
    out->append(in_.substr(pos_, n));
    pos_ += n;
    return Status::Ok();
  }

  Result<uint32_t> ReadHex(size_t at, size_t digits) {
    uint32_t v = 0;
    for (size_t i = 0; i < digits; ++i) {
      char h = At(at + i);
      if (!IsHexDigit(h)) return Error(at - 2, "invalid unicode escape");
      v = v * 16 + static_cast<uint32_t>(IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
    }
    return v;
  }

  Status LexEscape(std::string* out) {
    size_t at = pos_;
    char e = At(pos_ + 1);
    pos_ += 2;
    static constexpr std::pair<char, char> kSimple[] = {{'n', '\n'}, {'t', '\t'},  {'r', '\r'},
                                                        {'"', '"'},  {'\\', '\\'}, {'/', '/'}};
    for (const auto& [from, to] : kSimple) {
      if (e == from) {
        out->push_back(to);
        return Status::Ok();
      }
    }
    switch (e) {
      case 'u':
      case 'U': {
        size_t digits = e == 'u' ? 4 : 8;
        ASSIGN_OR_RETURN(uint32_t cp, ReadHex(pos_, digits));
        pos_ += digits;
        if (e == 'u' && cp >= 0xD800 && cp <= 0xDBFF && At(pos_) == '\\' && At(pos_ + 1) == 'u') {
          ASSIGN_OR_RETURN(uint32_t low, ReadHex(pos_ + 2, 4));
          if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            pos_ += 6;
          }
        }
        if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
          return Error(at, "invalid unicode escape");
        }
        AppendUtf8(cp, out);
        return Status::Ok();
      }
      default:
        if (pos_ - 1 >= in_.size() || e == '\n') return Error(at, "unterminated string");
        return Error(at, "invalid escape sequence '\\' followed by " + DescribeByte(e));
    }
  }

  Status LexHeredoc() {
    size_t start = pos_;
    pos_ += 2;
    bool indented = At(pos_) == '-';
    if (indented) ++pos_;
    size_t anchor_start = pos_;
    while (pos_ < in_.size() && (IsIdentStart(in_[pos_]) || IsDigit(in_[pos_]))) ++pos_;
    std::string_view anchor = in_.substr(anchor_start, pos_ - anchor_start);
    if (anchor.empty()) return Error(start, "invalid heredoc anchor");
    if (At(pos_) == '\r') ++pos_;
    if (At(pos_) != '\n') return Error(pos_, "heredoc anchor must be followed by a newline");
    ++pos_;
    // Collect lines until the closing anchor.
    std::vector<std::pair<size_t, std::string_view>> lines;  // (offset, text without EOL)
    while (true) {
      if (pos_ >= in_.size()) {
        return Error(start, "unterminated heredoc, expected closing " + std::string(anchor));
      }
      size_t nl = in_.find('\n', pos_);
      size_t end = nl == std::string_view::npos ? in_.size() : nl;
      std::string_view line = in_.substr(pos_, end - pos_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::string_view marker = line;
      if (indented) {
        while (!marker.empty() && (marker.front() == ' ' || marker.front() == '\t')) {
          marker.remove_prefix(1);
        }
      }
      while (!marker.empty() && (marker.back() == ' ' || marker.back() == '\t')) {
        marker.remove_suffix(1);
      }
      size_t line_offset = pos_;
      pos_ = nl == std::string_view::npos ? in_.size() : nl + 1;
      if (marker == anchor) break;
      lines.emplace_back(line_offset, line);
    }
    size_t strip = 0;
    if (indented) {
      strip = std::string_view::npos;
      for (const auto& [off, line] : lines) {
        size_t ws = line.find_first_not_of(" \t");
        if (ws != std::string_view::npos) strip = std::min(strip, ws);
      }
      if (strip == std::string_view::npos) strip = 0;
    }
    std::string out;
    size_t resume = pos_;
    for (const auto& [off, line] : lines) {
      size_t skip = std::min(strip, line.size());
      // Validate bytes in place so errors point into the heredoc.
      pos_ = off + skip;
      size_t line_end = off + line.size();
      while (pos_ < line_end) RETURN_IF_ERROR(AppendRawChar(&out));
      out.push_back('\n');
    }
    pos_ = resume;
    tok_.kind = Tok::kString;
    tok_.text = std::move(out);
    return Status::Ok();
  }

  Status LexNumber() {
    size_t start = pos_;
    bool negative = in_[pos_] == '-';
    if (negative) ++pos_;
    if (in_[pos_] == '0' && (At(pos_ + 1) == 'x' || At(pos_ + 1) == 'X')) {
      pos_ += 2;
      size_t digits_start = pos_;
      while (pos_ < in_.size() && IsHexDigit(in_[pos_])) ++pos_;
      if (pos_ == digits_start || IsIdentChar(At(pos_))) return Error(start, "invalid number");
      uint64_t v = 0;
      auto [ptr, ec] = std::from_chars(in_.data() + digits_start, in_.data() + pos_, v, 16);
      (void)ptr;
      uint64_t limit = negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
      if (ec != std::errc() || v > limit) return Error(start, "number out of range");
      tok_.kind = Tok::kNumber;
      tok_.number = negative ? static_cast<int64_t>(~v + 1) : static_cast<int64_t>(v);
      return Status::Ok();
    }
    bool is_float = false;
    while (IsDigit(At(pos_))) ++pos_;
    if (At(pos_) == '.' && IsDigit(At(pos_ + 1))) {
      is_float = true;
      ++pos_;
      while (IsDigit(At(pos_))) ++pos_;
    }
    if (At(pos_) == 'e' || At(pos_) == 'E') {
      size_t e = pos_ + 1;
      if (At(e) == '+' || At(e) == '-') ++e;
      if (!IsDigit(At(e))) return Error(start, "invalid number");
      is_float = true;
      pos_ = e;
      while (IsDigit(At(pos_))) ++pos_;
    }
    if (IsIdentChar(At(pos_))) return Error(start, "invalid number");
    const char* first = in_.data() + start;
    const char* last = in_.data() + pos_;
    tok_.kind = Tok::kNumber;
    if (is_float) {
      double d = 0;
      auto [ptr, ec] = std::from_chars(first, last, d);
      if (ec != std::errc() || ptr != last || !std::isfinite(d)) {
        return Error(start, "number out of range");
      }
      tok_.number = d;
    } else {
      int64_t i = 0;
      auto [ptr, ec] = std::from_chars(first, last, i);
      if (ec != std::errc() || ptr != last) return Error(start, "number out of range");
      tok_.number = i;
    }
    return Status::Ok();
  }

  // ---- Parser ----

  Status CheckDepth(int depth) const {
    if (depth > kMaxDepth) {
      return Error(tok_.offset, "nesting too deep (limit " + std::to_string(kMaxDepth) + ")");
    }
    return Status::Ok();
  }

  // Parses items until '}' (left unconsumed) or, at top level, end of input.
  Status ParseBody(Json* body, int depth, bool top) {
    std::set<std::string> collected;  // keys already turned into arrays
    while (true) {
      if (tok_.kind == Tok::kEof) {
        if (top) return Status::Ok();
        return Error(tok_.offset, "unexpected end of input, expected '}'");
      }
      if (tok_.kind == Tok::kRBrace) {
        if (!top) return Status::Ok();
        return Error(tok_.offset, "unexpected '}'");
      }
      if (tok_.kind == Tok::kComma) {
        RETURN_IF_ERROR(Advance());
        continue;
      }
      if (tok_.kind != Tok::kIdent && tok_.kind != Tok::kString) {
        return Error(tok_.offset, "expected a key, found " + DescribeToken(tok_));
      }
      std::string key = std::move(tok_.text);
      RETURN_IF_ERROR(Advance());
      Json value;
      if (tok_.kind == Tok::kEquals) {
        RETURN_IF_ERROR(Advance());
        ASSIGN_OR_RETURN(value, ParseValue(depth + 1));
      } else if (tok_.kind == Tok::kLBrace || tok_.kind == Tok::kIdent ||
                 tok_.kind == Tok::kString) {
        ASSIGN_OR_RETURN(value, ParseBlock(depth + 1));
      } else {
        return Error(tok_.offset, "expected '=' or '{' after key");
      }
      Insert(body, std::move(key), std::move(value), &collected);
    }
  }

  // A key seen once is a plain value; from its second occurrence on, its
  // values live in an array in order of appearance.
  static void Insert(Json* body, std::string key, Json value, std::set<std::string>* collected) {
    auto it = body->find(key);
    if (it == body->end()) {
      (*body)[key] = std::move(value);
    } else if (collected->count(key) > 0) {
      it->push_back(std::move(value));
    } else {
      Json list = Json::array();
      list.push_back(std::move(*it));
      list.push_back(std::move(value));
      *it = std::move(list);
      collected->insert(std::move(key));
    }
  }

  // `"l1" l2 ... { body }` after a block's type; tok_ is the first label or '{'.
  Result<Json> ParseBlock(int depth) {
    std::vector<std::string> labels;
    while (tok_.kind == Tok::kIdent || tok_.kind == Tok::kString) {
      labels.push_back(std::move(tok_.text));
      RETURN_IF_ERROR(CheckDepth(depth + static_cast<int>(labels.size())));
      RETURN_IF_ERROR(Advance());
    }
    if (tok_.kind != Tok::kLBrace) {
      return Error(tok_.offset, "expected '{' after block label, found " + DescribeToken(tok_));
    }
    ASSIGN_OR_RETURN(Json value, ParseObject(depth + static_cast<int>(labels.size())));
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
      Json wrapped = Json::object();
      wrapped[*it] = std::move(value);
      value = std::move(wrapped);
    }
    return value;
  }

  // `{ body }`; tok_ is '{'.
  Result<Json> ParseObject(int depth) {
    RETURN_IF_ERROR(CheckDepth(depth));
    RETURN_IF_ERROR(Advance());
    Json body = Json::object();
    RETURN_IF_ERROR(ParseBody(&body, depth, /*top=*/false));
    RETURN_IF_ERROR(Advance());  // the '}'
    return body;
  }

  Result<Json> ParseList(int depth) {
    RETURN_IF_ERROR(CheckDepth(depth));
    RETURN_IF_ERROR(Advance());
    Json list = Json::array();
    while (tok_.kind != Tok::kRBracket) {
      if (tok_.kind == Tok::kEof) {
        return Error(tok_.offset, "unexpected end of input, expected ']'");
      }
      ASSIGN_OR_RETURN(Json item, ParseValue(depth + 1));
      list.push_back(std::move(item));
      if (tok_.kind == Tok::kComma) {
        RETURN_IF_ERROR(Advance());
      } else if (tok_.kind != Tok::kRBracket) {
        return Error(tok_.offset, "expected ',' or ']' in list, found " + DescribeToken(tok_));
      }
    }
    RETURN_IF_ERROR(Advance());  // the ']'
    return list;
  }

  Result<Json> ParseValue(int depth) {
    switch (tok_.kind) {
      case Tok::kString: {
        Json v = std::move(tok_.text);
        RETURN_IF_ERROR(Advance());
        return v;
      }
      case Tok::kNumber: {
        Json v = std::move(tok_.number);
        RETURN_IF_ERROR(Advance());
        return v;
      }
      case Tok::kIdent: {
        if (tok_.text != "true" && tok_.text != "false") {
          return Error(tok_.offset,
                       "unexpected " + DescribeToken(tok_) + " (strings must be quoted)");
        }
        Json v = tok_.text == "true";
        RETURN_IF_ERROR(Advance());
        return v;
      }
      case Tok::kLBracket:
        return ParseList(depth);
      case Tok::kLBrace:
        return ParseObject(depth);
      default:
        return Error(tok_.offset, "expected a value, found " + DescribeToken(tok_));
    }
  }

  std::string_view in_;
  std::string_view filename_;
  size_t pos_ = 0;
  Token tok_;
};

// Deepest nesting of arrays/objects in v, walked without recursion.
int JsonDepth(const Json& v) {
  int max_depth = 0;
  std::vector<std::pair<const Json*, int>> stack = {{&v, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (!node->is_structured()) continue;
    max_depth = std::max(max_depth, depth + 1);
    if (max_depth > kMaxDepth) return max_depth;
    for (const Json& child : *node) stack.emplace_back(&child, depth + 1);
  }
  return max_depth;
}

Result<Json> ParseJson(std::string_view text, std::string_view filename) {
  Json v;
  try {
    v = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    std::string what = e.what();
    size_t bracket = what.find("] ");
    if (what.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
      what = what.substr(bracket + 2);
    }
    return InvalidArgument(std::string(filename) + ": invalid JSON: " + what);
  }
  if (JsonDepth(v) > kMaxDepth) {
    return InvalidArgument(std::string(filename) + ": nesting too deep (limit " +
                           std::to_string(kMaxDepth) + ")");
  }
  return v;
}

// Reads a whole regular file of at most kMaxFileSize bytes.
Result<std::string> ReadSmallFile(const std::string& path) {
  constexpr size_t kMaxFileSize = 16 << 20;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return IOError(path + " is not a regular file");
  }
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return IOError("error reading " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileSize) {
      ::close(fd);
      return InvalidArgument(path + " is larger than " + std::to_string(kMaxFileSize) + " bytes");
    }
  }
  ::close(fd);
  return text;
}

}  // namespace

Result<Json> Parse(std::string_view text, std::string_view filename) {
  Parser parser(text, filename);
  return parser.ParseFile();
}

Result<Json> ParseHclOrJson(std::string_view text, std::string_view filename) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') return ParseJson(text, filename);
  return Parse(text, filename);
}

Result<Json> ParseFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  bool json_ext = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  if (json_ext) return ParseJson(text, path);
  return ParseHclOrJson(text, path);
}

void ForEachEntry(const Json& value,
                  const std::function<void(const std::string& key, const Json& v)>& fn) {
  auto visit_object = [&fn](const Json& obj) {
    for (const auto& [k, v] : obj.items()) fn(k, v);
  };
  if (value.is_object()) {
    visit_object(value);
  } else if (value.is_array()) {
    for (const Json& item : value) {
      if (item.is_object()) visit_object(item);
    }
  }
}

}  // namespace coffer::hcl
