#include "core/audit_table.h"

#include <set>

#include "common/log.h"
#include "crypto/encoding.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

constexpr char kAuditKey[] = "core/audit";
constexpr char kLocalAuditKey[] = "core/local-audit";

}  // namespace

AuditTable::AuditTable(Barrier* barrier, AuditBroker* broker)
    : barrier_(barrier), broker_(broker) {}

Result<Json> AuditTable::Read(bool local) const {
  ASSIGN_OR_RETURN(auto raw, barrier_->Get(local ? kLocalAuditKey : kAuditKey));
  if (!raw.has_value()) return Json::array();
  Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("entries") || !j["entries"].is_array()) {
    return Corruption("the stored audit table is malformed");
  }
  return j["entries"];
}

Status AuditTable::Write(bool local, const Json& entries) {
  return barrier_->Put(local ? kLocalAuditKey : kAuditKey,
                       Json{{"entries", entries}}.dump());
}

Status AuditTable::Setup() {
  std::lock_guard<std::mutex> lock(mu_);
  int total = 0, opened = 0;
  for (bool local : {false, true}) {
    ASSIGN_OR_RETURN(Json entries, Read(local));
    for (const Json& e : entries) {
      ++total;
      const std::string path = e.value("path", "");
      Status st = broker_->Enable(path, e.value("type", ""), e.value("description", ""),
                                  e.value("options", Json::object()), e.value("local", false),
                                  e.value("salt", ""));
      if (st.ok()) {
        ++opened;
      } else {
        COFFER_LOG(kError, "audit") << "could not open audit device " << path << ": "
                                    << st.message();
      }
    }
  }
  if (total > 0 && opened == 0) {
    Reset();
    return Internal("failed to setup audit table: no audit device could be opened");
  }
  return Status::Ok();
}

Status AuditTable::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> stored;
  Status result = Status::Ok();
  for (bool local : {false, true}) {
    ASSIGN_OR_RETURN(Json entries, Read(local));
    for (const Json& e : entries) {
      const std::string path = e.value("path", "");
      stored.insert(path);
      if (broker_->List().contains(path)) continue;  // open already: kept as it is
      Status st = broker_->Enable(path, e.value("type", ""), e.value("description", ""),
                                  e.value("options", Json::object()), e.value("local", false),
                                  e.value("salt", ""));
      if (!st.ok()) {
        COFFER_LOG(kError, "audit") << "could not open audit device " << path << ": "
                                    << st.message();
        result = st;
      }
    }
  }
  // Devices go only after the new ones are open, so requests stay audited.
  const Json listed = broker_->List();
  for (auto it = listed.begin(); it != listed.end(); ++it) {
    if (stored.count(it.key()) != 0) continue;
    Status st = broker_->Disable(it.key());
    (void)st;  // Disable of a listed path cannot fail
  }
  return result;
}

void AuditTable::Reset() {
  const Json listed = broker_->List();
  for (auto it = listed.begin(); it != listed.end(); ++it) {
    Status st = broker_->Disable(it.key());
    (void)st;  // Disable of a listed path cannot fail
  }
}

Status AuditTable::Enable(const std::string& path, const std::string& type,
                          std::string description, const Json& options, bool local) {
  const std::string key = AuditBroker::NormalizePath(path);
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(std::string salt_bytes, crypto::RandomBytes(32));
  const std::string salt = crypto::HexEncode(salt_bytes);
  Status opened = broker_->Enable(key, type, description, options, local, salt);
  if (opened.code() == Code::kIOError) {
    // The file cannot be opened: the operator's input, as Vault reports it.
    return InvalidArgument("sanity check failed on audit device: " + opened.message());
  }
  RETURN_IF_ERROR(opened);
  Status persisted = [&]() -> Status {
    ASSIGN_OR_RETURN(Json stored, Read(local));
    Json entries = Json::array();
    for (const Json& e : stored) {
      // A device that failed to open at unseal is replaced, not doubled.
      if (e.value("path", "") != key) entries.push_back(e);
    }
    entries.push_back(Json{{"path", key},
                           {"type", type},
                           {"description", description},
                           {"options", options.is_object() ? options : Json::object()},
                           {"local", local},
                           {"salt", salt}});
    return Write(local, entries);
  }();
  if (!persisted.ok()) {
    Status undo = broker_->Disable(key);
    (void)undo;
    return persisted;
  }
  return Status::Ok();
}

Status AuditTable::Disable(const std::string& path) {
  const std::string key = AuditBroker::NormalizePath(path);
  std::lock_guard<std::mutex> lock(mu_);
  for (bool local : {false, true}) {
    ASSIGN_OR_RETURN(Json entries, Read(local));
    Json kept = Json::array();
    for (const Json& e : entries) {
      if (e.value("path", "") != key) kept.push_back(e);
    }
    if (kept.size() != entries.size()) RETURN_IF_ERROR(Write(local, kept));
  }
  return broker_->Disable(key);
}

}  // namespace coffer::core
