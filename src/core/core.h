// Core: one node's logic between the HTTP layer and storage.
//
//   Handle(Request): seal check -> route (longest mount prefix) -> token
//   lookup -> existence check (create vs update) -> ACL -> audit (request)
//   -> engine -> token minting for logins -> response wrapping -> audit
//   (response) -> Response
//
// Owns the physical backend, the replicated log over it (storage classes, WAL,
// Merkle index), the barrier over that, the seal, the token store,
// the policy store and the router. sys/ and auth/token/ are engines in the
// router like any other mount, so every request crosses the same ACL path.
//
// Thread-safety: Handle() may be called concurrently from many threads.
// Seal-state changes (unseal, seal) are serialised by state_mu_; requests hold
// it shared while they run so a seal waits for in-flight requests to finish.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "coffer/engine.h"
#include "coffer/logical.h"
#include "coffer/status.h"
#include "coffer/storage.h"
#include "core/audit_broker.h"
#include "core/audit_table.h"
#include "core/barrier.h"
#include "core/expiration.h"
#include "core/generate_root.h"
#include "core/policy_store.h"
#include "core/replication_hooks.h"
#include "core/request_audit.h"
#include "core/router.h"
#include "core/seal.h"
#include "core/token_store.h"
#include "storage/replicated_log.h"

namespace coffer::core {

// The cluster identity (local class): {"name", "id"}.
inline constexpr char kClusterInfoKey[] = "core/cluster-info";

inline constexpr char kVersion[] = "1.15.0+coffer." COFFER_VERSION;

struct CoreOptions {
  storage::BackendPtr physical;
  std::string storage_type;  // as configured: "rocksdb", "file", "inmem"
  std::string cluster_name;  // empty: generated at init
  std::string api_addr;
  std::string cluster_addr;
  int64_t default_lease_ttl_s = 768 * 3600;
  int64_t max_lease_ttl_s = 768 * 3600;
  // How often the background token tidy runs (expired or spent tokens left
  // behind, children of missing parents, stale accessors: what
  // auth/token/tidy does); 0 disables it. Token leases already revoke expired
  // tokens on time; a pass reads every stored token (~4–5 s of CPU per
  // 130,000 tokens), hence hourly.
  int64_t token_tidy_interval_s = 3600;
  // WAL retention (server config replication { logshipper_buffer_length,
  // logshipper_buffer_size }); 0 takes the defaults of storage/replicated_log.h.
  uint64_t wal_max_entries = 0;
  uint64_t wal_max_bytes = 0;
  // Server config disable_cache / cache_size (Vault's): the read cache of
  // stored entries (token entries and all mount data, ciphertext as stored)
  // and the remembered decryptions of token entries. cache_size counts
  // entries; 0 takes kDefaultCacheSize.
  bool disable_cache = false;
  size_t cache_size = 0;
};

inline constexpr size_t kDefaultCacheSize = 131072;

struct InitOutput {
  std::vector<std::string> keys;  // raw shares
  std::string root_token;
};

struct ClusterInfo {
  std::string name;
  std::string id;
};

class Core {
 public:
  explicit Core(CoreOptions options);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // A read answered straight to the client (no audit device enabled, no
  // wrapping asked for) may carry its data as text: Response::data_json
  // instead of data (MaterializeData in coffer/logical.h turns it back).
  Result<Response> Handle(const Request& req);

  // True when Handle(req) only reads this node's own storage and never waits
  // long (no forwarding, no index wait, no network, no response wrapping): a
  // read or list on a kv, cubbyhole or token mount, or sys/health,
  // sys/seal-status, sys/leader. The HTTP server runs such requests on its
  // I/O threads instead of handing them to a worker. Never blocks: a seal in
  // progress makes it answer false. (A use-limited token still writes its use
  // count: one group commit.)
  bool ServesInline(const Request& req);

  // True for the writes the HTTP server may run as fibers (http/server.h
  // serve_on_fiber, common/fiber.h): kv and kv v2 writes, token creation and
  // AppRole logins,
  // whose handlers hold no lock across a durable write except fiber-aware
  // ones and never block long; not with a wrap TTL, consistency or forwarding
  // headers, on a DR or performance secondary (forwarding), or while sealed
  // or a seal is in progress. Never blocks.
  bool ServesOnFiber(const Request& req);

  // Installed once before serving (server_command.cc); see replication_hooks.h.
  // hooks.sealing and hooks.unsealed run with the state lock held
  // exclusively: they must not call Handle, HandleForwarded, InvalidateKeys,
  // SealNode or ReplaceStorage (those take it too).
  void SetReplicationHooks(ReplicationHooks hooks) { hooks_ = std::move(hooks); }
  const ReplicationHooks& replication_hooks() const { return hooks_; }

  // Primary side of a request a performance secondary forwarded (it already
  // checked the token): route, existence check, ACL with caller.policies
  // (root: everything), audit, engine, login token minting, wrapping. No
  // token lookup or use, and leases are not tied to the secondary's token.
  Result<Response> HandleForwarded(const Request& req, const Caller& caller);

  // After the replication module applied upstream data below the barrier:
  // drops what memory holds of these physical keys (mount and audit tables,
  // policies, keyring, engine caches). Keys nothing caches are ignored.
  // Takes the state lock shared; a no-op while sealed. Never call it from
  // inside ReplaceStorage's `replace` (the node is sealed then anyway).
  void InvalidateKeys(const std::vector<std::string>& keys);

  // Secondary enable: with requests held off, tears the unsealed state down,
  // runs `replace` (which rewrites storage below the barrier and returns the
  // new root key), opens the barrier with that key and sets the node up
  // again. ClusterIdentity::kFresh (performance secondary) then writes a
  // fresh core/cluster-info (new id, same name): the node is a cluster of its
  // own. kKeep (DR secondary) writes nothing: the node keeps the identity it
  // received with the data, as a DR replica is the same cluster. On error the
  // node ends sealed. Works from a sealed node too.
  enum class ClusterIdentity { kFresh, kKeep };
  Status ReplaceStorage(const std::function<Result<std::string>()>& replace,
                        ClusterIdentity identity = ClusterIdentity::kFresh);

  // DR promotion and demotion: with requests held off (state lock
  // exclusive), on an unsealed node: hooks.sealing, tears the in-memory
  // state down, runs `between` (which rewrites role state through barrier();
  // the barrier stays unsealed throughout), then sets up again from storage
  // as an unseal does (tokens, policies, mounts, audit, and, unless
  // hooks.dr_secondary() now says otherwise, the expiration manager, whose
  // restore reschedules leases and revokes overdue ones), then
  // hooks.unsealed. A failed `between` still sets up again and its error is
  // returned; a failed set-up seals the node and returns that error. Sealed
  // node: Sealed(). Like ReplaceStorage, never call it from a request thread
  // (a hook's handle_sys runs under the state lock held shared): run it on a
  // thread of its own.
  Status Reconfigure(const std::function<Status()>& between);

  // Whether `token` may do `op` on `path` by its policies (ACL only; sudo and
  // wrapping bounds are not considered): a root token always, an unknown,
  // expired or undecodable token never. Spends no use. For the replication
  // module's batch DR operation tokens. Takes no lock: call it from inside a
  // request (a hook) or with the node otherwise known unsealed.
  Result<bool> TokenGrants(const std::string& token, Operation op, const std::string& path);

  // Initialises the seal and creates the first root token (root_token_id
  // overrides the generated id, for dev mode). The node stays sealed.
  Result<InitOutput> Initialize(int shares, int threshold, const std::string& root_token_id = "");
  Result<UnsealProgress> Unseal(const std::string& key);
  Status SealNode();
  bool Sealed() const { return barrier_.Sealed(); }

  const CoreOptions& options() const { return options_; }
  Seal& seal() { return seal_; }
  Barrier& barrier() { return barrier_; }
  // The WAL and Merkle index every barrier write goes through.
  storage::ReplicatedLog& replicated_log() { return log_; }
  TokenStore& tokens() { return tokens_; }
  PolicyStore& policies() { return policies_; }
  Router& router() { return router_; }
  GenerateRoot& generate_root() { return generate_root_; }
  AuditBroker& audit_broker() { return audit_broker_; }
  AuditTable& audit_table() { return audit_table_; }
  ExpirationManager& expiration() { return expiration_; }
  // Empty while sealed.
  ClusterInfo cluster_info() const;

  // The effective TTLs of a mount (its own, else the system's).
  SystemView SystemViewFor(const MountEntry& mount) const;

 private:
  Status PostUnseal();  // REQUIRES: state_mu_ held exclusively
  // Stops what PostUnseal started. REQUIRES: state_mu_ held exclusively.
  void TearDown();
  Result<std::shared_ptr<Engine>> NewEngine(const MountEntry& entry);
  std::vector<MountEntry> DefaultMounts() const;
  // The request after routing: token, existence check, ACL, audit, engine.
  Result<Response> HandleRouted(const Request& req, const Router::Match& match,
                                RequestAudit* audit);
  // The shared tail of HandleRouted and HandleForwarded: existence check,
  // ACL, engine, leases, token minting, wrapping. `caller` null: no token;
  // `token` set only for a locally looked-up token (use counting, leases).
  Result<Response> Dispatch(const Request& req, const Router::Match& match, RequestAudit* audit,
                            Caller* caller, const std::optional<TokenEntry>& token,
                            bool unauthenticated, bool forwarded);
  // Sets X-Vault-Index on a successful write (req.operation a write) when
  // the hook gives one.
  void AddIndexHeader(const Request& req, Result<Response>& result) const;
  // Every token revocation wipes that token's cubbyhole and revokes its leases.
  void OnTokenRevoked(const TokenEntry& entry);
  // The engine, view and relative path serving a lease's path.
  Result<LeaseTarget> ResolveLease(const std::string& lease_path) const;
  // Background pass: revokes expired tokens while unsealed (and not a DR
  // secondary).
  void MaintenanceLoop();
  // hooks_.dr_secondary(), false when unset.
  bool IsDrSecondary() const { return hooks_.dr_secondary && hooks_.dr_secondary(); }
  // A request (not one of the unauthenticated sys routes) on a DR secondary:
  // only sys/replication/dr/secondary/* is served (by handle_sys, no token).
  Result<Response> HandleOnDrSecondary(const Request& req);

  CoreOptions options_;
  storage::ReplicatedLog log_;  // over options_.physical; under barrier_ and seal_
  Barrier barrier_;
  Seal seal_;
  TokenStore tokens_;
  PolicyStore policies_;
  Router router_;
  GenerateRoot generate_root_;
  AuditBroker audit_broker_;
  AuditTable audit_table_;
  ExpirationManager expiration_;  // started after unseal, stopped before seal
  ReplicationHooks hooks_;  // set before serving, then read-only
  std::shared_ptr<Engine> sys_engine_;
  std::shared_ptr<Engine> token_engine_;

  std::shared_mutex state_mu_;  // exclusive: seal/unseal; shared: requests
  mutable std::mutex info_mu_;
  ClusterInfo cluster_info_;  // GUARDED_BY(info_mu_)

  std::mutex maintenance_mu_;
  std::condition_variable maintenance_cv_;
  bool stopping_ = false;  // GUARDED_BY(maintenance_mu_)
  std::thread maintenance_;  // last member: started after everything else exists
};

}  // namespace coffer::core
