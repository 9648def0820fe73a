// The secondary side of the cluster port: one client per followed set.
//
//   Start(): a thread that loops
//     dial (a fresh channel each time, so DNS names are re-resolved)
//     -> [merkle-diff -> merkle-sync] when there is no upstream position yet
//        or the primary reported a gap (performance: the replicated class;
//        DR: the replicated, then the local class, recording the position of
//        the first snapshot, after which the stream replays everything)
//     -> stream-wals from the stored upstream position, applying each batch
//        (chain-checked, hash-checked unless redacted) below the barrier in one
//        atomic write with the new position, then `applied(keys, index)`
//     -> on any error: idle, back off (100 ms doubling to 2 s), again.
//   Fencing: every request carries the secondary's generation of its set (a
//   primary with an older one refuses it); the primary's generation heard in
//   any answer is kept in status().primary_generation (the manager persists a
//   newer one), and a primary that answers with an older generation than the
//   secondary's is refused by the client too.
//   Sync(): the diff/sync step by itself (secondary enable runs it once,
//   synchronously, before the node serves).
//   Forward(): sends a request to the primary over the same connection.
//
// Thread-safety: all public methods may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "coffer/status.h"
#include "replication.grpc.pb.h"
#include "replication/state.h"
#include "replication/types.h"
#include "storage/replicated_log.h"

namespace coffer::replication {

struct ClientStatus {
  std::string state = "idle";             // stream-wals | merkle-diff | merkle-sync | idle | connecting
  std::string connection_state = "idle";  // ready | connecting | transient_failure | shutdown | idle
  uint64_t last_remote_wal = 0;
  uint64_t primary_last_index = 0;
  uint64_t applied_commit_ms = 0;       // commit time (primary clock) of the last applied entry
  uint64_t primary_last_commit_ms = 0;  // of the newest entry the primary reported
  int64_t last_heartbeat_ms = 0;        // local clock
  int64_t clock_skew_ms = 0;            // primary clock - local clock (least-delayed message)
  int64_t last_start_s = 0;
  uint64_t sync_progress = 0, sync_total_keys = 0;
  uint64_t syncs = 0, keys_fetched = 0, keys_removed = 0, entries_applied = 0;
  uint64_t apply_batches = 0;  // storage writes the applied entries took
  std::string last_error;
  // The primary's generation of this set, as last heard (0: not yet).
  uint64_t primary_generation = 0;
  // Commit-to-apply lag (local clock minus the entry's commit time, adjusted
  // by the measured clock skew) of the last kLagSamples applied entries.
  uint64_t lag_samples = 0;
  int64_t apply_lag_p50_ms = 0, apply_lag_p99_ms = 0, apply_lag_max_ms = 0;
};

inline constexpr size_t kLagSamples = 20000;
// At most this many entries wait between the stream reader and the applier,
// and at most this many go into one storage write.
inline constexpr size_t kMaxQueuedEntries = 16384;
inline constexpr size_t kMaxApplyBatch = 4096;

struct ClientHooks {
  // After data was applied: the physical keys it touched (cache invalidation)
  // and the upstream WAL index the node has now reached. Called on the
  // client's thread; must not block on the core (the core may be sealing and
  // waiting for this thread).
  std::function<void(std::vector<std::string> keys, uint64_t upstream_index)> applied;
};

class SecondaryClient {
 public:
  SecondaryClient(Type type, SecondaryState state, storage::ReplicatedLog* log, ClientHooks hooks);
  ~SecondaryClient();
  SecondaryClient(const SecondaryClient&) = delete;
  SecondaryClient& operator=(const SecondaryClient&) = delete;

  void Start();
  void Stop();
  // One Merkle diff + sync against the primary, bounded by `timeout`.
  Status Sync(std::chrono::milliseconds timeout);
  Result<v1::ForwardResponse> Forward(const v1::ForwardRequest& req,
                                      std::chrono::milliseconds timeout);
  ClientStatus status() const;
  const SecondaryState& state() const { return state_; }

 private:
  Result<std::unique_ptr<v1::Replication::Stub>> Connect();
  Status SyncWith(v1::Replication::Stub& stub, std::chrono::system_clock::time_point deadline);
  // What a sync of one class brought.
  struct ClassSync {
    uint64_t fetched = 0, removed = 0;
    std::vector<std::string> touched;
  };
  // merkle-diff + merkle-sync of class `cls`. `position` empty: it becomes
  // the primary's WAL position of this class's snapshot. With `last`, the
  // final write stores `position` as the upstream position.
  Result<ClassSync> SyncClass(v1::Replication::Stub& stub,
                              std::chrono::system_clock::time_point deadline,
                              storage::StorageClass cls, bool last,
                              std::optional<storage::UpstreamPosition>& position);
  // Records the primary's generation; an older one than ours is an error.
  Status HeardGeneration(uint64_t primary_generation);
  // Streams until an error, a gap (need_sync_ set) or Stop().
  Status StreamFrom(v1::Replication::Stub& stub);
  // Checked batches the stream reader hands to the applier (StreamFrom).
  struct ApplyQueue {
    struct Batch {
      std::vector<storage::WalEntry> entries;
      storage::UpstreamPosition next;
    };
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Batch> queue;   // GUARDED_BY(mu)
    size_t queued = 0;         // GUARDED_BY(mu); entries in queue
    bool reader_done = false;  // GUARDED_BY(mu)
    Status status;             // GUARDED_BY(mu); the first apply error
  };
  // Applies everything queued in one storage write per round, until the
  // reader is done and the queue empty, or an apply fails (then cancels ctx).
  void ApplyLoop(ApplyQueue& q, grpc::ClientContext& ctx);
  void Loop();
  void SetState(const char* state, const char* connection);
  bool SleepFor(std::chrono::milliseconds d);  // false when stopping

  const Type type_;
  const SecondaryState state_;
  const std::string name_;  // TypeName(type_)
  storage::ReplicatedLog* const log_;
  const ClientHooks hooks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                        // GUARDED_BY(mu_)
  grpc::ClientContext* stream_ctx_ = nullptr;    // GUARDED_BY(mu_)
  ClientStatus status_;                          // GUARDED_BY(mu_)
  std::vector<int64_t> lag_ring_;                // GUARDED_BY(mu_); apply lags, ms
  size_t lag_next_ = 0;                          // GUARDED_BY(mu_)
  bool need_sync_ = false;                       // loop thread only
  std::shared_ptr<grpc::Channel> forward_channel_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace coffer::replication
