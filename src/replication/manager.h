// Manager: a node's replication roles, their endpoints and their lifecycle.
//
// A cluster holds at most one role per replication type (types.h): it may
// lead a performance set and a DR set at once, follow a performance primary
// and lead its own DR set (cascading), or be a DR secondary (then nothing
// else: a DR secondary serves no client and leads nothing until promoted).
//
// It owns what runs for replication on this node — the cluster-port server
// (when this cluster leads a set of either type), the clients that follow a
// primary, the canary writer — and plugs into the core through
// core::ReplicationHooks:
//   handle_sys   sys/replication/... endpoints (Vault's paths and fields)
//   forward      a request that writes replicated storage on a performance
//                secondary goes to the primary; the answer waits until this
//                node has applied the primary's resulting WAL index (bounded)
//   dr_secondary true while this node is a DR secondary (the core then serves
//                only health, seal status, unseal and the DR endpoints)
//   check_index / index_header   X-Vault-Index (index_state.h)
//   health / metrics             replication fields and gauges
//   unsealed / sealing           start and stop the above with the seal
//
// State lives through the barrier (state.h); node-class markers
// (node/replication/{performance,dr}-secondary) let a restarted secondary
// refuse writes before it is even unsealed.
//
// Files: manager.cc (lifecycle, server, forwarding, indexes),
// manager_endpoints.cc (enable, tokens, revoke, update-primary, disable),
// manager_dr.cc (DR operation tokens, promotion, demotion),
// manager_status.cc (status, health, metrics).
//
// Thread-safety: every public method may be called from any thread. Admin
// operations are serialised by admin_mu_; mu_ guards the running parts and is
// never held across a blocking call into the core.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cluster/server.h"
#include "core/core.h"
#include "core/replication_hooks.h"
#include "crypto/hmac_key.h"
#include "replication/activation.h"
#include "replication/client.h"
#include "replication/service.h"
#include "replication/state.h"

namespace coffer::replication {

struct ManagerOptions {
  std::string api_addr;        // advertised API address (activation tokens' `addr`)
  std::string cluster_listen;  // where the cluster port binds ("127.0.0.1:8201")
  std::string cluster_addr;    // advertised cluster address; "" = https://<bound address>
  std::chrono::milliseconds wal_wait{2000};  // best_effort_wal_wait_duration
  int canary_interval_s = 1;                 // 0 disables the canary
  std::chrono::milliseconds bootstrap_timeout{120000};
};

inline constexpr char kPerfSecondaryMarker[] = "node/replication/performance-secondary";
inline constexpr char kDrSecondaryMarker[] = "node/replication/dr-secondary";
// SHA-256 of the one-shot DR operation token (node class, through the barrier).
inline constexpr char kDrOperationTokenKey[] = "core/replication/dr/operation-token";

class Manager {
 public:
  Manager(core::Core& core, ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Before serving: a node that is a secondary refuses writes from the start.
  Status Open();
  core::ReplicationHooks Hooks();
  void SetApiAddr(std::string addr);

 private:
  struct SecondaryLink {
    bool connected = false;
    int64_t last_seen_ms = 0;
    uint64_t sent_index = 0;  // last WAL index its stream handed to the transport
  };
  // This cluster's role in one replication type.
  struct Role {
    std::optional<PrimaryState> primary;
    std::optional<SecondaryState> secondary;
    std::optional<SecondaryState> pending;  // saved at the next unseal
    bool bootstrapping = false;
    std::string bootstrap_error;
    uint64_t bootstrap_keys = 0;  // last bootstrap's fetch
    int64_t bootstrap_ms = 0;     // and how long it took
    int64_t last_reindex_s = 0;   // DR secondary: when a reindex last ended
    std::unique_ptr<SecondaryClient> client;
    std::map<std::string, SecondaryLink> links;  // primary: by secondary id
  };

  // Hooks.
  Result<Response> HandleSys(const Request& req, const Caller* caller);
  Result<Response> Forward(const Request& req, const Caller* caller);
  Status CheckIndex(const Request& req);
  std::string IndexHeader();
  Json Health();
  std::string Metrics();
  void Unsealed();
  void Sealing();

  // Endpoints of either type (manager_endpoints.cc).
  Result<Response> PrimaryEnable(Type t, const Request& req);
  Result<Response> PrimaryDisable(Type t);
  Result<Response> SecondaryToken(Type t, const Request& req, const Caller* caller);
  Result<Response> RevokeSecondary(Type t, const Request& req);
  Result<Response> PathsFilterOp(const Request& req, const std::string& id);
  Result<Response> SecondaryEnable(Type t, const Request& req);
  Result<Response> SecondaryDisable(Type t);
  Result<Response> UpdatePrimary(Type t, const Request& req);
  Result<Response> PerformancePromote(const Request& req);
  Result<Response> PerformanceDemote();

  // DR (manager_dr.cc).
  Result<Response> DrSecondaryOp(const std::string& op, const Request& req);
  // OK when req carries a dr_operation_token allowing `op` (one-shot token
  // or a batch token whose policies grant update on its path).
  Status AuthorizeOperation(const std::string& op, const Request& req);
  Result<Response> GenerateOperationToken(const std::string& step, const Request& req);
  Result<Response> DeleteOperationToken();
  Result<Response> DrPromote(const Request& req);
  Result<Response> DrDemote();
  Result<Response> DrDisable();
  Result<Response> DrReindex();
  // Runs `change` (role states rewritten through the barrier) with the core
  // torn down and set up again around it, on the background thread, after
  // the calling request has answered.
  void BeginReconfigure(std::string what, std::function<Status()> change);

  // Status (manager_status.cc).
  Json TypeStatus(Type t);

  // Helpers.
  Result<ActivationPackage> Unwrap(Type t, const Request& req, const std::string& token);
  Status EnsureClusterTls();
  Status StartServer();                 // REQUIRES: mu_ held
  // Retires the server: it shuts down on a thread of its own (joined by the
  // next StartServer or the destructor). REQUIRES: mu_ held.
  void StopServer();
  // Stops the server (outside mu_: handlers take it) and starts it again
  // with the current sets' CAs. REQUIRES: mu_ NOT held.
  Status RestartServer(const char* why);
  void StartCanary();
  void StopCanary();
  void CanaryLoop();
  // Whether this node writes the canary: it leads a set and may write the
  // replicated class.
  bool WritesCanary();  // REQUIRES: mu_ held
  Status SetSecondaryMarker(Type t, bool on);
  std::string AdvertisedClusterAddr(Type t);  // REQUIRES: mu_ held
  std::optional<PeerInfo> Authorize(const std::string& fingerprint);
  Result<v1::ForwardResponse> RunForwarded(const PeerInfo& peer, const v1::ForwardRequest& req);
  uint64_t ReplicatedIndex();
  // The cluster id X-Vault-Index values carry: the performance set's, else this cluster's.
  std::string IndexClusterId();
  void BeginBootstrap(Type t, SecondaryState state, std::string root_key);
  // Cache invalidation runs on its own thread, so the client thread never
  // waits for the core (which may be sealing and waiting for the client).
  void EnqueueInvalidation(Type t, std::vector<std::string> keys, uint64_t upstream_index);
  void NoteAppliedUpTo(uint64_t upstream_index);
  // A client following `state`, started, its applied data invalidated here.
  std::unique_ptr<SecondaryClient> StartClient(Type t, const SecondaryState& state);
  void InvalidationLoop();
  bool WaitInvalidated(uint64_t index, std::chrono::steady_clock::time_point deadline);
  // A client that heard a newer generation of its set from its primary
  // stores it, so an older primary is refused from then on.
  void NoteGenerations();
  // Whether this node is (or is becoming) a DR secondary. REQUIRES: mu_ held.
  bool DrSecondaryLocked() const;
  Role& role(Type t) { return roles_[static_cast<size_t>(t)]; }  // REQUIRES: mu_ held

  core::Core& core_;
  ManagerOptions options_;

  std::mutex admin_mu_;  // serialises the admin endpoints

  mutable std::mutex mu_;
  std::optional<ClusterTls> tls_;                  // GUARDED_BY(mu_)
  Role roles_[2];                                  // GUARDED_BY(mu_); by Type
  bool reconfiguring_ = false;                     // GUARDED_BY(mu_); promote/demote running
  std::string reconfigure_error_;                  // GUARDED_BY(mu_)
  std::unique_ptr<ReplicationService> service_;    // GUARDED_BY(mu_)
  std::unique_ptr<cluster::Server> server_;        // GUARDED_BY(mu_)
  int bound_cluster_port_ = 0;                     // GUARDED_BY(mu_)
  // The X-Vault-Index MAC key (null while sealed or without one).
  std::shared_ptr<const crypto::HmacSha256Key> index_key_;  // GUARDED_BY(mu_)
  std::string api_addr_;                           // GUARDED_BY(mu_)
  struct RetiredServer {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<RetiredServer> retired_;             // GUARDED_BY(mu_); servers shutting down
  // Mirrors DrSecondaryLocked() for the per-request hook.
  std::atomic<bool> dr_secondary_{false};
  // Notified (with mu_) when a stream reports how far it has sent.
  std::condition_variable links_cv_;

  std::mutex canary_mu_;
  std::condition_variable canary_cv_;
  bool canary_stop_ = true;  // GUARDED_BY(canary_mu_)
  std::thread canary_;
  std::thread background_;  // bootstrap or promotion; one at a time (admin_mu_)

  std::mutex inv_mu_;
  std::condition_variable inv_cv_;
  std::deque<std::pair<uint64_t, std::vector<std::string>>> inv_queue_;  // GUARDED_BY(inv_mu_)
  uint64_t inv_done_ = 0;  // GUARDED_BY(inv_mu_); performance upstream index invalidated up to
  bool inv_stop_ = false;  // GUARDED_BY(inv_mu_)
  std::thread invalidator_;  // last: started once everything above exists
};

}  // namespace coffer::replication
