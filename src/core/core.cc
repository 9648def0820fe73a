#include "core/core.h"

#include <openssl/crypto.h>

#include <chrono>

#include "auth/registry.h"
#include "common/log.h"
#include "core/acl.h"
#include "core/sys_audit.h"
#include "core/sys_mounts.h"
#include "core/sys_leases.h"
#include "core/sys_metrics.h"
#include "core/sys_policy.h"
#include "core/sys_replication.h"
#include "core/sys_routes.h"
#include "core/sys_wrapping.h"
#include "core/token_engine.h"
#include "core/token_store_keys.h"
#include "core/wrapping.h"
#include "crypto/encoding.h"
#include "crypto/random.h"
#include "engines/framework.h"
#include "engines/registry.h"

namespace coffer::core {
namespace {
MountEntry Builtin(std::string path, std::string type, std::string description, bool is_auth,
                   bool local) {
  MountEntry e;
  e.path = std::move(path);
  e.type = std::move(type);
  e.description = std::move(description);
  e.is_auth = is_auth;
  e.local = local;
  e.uuid = crypto::RandomUuid();
  auto rnd = crypto::RandomBytes(4);
  e.accessor = (is_auth ? "auth_" : "") + e.type + "_" +
               crypto::HexEncode(rnd.ok() ? *rnd : e.uuid.substr(0, 4));
  return e;
}
}  // namespace

Core::Core(CoreOptions options)
    : options_(std::move(options)),
      log_(options_.physical.get(),
           storage::ReplicatedLogOptions{options_.wal_max_entries, options_.wal_max_bytes}),
      barrier_(&log_),
      seal_(&log_, &barrier_),
      tokens_(&barrier_),
      policies_(&barrier_),
      router_(&barrier_, [this](const MountEntry& e) { return NewEngine(e); }),
      audit_table_(&barrier_, &audit_broker_),
      expiration_(ExpirationOptions{
          .storage = &barrier_,
          .tokens = &tokens_,
          .resolve = [this](const std::string& path) { return ResolveLease(path); }}) {
  std::vector<framework::Path> sys_paths = SysCorePaths(*this);
  for (auto& p : SysMountPaths(*this)) sys_paths.push_back(std::move(p));
  for (auto& p : SysPolicyPaths(policies_, tokens_)) sys_paths.push_back(std::move(p));
  for (auto& p : SysWrappingPaths(*this)) sys_paths.push_back(std::move(p));
  for (auto& p : SysAuditPaths(*this)) sys_paths.push_back(std::move(p));
  for (auto& p : SysLeasePaths(expiration_)) sys_paths.push_back(std::move(p));
  for (auto& p : SysReplicationPaths(*this)) sys_paths.push_back(std::move(p));
  for (auto& p : SysMetricsPaths(*this)) sys_paths.push_back(std::move(p));
  sys_engine_ = std::make_shared<framework::PathEngine>(std::move(sys_paths));
  token_engine_ = std::make_shared<framework::PathEngine>(TokenPaths(tokens_));
  tokens_.SetRevokeHook([this](const TokenEntry& e) { OnTokenRevoked(e); });
  tokens_.SetLeaseHooks(
      {.lease_ops = [this](const TokenEntry& e) { return expiration_.TokenLeaseOps(e); },
       .created = [this](const TokenEntry& e) { expiration_.TokenCreated(e); },
       .renewed = [this](const TokenEntry& e) { return expiration_.TokenRenewed(e); }});
  // Mount data is classified by the live mount tables, published before any
  // data of a new mount can be written.
  router_.SetPublishHook([this](const std::vector<MountEntry>& entries) {
    log_.SetMountClasses(
        std::make_shared<const storage::MountClasses>(storage::MountClassesFromEntries(entries)));
    if (!options_.disable_cache) {
      std::vector<std::string> hot;
      for (const MountEntry& e : entries) {
        for (const std::string& p : engines::NonSecretHotPrefixes(e)) {
          hot.push_back(e.StoragePrefix() + p);
        }
      }
      barrier_.MemoizeMountDecryptsUnder(std::move(hot));
    }
  });
  // Every authenticated request reads its token entry, and reads of mount
  // data (kv secrets and their metadata, auth method roles) repeat: the log
  // keeps their stored bytes (invalidated by every write below the barrier,
  // replication included), as Vault's physical read cache does. Only token
  // entries and kv v2 metadata (the publish hook above) also keep their
  // decryption (for exactly those bytes): secret data is never held in
  // memory as plaintext between requests.
  if (!options_.disable_cache) {
    log_.CacheReadsUnder({std::string(tokenkeys::kIdPrefix), "logical/", "auth/"},
                         options_.cache_size > 0 ? options_.cache_size : kDefaultCacheSize);
    barrier_.MemoizeDecryptsUnder({std::string(tokenkeys::kIdPrefix)});
  }
  // Recover the WAL position now, so a bad store shows at start; writes retry.
  if (Status st = log_.Open(); !st.ok()) {
    COFFER_LOG(kError, "core") << "replicated log: " << st.ToString();
  }
  if (options_.token_tidy_interval_s > 0) maintenance_ = std::thread([this] { MaintenanceLoop(); });
}

Core::~Core() {
  {
    std::lock_guard<std::mutex> lock(maintenance_mu_);
    stopping_ = true;
  }
  maintenance_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  expiration_.Stop();
  barrier_.Seal();
}

void Core::MaintenanceLoop() {
  std::unique_lock<std::mutex> lock(maintenance_mu_);
  while (!maintenance_cv_.wait_for(lock, std::chrono::seconds(options_.token_tidy_interval_s),
                                   [this] { return stopping_; })) {
    lock.unlock();
    {
      std::shared_lock<std::shared_mutex> state(state_mu_);
      // A DR secondary's tokens are its primary's to expire (and replicate).
      if (!barrier_.Sealed() && !IsDrSecondary()) {
        auto report = tokens_.Tidy();
        if (!report.ok()) {
          COFFER_LOG(kWarn, "core") << "token tidy failed: " << report.status().ToString();
        }
      }
    }
    lock.lock();
  }
}

ClusterInfo Core::cluster_info() const {
  std::lock_guard<std::mutex> lock(info_mu_);
  return cluster_info_;
}

SystemView Core::SystemViewFor(const MountEntry& mount) const {
  SystemView v;
  v.max_lease_ttl = mount.max_lease_ttl > 0 ? mount.max_lease_ttl : options_.max_lease_ttl_s;
  v.default_lease_ttl =
      mount.default_lease_ttl > 0 ? mount.default_lease_ttl : options_.default_lease_ttl_s;
  if (v.default_lease_ttl > v.max_lease_ttl) v.default_lease_ttl = v.max_lease_ttl;
  return v;
}

std::vector<MountEntry> Core::DefaultMounts() const {
  return {
      Builtin("cubbyhole/", "cubbyhole", "per-token private secret storage", false, true),
      Builtin("sys/", "system", "system endpoints used for control, policy and debugging", false,
              false),
      Builtin("auth/token/", "token", "token based credentials", true, false),
  };
}

Result<std::shared_ptr<Engine>> Core::NewEngine(const MountEntry& entry) {
  if (entry.is_auth) {
    if (entry.type == "token") return token_engine_;
    ASSIGN_OR_RETURN(EnginePtr engine, auth::NewAuthMethod(entry));
    return std::shared_ptr<Engine>(std::move(engine));
  }
  if (entry.type == "system") return sys_engine_;
  ASSIGN_OR_RETURN(EnginePtr engine, engines::NewSecretsEngine(entry));
  return std::shared_ptr<Engine>(std::move(engine));
}

Result<LeaseTarget> Core::ResolveLease(const std::string& lease_path) const {
  ASSIGN_OR_RETURN(Router::Match match, router_.Find(lease_path));
  LeaseTarget t;
  t.engine = match.route->engine;
  t.storage = std::shared_ptr<storage::Backend>(match.route, match.route->view.get());
  t.mount = match.route->entry;
  t.relative_path = match.relative;
  t.system = SystemViewFor(match.route->entry);
  return t;
}

void Core::OnTokenRevoked(const TokenEntry& entry) {
  expiration_.TokenRevoked(entry);
  if (entry.cubbyhole_id.empty()) return;
  auto cubby = router_.Find("cubbyhole/");
  if (!cubby.ok()) return;
  StorageView view(cubby->route->view.get(), entry.cubbyhole_id + "/");
  Status st = view.Clear();
  if (!st.ok()) {
    COFFER_LOG(kWarn, "core") << "could not wipe the cubbyhole of a revoked token (accessor "
                              << entry.accessor << "): " << st.ToString();
  }
}

Result<InitOutput> Core::Initialize(int shares, int threshold, const std::string& root_token_id) {
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  ASSIGN_OR_RETURN(InitResult init, seal_.Initialize(shares, threshold));
  // Unseal briefly to write the cluster identity and the first root token,
  // then seal again: the operator unseals with the shares, as with Vault.
  RETURN_IF_ERROR(barrier_.Unseal(init.root_key));
  OPENSSL_cleanse(init.root_key.data(), init.root_key.size());
  ClusterInfo info;
  info.name = options_.cluster_name.empty() ? "vault-cluster-" + crypto::RandomBase62(8)
                                            : options_.cluster_name;
  info.id = crypto::RandomUuid();
  Status st = barrier_.Put(kClusterInfoKey, Json{{"name", info.name}, {"id", info.id}}.dump());
  if (st.ok()) st = tokens_.Setup();
  Result<TokenEntry> root =
      st.ok() ? tokens_.CreateRootToken(root_token_id) : Result<TokenEntry>(st);
  tokens_.Reset();
  barrier_.Seal();
  if (!root.ok()) return root.status();
  InitOutput out;
  out.keys = std::move(init.keys);
  out.root_token = root->id;
  return out;
}

Status Core::PostUnseal() {
  ASSIGN_OR_RETURN(auto raw, barrier_.Get(kClusterInfoKey));
  ClusterInfo info;
  if (raw.has_value()) {
    Json j = Json::parse(*raw, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      info.name = j.value("name", "");
      info.id = j.value("id", "");
    }
  }
  RETURN_IF_ERROR(tokens_.Setup());
  RETURN_IF_ERROR(policies_.Setup());
  RETURN_IF_ERROR(router_.Load(DefaultMounts()));
  RETURN_IF_ERROR(audit_table_.Setup());
  // A DR secondary's leases are its primary's to revoke; promotion
  // (Reconfigure) starts the manager, whose restore catches up on them.
  if (!IsDrSecondary()) RETURN_IF_ERROR(expiration_.Start());
  std::lock_guard<std::mutex> lock(info_mu_);
  cluster_info_ = std::move(info);
  return Status::Ok();
}

Result<UnsealProgress> Core::Unseal(const std::string& key) {
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  bool was_sealed = barrier_.Sealed();
  ASSIGN_OR_RETURN(UnsealProgress progress, seal_.SubmitUnsealKey(key));
  if (was_sealed && !progress.sealed) {
    Status st = PostUnseal();
    if (!st.ok()) {
      COFFER_LOG(kError, "core") << "post-unseal setup failed: " << st.ToString();
      TearDown();
      barrier_.Seal();
      return st;
    }
    if (hooks_.unsealed) hooks_.unsealed();
  }
  return progress;
}

void Core::TearDown() {
  expiration_.Stop();
  router_.Reset();
  audit_table_.Reset();
  policies_.Reset();
  tokens_.Reset();
  engines::ForgetDecodedRecords();
  log_.ClearReadCache();
  std::lock_guard<std::mutex> info_lock(info_mu_);
  cluster_info_ = ClusterInfo{};
}

Status Core::SealNode() {
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  if (!barrier_.Sealed() && hooks_.sealing) hooks_.sealing();
  TearDown();
  generate_root_.Cancel();
  seal_.ResetUnseal();
  barrier_.Seal();
  COFFER_LOG(kInfo, "core") << "sealed";
  return Status::Ok();
}

Result<Response> Core::Handle(const Request& req) {
  const bool dr_secondary = IsDrSecondary();
  // Routes that answer in every seal state and need no token.
  if (const SysRoute* route = FindUnauthenticatedSysRoute(req.path)) {
    if (dr_secondary && !route->on_dr_secondary) return DrSecondaryPathDisabled();
    return route->handler(*this, req, nullptr);
  }
  if (dr_secondary) return HandleOnDrSecondary(req);
  // A client that wrote through another node of the set waits here until
  // this node has caught up (bounded by the hook); outside the state lock so
  // the wait never holds off a seal.
  if (hooks_.check_index) RETURN_IF_ERROR(hooks_.check_index(req));
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  if (barrier_.Sealed()) return coffer::Sealed();
  if (IsDrSecondary()) {
    // Demoted while this request waited for the lock.
    lock.unlock();
    return HandleOnDrSecondary(req);
  }
  ASSIGN_OR_RETURN(Router::Match match, router_.Find(req.path));
  if (match.route->entry.type == "system" &&
      (match.relative == "seal" || match.relative == "step-down")) {
    // These take the state lock exclusively themselves, so the shared lock
    // is released before routing; a request racing with the seal at most
    // sees its storage calls fail with "Vault is sealed".
    lock.unlock();
  }
  RequestAudit audit(&audit_broker_, req);
  return audit.Finish(HandleRouted(req, match, &audit));
}

namespace {

// X-Vault-Index, -Forward or -Inconsistent: the request may wait for this
// node to reach an index, or be sent to the primary.
bool MayWaitForReplication(const Request& req) {
  for (const char* header : {"x-vault-index", "x-vault-forward", "x-vault-inconsistent"}) {
    if (req.headers.count(header) != 0) return true;
  }
  return false;
}

}  // namespace

bool Core::ServesInline(const Request& req) {
  if (req.operation != Operation::kRead && req.operation != Operation::kList) return false;
  if (req.wrap_ttl_seconds.has_value()) return false;  // mints a wrapping token
  // Consistency and forwarding headers can make a read wait for replication
  // or go to the primary.
  if (MayWaitForReplication(req)) return false;
  if (FindUnauthenticatedSysRoute(req.path) != nullptr) {
    return req.path == "sys/health" || req.path == "sys/seal-status" || req.path == "sys/leader";
  }
  if (IsDrSecondary()) return false;
  std::shared_lock<std::shared_mutex> lock(state_mu_, std::try_to_lock);
  if (!lock.owns_lock() || barrier_.Sealed()) return false;
  Result<Router::Match> match = router_.Find(req.path);
  if (!match.ok()) return false;
  const std::string& type = match->route->entry.type;
  return type == "kv" || type == "kv-v2" || type == "cubbyhole" || type == "token";
}

bool Core::ServesOnFiber(const Request& req) {
  const Operation op = req.operation;
  if (op != Operation::kCreate && op != Operation::kUpdate && op != Operation::kDelete &&
      op != Operation::kPatch) {
    return false;
  }
  if (req.wrap_ttl_seconds.has_value()) return false;  // more writes, other locks
  if (MayWaitForReplication(req)) return false;
  if (FindUnauthenticatedSysRoute(req.path) != nullptr || IsDrSecondary()) return false;
  // A performance secondary forwards writes of replicated mounts to the
  // primary: a network round trip and an index wait would hold the thread.
  if (log_.ReplicatedReadOnly()) return false;
  std::shared_lock<std::shared_mutex> lock(state_mu_, std::try_to_lock);
  if (!lock.owns_lock() || barrier_.Sealed()) return false;
  Result<Router::Match> match = router_.Find(req.path);
  if (!match.ok()) return false;
  const std::string& type = match->route->entry.type;
  // kv: no lock held across a write but its key, config and layout locks,
  // all fiber-aware. Token creation: the token store's write lock, likewise.
  // (Other auth methods: userpass hashes a password for tens of
  // milliseconds, which would hold a fiber thread.)
  if (type == "kv" || type == "kv-v2") return true;
  const std::string& rel = match->relative;
  if (type == "token") {
    return rel == "create" || rel == "create-orphan" || rel.starts_with("create/");
  }
  // AppRole login: its engine and salt locks, likewise.
  if (type == "approle") return rel == "login";
  return false;
}

void Core::AddIndexHeader(const Request& req, Result<Response>& result) const {
  if (!result.ok() || !hooks_.index_header) return;
  const Operation op = req.operation;
  if (op != Operation::kCreate && op != Operation::kUpdate && op != Operation::kDelete &&
      op != Operation::kPatch) {
    return;
  }
  std::string index = hooks_.index_header();
  if (!index.empty()) result->headers["X-Vault-Index"] = std::move(index);
}

Result<Response> Core::HandleRouted(const Request& req, const Router::Match& match,
                                    RequestAudit* audit) {
  const Router::Route& route = *match.route;
  if (route.entry.type == "system") {
    RETURN_IF_ERROR(ValidateWrappingRequest(tokens_, req, match.relative));
  }
  const bool unauthenticated = route.IsUnauthenticated(match.relative);
  std::optional<TokenEntry> token;
  if (!unauthenticated) {
    if (req.client_token.empty()) return PermissionDenied();
    ASSIGN_OR_RETURN(token, tokens_.LookupAndUse(req.client_token));
    if (!token.has_value()) return PermissionDenied("permission denied");
  } else if (!req.client_token.empty()) {
    // Optional identity on open paths (sys/internal/ui/mounts); no use is
    // spent and an unknown token is simply ignored.
    ASSIGN_OR_RETURN(token, tokens_.Lookup(req.client_token));
  }
  if (!token.has_value()) {
    return Dispatch(req, match, audit, nullptr, token, unauthenticated, /*forwarded=*/false);
  }
  audit->SetCaller(*token);
  Caller caller;
  caller.accessor = token->accessor;
  caller.policies = token->policies;
  caller.display_name = token->display_name;
  caller.entity_id = token->entity_id;
  caller.meta = Json(token->meta);
  caller.root = token->IsRoot();
  caller.token_id = token->id;
  return Dispatch(req, match, audit, &caller, token, unauthenticated, /*forwarded=*/false);
}

Result<Response> Core::Dispatch(const Request& req, const Router::Match& match,
                                RequestAudit* audit, Caller* caller,
                                const std::optional<TokenEntry>& token, bool unauthenticated,
                                bool forwarded) {
  const Router::Route& route = *match.route;
  EngineRequest ereq;
  ereq.operation = req.operation;
  ereq.path = match.relative;
  ereq.data = req.data;
  ereq.storage = route.view.get();
  ereq.mount = &route.entry;
  ereq.system = SystemViewFor(route.entry);
  ereq.original = &req;

  // Each token has its own cubbyhole, keyed by an id only the token entry
  // knows (so a forwarded request, which has no token entry, has none).
  std::unique_ptr<StorageView> cubbyhole;
  if (route.entry.type == "cubbyhole") {
    if (!token.has_value()) return PermissionDenied();
    if (token->type == "batch") {
      return InvalidArgument("cubbyhole operations are only supported by \"service\" type tokens");
    }
    if (token->cubbyhole_id.empty()) return PermissionDenied();
    cubbyhole = std::make_unique<StorageView>(route.view.get(), token->cubbyhole_id + "/");
    ereq.storage = cubbyhole.get();
  }

  // POST/PUT: create or update, as the engine's existence check decides.
  // On a performance secondary the check itself may have to write replicated
  // storage (an engine's lazy set-up of a mount never used on the primary,
  // e.g. the kv v2 layout marker): then the primary runs the whole request,
  // create-or-update included, as for a write the engine itself refused.
  bool setup_read_only = false;
  if (ereq.operation == Operation::kUpdate && !req.is_help) {
    Result<std::optional<bool>> exists = route.engine->Exists(ereq);
    if (!exists.ok() && exists.status().code() == Code::kReadOnly && !forwarded) {
      setup_read_only = true;
    } else {
      RETURN_IF_ERROR(exists.status());
      if (exists->has_value() && !**exists) ereq.operation = Operation::kCreate;
    }
  }

  if (caller != nullptr) {
    if (unauthenticated || req.is_help) {
      // Help is open to any valid token (Vault's rule); open paths skip the ACL.
      caller->sudo = caller->root;
    } else if (!caller->root) {
      ASSIGN_OR_RETURN(std::shared_ptr<const Acl> acl, policies_.AclFor(caller->policies));
      AclDecision decision = acl->Check(ereq.operation, req.path, req.data);
      if (setup_read_only && !decision.allowed) {
        // Create or update is not known here; the primary decides which.
        decision = acl->Check(Operation::kCreate, req.path, req.data);
      }
      if (!decision.allowed || !WrapTtlAllowed(decision, req.wrap_ttl_seconds)) {
        return PermissionDenied();
      }
      if (IsSudoPath(req.path) && !decision.sudo) return PermissionDenied();
      caller->sudo = decision.sudo;
    } else {
      caller->sudo = true;
    }
    ereq.caller = caller;
  } else if (!unauthenticated) {
    return PermissionDenied();
  }

  // Nothing but the renderer will see the answer's data: an engine may hand
  // it over as JSON text.
  ereq.raw_data_ok = !forwarded && req.operation == Operation::kRead && !req.is_help &&
                     !req.wrap_ttl_seconds.has_value() && audit_broker_.empty();
  RETURN_IF_ERROR(audit->LogRequest());
  Result<Response> handled =
      setup_read_only ? Result<Response>(ReadOnly()) : route.engine->Handle(ereq);
  // The engine wrote the replicated class on a performance secondary: the
  // primary runs the whole request and its answer is the client's. Its
  // leases, wrapping and index are the primary's; only the token use stays.
  const bool read_only = !handled.ok() && handled.status().code() == Code::kReadOnly;
  if (read_only && !forwarded) {
    handled = hooks_.forward ? hooks_.forward(req, caller)
                             : Result<Response>(ReadOnly("cannot write to readonly storage"));
  } else if (handled.ok()) {
    // Before a spent token goes, so its revocation takes the new lease along.
    Status leased =
        expiration_.RegisterFromResponse(ereq, *route.engine, req.path, token, *handled);
    if (!leased.ok()) handled = leased;
  }
  // The request that spent a token's last use still succeeds; the token goes now.
  if (token.has_value() && !unauthenticated && !forwarded) {
    Status spent = tokens_.RevokeIfSpent(*token);
    if (!spent.ok()) {
      COFFER_LOG(kWarn, "core") << "could not revoke a used-up token (accessor "
                                << token->accessor << "): " << spent.ToString();
    }
  }
  if (read_only && !forwarded) return handled;
  if (!handled.ok()) return handled.status();
  Response resp = std::move(handled).value();
  // A login through an auth method: the method said what the token should
  // be; the token store mints it.
  if (resp.auth.has_value() && route.entry.is_auth && route.entry.type != "token") {
    ASSIGN_OR_RETURN(AuthInfo minted,
                     tokens_.CreateForAuth(*resp.auth, route.entry, ereq.system, req.path));
    resp.auth = std::move(minted);
  }
  if (resp.auth.has_value() && route.entry.type == "token") {
    // Tokens may name policies that do not exist (yet); say so, as Vault does.
    for (const std::string& name : resp.auth->policies) {
      if (name == "default" || name == "root") continue;
      auto found = policies_.Get(name);
      if (found.ok() && !found->has_value()) {
        resp.warnings.push_back("Policy \"" + name + "\" does not exist");
      }
    }
  }
  resp.mount_type = route.entry.type;
  Result<Response> out = MaybeWrap(tokens_, router_, req, std::move(resp));
  // The index of this node's write (a request forwarded above returned the
  // primary's answer, headers included, as it was).
  AddIndexHeader(req, out);
  return out;
}

}  // namespace coffer::core
