#include "http/translate.h"

#include <cmath>
#include <limits>

#include "common/json_scan.h"
#include "common/json_util.h"

namespace coffer::http {
namespace {

constexpr std::string_view kApiPrefix = "/v1/";
constexpr std::string_view kMergePatchType = "application/merge-patch+json";

// Headers copied into Request::headers (lower-case names).
constexpr std::string_view kForwardedHeaders[] = {
    "x-vault-index",
    "x-vault-namespace",
    "x-vault-request",
    "x-vault-wrap-format",
    "x-vault-forward",
    "x-vault-inconsistent",
    "x-vault-no-request-forwarding",
    "user-agent",
};

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// First value of a header (case-insensitive name), if present.
std::optional<std::string_view> FindHeader(const RawRequest& raw, std::string_view name) {
  for (const auto& [k, v] : raw.headers) {
    if (EqualsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Rejects what Vault's "printable" check rejects that matters in practice:
// ASCII and C1 control characters, DEL, invalid UTF-8, and the Unicode line
// and paragraph separators.
bool IsPrintablePath(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b < 0x20 || b == 0x7f) return false;
      ++i;
      continue;
    }
    int len = 0;
    uint32_t cp = 0;
    if ((b & 0xe0) == 0xc0) {
      len = 2;
      cp = b & 0x1f;
    } else if ((b & 0xf0) == 0xe0) {
      len = 3;
      cp = b & 0x0f;
    } else if ((b & 0xf8) == 0xf0) {
      len = 4;
      cp = b & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + k]);
      if ((cb & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cb & 0x3f);
    }
    // Overlong forms, surrogates, out of range.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return false;
    }
    if (cp >= 0x80 && cp <= 0x9f) return false;      // C1 controls
    if (cp == 0x2028 || cp == 0x2029) return false;  // line/paragraph separators
    i += len;
  }
  return true;
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

Result<Json> ParseBody(std::string_view body) {
  if (IsBlank(body)) return Json::object();
  if (ScanJsonBrackets(body).max_depth > kMaxJsonDepth) return InvalidArgument("error parsing JSON");
  Json parsed = Json::parse(body, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return InvalidArgument("error parsing JSON");
  // Vault treats a null field as "not provided".
  for (auto it = parsed.begin(); it != parsed.end();) {
    if (it->is_null()) {
      it = parsed.erase(it);
    } else {
      ++it;
    }
  }
  return parsed;
}

// Query parameters as data: one value -> string, several -> array of strings.
Json QueryToData(const std::vector<std::pair<std::string, std::string>>& params) {
  Json data = Json::object();
  for (const auto& [k, v] : params) {
    if (k == "list" || k == "help") continue;
    auto it = data.find(k);
    if (it == data.end()) {
      data[k] = v;
    } else if (it->is_array()) {
      it->push_back(v);
    } else {
      *it = Json::array({*it, v});
    }
  }
  return data;
}

std::optional<std::string> FirstParam(
    const std::vector<std::pair<std::string, std::string>>& params, std::string_view key) {
  for (const auto& [k, v] : params) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string ExtractToken(const RawRequest& raw) {
  if (auto t = FindHeader(raw, "x-vault-token"); t && !t->empty()) return std::string(*t);
  constexpr std::string_view kBearer = "Bearer ";
  for (const auto& [k, v] : raw.headers) {
    if (!EqualsIgnoreCase(k, "authorization")) continue;
    std::string_view value(v);
    if (value.substr(0, kBearer.size()) != kBearer) continue;
    return std::string(Trim(value.substr(kBearer.size())));
  }
  return "";
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space) {
  // Written by index into a string sized for the input (decoding only
  // shrinks), then trimmed: no per-character push_back.
  std::string out(in.size(), '\0');
  size_t w = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out[w++] = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out[w++] = c == '+' && plus_is_space ? ' ' : c;
    }
  }
  out.resize(w);
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
    const size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) continue;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

Result<std::string> NormalizePath(std::string_view url_path) {
  auto decoded = PercentDecode(url_path, /*plus_is_space=*/false);
  if (!decoded) return InvalidArgument("invalid path");
  // Runs of '/' collapse to one and the API prefix goes, both in place.
  std::string& path = *decoded;
  size_t w = 0;
  for (const char c : path) {
    if (c == '/' && w > 0 && path[w - 1] == '/') continue;
    path[w++] = c;
  }
  path.resize(w);
  if (!path.starts_with(kApiPrefix)) return NotFound("");
  path.erase(0, kApiPrefix.size());
  if (path.empty()) return NotFound("");
  if (!IsPrintablePath(path)) return InvalidArgument("invalid path");
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    std::string_view segment(path.data() + start, slash - start);
    if (segment == "." || segment == "..") return InvalidArgument("invalid path");
    start = slash + 1;
  }
  return std::move(path);
}

Result<int64_t> ParseDurationSeconds(std::string_view input) {
  const std::string_view s = Trim(input);
  const Status invalid = InvalidArgument("time: invalid duration \"" + std::string(input) + "\"");
  if (s.empty()) return invalid;

  // Plain integer seconds, or integer days with a "d" suffix.
  auto parse_int = [](std::string_view digits) -> std::optional<int64_t> {
    bool negative = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty()) return std::nullopt;
    int64_t v = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      if (v > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return negative ? -v : v;
  };
  if (auto v = parse_int(s)) return *v;
  if (s.back() == 'd') {
    if (auto days = parse_int(s.substr(0, s.size() - 1))) {
      if (*days > std::numeric_limits<int64_t>::max() / 86400 ||
          *days < std::numeric_limits<int64_t>::min() / 86400) {
        return invalid;
      }
      return *days * 86400;
    }
  }

  // Go duration: [-+]? (number unit)+, number = digits[.digits] | .digits.
  std::string_view rest = s;
  bool negative = false;
  if (rest[0] == '-' || rest[0] == '+') {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest.empty()) return invalid;
  long double total_ns = 0;
  while (!rest.empty()) {
    size_t i = 0;
    long double value = 0;
    bool any_digits = false;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      value = value * 10 + (rest[i] - '0');
      any_digits = true;
      ++i;
    }
    if (i < rest.size() && rest[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
        value += (rest[i] - '0') * scale;
        scale /= 10;
        any_digits = true;
        ++i;
      }
    }
    if (!any_digits) return invalid;
    size_t u = i;
    while (u < rest.size() && !(rest[u] >= '0' && rest[u] <= '9') && rest[u] != '.') ++u;
    const std::string_view unit = rest.substr(i, u - i);
    long double unit_ns = 0;
    if (unit == "ns") {
      unit_ns = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      unit_ns = 1e3L;
    } else if (unit == "ms") {
      unit_ns = 1e6L;
    } else if (unit == "s") {
      unit_ns = 1e9L;
    } else if (unit == "m") {
      unit_ns = 60e9L;
    } else if (unit == "h") {
      unit_ns = 3600e9L;
    } else {
      return invalid;  // missing or unknown unit
    }
    total_ns += value * unit_ns;
    if (total_ns > 9223372036854775807.0L) return invalid;  // Go's int64 ns overflow
    rest.remove_prefix(u);
  }
  const auto seconds = static_cast<int64_t>(std::trunc(total_ns / 1e9L));
  return negative ? -seconds : seconds;
}

Result<Request> TranslateRequest(const RawRequest& raw) {
  Request req;
  req.remote_addr = raw.remote_addr;

  // Split the target; accept absolute-form ("http://host/v1/...").
  std::string_view target = raw.target;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() &&
        EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      target.remove_prefix(scheme.size());
      const size_t slash = target.find_first_of("/?");
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      break;
    }
  }
  const size_t qmark = target.find('?');
  const std::string_view url_path = target.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);
  if (url_path.empty() || url_path[0] != '/') return NotFound("");
  ASSIGN_OR_RETURN(req.path, NormalizePath(url_path));

  const auto params = ParseQuery(query);
  if (auto help = FirstParam(params, "help"); help && !help->empty()) req.is_help = true;

  const std::string& m = raw.method;
  bool query_is_data = false;
  if (m == "GET") {
    req.operation = Operation::kRead;
    query_is_data = true;
    if (auto list = FirstParam(params, "list"); list && !list->empty()) {
      bool b = false;
      if (!ParseGoBool(*list, &b)) {
        return InvalidArgument("strconv.ParseBool: parsing \"" + *list + "\": invalid syntax");
      }
      if (b) req.operation = Operation::kList;
    }
  } else if (m == "LIST") {
    req.operation = Operation::kList;
    query_is_data = true;
  } else if (m == "POST" || m == "PUT") {
    req.operation = Operation::kUpdate;
  } else if (m == "PATCH") {
    req.operation = Operation::kPatch;
    const std::string_view content_type = FindHeader(raw, "content-type").value_or("");
    const std::string media = Lower(Trim(content_type.substr(0, content_type.find(';'))));
    if (media != kMergePatchType) {
      return Status(Code::kUnsupportedMediaType, "PATCH requires Content-Type of " +
                                                     std::string(kMergePatchType) + ", provided " +
                                                     std::string(content_type));
    }
  } else if (m == "DELETE") {
    req.operation = Operation::kDelete;
    query_is_data = true;
  } else if (m == "HEAD") {
    req.operation = Operation::kHead;
    query_is_data = true;
  } else {
    return Unsupported("");
  }

  if (req.operation == Operation::kList && req.path.back() != '/') req.path.push_back('/');

  if (query_is_data) {
    req.data = QueryToData(params);
  } else {
    ASSIGN_OR_RETURN(req.data, ParseBody(raw.body));
  }

  req.client_token = ExtractToken(raw);

  if (auto wrap = FindHeader(raw, "x-vault-wrap-ttl"); wrap && !wrap->empty()) {
    auto ttl = ParseDurationSeconds(*wrap);
    if (!ttl.ok()) {
      return InvalidArgument("error parsing X-Vault-Wrap-TTL header: " + ttl.status().message());
    }
    if (*ttl < 0) {
      return InvalidArgument(
          "error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative");
    }
    req.wrap_ttl_seconds = *ttl;
  }

  for (std::string_view name : kForwardedHeaders) {
    if (auto v = FindHeader(raw, name)) req.headers.emplace(std::string(name), std::string(*v));
  }
  return req;
}

}  // namespace coffer::http
