#include "core/audit_device.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "common/json_util.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"

namespace coffer::core {
namespace {

constexpr char kHashPrefix[] = "hmac-sha256:";

// RFC 3339 UTC with nanoseconds, e.g. "2024-05-01T10:11:12.123456789Z".
std::string NowRfc3339Nano() {
  const auto now = std::chrono::system_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  const long frac = static_cast<long>(ns % 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

Result<int> ParseOctalMode(const std::string& text) {
  if (text.empty() || text.size() > 4) return InvalidArgument("invalid mode: " + text);
  int mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return InvalidArgument("invalid mode: " + text);
    mode = mode * 8 + (c - '0');
  }
  return mode;
}

Json StringArray(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

}  // namespace

Result<FileAuditOptions> ParseFileAuditOptions(const Json& options) {
  if (!options.is_null() && !options.is_object()) {
    return InvalidArgument("audit options must be an object");
  }
  const Json opts = options.is_null() ? Json::object() : options;
  FileAuditOptions out;
  ASSIGN_OR_RETURN(auto file_path, GetString(opts, "file_path"));
  if (!file_path || file_path->empty()) {
    ASSIGN_OR_RETURN(auto path, GetString(opts, "path"));
    file_path = path;
  }
  if (!file_path || file_path->empty()) return InvalidArgument("file_path is required");
  out.file_path = *file_path;

  ASSIGN_OR_RETURN(auto log_raw, GetBool(opts, "log_raw"));
  if (log_raw) out.log_raw = *log_raw;
  ASSIGN_OR_RETURN(auto hmac_accessor, GetBool(opts, "hmac_accessor"));
  if (hmac_accessor) out.hmac_accessor = *hmac_accessor;
  ASSIGN_OR_RETURN(auto format, GetString(opts, "format"));
  if (format && !format->empty()) {
    if (*format != "json") {
      return InvalidArgument("unsupported audit format \"" + *format + "\" (only json)");
    }
    out.format = *format;
  }
  ASSIGN_OR_RETURN(auto mode, GetString(opts, "mode"));
  if (mode && !mode->empty()) {
    ASSIGN_OR_RETURN(out.mode, ParseOctalMode(*mode));
  }
  ASSIGN_OR_RETURN(auto prefix, GetString(opts, "prefix"));
  if (prefix) out.prefix = *prefix;
  return out;
}

Result<std::unique_ptr<FileAuditDevice>> FileAuditDevice::Open(FileAuditOptions options,
                                                               std::string salt) {
  if (salt.empty()) return InvalidArgument("audit device salt must not be empty");
  if (options.format != "json") return InvalidArgument("unsupported audit format");
  int fd = -1;
  if (options.file_path == "stdout") {
    fd = STDOUT_FILENO;
  } else if (options.file_path != "discard") {
    const mode_t mode = options.mode == 0 ? 0600 : static_cast<mode_t>(options.mode);
    fd = ::open(options.file_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
    if (fd < 0) {
      return IOError("cannot open audit file " + options.file_path + ": " +
                     std::strerror(errno));
    }
    // Like Vault: an existing file is brought to the configured mode.
    if (options.mode != 0 && ::fchmod(fd, static_cast<mode_t>(options.mode)) != 0) {
      const int err = errno;
      ::close(fd);
      return IOError("cannot chmod audit file " + options.file_path + ": " +
                     std::strerror(err));
    }
  }
  return std::unique_ptr<FileAuditDevice>(
      new FileAuditDevice(std::move(options), std::move(salt), fd));
}

FileAuditDevice::FileAuditDevice(FileAuditOptions options, std::string salt, int fd)
    : options_(std::move(options)),
      salt_(std::move(salt)),
      fd_(fd),
      owns_fd_(fd >= 0 && fd != STDOUT_FILENO),
      discard_(options_.file_path == "discard") {}

FileAuditDevice::~FileAuditDevice() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

void FileAuditDevice::CloseForTest() {
  std::lock_guard<std::mutex> lock(mu_);
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  discard_ = false;
}

std::string FileAuditDevice::Hash(std::string_view input) const {
  return kHashPrefix + crypto::HexEncode(crypto::HmacSha256(salt_, input));
}

Json FileAuditDevice::HashedString(const std::string& s) const {
  if (options_.log_raw || s.empty()) return s;
  return Hash(s);
}

Json FileAuditDevice::HashedAccessor(const std::string& s) const {
  if (!options_.hmac_accessor) return s;
  return HashedString(s);
}

Json FileAuditDevice::HashValues(const Json& v) const {
  if (options_.log_raw) return v;
  if (v.is_string()) return Hash(v.get_ref<const std::string&>());
  if (v.is_object()) {
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = HashValues(it.value());
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& item : v) out.push_back(HashValues(item));
    return out;
  }
  return v;  // numbers, bools and null carry no secret text
}

Json FileAuditDevice::AuthJson(const AuditAuth& auth) const {
  Json j = Json::object();
  j["client_token"] = HashedString(auth.client_token);
  j["accessor"] = HashedAccessor(auth.accessor);
  j["display_name"] = auth.display_name;
  j["policies"] = StringArray(auth.policies);
  j["token_policies"] = StringArray(auth.token_policies);
  j["metadata"] = auth.metadata;
  j["entity_id"] = auth.entity_id;
  j["token_type"] = auth.token_type;
  return j;
}

Json FileAuditDevice::RequestJson(const Request& req, std::string_view request_id) const {
  Json j = Json::object();
  j["id"] = std::string(request_id);
  j["operation"] = OperationName(req.operation);
  j["client_token"] = HashedString(req.client_token);
  j["path"] = req.path;
  j["data"] = HashValues(req.data);
  j["remote_address"] = req.remote_addr;
  j["namespace"] = Json{{"id", "root"}};
  if (req.wrap_ttl_seconds) j["wrap_ttl"] = *req.wrap_ttl_seconds;
  return j;
}

Json FileAuditDevice::ResponseJson(const Response& resp) const {
  Json j = Json::object();
  if (resp.kind == Response::Kind::kRaw) {
    // Raw bodies (sys/init, ...) may hold keys and root tokens: hash them too.
    Json body = Json::parse(resp.raw_body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) body = resp.raw_body.empty() ? Json(nullptr) : Json(resp.raw_body);
    j["data"] = HashValues(body);
  } else {
    j["data"] = HashValues(resp.data);
  }
  if (resp.auth) {
    const AuthInfo& a = *resp.auth;
    j["auth"] = Json{{"client_token", HashedString(a.client_token)},
                     {"accessor", HashedAccessor(a.accessor)},
                     {"display_name", a.display_name},
                     {"policies", StringArray(a.policies)},
                     {"token_policies", StringArray(a.token_policies)},
                     {"metadata", a.metadata},
                     {"entity_id", a.entity_id},
                     {"token_type", a.token_type},
                     {"lease_duration", a.lease_duration},
                     {"renewable", a.renewable}};
  }
  if (resp.secret) j["secret"] = Json{{"lease_id", resp.secret->lease_id}};
  if (resp.wrap_info) {
    const WrapInfo& w = *resp.wrap_info;
    j["wrap_info"] = Json{{"token", HashedString(w.token)},
                          {"accessor", HashedAccessor(w.accessor)},
                          {"ttl", w.ttl},
                          {"creation_time", w.creation_time},
                          {"creation_path", w.creation_path},
                          {"wrapped_accessor", HashedAccessor(w.wrapped_accessor)}};
  }
  if (!resp.warnings.empty()) j["warnings"] = StringArray(resp.warnings);
  if (resp.status != 0) j["status"] = resp.status;
  return j;
}

Status FileAuditDevice::LogRequest(const Request& req, const AuditAuth& auth,
                                   std::string_view request_id, std::string_view error) {
  Json entry = Json::object();
  entry["time"] = NowRfc3339Nano();
  entry["type"] = "request";
  entry["auth"] = AuthJson(auth);
  entry["request"] = RequestJson(req, request_id);
  if (!error.empty()) entry["error"] = std::string(error);
  return WriteLine(entry);
}

Status FileAuditDevice::LogResponse(const Request& req, const Response& resp,
                                    const AuditAuth& auth, std::string_view request_id,
                                    std::string_view error) {
  Json entry = Json::object();
  entry["time"] = NowRfc3339Nano();
  entry["type"] = "response";
  entry["auth"] = AuthJson(auth);
  entry["request"] = RequestJson(req, request_id);
  if (!resp.mount_type.empty()) entry["request"]["mount_type"] = resp.mount_type;
  entry["response"] = ResponseJson(resp);
  if (!error.empty()) entry["error"] = std::string(error);
  return WriteLine(entry);
}

Status FileAuditDevice::WriteLine(const Json& entry) {
  // Invalid UTF-8 in client input is replaced rather than thrown on.
  std::string line = options_.prefix +
                     DumpJsonCompact(entry) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (discard_) return Status::Ok();
  if (fd_ < 0) return IOError("audit file " + options_.file_path + " is closed");
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOError("cannot write audit file " + options_.file_path + ": " +
                     std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace coffer::core
