// AuditBroker: the set of enabled audit devices (sys/audit) and the fan-out
// of every request/response entry to all of them.
//
// Thread-safety: all methods may be called concurrently. Enable/Disable take
// an exclusive lock; logging and listing take a shared lock (each device
// serialises its own writes).
// Invariants:
//  - paths are stored with exactly one trailing '/' ("file/");
//  - a logging call succeeds when no device is enabled or when at least one
//    device recorded the entry; it fails only when every enabled device
//    failed (Vault's fail-closed rule), so the caller must refuse the request.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "coffer/json.h"
#include "coffer/logical.h"
#include "coffer/status.h"
#include "core/audit_device.h"

namespace coffer::core {

class AuditBroker {
 public:
  // Enables a device of `type` (only "file") at `path` with the raw
  // `options` object as given by the client. `salt` keys the device's HMAC
  // (the caller persists it so hashes survive restarts). A path already in
  // use is kInvalidArgument.
  Status Enable(std::string_view path, std::string_view type, std::string description,
                const Json& options, bool local, std::string salt);
  // Removes the device at path; a missing path is not an error (Vault: 204).
  Status Disable(std::string_view path);

  // The sys/audit listing: {"file/": {"path","type","description","options",
  // "local"}}.
  Json List() const;
  bool empty() const;

  // sys/audit-hash/:path. kNotFound for an unknown path.
  Result<std::string> Hash(std::string_view path, std::string_view input) const;

  Status LogRequest(const Request& req, const AuditAuth& auth,
                    std::string_view request_id = {}, std::string_view error = {});
  Status LogResponse(const Request& req, const Response& resp, const AuditAuth& auth,
                     std::string_view request_id = {}, std::string_view error = {});

  // Test hook: the device at path, or nullptr.
  FileAuditDevice* DeviceForTest(std::string_view path);

  // "/file//" -> "file/": the form paths are kept in.
  static std::string NormalizePath(std::string_view path);

 private:
  struct Entry {
    std::string type;
    std::string description;
    Json options;
    bool local = false;
    std::unique_ptr<FileAuditDevice> device;
  };

  template <typename Fn>
  Status FanOut(const Fn& fn);

  mutable std::shared_mutex mu_;
  std::map<std::string, Entry> devices_;  // guarded by mu_
  // devices_.size(), set under mu_: empty() is asked on every request.
  std::atomic<size_t> device_count_{0};
};

}  // namespace coffer::core
