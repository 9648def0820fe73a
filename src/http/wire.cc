#include "http/wire.h"

#include <boost/beast/http/status.hpp>
#include <strings.h>

namespace coffer::http {
namespace {

namespace bhttp = boost::beast::http;

void AppendReason(std::string& out, int status) {
  const auto s = bhttp::int_to_status(static_cast<unsigned>(status));
  if (s != bhttp::status::unknown) {
    const auto reason = bhttp::obsolete_reason(s);
    out.append(reason.data(), reason.size());
    return;
  }
  out += "status code ";  // what Go writes for unknown codes
  out += std::to_string(status);
}

bool IsOurs(std::string_view name) {
  for (std::string_view ours : {"content-length", "transfer-encoding", "connection"}) {
    if (name.size() == ours.size() && strncasecmp(name.data(), ours.data(), ours.size()) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsSafeHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c == ':' || c == 0x7f) return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

std::string WireResponse(const HttpResponse& response, unsigned version, bool keep_alive) {
  std::string out;
  size_t size = 64 + response.body.size();
  for (const auto& [name, value] : response.headers) size += name.size() + value.size() + 4;
  out.reserve(size);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  AppendReason(out, response.status);
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (!IsSafeHeader(name, value) || IsOurs(name)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  const int status = response.status;
  if (!(status >= 100 && status < 200) && status != 204 && status != 304) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

}  // namespace coffer::http
