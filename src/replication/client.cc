#include "replication/client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <future>
#include <limits>
#include <map>

#include "cluster/dial.h"
#include "common/clock.h"
#include "common/log.h"
#include "replication/service.h"
#include "replication/stream_filter.h"
#include "storage/merkle_diff.h"
#include "storage/merkle_index.h"

namespace coffer::replication {
namespace {

constexpr size_t kBucketsPerRequest = 512;
constexpr size_t kOpsPerApply = 8192;

Status FromGrpc(const grpc::Status& st, std::string_view what) {
  std::string msg = std::string(what) + ": " + st.error_message();
  switch (st.error_code()) {
    case grpc::StatusCode::PERMISSION_DENIED:
      return PermissionDenied(msg);
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
      return InvalidArgument(msg);
    default:
      return Unavailable(msg);
  }
}

std::vector<std::string> KeysOf(const std::vector<storage::WalEntry>& entries) {
  std::vector<std::string> keys;
  for (const auto& e : entries) {
    for (const auto& op : e.ops) keys.push_back(op.key);
  }
  return keys;
}

}  // namespace

SecondaryClient::SecondaryClient(Type type, SecondaryState state, storage::ReplicatedLog* log,
                                 ClientHooks hooks)
    : type_(type),
      state_(std::move(state)),
      name_(TypeName(type)),
      log_(log),
      hooks_(std::move(hooks)) {}

SecondaryClient::~SecondaryClient() { Stop(); }

void SecondaryClient::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  status_.last_start_s = UnixSeconds();
  thread_ = std::thread([this] { Loop(); });
}

void SecondaryClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (stream_ctx_ != nullptr) stream_ctx_->TryCancel();
    status_.state = "idle";
    status_.connection_state = "shutdown";
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ClientStatus SecondaryClient::status() const {
  std::vector<int64_t> lags;
  ClientStatus out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out = status_;
    lags = lag_ring_;
  }
  out.lag_samples = lags.size();
  if (!lags.empty()) {
    // Three selections instead of a sort: status is polled often.
    auto at = [&](double q) {
      auto nth = lags.begin() + static_cast<ptrdiff_t>(q * static_cast<double>(lags.size() - 1));
      std::nth_element(lags.begin(), nth, lags.end());
      return *nth;
    };
    out.apply_lag_p50_ms = at(0.50);
    out.apply_lag_p99_ms = at(0.99);
    out.apply_lag_max_ms = *std::max_element(lags.begin(), lags.end());
  }
  return out;
}

void SecondaryClient::SetState(const char* state, const char* connection) {
  std::lock_guard<std::mutex> lock(mu_);
  if (state != nullptr) status_.state = state;
  if (connection != nullptr) status_.connection_state = connection;
}

bool SecondaryClient::SleepFor(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

Result<std::unique_ptr<v1::Replication::Stub>> SecondaryClient::Connect() {
  ASSIGN_OR_RETURN(auto channel,
                   cluster::Dial(state_.primary_cluster_addr,
                                 cluster::DialTls{state_.server_ca_pem, state_.client}));
  return v1::Replication::NewStub(channel);
}

Status SecondaryClient::Sync(std::chrono::milliseconds timeout) {
  // Retried until the deadline while the primary is unreachable (a refused
  // or slow handshake, a restarting primary); other errors end it at once.
  const auto deadline = std::chrono::system_clock::now() + timeout;
  std::chrono::milliseconds backoff(100);
  while (true) {
    Status st = [&]() -> Status {
      ASSIGN_OR_RETURN(auto stub, Connect());
      return SyncWith(*stub, deadline);
    }();
    if (st.ok() || st.code() != Code::kUnavailable ||
        std::chrono::system_clock::now() + backoff >= deadline) {
      return st;
    }
    COFFER_LOG(kWarn, "replication") << name_ << " merkle sync with "
                                     << state_.primary_cluster_addr << ": " << st.message()
                                     << "; retrying in " << backoff.count() << " ms";
    if (!SleepFor(backoff)) return st;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

Status SecondaryClient::HeardGeneration(uint64_t primary_generation) {
  if (primary_generation == 0) return Status::Ok();  // the primary did not say
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.primary_generation = primary_generation;
  }
  if (primary_generation < state_.generation) {
    return InvalidArgument("the primary's generation " + std::to_string(primary_generation) +
                           " is older than this secondary's " +
                           std::to_string(state_.generation) +
                           ": a newer primary leads this replication set");
  }
  return Status::Ok();
}

Status SecondaryClient::SyncWith(v1::Replication::Stub& stub,
                                 std::chrono::system_clock::time_point deadline) {
  // A DR secondary holds both classes. Only the last class's final write
  // stores a position, the first snapshot's: an interrupted sync leaves none
  // that would skip a class, and the stream replays everything the primary
  // committed after it, so keys changed between the snapshots converge.
  std::vector<storage::StorageClass> classes = {storage::StorageClass::kReplicated};
  if (type_ == Type::kDr) classes.push_back(storage::StorageClass::kLocal);
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.sync_total_keys = 0;
    status_.sync_progress = 0;
  }
  std::optional<storage::UpstreamPosition> position;
  ClassSync all;
  for (size_t i = 0; i < classes.size(); ++i) {
    ASSIGN_OR_RETURN(ClassSync one,
                     SyncClass(stub, deadline, classes[i], i + 1 == classes.size(), position));
    all.fetched += one.fetched;
    all.removed += one.removed;
    all.touched.insert(all.touched.end(), std::make_move_iterator(one.touched.begin()),
                       std::make_move_iterator(one.touched.end()));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.syncs++;
    status_.keys_fetched += all.fetched;
    status_.keys_removed += all.removed;
  }
  if (hooks_.applied) hooks_.applied(std::move(all.touched), position->index);
  return Status::Ok();
}

Result<SecondaryClient::ClassSync> SecondaryClient::SyncClass(
    v1::Replication::Stub& stub, std::chrono::system_clock::time_point deadline,
    storage::StorageClass cls, bool last, std::optional<storage::UpstreamPosition>& position) {
  const v1::StorageClass wire_class = cls == storage::StorageClass::kLocal
                                          ? v1::STORAGE_CLASS_LOCAL
                                          : v1::STORAGE_CLASS_REPLICATED;
  const std::string_view class_name = storage::StorageClassName(cls);
  SetState("merkle-diff", "ready");
  const int64_t started_ms = UnixMillis();
  v1::MerkleDiffResponse diff;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    ctx.set_wait_for_ready(true);
    v1::MerkleDiffRequest req;
    req.set_storage_class(wire_class);
    req.set_generation(state_.generation);
    grpc::Status st = stub.MerkleDiff(&ctx, req, &diff);
    if (!st.ok()) return FromGrpc(st, "merkle-diff");
  }
  RETURN_IF_ERROR(HeardGeneration(diff.generation()));
  if (!position.has_value()) {
    position = storage::UpstreamPosition{diff.wal_index(), diff.wal_hash(), 0};
  }
  if (diff.buckets_size() != static_cast<int>(storage::kMerkleBuckets)) {
    return Corruption("merkle-diff: the primary sent " + std::to_string(diff.buckets_size()) +
                      " buckets");
  }
  ASSIGN_OR_RETURN(storage::MerkleSnapshot local, log_->Snapshot(cls));
  std::vector<std::string> remote_buckets(diff.buckets().begin(), diff.buckets().end());
  std::vector<uint32_t> differing = storage::DifferingBuckets(local.buckets, remote_buckets);
  COFFER_LOG(kInfo, "replication") << name_ << " merkle-diff of the " << class_name
                                   << " class: " << differing.size()
                                   << " of " << storage::kMerkleBuckets
                                   << " buckets differ (primary at wal index " << diff.wal_index()
                                   << ")";
  SetState("merkle-sync", nullptr);
  std::vector<std::string> fetch, remove;
  for (size_t at = 0; at < differing.size(); at += kBucketsPerRequest) {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    ctx.set_wait_for_ready(true);
    v1::MerkleKeysRequest req;
    req.set_storage_class(wire_class);
    const size_t end = std::min(differing.size(), at + kBucketsPerRequest);
    for (size_t i = at; i < end; ++i) req.add_buckets(differing[i]);
    v1::MerkleKeysResponse resp;
    grpc::Status st = stub.MerkleKeys(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, "merkle-keys");
    std::map<uint32_t, std::vector<std::pair<std::string, std::string>>> remote;
    for (const v1::KeyHash& k : resp.keys()) remote[k.bucket()].emplace_back(k.key(), k.value_hash());
    for (size_t i = at; i < end; ++i) {
      auto& theirs = remote[differing[i]];
      std::sort(theirs.begin(), theirs.end());
      ASSIGN_OR_RETURN(auto ours, log_->MerkleBucketKeys(cls, differing[i]));
      storage::KeyDiff d = storage::DiffKeys(ours, theirs);
      fetch.insert(fetch.end(), d.fetch.begin(), d.fetch.end());
      remove.insert(remove.end(), d.remove.begin(), d.remove.end());
    }
  }
  const int64_t listed_ms = UnixMillis();
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.sync_total_keys += fetch.size() + remove.size();
  }
  std::vector<storage::Op> ops;
  std::vector<std::string> touched;
  auto flush = [&](bool final) -> Status {
    std::optional<storage::UpstreamPosition> pos;
    if (final && last) pos = position;
    if (ops.empty() && !pos.has_value()) return Status::Ok();
    RETURN_IF_ERROR(log_->ApplySync(name_, ops, pos, cls));
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.sync_progress += ops.size();
      if (pos.has_value()) status_.last_remote_wal = pos->index;
    }
    for (const auto& op : ops) touched.push_back(op.key);
    ops.clear();
    return Status::Ok();
  };
  for (const std::string& key : remove) {
    ops.push_back(storage::Op::Delete(key));
    if (ops.size() >= kOpsPerApply) RETURN_IF_ERROR(flush(false));
  }
  // Fetching chunk i+1 overlaps with storing chunk i.
  auto fetch_chunk = [&](size_t at) -> Result<v1::FetchKeysResponse> {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    ctx.set_wait_for_ready(true);
    v1::FetchKeysRequest req;
    req.set_storage_class(wire_class);
    const size_t end = std::min(fetch.size(), at + kMaxKeysPerFetch);
    for (size_t i = at; i < end; ++i) req.add_keys(fetch[i]);
    v1::FetchKeysResponse resp;
    grpc::Status st = stub.FetchKeys(&ctx, req, &resp);
    if (!st.ok()) return FromGrpc(st, "fetch-keys");
    return resp;
  };
  std::future<Result<v1::FetchKeysResponse>> next;
  if (!fetch.empty()) next = std::async(std::launch::async, fetch_chunk, 0);
  for (size_t at = 0; at < fetch.size(); at += kMaxKeysPerFetch) {
    Result<v1::FetchKeysResponse> resp = next.get();
    if (at + kMaxKeysPerFetch < fetch.size()) {
      next = std::async(std::launch::async, fetch_chunk, at + kMaxKeysPerFetch);
    }
    Status st = [&]() -> Status {
      if (!resp.ok()) return resp.status();
      for (v1::FetchedKey& k : *resp->mutable_keys()) {
        ops.push_back(k.present() ? storage::Op::Put(k.key(), std::move(*k.mutable_value()))
                                  : storage::Op::Delete(k.key()));
        if (ops.size() >= kOpsPerApply) RETURN_IF_ERROR(flush(false));
      }
      return Status::Ok();
    }();
    if (!st.ok()) {
      if (next.valid()) next.wait();  // the fetch in flight uses this frame
      return st;
    }
  }
  RETURN_IF_ERROR(flush(true));
  COFFER_LOG(kInfo, "replication") << name_ << " merkle-sync of the " << class_name
                                   << " class done: fetched " << fetch.size() << " keys, removed "
                                   << remove.size() << " (diff and key lists "
                                   << listed_ms - started_ms << " ms, fetch and store "
                                   << UnixMillis() - listed_ms << " ms)";
  return ClassSync{fetch.size(), remove.size(), std::move(touched)};
}

Status SecondaryClient::StreamFrom(v1::Replication::Stub& stub) {
  ASSIGN_OR_RETURN(auto stored, log_->LoadUpstream(name_));
  if (!stored.has_value()) {
    need_sync_ = true;
    return Status::Ok();
  }
  storage::UpstreamPosition pos = *stored;
  grpc::ClientContext ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Ok();
    stream_ctx_ = &ctx;
    status_.last_remote_wal = pos.index;
    status_.applied_commit_ms = pos.commit_time_ms;
  }
  v1::StreamWalsRequest req;
  req.set_after_index(pos.index);
  req.set_after_hash(pos.hash);
  req.set_generation(state_.generation);
  auto reader = stub.StreamWals(&ctx, req);
  SetState("stream-wals", "ready");
  Status result = Status::Ok();
  // Reading and applying run side by side: while one batch is being written
  // (one synced storage write), the next messages are read and queued, and the
  // applier then takes everything queued in one write. A secondary that falls
  // behind thus catches up with bigger batches instead of staying behind.
  ApplyQueue apply;
  std::thread applier([&] { ApplyLoop(apply, ctx); });
  v1::StreamWalsResponse resp;
  // primary_time - receive_time = skew - transit: the largest value seen on
  // this stream is the best skew estimate (transit >= 0). Taking the last
  // message's instead would subtract queueing delay from every apply lag.
  int64_t skew = std::numeric_limits<int64_t>::min();
  while (reader->Read(&resp)) {
    const int64_t now = UnixMillis();
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.last_heartbeat_ms = now;
      status_.primary_last_index = resp.primary_last_index();
      if (resp.primary_last_commit_ms() != 0) {
        status_.primary_last_commit_ms = resp.primary_last_commit_ms();
      }
      skew = std::max(skew, static_cast<int64_t>(resp.primary_time_ms()) - now);
      status_.clock_skew_ms = skew;
    }
    if (Status heard = HeardGeneration(resp.primary_generation()); !heard.ok()) {
      COFFER_LOG(kError, "replication") << name_ << " stream refused: " << heard.message();
      result = heard;
      ctx.TryCancel();
      break;
    }
    if (!resp.gap_reason().empty()) {
      COFFER_LOG(kInfo, "replication") << name_ << " stream: the primary cannot continue from index "
                                       << pos.index << " (" << resp.gap_reason()
                                       << "); falling back to merkle-diff";
      need_sync_ = true;
      break;
    }
    if (resp.entries_size() == 0) continue;
    std::vector<storage::WalEntry> entries;
    entries.reserve(resp.entries_size());
    storage::UpstreamPosition next = pos;
    for (const v1::WalEntry& w : resp.entries()) {
      auto e = FromWire(w);
      if (!e.ok()) {
        result = e.status();
        break;
      }
      if (e->index != next.index + 1 || e->prev_hash != next.hash) {
        result = Corruption("WAL entry " + std::to_string(e->index) +
                            " from upstream does not continue the chain at index " +
                            std::to_string(next.index));
        break;
      }
      next = storage::UpstreamPosition{e->index, e->hash, e->commit_time_ms};
      entries.push_back(std::move(*e));
    }
    if (!result.ok()) {
      COFFER_LOG(kError, "replication") << name_ << " stream refused: " << result.message()
                                        << "; nothing of that batch was applied";
      ctx.TryCancel();
      break;
    }
    // Hand the checked batch to the applier; wait while it is far behind.
    std::unique_lock<std::mutex> lock(apply.mu);
    apply.cv.wait(lock, [&] { return apply.queued < kMaxQueuedEntries || !apply.status.ok(); });
    if (!apply.status.ok()) break;
    apply.queued += entries.size();
    apply.queue.push_back(ApplyQueue::Batch{std::move(entries), next});
    apply.cv.notify_all();
    pos = next;
  }
  {
    std::lock_guard<std::mutex> lock(apply.mu);
    apply.reader_done = true;
  }
  apply.cv.notify_all();
  applier.join();
  if (result.ok()) result = apply.status;
  grpc::Status st = reader->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stream_ctx_ = nullptr;
  }
  if (!result.ok()) return result;
  if (!st.ok() && !need_sync_) return FromGrpc(st, "stream-wals");
  return Status::Ok();
}

void SecondaryClient::ApplyLoop(ApplyQueue& q, grpc::ClientContext& ctx) {
  std::unique_lock<std::mutex> lock(q.mu);
  while (true) {
    q.cv.wait(lock, [&] { return q.reader_done || !q.queue.empty(); });
    if (q.queue.empty()) return;  // the reader is done and everything is applied
    std::vector<storage::WalEntry> entries;
    storage::UpstreamPosition next;
    while (!q.queue.empty() && entries.size() < kMaxApplyBatch) {
      ApplyQueue::Batch& b = q.queue.front();
      for (auto& e : b.entries) entries.push_back(std::move(e));
      next = b.next;
      q.queued -= b.entries.size();
      q.queue.pop_front();
    }
    lock.unlock();
    q.cv.notify_all();
    Status st = log_->ApplyUpstream(name_, entries, next);
    if (!st.ok()) {
      COFFER_LOG(kError, "replication") << name_ << " could not apply upstream entries "
                                        << entries.front().index << ".." << next.index << ": "
                                        << st.ToString();
      ctx.TryCancel();
      lock.lock();
      q.status = st;
      q.queue.clear();
      q.queued = 0;
      q.cv.notify_all();
      return;
    }
    {
      const int64_t applied_at = UnixMillis();
      std::lock_guard<std::mutex> status_lock(mu_);
      for (const auto& e : entries) {
        const int64_t lag = std::max<int64_t>(
            0, applied_at + status_.clock_skew_ms - static_cast<int64_t>(e.commit_time_ms));
        if (lag_ring_.size() < kLagSamples) {
          lag_ring_.push_back(lag);
        } else {
          lag_ring_[lag_next_] = lag;
          lag_next_ = (lag_next_ + 1) % kLagSamples;
        }
      }
      status_.last_remote_wal = next.index;
      status_.applied_commit_ms = next.commit_time_ms;
      status_.entries_applied += entries.size();
      status_.apply_batches++;
    }
    if (hooks_.applied) hooks_.applied(KeysOf(entries), next.index);
    lock.lock();
  }
}

void SecondaryClient::Loop() {
  std::chrono::milliseconds backoff(100);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    SetState("connecting", "connecting");
    Status st = Status::Ok();
    auto stub = Connect();
    if (!stub.ok()) {
      st = stub.status();
    } else {
      auto pos = log_->LoadUpstream(name_);
      if (!pos.ok()) {
        st = pos.status();
      } else if (need_sync_ || !pos->has_value()) {
        st = SyncWith(**stub, std::chrono::system_clock::now() + std::chrono::minutes(10));
        if (st.ok()) need_sync_ = false;
      }
      if (st.ok()) {
        const bool was_syncing = need_sync_;
        st = StreamFrom(**stub);
        if (st.ok() && (need_sync_ || was_syncing)) {
          backoff = std::chrono::milliseconds(100);
          continue;  // resync at once
        }
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      status_.state = "idle";
      status_.connection_state = st.ok() ? "idle" : "transient_failure";
      if (!st.ok()) status_.last_error = st.message();
    }
    if (!st.ok()) {
      COFFER_LOG(kWarn, "replication") << name_ << " replication from "
                                       << state_.primary_cluster_addr << ": " << st.message()
                                       << "; retrying in " << backoff.count() << " ms";
    } else {
      backoff = std::chrono::milliseconds(100);
    }
    if (!SleepFor(backoff)) return;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

Result<v1::ForwardResponse> SecondaryClient::Forward(const v1::ForwardRequest& req,
                                                     std::chrono::milliseconds timeout) {
  std::shared_ptr<grpc::Channel> channel;
  {
    // One long-lived channel for forwarding (gRPC reconnects it by itself);
    // the stream loop dials afresh on every reconnect instead.
    std::lock_guard<std::mutex> lock(mu_);
    if (forward_channel_ == nullptr) {
      ASSIGN_OR_RETURN(forward_channel_,
                       cluster::Dial(state_.primary_cluster_addr,
                                     cluster::DialTls{state_.server_ca_pem, state_.client}));
    }
    channel = forward_channel_;
  }
  auto stub = v1::Replication::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  ctx.set_wait_for_ready(true);  // a reconnecting channel is waited for, within the deadline
  v1::ForwardResponse resp;
  grpc::Status st = stub->Forward(&ctx, req, &resp);
  if (!st.ok()) return FromGrpc(st, "forwarding to the primary");
  return resp;
}

}  // namespace coffer::replication
