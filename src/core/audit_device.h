// File audit device: writes one JSON line per request and per response, with
// every secret (tokens, accessors, string values in request/response data)
// replaced by "hmac-sha256:<hex>" under a per-device salt, unless log_raw.
//
// Thread-safety: FileAuditDevice is safe to use from many threads; a mutex
// serialises writes so lines never interleave. Hash() is pure.
// Invariants:
//  - the salt is never empty and never logged;
//  - an entry is written with a single append (O_APPEND) as one line;
//  - nothing secret reaches the file in plaintext unless log_raw is set;
//  - only format "json" is supported ("jsonx" is rejected at parse time).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/json.h"
#include "coffer/logical.h"
#include "coffer/status.h"

namespace coffer::core {

// Options of a "file" audit device, with Vault's names and defaults.
struct FileAuditOptions {
  std::string file_path;  // a file path, or "stdout" / "discard"
  bool log_raw = false;
  bool hmac_accessor = true;
  std::string format = "json";
  int mode = 0600;  // 0: leave an existing file's mode alone
  std::string prefix;
};

// Parses the "options" object of PUT sys/audit/:path for type "file".
// file_path (alias "path") is required; mode is an octal string ("0600").
Result<FileAuditOptions> ParseFileAuditOptions(const Json& options);

// Identity of the caller, as the core resolved it from the client token.
struct AuditAuth {
  std::string client_token;
  std::string accessor;
  std::string display_name;
  std::string entity_id;
  std::string token_type;
  std::vector<std::string> policies;
  std::vector<std::string> token_policies;
  Json metadata = nullptr;
};

class FileAuditDevice {
 public:
  // Opens (creating with options.mode if absent) the log file. `salt` keys
  // the HMAC; it must be non-empty.
  static Result<std::unique_ptr<FileAuditDevice>> Open(FileAuditOptions options,
                                                       std::string salt);
  ~FileAuditDevice();
  FileAuditDevice(const FileAuditDevice&) = delete;
  FileAuditDevice& operator=(const FileAuditDevice&) = delete;

  // The request entry, written before the request is handled. `error` is set
  // when the request is refused before reaching a backend.
  Status LogRequest(const Request& req, const AuditAuth& auth,
                    std::string_view request_id = {}, std::string_view error = {});
  // The response entry, written after the request is handled.
  Status LogResponse(const Request& req, const Response& resp, const AuditAuth& auth,
                     std::string_view request_id = {}, std::string_view error = {});

  // "hmac-sha256:<hex>" of HMAC-SHA256(salt, input) (sys/audit-hash).
  std::string Hash(std::string_view input) const;

  const FileAuditOptions& options() const { return options_; }

  // Test hook: closes the file descriptor so later writes fail.
  void CloseForTest();

 private:
  FileAuditDevice(FileAuditOptions options, std::string salt, int fd);

  Json HashedString(const std::string& s) const;
  Json HashedAccessor(const std::string& s) const;
  Json HashValues(const Json& v) const;
  Json AuthJson(const AuditAuth& auth) const;
  Json RequestJson(const Request& req, std::string_view request_id) const;
  Json ResponseJson(const Response& resp) const;
  Status WriteLine(const Json& entry);

  const FileAuditOptions options_;
  const std::string salt_;
  std::mutex mu_;
  int fd_;  // -1: discard (or closed by the test hook); guarded by mu_
  bool owns_fd_;
  bool discard_;
};

}  // namespace coffer::core
