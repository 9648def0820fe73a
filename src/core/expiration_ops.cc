// ExpirationManager: registration (secrets, tokens), the token revoke hook,
// and the operations behind sys/leases/* (lookup, list, renew, revoke,
// revoke-prefix, tidy).
#include <algorithm>

#include "common/log.h"
#include "core/expiration.h"
#include "core/token_store_keys.h"

namespace coffer::core {

Status ExpirationManager::RegisterFromResponse(const EngineRequest& ereq, Engine& engine,
                                               const std::string& request_path,
                                               const std::optional<TokenEntry>& token,
                                               Response& resp) {
  if (!resp.secret.has_value() || !resp.secret->register_lease) return Status::Ok();
  SecretInfo& secret = *resp.secret;
  const int64_t now = Now();
  int64_t max_ttl = ereq.system.max_lease_ttl;
  if (secret.max_ttl > 0 && (max_ttl <= 0 || secret.max_ttl < max_ttl)) max_ttl = secret.max_ttl;
  int64_t ttl = secret.lease_duration > 0 ? secret.lease_duration : ereq.system.default_lease_ttl;
  if (max_ttl > 0 && ttl > max_ttl) ttl = max_ttl;

  LeaseEntry e;
  e.lease_id = NewLeaseId(request_path);
  e.path = request_path;
  e.mount_path = ereq.mount != nullptr ? ereq.mount->path : "";
  e.secret_data = secret.internal_data;
  e.issue_time = now;
  e.expire_time = now + ttl;
  e.max_ttl_end = max_ttl > 0 ? now + max_ttl : 0;
  e.renewable = secret.renewable;
  if (token.has_value()) {
    if (!token->IsBatch()) {
      e.client_token_hash = token->hash;
    } else if (!token->parent.empty()) {
      // A batch token is not stored: its parent answers for the lease.
      e.client_token_hash = token->parent;
    } else if (const int64_t end = token->ExpireTime(); end > 0) {
      // An orphan batch token's leases cannot outlive it.
      e.expire_time = std::min(e.expire_time, end);
      e.max_ttl_end = e.max_ttl_end > 0 ? std::min(e.max_ttl_end, end) : end;
    }
  }
  Status st = Write(e);
  if (!st.ok()) {
    // Nothing may dangle: what the engine just created goes again.
    EngineRequest undo = ereq;
    undo.caller = nullptr;
    Status revoked = engine.RevokeSecret(undo, secret.internal_data);
    if (!revoked.ok()) {
      COFFER_LOG(kError, "expiration") << "could not store a lease for " << request_path
                                       << " and could not revoke what it leased: "
                                       << revoked.ToString();
    }
    return Status(st.code(), "failed to register lease: " + st.message());
  }
  Schedule(e.lease_id, e.expire_time);
  secret.lease_id = e.lease_id;
  secret.lease_duration = std::max<int64_t>(e.expire_time - now, 0);
  secret.register_lease = false;
  secret.internal_data = nullptr;
  return Status::Ok();
}

namespace {

bool HasTokenLease(const TokenEntry& token) {
  return !token.IsBatch() && !token.hash.empty() && token.ExpireTime() != 0;
}

LeaseEntry TokenLease(const TokenEntry& token) {
  LeaseEntry e;
  e.lease_id = TokenLeaseId(token);
  e.path = token.path;
  e.client_token_hash = token.hash;
  e.issue_time = token.creation_time;
  e.expire_time = token.ExpireTime();
  e.last_renewal_time = token.last_renewal_time;
  e.renewable = token.renewable;
  e.auth = true;
  return e;
}

}  // namespace

Status ExpirationManager::RegisterToken(const TokenEntry& token) {
  if (!HasTokenLease(token)) return Status::Ok();
  LeaseEntry e = TokenLease(token);
  RETURN_IF_ERROR(Write(e));
  Schedule(e.lease_id, e.expire_time);
  return Status::Ok();
}

Result<storage::Batch> ExpirationManager::TokenLeaseOps(const TokenEntry& token) {
  if (!HasTokenLease(token)) return storage::Batch{};
  return WriteOps(TokenLease(token));
}

void ExpirationManager::TokenCreated(const TokenEntry& token) {
  if (HasTokenLease(token)) Schedule(TokenLeaseId(token), token.ExpireTime());
}

Status ExpirationManager::TokenRenewed(const TokenEntry& token) { return RegisterToken(token); }

void ExpirationManager::TokenRevoked(const TokenEntry& token) {
  if (!tokenkeys::ValidHash(token.hash)) return;
  if (!token.IsBatch() && !token.path.empty()) {
    LeaseEntry own;
    own.lease_id = TokenLeaseId(token);
    own.client_token_hash = token.hash;
    Status st = Delete(own);
    if (!st.ok()) {
      COFFER_LOG(kWarn, "expiration") << "could not drop the lease of a revoked token: "
                                      << st.ToString();
    }
  }
  const std::string index = leasekeys::TokenIndexPrefix(token.hash);
  auto names = options_.storage->List(index);
  if (!names.ok()) {
    COFFER_LOG(kWarn, "expiration") << "could not list the leases of a revoked token: "
                                    << names.status().ToString();
    return;
  }
  for (const std::string& name : *names) {
    auto id = options_.storage->Get(index + name);
    if (!id.ok() || !id->has_value()) continue;
    auto e = Read(**id);
    if (e.ok() && e->has_value() && (*e)->auth) {
      (void)Delete(**e);
      continue;
    }
    if (e.ok() && !e->has_value()) {
      (void)options_.storage->Delete(index + name);
      continue;
    }
    // Failures are recorded on the lease and retried by the schedule.
    (void)RevokeById(**id, /*force=*/false, /*expiring=*/false);
  }
}

Result<LeaseEntry> ExpirationManager::Lookup(const std::string& lease_id) {
  ASSIGN_OR_RETURN(std::optional<LeaseEntry> e, Read(lease_id));
  if (!e.has_value()) return InvalidArgument("invalid lease");
  return *std::move(e);
}

Result<std::vector<std::string>> ExpirationManager::List(const std::string& prefix) {
  if (!prefix.empty() && prefix.back() != '/') return InvalidArgument("prefix must end with '/'");
  return options_.storage->List(std::string(leasekeys::kIdPrefix) + prefix);
}

Result<SecretInfo> ExpirationManager::Renew(const std::string& lease_id, int64_t increment) {
  InFlight mark(*this, lease_id);
  ASSIGN_OR_RETURN(std::optional<LeaseEntry> e, Read(lease_id));
  if (!e.has_value()) return InvalidArgument("lease not found or lease is not renewable");
  if (e->auth) return InvalidArgument("tokens cannot be renewed through this endpoint");
  ASSIGN_OR_RETURN(LeaseTarget target, options_.resolve(e->path));
  const int64_t now = Now();
  const int64_t mount_max = target.system.max_lease_ttl;
  ASSIGN_OR_RETURN(int64_t expire, RenewedExpiry(*e, increment, now, mount_max));
  EngineRequest req;
  req.operation = Operation::kUpdate;
  req.path = target.relative_path;
  req.storage = target.storage.get();
  req.mount = &target.mount;
  req.system = target.system;
  ASSIGN_OR_RETURN(int64_t granted, target.engine->RenewSecret(req, e->secret_data, increment));
  if (granted != increment) {
    ASSIGN_OR_RETURN(expire, RenewedExpiry(*e, granted, now, mount_max));
  }
  e->expire_time = expire;
  e->last_renewal_time = now;
  RETURN_IF_ERROR(Write(*e));
  Schedule(e->lease_id, expire);
  SecretInfo out;
  out.lease_id = e->lease_id;
  out.renewable = e->renewable;
  out.lease_duration = expire - now;
  return out;
}

Status ExpirationManager::Revoke(const std::string& lease_id, bool sync) {
  if (sync) return RevokeById(lease_id, /*force=*/false, /*expiring=*/false);
  return QueueRevocation(lease_id);
}

Status ExpirationManager::QueueRevocation(const std::string& lease_id) {
  InFlight mark(*this, lease_id);
  ASSIGN_OR_RETURN(std::optional<LeaseEntry> e, Read(lease_id));
  if (!e.has_value()) return Status::Ok();
  // Persisted, so a restart before the worker gets to it still revokes.
  if (e->state == LeaseEntry::State::kActive) e->state = LeaseEntry::State::kRevoking;
  e->next_attempt_time = Now();
  RETURN_IF_ERROR(Write(*e));
  Schedule(lease_id, e->next_attempt_time);
  return Status::Ok();
}

Status ExpirationManager::RevokePrefix(const std::string& prefix, bool sync, bool force) {
  std::string p = prefix;
  if (!p.empty() && p.back() != '/') p += '/';
  ASSIGN_OR_RETURN(std::vector<std::string> keys,
                   options_.storage->ListAll(std::string(leasekeys::kIdPrefix) + p));
  Status first;
  for (const std::string& key : keys) {
    const std::string id = key.substr(leasekeys::kIdPrefix.size());
    Status st = !sync && !force ? QueueRevocation(id) : RevokeById(id, force, /*expiring=*/false);
    if (!st.ok() && first.ok()) {
      first = Status(st.code(), "failed to revoke " + id + ": " + st.message());
    }
  }
  return first;
}

Result<LeaseTidyReport> ExpirationManager::Tidy() {
  LeaseTidyReport report;
  ASSIGN_OR_RETURN(std::vector<std::string> dirs, options_.storage->List(leasekeys::kTokenPrefix));
  for (std::string hash : dirs) {
    if (!hash.empty() && hash.back() == '/') hash.pop_back();
    if (!tokenkeys::ValidHash(hash)) continue;
    ASSIGN_OR_RETURN(std::optional<TokenEntry> token, options_.tokens->EntryByHash(hash));
    const std::string index = leasekeys::TokenIndexPrefix(hash);
    ASSIGN_OR_RETURN(std::vector<std::string> names, options_.storage->List(index));
    for (const std::string& name : names) {
      ASSIGN_OR_RETURN(auto id, options_.storage->Get(index + name));
      if (!id.has_value()) continue;
      auto e = Read(*id);
      if (!e.ok()) {
        ++report.unreadable;
        continue;
      }
      if (!e->has_value()) {
        RETURN_IF_ERROR(options_.storage->Delete(index + name));
        ++report.stale_index;
        continue;
      }
      if (token.has_value()) continue;
      // The token that created the lease is gone: so is the lease.
      if ((*e)->auth) {
        RETURN_IF_ERROR(Delete(**e));
      } else if (!RevokeById(*id, /*force=*/false, /*expiring=*/false).ok()) {
        continue;  // recorded on the lease; the schedule retries
      }
      ++report.revoked;
    }
  }
  // Tokens' own leases (not indexed, see WriteOps): the id ends in the
  // token's hash. One whose token is gone is dropped.
  ASSIGN_OR_RETURN(std::vector<std::string> own,
                   options_.storage->ListAll(leasekeys::Entry("auth/")));
  for (const std::string& key : own) {
    const std::string id = key.substr(leasekeys::kIdPrefix.size());
    const std::string hash = id.substr(id.rfind('/') + 1);
    if (!tokenkeys::ValidHash(hash)) continue;
    ASSIGN_OR_RETURN(std::optional<TokenEntry> token, options_.tokens->EntryByHash(hash));
    if (token.has_value()) continue;
    auto e = Read(id);
    if (!e.ok()) {
      ++report.unreadable;
      continue;
    }
    if (!e->has_value() || !(*e)->auth || (*e)->client_token_hash != hash) continue;
    RETURN_IF_ERROR(Delete(**e));
    ++report.revoked;
  }
  if (report.revoked + report.stale_index + report.unreadable > 0) {
    COFFER_LOG(kInfo, "expiration") << "tidy: revoked " << report.revoked
                                    << " lease(s) of missing tokens, removed "
                                    << report.stale_index << " stale index entries, "
                                    << report.unreadable << " unreadable";
  }
  return report;
}

}  // namespace coffer::core
