// ReplicatedLog: the storage layer between the barrier and the physical
// backend that gives every committed batch a WAL index and keeps the Merkle
// index current (DESIGN §4-5; formats in docs/formats/wal.md and merkle.md).
//
//   barrier --Write(batch)--> ReplicatedLog --one Write(batch')--> backend
//
// batch' holds, in one atomic physical write: the data ops as given, a WAL
// record per logical batch (unless every op of it is node-class), the Merkle
// leaf and bucket updates, the trimming of entries past the retention bounds,
// and the new WAL state. A crash can therefore never separate data from its
// WAL entry or its index.
//
// Group commit: concurrent writers queue; the writer at the head of the queue
// (the leader) takes the whole queue (up to a bound), assigns consecutive
// indexes in queue order, writes one physical batch for all of them and wakes
// the others. Indexes are gapless and in commit order; the backend still sees
// concurrent fsyncs merged, now by us rather than by RocksDB.
//
// Thread-safety: every method may be called concurrently. Reads (Get, List,
// ListAll) go straight to the backend, except Gets of the keys chosen with
// CacheReadsUnder (see storage/read_cache.h: every physical write of the log
// invalidates them before its writers return). Only the leader changes the WAL state
// and the Merkle trees, and it publishes them (under state_mu_) only after the
// physical write succeeded; after a failed write the state is reloaded from
// storage before the next one, so memory never runs ahead of disk.
//
// Invariants:
//  - Nothing writes the physical backend except this class (the read cache
//    relies on it).
//  - Keys under node/wal/ and node/merkle/ are written only by this class;
//    a caller's write to them is PermissionDenied.
//  - Entry i exists for first_index <= i <= last_index, entry i's prev_hash is
//    entry i-1's hash (genesis: 32 zero bytes), and at least the newest entry
//    is always retained.
//  - The Merkle trees cover exactly the replicated- and local-class keys in
//    the backend (node-class keys have none).
//  - Keys under replication/upstream/ (upstream positions) are written only by
//    ApplyUpstream/ApplySync/WipeData, in the same physical batch as the data
//    they describe; a caller's write to them is PermissionDenied. Positions
//    are tracked (LoadUpstream, WaitForUpstream) whatever their class: the
//    "dr" one is node class, the "performance" one local (so this node's DR
//    secondaries have it and track it too).
//
// Replication (docs/formats/wal.md "Applying upstream entries"): a secondary
// applies what its primary sent with ApplyUpstream (WAL entries) or ApplySync
// (Merkle-sync fetches). Both go through the same group commit as Write, so
// they take an index of this log too (this cluster's own DR secondaries see
// them) and are atomic with the upstream position. A performance secondary
// sets SetReadOnly(kReplicated): its callers cannot write the replicated
// class, only the apply paths can; a DR secondary sets kAll: its callers can
// write node-class keys only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <condition_variable>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/status.h"
#include "coffer/storage.h"
#include "common/shared_snapshot.h"
#include "storage/leaf_index.h"
#include "storage/merkle_index.h"
#include "storage/read_cache.h"
#include "storage/storage_class.h"
#include "storage/wal_entry.h"

namespace coffer::storage {

// Vault's logshipper_buffer_length default.
inline constexpr uint64_t kDefaultWalMaxEntries = 16384;
// Vault's logshipper_buffer_size default: 10% of physical memory, 1 GiB when
// that cannot be read.
uint64_t DefaultWalMaxBytes();

// Leaves the in-memory leaf index holds at most (70–140 bytes each, ~400 MB
// full; it grows with the store); in a store with more, a write of a key it
// does not hold reads the key's old leaf from the backend, in both trees. At
// 2^20 a bench run of service tokens (4 leaves each) crossed it after ~260,000
// tokens, and those reads became ~13% of a token's CPU.
inline constexpr size_t kDefaultLeafIndexCapacity = size_t{1} << 22;

struct ReplicatedLogOptions {
  uint64_t max_entries = 0;  // 0: kDefaultWalMaxEntries
  uint64_t max_bytes = 0;    // 0: DefaultWalMaxBytes()
  // Merkle leaves kept in memory (storage/leaf_index.h); 0 keeps none.
  size_t leaf_index_capacity = kDefaultLeafIndexCapacity;
};

struct WalPosition {
  uint64_t index = 0;
  std::string hash;  // 32 bytes
};

struct MerkleSnapshot {
  std::string root;
  std::vector<std::string> buckets;  // kMerkleBuckets hashes
  WalPosition position;              // the WAL position these buckets are consistent with
};

struct WalRead {
  // True when the log cannot continue from the requested position: it was
  // trimmed, or the chain hash there differs (another history). The caller
  // falls back to a Merkle diff.
  bool gap = false;
  std::string gap_reason;
  std::vector<WalEntry> entries;  // consecutive, starting at index + 1
};

// Caller writes a ReplicatedLog refuses (SetReadOnly).
enum class ReadOnlyMode : uint8_t { kNone, kReplicated, kAll };

class ReplicatedLog final : public Backend {
 public:
  // `physical` is not owned and must outlive this object.
  ReplicatedLog(Backend* physical, ReplicatedLogOptions options);
  ~ReplicatedLog();
  ReplicatedLog(const ReplicatedLog&) = delete;
  ReplicatedLog& operator=(const ReplicatedLog&) = delete;

  // The mount snapshot that classifies mount data from now on.
  void SetMountClasses(MountClassesPtr mounts);

  // Keeps the stored bytes of keys under these prefixes in memory after a
  // Get (storage/read_cache.h); every write of this log, whatever its path,
  // invalidates them. Call before serving.
  // `capacity`: entries at most (0: kReadCacheEntries).
  void CacheReadsUnder(std::vector<std::string> prefixes, size_t capacity = 0);
  // Drops every cached read (a seal: nothing needs it, the cache is only
  // ciphertext, but a fresh start costs nothing).
  void ClearReadCache() { read_cache_.Clear(); }
  size_t cached_reads() { return read_cache_.size(); }
  ReadCache::Stats read_cache_stats() { return read_cache_.stats(); }

  // Loads the WAL position and Merkle buckets from storage; a store without
  // WAL state gets its Merkle index built from the keys already there. Runs
  // by itself on first use; idempotent.
  Status Open();

  Result<WalPosition> LastPosition();
  Result<WalState> State();
  // Entries after `index`, at most max_entries of them. `expected_hash` is the
  // caller's chain hash at `index` (WalGenesisHash() at 0). An index beyond
  // the last one is kInvalidArgument.
  Result<WalRead> ReadAfter(uint64_t index, std::string_view expected_hash, size_t max_entries);

  // Group-commit counters since construction (for metrics and benchmarks).
  struct CommitStats {
    uint64_t groups = 0;   // physical writes
    uint64_t batches = 0;  // logical batches in them
  };
  CommitStats commit_stats() const { return {groups_.load(), batches_.load()}; }
  // Writers in the commit queue: the one leading (if any) and those waiting.
  size_t queued_writers() const {
    std::lock_guard<std::mutex> lock(queue_mu_);
    return queue_.size();
  }
  // Whether written keys find their old Merkle leaf (or its absence) in
  // memory rather than in the backend: the leaf index holds every stored leaf
  // or has its key in the filter of keys it had no room for, whose keys are
  // read from the backend (storage/leaf_index.h).
  struct LeafIndexStats {
    bool complete = false;
    size_t held = 0;    // leaves in memory
    size_t unheld = 0;  // keys in the filter
  };
  LeafIndexStats leaf_index_stats() const;
  bool leaf_index_complete() const { return leaf_index_stats().complete; }

  // Merkle API, for merkle-diff / merkle-sync. class must not be kNode.
  Result<std::string> MerkleRoot(StorageClass c);
  Result<std::vector<std::string>> MerkleBuckets(StorageClass c);
  // (key, SHA-256 of its stored value) for every key of the bucket, sorted.
  Result<std::vector<std::pair<std::string, std::string>>> MerkleBucketKeys(StorageClass c,
                                                                           uint32_t bucket);

  // Buckets of class c and the WAL position they are consistent with, read
  // under one lock. class must not be kNode.
  Result<MerkleSnapshot> Snapshot(StorageClass c);

  // --- Replication ---

  // Which caller writes fail with ReadOnly() (writing nothing of the batch).
  // Node-class ops always work, and ApplyUpstream/ApplySync/WipeData bypass
  // the mode.
  //   kNone        every write works
  //   kReplicated  a performance secondary: a batch with a replicated-class op
  //   kAll         a DR secondary: a batch with a replicated- or local-class op
  void SetReadOnly(ReadOnlyMode mode) { read_only_.store(mode, std::memory_order_relaxed); }
  ReadOnlyMode read_only_mode() const { return read_only_.load(std::memory_order_relaxed); }
  // The performance-secondary switch: on = kReplicated, off = kNone.
  void SetReplicatedReadOnly(bool on) {
    SetReadOnly(on ? ReadOnlyMode::kReplicated : ReadOnlyMode::kNone);
  }
  // Whether replicated-class writes are refused (kReplicated or kAll).
  bool ReplicatedReadOnly() const { return read_only_mode() != ReadOnlyMode::kNone; }

  // Applies entries received from upstream (the caller verified their chain
  // and hashes) in ONE physical batch: every op as given (key + stored bytes),
  // recorded as new entries of this log (one per upstream entry that has ops,
  // so records stay as small as upstream's; the position goes with the last),
  // the Merkle index updated, and
  // `position` written at UpstreamPositionKey(name), all atomically. The class
  // of each op is re-derived locally with Classify; a key no local rule or
  // mount places (data of a mount this node does not know yet, e.g. during
  // bootstrap) takes the class the upstream logged. A node-class data op is
  // kInvalidArgument and nothing is written (the position itself may be node
  // class: replication/upstream/dr).
  Status ApplyUpstream(std::string_view name, const std::vector<WalEntry>& entries,
                       const UpstreamPosition& position);
  // Merkle-sync: puts and deletes (value = stored bytes) applied like
  // ApplyUpstream, plus the position when given. `from_class` is the class of
  // the upstream tree the keys were diffed from; it places keys no local rule
  // or mount knows. Large inputs may be split by the caller. (An empty `ops`
  // with Op::Delete(UpstreamPositionKey(name)) forgets a position.)
  Status ApplySync(std::string_view name, const std::vector<Op>& ops,
                   const std::optional<UpstreamPosition>& position,
                   StorageClass from_class = StorageClass::kReplicated);
  // The position stored at UpstreamPositionKey(name), nullopt when none.
  Result<std::optional<UpstreamPosition>> LoadUpstream(std::string_view name);

  // Secondary enable: deletes every replicated- and local-class key and every
  // upstream position (node-class replication/upstream/dr too, so a DR
  // secondary enabled again never resumes from a stale position; other node
  // keys stay) and leaves both Merkle trees empty. The
  // deletions are logged like any write, in batches of ~1000 keys each with
  // its own WAL entry (so a DR secondary of this cluster follows), and a last
  // step drops any index entry left over. Crash-safe: every batch is atomic
  // and consistent, and a repeated wipe finishes an interrupted one.
  Status WipeData();

  // Called (outside every lock of this class) after ApplyUpstream, ApplySync
  // or WipeData committed, with the data keys they touched (not the position
  // key), so the core can invalidate its caches. Set before serving.
  void SetApplyObserver(std::function<void(const std::vector<std::string>& keys)> observer);

  // Blocks until the log's last index > index or the timeout passes; returns
  // the last index. Woken by every commit.
  uint64_t WaitForCommitAfter(uint64_t index, std::chrono::milliseconds timeout);
  // Blocks until the position of `name` reaches `index` (read-your-writes on a
  // secondary) or the timeout passes; returns whether it got there.
  bool WaitForUpstream(std::string_view name, uint64_t index, std::chrono::milliseconds timeout);

  // Backend:
  Result<std::optional<std::string>> Get(std::string_view key) override;
  // A read-cache hit is the cached value itself (no copy).
  Result<SharedValue> GetShared(std::string_view key) override;
  Status Write(const Batch& batch) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Result<std::vector<std::string>> ListAll(std::string_view prefix) override;
  std::string_view Type() const override { return physical_->Type(); }

 private:
  struct PreparedLeaf;
  struct Writer;
  struct GroupState;

  Status EnsureLoaded();
  // Queues w and waits until its group committed (or leads the group).
  Status Submit(Writer& w);
  // Leads groups from the queue's head; `own` (null for the committer) is
  // the writer this thread submitted, whose status is returned.
  Status LeadGroups(Writer* own);
  // Writers on fibers never lead a group: a fiber would hold its thread, and
  // the requests of the other fibers there, through the commit. The first of
  // them to find nobody committing wakes the committer thread (started at the
  // first such write), which leads groups while writers are queued. Writers
  // on plain threads lead as before.
  void KickCommitter();
  void CommitterLoop();
  // Sets `done` on a writer whose status is set, and signals it.
  static void Release(Writer& member);
  // The apply paths: classifies `batch` (hints: the upstream class of each op)
  // and submits it, bypassing read-only mode. The first `data_ops` ops came
  // from upstream and may not be node class; the rest (the position) may.
  // `entry_ends`: where each WAL entry it logs ends (empty: one entry).
  Status ApplyBatch(const Batch& batch, const std::vector<StorageClass>& hints, size_t data_ops,
                    std::vector<size_t> entry_ends);
  void NotifyApplied(const Batch& batch, size_t data_ops);
  // Publishes a committed (or reloaded) state to waiters.
  void WakeWaiters();
  // Reads every upstream position in storage (malformed ones are skipped:
  // LoadUpstream reports them). REQUIRES: load_mu_ held.
  Result<std::map<std::string, UpstreamPosition, std::less<>>> LoadUpstreamPositions();
  // The index-reset step of WipeData; runs as a group of its own.
  Status ResetIndex(GroupState& g);
  // The bucket hashes and the leaf index, from the stored leaves.
  Status HashLeaves(MerkleTree (&trees)[2], LeafIndex& index);
  Status DropStoredBuckets();
  Status LoadLocked();        // REQUIRES: load_mu_ held
  Status BuildIndexLocked();  // REQUIRES: load_mu_ held
  void LogOpened();           // REQUIRES: state_mu_ held
  // Builds and writes the group; take_more() appends writers queued since
  // (returning how many) and is called while building.
  Status CommitGroup(std::vector<Writer*>& group, const std::function<size_t()>& take_more);
  // Adds op i of writer w to the group.
  Status AddOp(GroupState& g, Writer& w, size_t i, WalEntry& entry);
  // On the caller's thread, before w queues: the buckets and leaf hashes of
  // w's ops, and the leaves their keys have now (AddOp uses them unless a
  // commit since changed the bucket).
  void PrepareLeaves(Writer& w);
  // The leaf hash the key has in c's tree after the group's ops so far
  // (nullopt: none): from the group, the leaf index, or the backend.
  // REQUIRES: state_mu_ held (shared).
  Result<std::optional<std::string>> LookupLeaf(GroupState& g, StorageClass c,
                                                const std::string& key, const PreparedLeaf& p);
  static int TreeOf(StorageClass c) { return c == StorageClass::kReplicated ? 0 : 1; }

  Backend* const physical_;
  const uint64_t max_entries_;
  const uint64_t max_bytes_;
  SharedSnapshot<const MountClasses> mounts_;
  std::atomic<uint64_t> groups_{0}, batches_{0};

  mutable std::mutex queue_mu_;
  std::deque<Writer*> queue_;  // GUARDED_BY(queue_mu_); front is the leader

  // The committer thread (KickCommitter), started at the first write from a
  // fiber, at this nice value when the process may raise its priority.
  static constexpr int kCommitterNice = -10;
  std::mutex committer_mu_;
  std::condition_variable committer_cv_;
  bool committer_kicked_ = false;  // GUARDED_BY(committer_mu_)
  bool committer_stop_ = false;    // GUARDED_BY(committer_mu_)
  std::once_flag committer_started_;
  std::thread committer_;          // joined by the destructor

  std::mutex load_mu_;  // serialises loading
  mutable std::shared_mutex state_mu_;
  std::atomic<bool> loaded_{false};
  WalState state_;       // GUARDED_BY(state_mu_)
  // The newest committed entries, consecutive and ending at state_.last_index
  // when not empty (ReadAfter serves streams from it).
  std::deque<WalEntry> tail_;  // GUARDED_BY(state_mu_)
  size_t tail_bytes_ = 0;      // GUARDED_BY(state_mu_)
  static constexpr size_t kTailEntries = 4096;
  static constexpr size_t kTailBytes = 64 << 20;
  void ClearTailLocked();                              // REQUIRES: state_mu_ exclusive
  // Installs what a load read from storage. REQUIRES: state_mu_ exclusive.
  void PublishLoadedLocked(WalState state, MerkleTree (&trees)[2], LeafIndex index,
                           std::map<std::string, UpstreamPosition, std::less<>> upstream);
  void AppendTailLocked(std::vector<WalEntry> entries);  // REQUIRES: state_mu_ exclusive
  // Stored sizes of the newest committed records, ending at
  // state_.last_index (fewer than retained after a load: retention reads the
  // size of an older record back from storage). Trimming a record by the
  // retention bounds needs its size; with it in memory, a write past the
  // bounds reads nothing back.
  std::deque<uint64_t> record_sizes_;  // GUARDED_BY(state_mu_)
  static constexpr size_t kMaxRecordSizes = size_t{1} << 20;
  // The stored size of record `index` when record_sizes_ has it.
  std::optional<uint64_t> KnownRecordSize(uint64_t index) const;  // REQUIRES: state_mu_
  MerkleTree trees_[2];  // GUARDED_BY(state_mu_); [0] replicated, [1] local
  // The stored leaves of both trees (storage/leaf_index.h); published with
  // the trees. leaf_index_on_ mirrors leaf_index_.holds_all() for writers
  // that decide without the lock whether to look their leaves up first.
  const size_t leaf_index_capacity_;
  LeafIndex leaf_index_;  // GUARDED_BY(state_mu_)
  std::atomic<bool> leaf_index_on_{false};
  // Commits published (groups and loads), and per bucket the last one that
  // changed a leaf in it (a load counts as changing all): a leaf a writer
  // read after seeing N commits still holds while its bucket's entry is <= N.
  std::atomic<uint64_t> commits_{0};  // written under state_mu_ exclusive
  std::vector<uint64_t> bucket_commit_ =
      std::vector<uint64_t>(kMerkleBuckets, 0);  // GUARDED_BY(state_mu_)
  // What is stored under replication/upstream/, by name.
  std::map<std::string, UpstreamPosition, std::less<>> upstream_;  // GUARDED_BY(state_mu_)

  std::atomic<ReadOnlyMode> read_only_{ReadOnlyMode::kNone};

  static constexpr size_t kReadCacheEntries = 8192;
  ReadCache read_cache_{kReadCacheEntries};

  // Waiters on commits: a committer publishes under state_mu_, then takes
  // commit_mu_ before notifying, so a waiter that checked under commit_mu_
  // cannot miss it.
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::atomic<uint64_t> last_index_{0};

  std::mutex observer_mu_;
  std::function<void(const std::vector<std::string>&)> observer_;  // GUARDED_BY(observer_mu_)
};

}  // namespace coffer::storage
