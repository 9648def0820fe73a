// AuditTable: the enabled audit devices as persisted through the barrier, and
// their (re)opening in the AuditBroker.
//
// Storage (barrier, so encrypted at rest):
//   core/audit         {"entries": [entry...]}  devices with local = false
//   core/local-audit   {"entries": [entry...]}  devices with local = true
// entry: {"path": "file/", "type": "file", "description", "options": {...},
//         "local": bool, "salt": "<64 hex>"}
// The salt keys the device's HMAC; it is made once at enable and kept, so
// hashes (and sys/audit-hash) stay the same across seal/unseal and restarts.
// It never leaves the barrier: sys/audit lists everything but the salt.
//
// Thread-safety: Enable/Disable/Setup/Reset are serialised by mu_; the
// broker is thread-safe on its own, so logging never waits for mu_.
#pragma once

#include <mutex>
#include <string>

#include "coffer/json.h"
#include "coffer/status.h"
#include "core/audit_broker.h"
#include "core/barrier.h"

namespace coffer::core {

class AuditTable {
 public:
  // Neither is owned; both must outlive the table.
  AuditTable(Barrier* barrier, AuditBroker* broker);

  // After unseal: opens every persisted device in the broker. A device that
  // cannot be opened is logged and skipped; when there are devices and none
  // opens, unsealing fails (Vault's rule: never serve unaudited when audit
  // was asked for).
  Status Setup();
  // On seal: closes every device.
  void Reset();
  // The table changed below the barrier (replication): opens the devices
  // that are new and closes the ones that went; open ones stay as they are.
  Status Reload();

  // PUT sys/audit/:path. The device is opened before it is persisted; if
  // persisting fails it is closed again.
  Status Enable(const std::string& path, const std::string& type, std::string description,
                const Json& options, bool local);
  // DELETE sys/audit/:path; an unknown path is not an error.
  Status Disable(const std::string& path);

 private:
  Result<Json> Read(bool local) const;  // the stored entries array
  Status Write(bool local, const Json& entries);

  Barrier* barrier_;
  AuditBroker* broker_;
  std::mutex mu_;
};

}  // namespace coffer::core
