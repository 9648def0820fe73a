#include "core/core.h"

#include <openssl/crypto.h>

#include "common/log.h"
#include "core/sys_routes.h"
#include "crypto/random.h"

namespace coffer::core {
namespace {
constexpr char kClusterInfoKey[] = "core/cluster-info";
}  // namespace

Core::Core(CoreOptions options)
    : options_(std::move(options)),
      barrier_(options_.physical.get()),
      seal_(options_.physical.get(), &barrier_),
      tokens_(&barrier_) {}

Core::~Core() { barrier_.Seal(); }

ClusterInfo Core::cluster_info() const {
  std::lock_guard<std::mutex> lock(info_mu_);
  return cluster_info_;
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
  Result<TokenEntry> root = st.ok() ? tokens_.CreateRootToken(root_token_id) : Result<TokenEntry>(st);
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
      barrier_.Seal();
      return st;
    }
  }
  return progress;
}

Status Core::SealNode() {
  std::unique_lock<std::shared_mutex> lock(state_mu_);
  tokens_.Reset();
  generate_root_.Cancel();
  seal_.ResetUnseal();
  barrier_.Seal();
  {
    std::lock_guard<std::mutex> info_lock(info_mu_);
    cluster_info_ = ClusterInfo{};
  }
  COFFER_LOG(kInfo, "core") << "sealed";
  return Status::Ok();
}

Result<TokenEntry> Core::Authenticate(const Request& req) {
  if (req.client_token.empty()) return PermissionDenied();
  ASSIGN_OR_RETURN(auto entry, tokens_.Lookup(req.client_token));
  if (!entry.has_value()) return PermissionDenied("permission denied\ninvalid token");
  return std::move(*entry);
}

Result<Response> Core::Handle(const Request& req) {
  // Routes that answer in every seal state and need no token.
  if (const SysRoute* route = FindUnauthenticatedSysRoute(req.path)) {
    return route->handler(*this, req, nullptr);
  }
  std::shared_lock<std::shared_mutex> lock(state_mu_);
  if (barrier_.Sealed()) return coffer::Sealed();
  ASSIGN_OR_RETURN(TokenEntry token, Authenticate(req));
  const SysRoute* route = FindSysRoute(req.path);
  if (route == nullptr) {
    return NotFound("no handler for route \"" + req.path + "\". route entry not found.");
  }
  // Until policies exist, only root tokens pass the ACL (every token is root).
  if (!token.IsRoot()) return PermissionDenied();
  lock.unlock();  // handlers may change seal state (sys/seal)
  return route->handler(*this, req, &token);
}

}  // namespace coffer::core
