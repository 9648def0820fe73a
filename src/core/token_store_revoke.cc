// TokenStore: revocation (tree, orphan) and tidy.
#include <set>
#include <utility>

#include "common/json_util.h"
#include "common/log.h"
#include "core/token_store.h"
#include "core/token_store_keys.h"

namespace coffer::core {
namespace {

// The child hashes listed under a parent's index directory.
Result<std::vector<std::string>> ChildHashes(storage::Backend* barrier, const std::string& hash) {
  ASSIGN_OR_RETURN(auto names, barrier->List(tokenkeys::Children(hash)));
  std::vector<std::string> out;
  for (auto& n : names) {
    if (tokenkeys::ValidHash(n)) out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

void TokenStore::RunHook(const std::vector<TokenEntry>& revoked) {
  std::function<void(const TokenEntry&)> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = revoke_hook_;
  }
  if (!hook) return;
  for (const TokenEntry& e : revoked) hook(e);
}

Status TokenStore::Revoke(const std::string& token) {
  if (token.empty()) return InvalidArgument("missing token ID");
  if (token.starts_with("hvb.")) return InvalidArgument("batch tokens cannot be revoked");
  ASSIGN_OR_RETURN(std::string hash, Hash(token));
  return RevokeTreeByHash(hash);
}

Status TokenStore::RevokeTreeByHash(const std::string& hash) {
  std::vector<TokenEntry> revoked;
  Status st;
  {
    std::lock_guard<fiber::SharedMutex> write_lock(write_mu_);
    st = RevokeTreeLocked(hash, &revoked);
  }
  RunHook(revoked);  // also for the part revoked before a failure
  return st;
}

Status TokenStore::RevokeTreeLocked(const std::string& root, std::vector<TokenEntry>* revoked) {
  if (!tokenkeys::ValidHash(root)) return Status::Ok();
  // Iterative post-order walk: children are revoked before their parent, so
  // a failure part-way leaves every survivor still reachable from the root
  // (a retry or Tidy finishes the job). `seen` guards against index cycles.
  std::set<std::string> seen{root};
  std::vector<std::pair<std::string, bool>> stack{{root, false}};
  while (!stack.empty()) {
    auto [hash, expanded] = stack.back();
    if (!expanded) {
      stack.back().second = true;
      ASSIGN_OR_RETURN(auto children, ChildHashes(barrier_, hash));
      for (auto& c : children) {
        if (seen.insert(c).second) stack.emplace_back(std::move(c), false);
      }
      continue;
    }
    stack.pop_back();
    ASSIGN_OR_RETURN(auto e, ReadByHash(hash));
    storage::Batch batch;
    batch.push_back(storage::Op::Delete(tokenkeys::Id(hash)));
    ASSIGN_OR_RETURN(auto leftover, barrier_->ListAll(tokenkeys::Children(hash)));
    for (auto& k : leftover) batch.push_back(storage::Op::Delete(std::move(k)));
    if (e.has_value()) {
      if (!e->accessor.empty()) batch.push_back(storage::Op::Delete(tokenkeys::Accessor(e->accessor)));
      if (!e->parent.empty()) batch.push_back(storage::Op::Delete(tokenkeys::Child(e->parent, hash)));
    }
    RETURN_IF_ERROR(barrier_->Write(batch));
    if (e.has_value()) revoked->push_back(*std::move(e));
  }
  return Status::Ok();
}

Status TokenStore::RevokeOrphan(const std::string& token) {
  if (token.empty()) return InvalidArgument("missing token ID");
  if (token.starts_with("hvb.")) return InvalidArgument("batch tokens cannot be revoked");
  ASSIGN_OR_RETURN(std::string hash, Hash(token));
  std::vector<TokenEntry> revoked;
  {
    std::lock_guard<fiber::SharedMutex> write_lock(write_mu_);
    ASSIGN_OR_RETURN(auto e, ReadByHash(hash));
    if (!e.has_value() || !Live(*e, Now())) return InvalidArgument("token to revoke not found");
    e->id = token;
    // One atomic batch: the token goes and every child becomes an orphan.
    storage::Batch batch;
    ASSIGN_OR_RETURN(auto children, ChildHashes(barrier_, hash));
    for (const auto& c : children) {
      ASSIGN_OR_RETURN(auto child, ReadByHash(c));
      if (child.has_value()) {
        child->parent.clear();
        child->orphan = true;
        batch.push_back(storage::Op::Put(tokenkeys::Id(c), child->StoredRecord()));
      }
    }
    ASSIGN_OR_RETURN(auto links, barrier_->ListAll(tokenkeys::Children(hash)));
    for (auto& k : links) batch.push_back(storage::Op::Delete(std::move(k)));
    batch.push_back(storage::Op::Delete(tokenkeys::Id(hash)));
    if (!e->accessor.empty()) batch.push_back(storage::Op::Delete(tokenkeys::Accessor(e->accessor)));
    if (!e->parent.empty()) batch.push_back(storage::Op::Delete(tokenkeys::Child(e->parent, hash)));
    RETURN_IF_ERROR(barrier_->Write(batch));
    revoked.push_back(*std::move(e));
  }
  RunHook(revoked);
  return Status::Ok();
}

Result<TidyReport> TokenStore::Tidy() {
  TidyReport report;
  std::vector<TokenEntry> revoked;
  // The scans run without the write lock (reads take none), so creates and
  // logins are not held up while every token is read; each candidate is
  // checked again under the exclusive lock before anything is revoked.
  Status st = [&]() -> Status {
    // 1. Expired and spent tokens, with everything under them.
    ASSIGN_OR_RETURN(auto ids, barrier_->List(tokenkeys::kIdPrefix));
    std::vector<std::string> dead;
    const int64_t scan_now = Now();
    for (const auto& hash : ids) {
      auto e = ReadByHash(hash, /*use_cache=*/false);
      if (!e.ok()) {
        COFFER_LOG(kWarn, "token") << "tidy: skipping unreadable token entry: "
                                   << e.status().ToString();
        continue;
      }
      if (e->has_value() && !Live(**e, scan_now)) dead.push_back(hash);
    }
    for (const auto& hash : dead) {
      std::lock_guard<fiber::SharedMutex> write_lock(write_mu_);
      ASSIGN_OR_RETURN(auto e, ReadByHash(hash, /*use_cache=*/false));
      if (!e.has_value() || Live(*e, Now())) continue;
      RETURN_IF_ERROR(RevokeTreeLocked(hash, &revoked));
      ++report.expired;
    }
    // 2. Children whose parent is gone (a crash between writes, or data
    //    restored out of order): revoked, as their parent would have been.
    //    Under the lock: a create holds it (shared) from the parent check to
    //    the child's index entry, so no live parent is missed.
    ASSIGN_OR_RETURN(auto parents, barrier_->List(tokenkeys::kParentPrefix));
    for (auto parent : parents) {
      if (!parent.empty() && parent.back() == '/') parent.pop_back();
      if (!tokenkeys::ValidHash(parent)) continue;
      std::lock_guard<fiber::SharedMutex> write_lock(write_mu_);
      ASSIGN_OR_RETURN(auto p, ReadByHash(parent));
      if (p.has_value()) continue;
      const size_t before = revoked.size();
      RETURN_IF_ERROR(RevokeTreeLocked(parent, &revoked));
      report.dangling_children += static_cast<int>(revoked.size() - before);
    }
    // 3. Accessor entries whose token is gone. A create writes the token and
    //    its accessor in one batch, so a stale accessor stays stale; it is
    //    re-read under the lock before it is deleted.
    ASSIGN_OR_RETURN(auto accessors, barrier_->List(tokenkeys::kAccessorPrefix));
    auto stale = [&](const std::string& a) -> Result<bool> {
      ASSIGN_OR_RETURN(auto hash, barrier_->Get(tokenkeys::Accessor(a)));
      if (!hash.has_value()) return true;
      ASSIGN_OR_RETURN(auto e, ReadByHash(*hash, /*use_cache=*/false));
      return !e.has_value();
    };
    for (const auto& a : accessors) {
      ASSIGN_OR_RETURN(bool candidate, stale(a));
      if (!candidate) continue;
      std::lock_guard<fiber::SharedMutex> write_lock(write_mu_);
      ASSIGN_OR_RETURN(bool still, stale(a));
      if (!still) continue;
      RETURN_IF_ERROR(barrier_->Delete(tokenkeys::Accessor(a)));
      ++report.stale_accessors;
    }
    return Status::Ok();
  }();
  RunHook(revoked);
  if (!st.ok()) return st;
  if (report.expired + report.dangling_children + report.stale_accessors > 0) {
    COFFER_LOG(kInfo, "token") << "tidy: revoked " << report.expired << " expired token(s), "
                               << report.dangling_children << " orphaned child token(s); removed "
                               << report.stale_accessors << " stale accessor(s)";
  }
  return report;
}

}  // namespace coffer::core

namespace coffer::core {

Result<int> TokenStore::RevokeByPathPrefix(const std::string& prefix) {
  std::vector<TokenEntry> revoked;
  int roots = 0;
  Status st = [&]() -> Status {
    std::lock_guard<fiber::SharedMutex> write_lock(write_mu_);
    ASSIGN_OR_RETURN(auto ids, barrier_->List(tokenkeys::kIdPrefix));
    for (const auto& hash : ids) {
      auto e = ReadByHash(hash);
      if (!e.ok() || !e->has_value()) continue;
      if ((*e)->path.compare(0, prefix.size(), prefix) != 0) continue;
      RETURN_IF_ERROR(RevokeTreeLocked(hash, &revoked));
      ++roots;
    }
    return Status::Ok();
  }();
  RunHook(revoked);
  if (!st.ok()) return st;
  return roots;
}

}  // namespace coffer::core
