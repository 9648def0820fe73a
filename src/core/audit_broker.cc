#include "core/audit_broker.h"

#include <mutex>

#include "common/log.h"

namespace coffer::core {

std::string AuditBroker::NormalizePath(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path) + "/";
}

Status AuditBroker::Enable(std::string_view path, std::string_view type,
                           std::string description, const Json& options, bool local,
                           std::string salt) {
  const std::string key = NormalizePath(path);
  if (key == "/") return InvalidArgument("audit path must not be empty");
  if (type != "file") {
    return InvalidArgument("unknown audit backend type \"" + std::string(type) + "\"");
  }
  ASSIGN_OR_RETURN(FileAuditOptions parsed, ParseFileAuditOptions(options));
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    if (devices_.count(key)) return InvalidArgument("path already in use");
  }
  // Open outside the lock: it touches the filesystem.
  ASSIGN_OR_RETURN(auto device, FileAuditDevice::Open(std::move(parsed), std::move(salt)));
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (devices_.count(key)) return InvalidArgument("path already in use");
  Entry entry;
  entry.type = std::string(type);
  entry.description = std::move(description);
  entry.options = options.is_object() ? options : Json::object();
  entry.local = local;
  entry.device = std::move(device);
  devices_.emplace(key, std::move(entry));
  device_count_.store(devices_.size(), std::memory_order_release);
  COFFER_LOG(kInfo, "audit") << "enabled audit device at " << key;
  return Status::Ok();
}

Status AuditBroker::Disable(std::string_view path) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (devices_.erase(NormalizePath(path)) > 0) {
    device_count_.store(devices_.size(), std::memory_order_release);
    COFFER_LOG(kInfo, "audit") << "disabled audit device at " << NormalizePath(path);
  }
  return Status::Ok();
}

Json AuditBroker::List() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  Json out = Json::object();
  for (const auto& [key, e] : devices_) {
    out[key] = Json{{"path", key},
                    {"type", e.type},
                    {"description", e.description},
                    {"options", e.options},
                    {"local", e.local}};
  }
  return out;
}

bool AuditBroker::empty() const { return device_count_.load(std::memory_order_acquire) == 0; }

Result<std::string> AuditBroker::Hash(std::string_view path, std::string_view input) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = devices_.find(NormalizePath(path));
  if (it == devices_.end()) return NotFound("unknown audit backend");
  return it->second.device->Hash(input);
}

template <typename Fn>
Status AuditBroker::FanOut(const Fn& fn) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (devices_.empty()) return Status::Ok();
  bool any_ok = false;
  for (auto& [key, e] : devices_) {
    Status st = fn(*e.device);
    if (st.ok()) {
      any_ok = true;
    } else {
      COFFER_LOG(kError, "audit") << "audit device " << key << " failed: " << st.message();
    }
  }
  if (!any_ok) return Internal("no audit device could record the request");
  return Status::Ok();
}

Status AuditBroker::LogRequest(const Request& req, const AuditAuth& auth,
                               std::string_view request_id, std::string_view error) {
  return FanOut([&](FileAuditDevice& d) { return d.LogRequest(req, auth, request_id, error); });
}

Status AuditBroker::LogResponse(const Request& req, const Response& resp,
                                const AuditAuth& auth, std::string_view request_id,
                                std::string_view error) {
  return FanOut(
      [&](FileAuditDevice& d) { return d.LogResponse(req, resp, auth, request_id, error); });
}

FileAuditDevice* AuditBroker::DeviceForTest(std::string_view path) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = devices_.find(NormalizePath(path));
  return it == devices_.end() ? nullptr : it->second.device.get();
}

}  // namespace coffer::core
