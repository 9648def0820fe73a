// Manager: a node's replication roles, their endpoints and their lifecycle.
//
// It owns what runs for replication on this node — the cluster-port server
// (when this cluster leads a set), the client that follows a primary (when it
// is a secondary), the canary writer — and plugs into the core through
// core::ReplicationHooks:
//   handle_sys   sys/replication/... endpoints (Vault's paths and fields)
//   forward      a request that writes replicated storage on a performance
//                secondary goes to the primary; the answer waits until this
//                node has applied the primary's resulting WAL index (bounded)
//   check_index / index_header   X-Vault-Index (index_state.h)
//   health / metrics             replication fields and gauges
//   unsealed / sealing           start and stop the above with the seal
//
// State lives through the barrier (state.h); the one node-class marker
// node/replication/performance-secondary lets a restarted secondary refuse
// replicated writes before it is even unsealed.
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

class Manager {
 public:
  Manager(core::Core& core, ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Before serving: a node that is a performance secondary refuses
  // replicated writes from the start.
  Status Open();
  core::ReplicationHooks Hooks();
  void SetApiAddr(std::string addr);

 private:
  struct SecondaryLink {
    bool connected = false;
    int64_t last_seen_ms = 0;
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

  // Endpoints (performance replication).
  Result<Response> PrimaryEnable(const Request& req);
  Result<Response> PrimaryDisable();
  Result<Response> PrimaryDemote();
  Result<Response> SecondaryToken(const Request& req, const Caller* caller);
  Result<Response> RevokeSecondary(const Request& req);
  Result<Response> PathsFilterOp(const Request& req, const std::string& id);
  Result<Response> SecondaryEnable(const Request& req);
  Result<Response> SecondaryPromote(const Request& req);
  Result<Response> SecondaryDisable();
  Result<Response> UpdatePrimary(const Request& req);
  Json PerformanceStatus();
  Json DrStatus();

  // Helpers.
  Result<ActivationPackage> Unwrap(const Request& req, const std::string& token);
  Status EnsureClusterTls();
  Status StartServer();   // REQUIRES: mu_ held
  void StopServer(bool async = false);  // REQUIRES: mu_ held
  void StartCanary();
  void StopCanary();
  void CanaryLoop();
  Status SetSecondaryMarker(bool on);
  std::string AdvertisedClusterAddr();  // REQUIRES: mu_ held
  std::optional<PeerInfo> Authorize(const std::string& fingerprint);
  Result<v1::ForwardResponse> RunForwarded(const PeerInfo& peer, const v1::ForwardRequest& req);
  uint64_t ReplicatedIndex();
  // The cluster id X-Vault-Index values carry: the performance set's, else this cluster's.
  std::string IndexClusterId();
  void BeginBootstrap(SecondaryState state, std::string root_key);
  // Cache invalidation runs on its own thread, so the client thread never
  // waits for the core (which may be sealing and waiting for the client).
  void EnqueueInvalidation(std::vector<std::string> keys, uint64_t upstream_index);
  void NoteAppliedUpTo(uint64_t upstream_index);
  // A client following `state`, started, its applied data invalidated here.
  std::unique_ptr<SecondaryClient> StartClient(const SecondaryState& state);
  void InvalidationLoop();
  bool WaitInvalidated(uint64_t index, std::chrono::steady_clock::time_point deadline);

  core::Core& core_;
  ManagerOptions options_;

  std::mutex admin_mu_;  // serialises the admin endpoints

  mutable std::mutex mu_;
  std::optional<ClusterTls> tls_;                  // GUARDED_BY(mu_)
  std::optional<PrimaryState> primary_;            // GUARDED_BY(mu_)
  std::optional<SecondaryState> secondary_;        // GUARDED_BY(mu_)
  std::optional<SecondaryState> pending_;          // GUARDED_BY(mu_); saved at the next unseal
  bool bootstrapping_ = false;                     // GUARDED_BY(mu_)
  std::string bootstrap_error_;                    // GUARDED_BY(mu_)
  uint64_t bootstrap_keys_ = 0;                    // GUARDED_BY(mu_); last bootstrap's fetch
  int64_t bootstrap_ms_ = 0;                       // GUARDED_BY(mu_); and how long it took
  std::unique_ptr<SecondaryClient> client_;        // GUARDED_BY(mu_)
  std::unique_ptr<ReplicationService> service_;    // GUARDED_BY(mu_)
  std::unique_ptr<cluster::Server> server_;        // GUARDED_BY(mu_)
  int bound_cluster_port_ = 0;                     // GUARDED_BY(mu_)
  std::map<std::string, SecondaryLink> links_;     // GUARDED_BY(mu_)
  std::string index_key_;                          // GUARDED_BY(mu_)
  std::string api_addr_;                           // GUARDED_BY(mu_)
  struct RetiredServer {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<RetiredServer> retired_;             // GUARDED_BY(mu_); servers shutting down

  std::mutex canary_mu_;
  std::condition_variable canary_cv_;
  bool canary_stop_ = true;  // GUARDED_BY(canary_mu_)
  std::thread canary_;
  std::thread bootstrap_;

  std::mutex inv_mu_;
  std::condition_variable inv_cv_;
  std::deque<std::pair<uint64_t, std::vector<std::string>>> inv_queue_;  // GUARDED_BY(inv_mu_)
  uint64_t inv_done_ = 0;  // GUARDED_BY(inv_mu_); upstream index invalidated up to
  bool inv_stop_ = false;  // GUARDED_BY(inv_mu_)
  std::thread invalidator_;  // last: started once everything above exists
};

}  // namespace coffer::replication
