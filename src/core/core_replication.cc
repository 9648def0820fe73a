// The core's side of replication (replication_hooks.h): serving a request a
// performance secondary forwarded, invalidating what memory holds of keys
// replication rewrote below the barrier, swapping a node's whole storage
// for its primary's on secondary enable, what a DR secondary serves, and
// setting a node up again when DR promotion or demotion changes its role.
#include <openssl/crypto.h>

#include <algorithm>

#include "common/log.h"
#include "core/acl.h"
#include "core/core.h"
#include "core/sys_replication.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool IsMountTableKey(std::string_view key) {
  return key == "core/mounts" || key == "core/auth" || key == "core/local-mounts" ||
         key == "core/local-auth";
}

}  // namespace

Result<Response> Core::HandleForwarded(const Request& req, const Caller& caller) {
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  if (barrier_.Sealed()) return coffer::Sealed();
  if (IsDrSecondary()) return DrSecondaryPathDisabled();
  ASSIGN_OR_RETURN(Router::Match match, router_.Find(req.path));
  if (match.route->entry.type == "system" &&
      (match.relative == "seal" || match.relative == "step-down")) {
    // They change this node's seal state, which no other node may do.
    return PermissionDenied("cannot forward a seal or step-down");
  }
  const bool unauthenticated = match.route->IsUnauthenticated(match.relative);
  Caller c = caller;
  c.token_id.clear();  // the secondary's token means nothing here
  c.root = c.root ||
           std::find(c.policies.begin(), c.policies.end(), "root") != c.policies.end();
  const bool anonymous = c.accessor.empty() && c.policies.empty() && !c.root;
  RequestAudit audit(&audit_broker_, req);
  if (!anonymous) audit.SetCaller(c);
  return audit.Finish(Dispatch(req, match, &audit, anonymous ? nullptr : &c, std::nullopt,
                               unauthenticated, /*forwarded=*/true));
}

Result<Response> Core::HandleOnDrSecondary(const Request& req) {
  if (!StartsWith(req.path, kDrSecondaryOperationPrefix)) return DrSecondaryPathDisabled();
  // No token: the replication module authorises these itself (a DR
  // operation token in the body) or serves generate-operation-token.
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  if (barrier_.Sealed()) return coffer::Sealed();
  if (!hooks_.handle_sys) return DrSecondaryPathDisabled();
  return hooks_.handle_sys(req, nullptr);
}

Result<bool> Core::TokenGrants(const std::string& token, Operation op, const std::string& path) {
  ASSIGN_OR_RETURN(std::optional<TokenEntry> entry, tokens_.Lookup(token));
  if (!entry.has_value()) return false;
  if (entry->IsRoot()) return true;
  ASSIGN_OR_RETURN(std::shared_ptr<const Acl> acl, policies_.AclFor(entry->policies));
  return acl->Check(op, path, Json::object()).allowed;
}

void Core::InvalidateKeys(const std::vector<std::string>& keys) {
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  if (barrier_.Sealed()) return;  // nothing in memory; the next unseal reads it all
  bool keyring = false, mounts = false, audit = false, policies = false;
  std::vector<std::string_view> mount_data;
  for (const std::string& key : keys) {
    if (StartsWith(key, kKeyringPath)) {
      keyring = true;
    } else if (IsMountTableKey(key)) {
      mounts = true;
    } else if (key == "core/audit" || key == "core/local-audit") {
      audit = true;
    } else if (StartsWith(key, kPolicyStoragePrefix)) {
      policies = true;
    } else if (StartsWith(key, "logical/") || StartsWith(key, "auth/")) {
      // Resolved after a table reload below, so new mounts are found too.
      mount_data.push_back(key);
    }
    // core/seal-config: the seal reads it from storage on every use.
  }
  // The keyring first: everything after reads through it.
  if (keyring) {
    if (Status st = barrier_.ReloadKeyring(); !st.ok()) {
      COFFER_LOG(kError, "core") << "replicated keyring could not be loaded: " << st.ToString();
    }
  }
  if (mounts) {
    if (Status st = router_.Reload(); !st.ok()) {
      COFFER_LOG(kError, "core") << "replicated mount tables could not be loaded: "
                                 << st.ToString();
    }
  }
  if (audit) {
    if (Status st = audit_table_.Reload(); !st.ok()) {
      COFFER_LOG(kError, "core") << "replicated audit table: " << st.ToString();
    }
  }
  if (policies) policies_.Invalidate();
  for (std::string_view key : mount_data) {
    std::optional<Router::Match> match = router_.FindByStorageKey(key);
    if (match.has_value()) match->route->engine->Invalidate(match->relative);
  }
}

Status Core::ReplaceStorage(const std::function<Result<std::string>()>& replace,
                            ClusterIdentity identity) {
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  std::string name = cluster_info().name;
  if (name.empty()) name = options_.cluster_name;
  if (!barrier_.Sealed()) {
    if (hooks_.sealing) hooks_.sealing();
    TearDown();
  }
  generate_root_.Cancel();
  seal_.ResetUnseal();
  barrier_.Seal();
  COFFER_LOG(kInfo, "core") << "replacing storage: node sealed while it is rewritten";

  Result<std::string> root_key = replace();
  // replace() writes through the log (which keeps its read cache current);
  // a fresh start after rewriting everything costs nothing.
  log_.ClearReadCache();
  if (!root_key.ok()) {
    return Status(root_key.status().code(),
                  "storage replacement failed, node left sealed: " + root_key.status().message());
  }
  std::string key = std::move(root_key).value();
  Status opened = barrier_.Unseal(key);
  OPENSSL_cleanse(key.data(), key.size());
  if (!opened.ok()) {
    barrier_.Seal();
    return Status(opened.code(),
                  "the replaced storage does not open with the given root key, node left "
                  "sealed: " + opened.message());
  }
  // The seal config came with the data; the seal reads it from storage, so
  // only a stale unseal attempt had to go (above). A new identity: this node
  // is a different cluster from the one whose data it now holds (a DR
  // replica keeps the one that came with the data).
  Status st;
  if (identity == ClusterIdentity::kFresh) {
    if (name.empty()) name = "vault-cluster-" + crypto::RandomBase62(8);
    st = barrier_.Put(kClusterInfoKey, Json{{"name", name}, {"id", crypto::RandomUuid()}}.dump());
  }
  if (st.ok()) st = PostUnseal();
  if (!st.ok()) {
    COFFER_LOG(kError, "core") << "setting up the replaced storage failed: " << st.ToString();
    TearDown();
    barrier_.Seal();
    return Status(st.code(), "setting up the replaced storage failed, node left sealed: " +
                                 st.message());
  }
  if (hooks_.unsealed) hooks_.unsealed();
  COFFER_LOG(kInfo, "core") << "storage replaced; node unsealed with the new keyring";
  return Status::Ok();
}

Status Core::Reconfigure(const std::function<Status()>& between) {
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  if (barrier_.Sealed()) return coffer::Sealed();
  if (hooks_.sealing) hooks_.sealing();
  TearDown();
  COFFER_LOG(kInfo, "core") << "reconfiguring: in-memory state torn down, barrier kept open";
  const Status changed = between ? between() : Status::Ok();
  if (!changed.ok()) {
    COFFER_LOG(kWarn, "core") << "reconfiguration step failed, setting up as before: "
                              << changed.ToString();
  }
  if (Status st = PostUnseal(); !st.ok()) {
    COFFER_LOG(kError, "core") << "setting up after reconfiguration failed: " << st.ToString();
    TearDown();
    generate_root_.Cancel();
    seal_.ResetUnseal();
    barrier_.Seal();
    return Status(st.code(), "setting up after reconfiguration failed, node sealed: " +
                                 st.message());
  }
  if (hooks_.unsealed) hooks_.unsealed();
  if (changed.ok()) {
    COFFER_LOG(kInfo, "core") << "reconfigured; node set up again from storage";
  }
  return changed;
}

}  // namespace coffer::core
