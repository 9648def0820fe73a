// ExpirationManager: the leases of secrets and tokens, from registration to
// revocation.
//
// A lease is registered when an engine's response asks for one
// (SecretInfo::register_lease) and for every stored service token with a TTL
// (TokenStore lease hooks). Entries live in storage under sys/expire/ (layout
// in lease.h); the schedule in memory (LeaseQueue) holds only (due time, id).
// At expiry the engine's RevokeSecret runs (for a token lease: the token is
// revoked with its subtree), then the entry goes. A failed revocation keeps
// the entry in state revocation_failed and retries after BackoffSeconds
// (1 s, 2 s, 4 s ... capped at one hour, forever; lookup shows the state).
// Revoking a token revokes the leases it created through the per-token index.
//
// Lifecycle: Start() after unseal restores the schedule by listing the lease
// ids and reading entries in bounded batches (in the worker thread when
// `background`, else inline), and runs the worker that revokes leases as they
// come due; Stop() (seal, shutdown) joins the worker and forgets the schedule.
//
// Thread-safety: every method may be called concurrently. Operations that
// read-modify-write one lease (renew, revoke, recording a failure) hold that
// lease's in-flight mark, so a renewal cannot resurrect a lease being
// revoked. No lock of the manager is held while an engine or the token store
// is called, so the token store's revoke hook (TokenRevoked) may run inside a
// revocation the manager started.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "coffer/engine.h"
#include "coffer/logical.h"
#include "coffer/status.h"
#include "coffer/storage.h"
#include "core/lease.h"
#include "core/lease_queue.h"
#include "core/token_store.h"

namespace coffer::core {

// What a lease's revocation and renewal need: the engine serving the lease's
// path, the mount's storage view, and the path relative to the mount.
struct LeaseTarget {
  std::shared_ptr<Engine> engine;
  std::shared_ptr<storage::Backend> storage;  // kept alive while in use
  MountEntry mount;
  std::string relative_path;
  SystemView system;
};
// NotFound when no mount serves the path any more.
using LeaseResolver = std::function<Result<LeaseTarget>(const std::string& lease_path)>;

struct ExpirationOptions {
  storage::Backend* storage = nullptr;  // the barrier; not owned
  TokenStore* tokens = nullptr;         // not owned
  LeaseResolver resolve;
  std::function<int64_t()> now;  // unix seconds; null: the system clock
  bool background = true;        // run the expiry worker thread
  size_t restore_batch = 1000;   // entries read per restore step
};

struct LeaseTidyReport {
  int revoked = 0;        // leases whose token is gone, revoked
  int stale_index = 0;    // index entries without their lease, deleted
  int unreadable = 0;     // entries that failed to parse (left in place)
};

class ExpirationManager {
 public:
  explicit ExpirationManager(ExpirationOptions options);
  ~ExpirationManager();  // Stop()
  ExpirationManager(const ExpirationManager&) = delete;
  ExpirationManager& operator=(const ExpirationManager&) = delete;

  // Restores the schedule and starts the worker. REQUIRES: unsealed.
  // Idempotent while running.
  Status Start();
  // Joins the worker and forgets the schedule. Idempotent.
  void Stop();
  bool Running() const;

  // ---- Registration ----
  // When resp.secret asks for a lease: registers it and fills lease_id and
  // the capped lease_duration. If storing the lease fails the engine's
  // RevokeSecret runs at once and the error is returned. `ereq` is the
  // request the engine answered (path relative to its mount, storage view,
  // system view); `request_path` the full path; `token` the caller.
  Status RegisterFromResponse(const EngineRequest& ereq, Engine& engine,
                              const std::string& request_path,
                              const std::optional<TokenEntry>& token, Response& resp);
  // A token's own lease ("<token path>/<token hash>"). Batch tokens and
  // tokens without a TTL have none (no-op / no ops).
  Status RegisterToken(const TokenEntry& token);
  // The writes that store a new token's lease, for the token's own batch;
  // then TokenCreated schedules it.
  Result<storage::Batch> TokenLeaseOps(const TokenEntry& token);
  void TokenCreated(const TokenEntry& token);
  // A token was renewed: its lease follows (registered when missing).
  Status TokenRenewed(const TokenEntry& token);
  // The token store's revoke hook: revokes the leases the token created and
  // drops the token's own lease. Failures are logged and retried.
  void TokenRevoked(const TokenEntry& token);

  // ---- Operations (sys/leases/*) ----
  // InvalidArgument("invalid lease") when unknown.
  Result<LeaseEntry> Lookup(const std::string& lease_id);
  // Immediate children under `prefix` ("" or ending in '/').
  Result<std::vector<std::string>> List(const std::string& prefix);
  // Extends a secret lease (the engine's RenewSecret is consulted; the
  // result is capped by the lease's and the mount's maximum TTL).
  Result<SecretInfo> Renew(const std::string& lease_id, int64_t increment);
  // sync: revokes now (unknown ids are not an error); otherwise schedules
  // the revocation for the worker.
  Status Revoke(const std::string& lease_id, bool sync);
  // Every lease under prefix (a trailing '/' is implied). force: the lease
  // goes even when the engine's revocation fails.
  Status RevokePrefix(const std::string& prefix, bool sync, bool force);
  Result<LeaseTidyReport> Tidy();

  // ---- For tests and the worker ----
  // Reads every stored lease into the schedule. Overdue leases are due now.
  Status Restore();
  // Revokes (or retries) every lease due at Now(); returns how many were
  // handled.
  size_t ProcessDue();
  size_t Pending() const { return queue_.size(); }
  int64_t Now() const;
  // How often scheduling a lease woke the worker (tests).
  uint64_t worker_wakeups() const { return worker_wakeups_.load(); }

 private:
  // RAII mark on one lease id: waits while another thread holds it.
  class InFlight {
   public:
    InFlight(ExpirationManager& m, std::string id);
    ~InFlight();
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    ExpirationManager& m_;
    std::string id_;
  };

  Result<std::optional<LeaseEntry>> Read(const std::string& lease_id);
  Status Write(const LeaseEntry& e);
  static storage::Batch WriteOps(const LeaseEntry& e);
  Status Delete(const LeaseEntry& e);
  void Schedule(const std::string& lease_id, int64_t due);
  // Revokes one lease now. expiring: called by the schedule (a token lease
  // whose token was renewed is rescheduled instead of revoked).
  Status RevokeEntry(const LeaseEntry& e, bool force, bool expiring);
  Status RevokeTokenLease(const LeaseEntry& e, bool force, bool expiring);
  Status RevokeSecretLease(const LeaseEntry& e, bool force);
  // sync=false: marks the lease revoking, due now, for the worker.
  Status QueueRevocation(const std::string& lease_id);
  // Revokes by id under the lease's in-flight mark; records a failure.
  Status RevokeById(const std::string& lease_id, bool force, bool expiring);
  void RecordFailure(LeaseEntry e, const Status& why);
  void WorkerLoop();
  bool StopRequested() const;

  ExpirationOptions options_;
  LeaseQueue queue_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;   // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread worker_;     // GUARDED_BY(mu_) (joined outside it)
  std::atomic<uint64_t> worker_wakeups_{0};

  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  std::set<std::string> in_flight_;  // GUARDED_BY(flight_mu_)
};

// The token lease id of a stored token: "<path>/<hash>".
std::string TokenLeaseId(const TokenEntry& token);

}  // namespace coffer::core
