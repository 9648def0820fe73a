// ExpirationManager: lifecycle (start, stop, restore), the expiry worker and
// revocation. Registration and the sys/leases operations are in
// expiration_ops.cc.
#include "core/expiration.h"

#include <pthread.h>

#include <chrono>
#include <limits>
#include <utility>

#include "common/clock.h"
#include "common/json_util.h"
#include "common/log.h"

namespace coffer::core {
namespace {

int64_t SystemNow() { return UnixSeconds(); }

// Where a stored lease belongs in the schedule.
int64_t DueTime(const LeaseEntry& e) {
  if (e.state == LeaseEntry::State::kActive) return e.expire_time;
  return e.next_attempt_time;
}

constexpr size_t kExpireBatch = 100;

// The worker looks at the schedule every kLongLook, and every kShortLook
// while the next lease is DueSoon (times are whole seconds: a lease goes
// within a fraction of a second of its expiry). A look at most one second
// away sees in time a lease that was not due soon when it was scheduled, so
// only a lease due soon has to wake the worker (Schedule).
constexpr std::chrono::milliseconds kLongLook{1000};
constexpr std::chrono::milliseconds kShortLook{100};
static_assert(kLongLook <= std::chrono::seconds(1));
bool DueSoon(int64_t due, int64_t now) { return due <= now + 1; }

}  // namespace

std::string TokenLeaseId(const TokenEntry& token) {
  std::string path = token.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path + "/" + token.hash;
}

ExpirationManager::InFlight::InFlight(ExpirationManager& m, std::string id)
    : m_(m), id_(std::move(id)) {
  std::unique_lock<std::mutex> lock(m_.flight_mu_);
  m_.flight_cv_.wait(lock, [this] { return m_.in_flight_.count(id_) == 0; });
  m_.in_flight_.insert(id_);
}

ExpirationManager::InFlight::~InFlight() {
  {
    std::lock_guard<std::mutex> lock(m_.flight_mu_);
    m_.in_flight_.erase(id_);
  }
  m_.flight_cv_.notify_all();
}

ExpirationManager::ExpirationManager(ExpirationOptions options) : options_(std::move(options)) {}

ExpirationManager::~ExpirationManager() { Stop(); }

int64_t ExpirationManager::Now() const { return options_.now ? options_.now() : SystemNow(); }

bool ExpirationManager::Running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return running_;
}

bool ExpirationManager::StopRequested() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

Status ExpirationManager::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_) return Status::Ok();
    running_ = true;
    stopping_ = false;
    if (options_.background) {
      worker_ = std::thread([this] { WorkerLoop(); });
      return Status::Ok();
    }
  }
  return Restore();
}

void ExpirationManager::Stop() {
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    stopping_ = true;
    worker = std::move(worker_);
  }
  cv_.notify_all();
  if (worker.joinable()) worker.join();
  queue_.PopDue(std::numeric_limits<int64_t>::max(), std::numeric_limits<size_t>::max());
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
}

Status ExpirationManager::Restore() {
  const auto started = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::vector<std::string> keys, options_.storage->ListAll(leasekeys::kIdPrefix));
  const int64_t now = Now();
  size_t restored = 0, overdue = 0, unreadable = 0;
  const size_t batch = options_.restore_batch == 0 ? 1 : options_.restore_batch;
  for (size_t begin = 0; begin < keys.size(); begin += batch) {
    if (StopRequested()) return Status::Ok();
    const size_t end = std::min(keys.size(), begin + batch);
    for (size_t i = begin; i < end; ++i) {
      const std::string id = keys[i].substr(leasekeys::kIdPrefix.size());
      auto e = Read(id);
      if (!e.ok() || !e->has_value()) {
        if (!e.ok()) {
          ++unreadable;
          COFFER_LOG(kWarn, "expiration") << "restore: skipping unreadable lease " << id << ": "
                                          << e.status().ToString();
        }
        continue;
      }
      const int64_t due = DueTime(**e);
      if (due <= now) ++overdue;
      queue_.Add(id, due);
      ++restored;
    }
    keys[begin].clear();  // nothing of a finished batch is kept
  }
  cv_.notify_all();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  if (restored + unreadable > 0) {
    COFFER_LOG(kInfo, "expiration") << "restored " << restored << " lease(s) (" << overdue
                                    << " overdue, " << unreadable << " unreadable) in " << ms
                                    << " ms";
  }
  return Status::Ok();
}

void ExpirationManager::WorkerLoop() {
  pthread_setname_np(pthread_self(), "coffer-leases");
  Status restored = Restore();
  if (!restored.ok()) {
    COFFER_LOG(kError, "expiration") << "could not restore leases: " << restored.ToString();
  }
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    ProcessDue();
    lock.lock();
    if (stopping_) break;
    int64_t due = 0;
    cv_.wait_for(lock, queue_.NextDue(&due) && DueSoon(due, Now()) ? kShortLook : kLongLook);
  }
}

size_t ExpirationManager::ProcessDue() {
  size_t handled = 0;
  while (!StopRequested()) {
    std::vector<LeaseQueue::Item> due = queue_.PopDue(Now(), kExpireBatch);
    if (due.empty()) break;
    for (const LeaseQueue::Item& item : due) {
      if (StopRequested()) break;
      (void)RevokeById(item.lease_id, /*force=*/false, /*expiring=*/true);
      ++handled;
    }
  }
  return handled;
}

void ExpirationManager::Schedule(const std::string& lease_id, int64_t due) {
  queue_.Update(lease_id, due);
  // Only a lease due soon needs the worker woken (kLongLook). Waking it for
  // every new lease (each token, each login) cost a context switch and a
  // turn on the queue's lock per lease.
  if (!DueSoon(due, Now())) return;
  worker_wakeups_.fetch_add(1, std::memory_order_relaxed);
  // Under mu_: the worker holds it from its look at the queue until it
  // waits, so the wake-up cannot fall in between and be lost.
  { std::lock_guard<std::mutex> lock(mu_); }
  cv_.notify_all();
}

Result<std::optional<LeaseEntry>> ExpirationManager::Read(const std::string& lease_id) {
  if (lease_id.empty()) return std::optional<LeaseEntry>();
  ASSIGN_OR_RETURN(auto raw, options_.storage->Get(leasekeys::Entry(lease_id)));
  if (!raw.has_value()) return std::optional<LeaseEntry>();
  Json j = Json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corruption("lease entry is not JSON");
  ASSIGN_OR_RETURN(LeaseEntry e, LeaseEntry::FromStored(j));
  return std::optional<LeaseEntry>(std::move(e));
}

storage::Batch ExpirationManager::WriteOps(const LeaseEntry& e) {
  storage::Batch batch;
  batch.push_back(storage::Op::Put(leasekeys::Entry(e.lease_id), e.StoredRecord()));
  // A token's own lease (auth) is not indexed under its token: revoking the
  // token drops it by its id (TokenLeaseId), and tidy finds it by listing
  // the auth leases. An index entry would be one more key in every token's
  // write.
  if (!e.client_token_hash.empty() && !e.auth) {
    batch.push_back(
        storage::Op::Put(leasekeys::TokenIndex(e.client_token_hash, e.lease_id), e.lease_id));
  }
  return batch;
}

Status ExpirationManager::Write(const LeaseEntry& e) { return options_.storage->Write(WriteOps(e)); }

Status ExpirationManager::Delete(const LeaseEntry& e) {
  storage::Batch batch;
  batch.push_back(storage::Op::Delete(leasekeys::Entry(e.lease_id)));
  if (!e.client_token_hash.empty()) {
    batch.push_back(storage::Op::Delete(leasekeys::TokenIndex(e.client_token_hash, e.lease_id)));
  }
  RETURN_IF_ERROR(options_.storage->Write(batch));
  queue_.Remove(e.lease_id);
  return Status::Ok();
}

Status ExpirationManager::RevokeById(const std::string& lease_id, bool force, bool expiring) {
  InFlight mark(*this, lease_id);
  ASSIGN_OR_RETURN(std::optional<LeaseEntry> e, Read(lease_id));
  if (!e.has_value()) {
    queue_.Remove(lease_id);
    return Status::Ok();
  }
  if (expiring) {
    // The schedule may be behind a renewal or a backoff: go by the entry.
    const int64_t due = DueTime(*e);
    if (due > Now()) {
      Schedule(lease_id, due);
      return Status::Ok();
    }
  }
  // Only a lease reaching its own end follows a renewed token; a requested
  // revocation (state revoking) or a retry does not.
  Status st = RevokeEntry(*e, force, expiring && e->state == LeaseEntry::State::kActive);
  if (!st.ok() && !force) RecordFailure(*std::move(e), st);
  return st;
}

Status ExpirationManager::RevokeEntry(const LeaseEntry& e, bool force, bool expiring) {
  return e.auth ? RevokeTokenLease(e, force, expiring) : RevokeSecretLease(e, force);
}

Status ExpirationManager::RevokeTokenLease(const LeaseEntry& e, bool force, bool expiring) {
  auto token = options_.tokens->EntryByHash(e.client_token_hash);
  if (!token.ok() && !force) return token.status();
  if (token.ok() && token->has_value()) {
    const TokenEntry& t = **token;
    const int64_t expire = t.ExpireTime();
    if (expiring && t.num_uses != kSpentUses && expire > Now()) {
      // Renewed after this lease was written: the token decides.
      LeaseEntry moved = e;
      moved.expire_time = expire;
      moved.last_renewal_time = t.last_renewal_time;
      RETURN_IF_ERROR(Write(moved));
      Schedule(moved.lease_id, expire);
      return Status::Ok();
    }
    // The revoke hook (TokenRevoked) drops this lease and the token's
    // secret leases, for the whole subtree.
    Status st = options_.tokens->RevokeTreeByHash(e.client_token_hash);
    if (!st.ok() && !force) return st;
  }
  return Delete(e);
}

Status ExpirationManager::RevokeSecretLease(const LeaseEntry& e, bool force) {
  Result<LeaseTarget> target = options_.resolve(e.path);
  Status st = target.status();
  if (target.ok()) {
    EngineRequest req;
    req.operation = Operation::kDelete;
    req.path = target->relative_path;
    req.storage = target->storage.get();
    req.mount = &target->mount;
    req.system = target->system;
    st = target->engine->RevokeSecret(req, e.secret_data);
  } else {
    st = Status(st.code(), "no secrets engine serves " + e.path + ": " + st.message());
  }
  if (!st.ok()) {
    if (!force) return st;
    COFFER_LOG(kWarn, "expiration") << "force-revoking lease " << e.lease_id
                                    << " although its engine failed: " << st.ToString();
  }
  return Delete(e);
}

void ExpirationManager::RecordFailure(LeaseEntry e, const Status& why) {
  e.state = LeaseEntry::State::kRevocationFailed;
  ++e.revoke_attempts;
  e.last_error = why.message();
  e.next_attempt_time = Now() + BackoffSeconds(e.revoke_attempts);
  Status st = Write(e);
  if (!st.ok()) {
    COFFER_LOG(kError, "expiration") << "could not record the failed revocation of lease "
                                     << e.lease_id << ": " << st.ToString();
  }
  Schedule(e.lease_id, e.next_attempt_time);
  COFFER_LOG(kWarn, "expiration") << "revocation of lease " << e.lease_id << " failed (attempt "
                                  << e.revoke_attempts << ", next in "
                                  << BackoffSeconds(e.revoke_attempts) << " s"
                                  << (e.revoke_attempts >= kMaxRevokeAttempts ? ", irrevocable so far"
                                                                              : "")
                                  << "): " << why.ToString();
}

}  // namespace coffer::core
