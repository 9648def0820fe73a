#include "storage/replicated_log.h"

#include <unistd.h>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>

#include "common/clock.h"
#include "common/fiber.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "storage/keys.h"

namespace coffer::storage {
namespace {

// A leader takes at most this many writers, or this many op bytes, per group.
constexpr size_t kMaxGroupWriters = 256;
constexpr size_t kMaxGroupBytes = 4 << 20;
// A leader commits at most this many groups in a row (its own first) before
// it hands over, so its own caller waits for a bounded number of commits.
constexpr int kMaxGroupsPerLeader = 4;
// Ops per physical batch while building the index of an existing store.
constexpr size_t kBuildChunk = 1024;

constexpr StorageClass kTreeClasses[2] = {StorageClass::kReplicated, StorageClass::kLocal};

// Everything the log itself maintains: the WAL records and state, the index.
// Upstream positions are written only with the data they describe.
bool IsReserved(std::string_view key) {
  return key.starts_with("node/wal/") || key.starts_with(kMerklePrefix) ||
         key.starts_with(kUpstreamPrefix);
}

// Whether read-only mode `mode` refuses a caller's op of class c.
bool Refuses(ReadOnlyMode mode, StorageClass c) {
  switch (mode) {
    case ReadOnlyMode::kNone:
      return false;
    case ReadOnlyMode::kReplicated:
      return c == StorageClass::kReplicated;
    case ReadOnlyMode::kAll:
      return c != StorageClass::kNode;
  }
  return true;
}

uint64_t NowMs() { return static_cast<uint64_t>(UnixMillis()); }

// The tree a key of class c is looked for in when its own has no leaf.
StorageClass OtherTree(StorageClass c) {
  return c == StorageClass::kReplicated ? StorageClass::kLocal : StorageClass::kReplicated;
}

size_t BatchBytes(const Batch& batch) {
  size_t n = 0;
  for (const Op& op : batch) n += op.key.size() + op.value.size();
  return n;
}

Result<uint32_t> ParseBucket(std::string_view hex) {
  if (hex.size() != 3) return Corruption("merkle: malformed bucket key");
  uint32_t b = 0;
  for (char c : hex) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) return Corruption("merkle: malformed bucket key");
    b = (b << 4) | static_cast<uint32_t>(v);
  }
  return b;
}

// A leaf key past its tree's ".../leaf/" prefix: "<bbb>/<key>".
struct LeafName {
  uint32_t bucket;
  std::string_view key;
};
Result<LeafName> ParseLeafName(std::string_view rest) {
  if (rest.size() < 5 || rest[3] != '/') return Corruption("merkle: malformed leaf key");
  ASSIGN_OR_RETURN(uint32_t bucket, ParseBucket(rest.substr(0, 3)));
  return LeafName{bucket, rest.substr(4)};
}

}  // namespace

uint64_t DefaultWalMaxBytes() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return uint64_t{1} << 30;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / 10;
}

// What AddOp needs of one op's Merkle leaf that depends on nothing the group
// changes (bucket, the new leaf hash), and the leaf the key had when the
// writer looked, which holds unless a later commit changed that bucket.
struct ReplicatedLog::PreparedLeaf {
  uint32_t bucket = 0;
  MerkleKeyDigest digest{};             // the key's name in the leaf index
  std::string new_leaf;                 // MerkleLeafHash(key, value hash) of a put
  std::string leaf_key;                 // a put's leaf record key in its own tree
  std::optional<std::string> old_leaf;  // the leaf hash found, if any
  StorageClass old_class = StorageClass::kReplicated;  // the tree it was found in
};

// One caller of Write waiting in the queue.
struct ReplicatedLog::Writer {
  const Batch* batch = nullptr;
  std::vector<StorageClass> classes;     // per op, from the classifier
  std::vector<std::string> value_hashes;  // per op; SHA-256 of a put's value
  // Per op, worked out on the caller's thread before it queues (PrepareLeaves),
  // so the group's leader does less while every other writer waits.
  std::vector<PreparedLeaf> leaves;
  // The commit count read before the leaves were looked up: a looked-up
  // leaf still holds if no group committed since changed its bucket.
  uint64_t seen_commits = 0;
  // The old leaves were looked up (in the leaf index, then the backend) and
  // all reads succeeded. Not done while the leaf index is complete: the
  // leader finds them in memory.
  bool looked_up = false;
  // Where the writer's WAL entries end (op counts, ascending, the last one
  // batch->size()): ApplyUpstream logs one entry per upstream entry, all in
  // the writer's one physical batch. Empty: one entry for the whole batch.
  std::vector<size_t> entry_ends;
  // WipeData's last step: drop every index entry and zero both trees. Such a
  // writer has an empty batch and always forms a group of its own.
  bool reset_index = false;
  // The hand-off: the leader of the writer's group sets `status` (and
  // `wake`), then the writer is released: `done` set and signalled, under the
  // writer's own mutex, by the leader or by the member whose `wake` names it;
  // or the previous leader sets `lead` and signals it. The writer waits on
  // its own mutex, so a woken writer never queues on queue_mu_ (which the
  // leader and new arrivals hold), and it returns only after the signaller
  // has released `mu`.
  std::mutex mu;
  std::condition_variable cv;
  Status status;      // GUARDED_BY(mu)
  // Members of the same group this writer releases once it is released
  // itself (a tree, so the leader releases two instead of the whole group).
  Writer* wake[2] = {nullptr, nullptr};  // GUARDED_BY(mu)
  bool done = false;  // GUARDED_BY(mu)
  bool lead = false;  // GUARDED_BY(mu)
  // The writer's fiber while it is suspended waiting for `done` or `lead`.
  fiber::Fiber* parked = nullptr;  // GUARDED_BY(mu)
  // REQUIRES: mu held. Wakes the writer, whether thread or fiber.
  void NotifyLocked() {
    if (parked != nullptr) {
      fiber::Wake(parked);
      parked = nullptr;
    } else {
      cv.notify_one();
    }
  }
};

// What one group changes, before it is written and published.
struct ReplicatedLog::GroupState {
  WalState wal;
  Batch out;
  // (tree, key's digest) -> its leaf after the ops so far (the digest names
  // the key, as in the leaf index; hashing it is cheaper than ordering keys).
  struct LeafAt {
    int tree;
    MerkleKeyDigest digest;
    bool operator==(const LeafAt&) const = default;
  };
  struct LeafAtHash {
    size_t operator()(const LeafAt& at) const {
      size_t h;
      std::memcpy(&h, at.digest.data(), sizeof(h));  // uniform already
      return h ^ static_cast<size_t>(at.tree);
    }
  };
  struct Leaf {
    std::optional<std::string> hash;  // nullopt = no leaf
  };
  std::unordered_map<LeafAt, Leaf, LeafAtHash> leaves;
  // WipeData's index reset: the leaf index of the leaves it kept.
  std::optional<LeafIndex> rebuilt_index;
  // (tree, bucket) -> bucket hash after the ops so far.
  std::map<std::pair<int, uint32_t>, std::string> buckets;
  std::unordered_map<uint64_t, uint64_t> new_entry_sizes;
  // Upstream positions written by the group, by name; nullopt = deleted.
  std::map<std::string, std::optional<UpstreamPosition>> upstream;
  // The entries the group appends, for the in-memory tail (ReadAfter).
  std::vector<WalEntry> new_entries;
  bool reset = false;  // the group rewrote the index (WipeData's last step)
};

ReplicatedLog::ReplicatedLog(Backend* physical, ReplicatedLogOptions options)
    : physical_(physical),
      max_entries_(options.max_entries > 0 ? options.max_entries : kDefaultWalMaxEntries),
      max_bytes_(options.max_bytes > 0 ? options.max_bytes : DefaultWalMaxBytes()),
      mounts_(std::make_shared<const MountClasses>()),
      leaf_index_capacity_(options.leaf_index_capacity) {}

void ReplicatedLog::SetMountClasses(MountClassesPtr mounts) {
  if (!mounts) mounts = std::make_shared<const MountClasses>();
  mounts_.Store(std::move(mounts));
}

Status ReplicatedLog::Open() { return EnsureLoaded(); }

ReplicatedLog::LeafIndexStats ReplicatedLog::leaf_index_stats() const {
  std::shared_lock<std::shared_mutex> read(state_mu_);
  return {leaf_index_.complete(), leaf_index_.size(), leaf_index_.unheld()};
}

Status ReplicatedLog::EnsureLoaded() {
  if (loaded_.load(std::memory_order_acquire)) return Status::Ok();
  std::lock_guard<std::mutex> lock(load_mu_);
  if (loaded_.load(std::memory_order_acquire)) return Status::Ok();
  return LoadLocked();
}

Status ReplicatedLog::LoadLocked() {
  ASSIGN_OR_RETURN(auto raw_state, physical_->Get(kWalStateKey));
  if (!raw_state.has_value()) return BuildIndexLocked();
  ASSIGN_OR_RETURN(WalState state, DecodeWalState(*raw_state));
  MerkleTree trees[2];
  LeafIndex index(leaf_index_capacity_);
  RETURN_IF_ERROR(HashLeaves(trees, index));
  RETURN_IF_ERROR(DropStoredBuckets());
  ASSIGN_OR_RETURN(auto upstream, LoadUpstreamPositions());
  {
    std::unique_lock lock(state_mu_);
    PublishLoadedLocked(std::move(state), trees, std::move(index), std::move(upstream));
    LogOpened();
  }
  WakeWaiters();
  return Status::Ok();
}

Result<std::map<std::string, UpstreamPosition, std::less<>>>
ReplicatedLog::LoadUpstreamPositions() {
  std::map<std::string, UpstreamPosition, std::less<>> out;
  ASSIGN_OR_RETURN(std::vector<std::string> keys, physical_->ListAll(kUpstreamPrefix));
  for (const std::string& key : keys) {
    ASSIGN_OR_RETURN(auto value, physical_->Get(key));
    if (!value.has_value()) continue;
    auto position = DecodeUpstreamPosition(*value);
    if (!position.ok()) {
      COFFER_LOG(kWarn, "replication") << key << ": " << position.status().ToString();
      continue;
    }
    out[key.substr(kUpstreamPrefix.size())] = std::move(*position);
  }
  return out;
}

// Bucket hashes are not stored (docs/formats/merkle.md): each load XORs them
// up from the leaves, which are written atomically with the data they
// describe, so a write touches no bucket record and the buckets can never be
// out of step with the leaves on disk.
Status ReplicatedLog::HashLeaves(MerkleTree (&trees)[2], LeafIndex& index) {
  for (int t = 0; t < 2; ++t) {
    const std::string prefix = MerkleClassPrefix(kTreeClasses[t]) + "leaf/";
    ASSIGN_OR_RETURN(std::vector<std::string> leaves, physical_->ListAll(prefix));
    for (const std::string& leaf : leaves) {
      ASSIGN_OR_RETURN(LeafName name, ParseLeafName(std::string_view(leaf).substr(prefix.size())));
      ASSIGN_OR_RETURN(auto value_hash, physical_->Get(leaf));
      if (!value_hash.has_value()) continue;
      if (value_hash->size() != kMerkleHashSize) return Corruption("merkle: malformed leaf");
      const std::string leaf_hash = MerkleLeafHash(name.key, *value_hash);
      XorInto(trees[t].buckets[name.bucket], leaf_hash);
      index.Set(t, MerkleKeyOf(name.key).digest, leaf_hash);
    }
  }
  return Status::Ok();
}

// Stores written before the buckets were derived at load kept one record per
// non-empty bucket: nothing reads them any more.
Status ReplicatedLog::DropStoredBuckets() {
  for (int t = 0; t < 2; ++t) {
    ASSIGN_OR_RETURN(std::vector<std::string> stale,
                     physical_->ListAll(MerkleClassPrefix(kTreeClasses[t]) + "bucket/"));
    for (size_t i = 0; i < stale.size(); i += kBuildChunk) {
      Batch b;
      for (size_t j = i; j < stale.size() && j < i + kBuildChunk; ++j) {
        b.push_back(Op::Delete(stale[j]));
      }
      RETURN_IF_ERROR(physical_->Write(b));
    }
  }
  return Status::Ok();
}

// A store written before the replicated log existed (or one whose index build
// was interrupted): index what is there, then write the state last, so an
// interruption restarts the build.
Status ReplicatedLog::BuildIndexLocked() {
  ASSIGN_OR_RETURN(std::vector<std::string> stale, physical_->ListAll(kMerklePrefix));
  for (size_t i = 0; i < stale.size(); i += kBuildChunk) {
    Batch b;
    for (size_t j = i; j < stale.size() && j < i + kBuildChunk; ++j) b.push_back(Op::Delete(stale[j]));
    RETURN_IF_ERROR(physical_->Write(b));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> keys, physical_->ListAll(""));
  MountClassesPtr mounts = mounts_.Load();
  MerkleTree trees[2];
  LeafIndex index(leaf_index_capacity_);
  Batch batch;
  size_t indexed = 0;
  for (const std::string& key : keys) {
    StorageClass c = Classify(key, *mounts).storage_class;
    if (c == StorageClass::kNode) continue;
    ASSIGN_OR_RETURN(auto value, physical_->Get(key));
    if (!value.has_value()) continue;
    std::string value_hash = crypto::Sha256(*value);
    const MerkleKey named = MerkleKeyOf(key);
    const std::string leaf_hash = MerkleLeafHash(key, value_hash);
    XorInto(trees[TreeOf(c)].buckets[named.bucket], leaf_hash);
    index.Set(TreeOf(c), named.digest, leaf_hash);
    batch.push_back(Op::Put(MerkleLeafPrefix(c, named.bucket) + key, std::move(value_hash)));
    ++indexed;
    if (batch.size() >= kBuildChunk) {
      RETURN_IF_ERROR(physical_->Write(batch));
      batch.clear();
    }
  }
  WalState state;
  batch.push_back(Op::Put(std::string(kWalStateKey), EncodeWalState(state)));
  RETURN_IF_ERROR(physical_->Write(batch));
  ASSIGN_OR_RETURN(auto upstream, LoadUpstreamPositions());
  {
    std::unique_lock lock(state_mu_);
    PublishLoadedLocked(std::move(state), trees, std::move(index), std::move(upstream));
    if (indexed > 0) {
      COFFER_LOG(kInfo, "replication") << "built the merkle index of " << indexed
                                       << " existing keys; the wal starts at index 1";
    }
    LogOpened();
  }
  WakeWaiters();
  return Status::Ok();
}

void ReplicatedLog::LogOpened() {
  COFFER_LOG(kInfo, "replication") << "replicated log at wal index " << state_.last_index
                                   << " (oldest retained " << state_.first_index
                                   << "; retaining up to " << max_entries_ << " entries and "
                                   << max_bytes_ << " bytes)";
}

Status ReplicatedLog::Write(const Batch& batch) {
  RETURN_IF_ERROR(ValidateBatch(batch));
  if (batch.empty()) return Status::Ok();
  Writer w;
  w.batch = &batch;
  MountClassesPtr mounts = mounts_.Load();
  const ReadOnlyMode read_only = read_only_.load(std::memory_order_relaxed);
  w.classes.reserve(batch.size());
  w.value_hashes.reserve(batch.size());
  for (const Op& op : batch) {
    if (IsReserved(op.key)) return PermissionDenied("replicated log: reserved key");
    w.classes.push_back(Classify(op.key, *mounts).storage_class);
    if (Refuses(read_only, w.classes.back())) return ReadOnly();
    // Hashing here, on the caller's thread, keeps the leader's turn short.
    w.value_hashes.push_back(op.kind == Op::Kind::kPut && w.classes.back() != StorageClass::kNode
                                 ? crypto::Sha256(op.value)
                                 : std::string());
  }
  return Submit(w);
}

void ReplicatedLog::PrepareLeaves(Writer& w) {
  const Batch& batch = *w.batch;
  w.leaves.resize(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (w.classes[i] == StorageClass::kNode) continue;
    const Op& op = batch[i];
    PreparedLeaf& p = w.leaves[i];
    const MerkleKey named = MerkleKeyOf(op.key);
    p.bucket = named.bucket;
    p.digest = named.digest;
    if (op.kind == Op::Kind::kPut) {
      p.new_leaf = MerkleLeafHash(op.key, w.value_hashes[i]);
      p.leaf_key = MerkleLeafPrefix(w.classes[i], p.bucket);
      p.leaf_key += op.key;
    }
  }
  // With every leaf in the index the leader's lookups are in memory; looking
  // here would only cost.
  if (leaf_index_on_.load(std::memory_order_acquire)) return;
  w.looked_up = true;
  // The leaves the index holds (exact) or knows are absent, and the commit
  // count they are as of; then the rest from storage, outside the lock.
  std::vector<bool> found(batch.size(), false);
  {
    std::shared_lock<std::shared_mutex> read(state_mu_);
    w.seen_commits = commits_.load(std::memory_order_acquire);
    for (size_t i = 0; i < batch.size(); ++i) {
      const StorageClass cls = w.classes[i];
      if (cls == StorageClass::kNode) continue;
      PreparedLeaf& p = w.leaves[i];
      // A key has one leaf, in one tree: a hit in either is the answer.
      for (StorageClass c : {cls, OtherTree(cls)}) {
        if (auto held = leaf_index_.Find(TreeOf(c), p.digest)) {
          p.old_leaf = std::move(held);
          p.old_class = c;
          found[i] = true;
          break;
        }
      }
      if (!found[i] && leaf_index_.MissIsFinal(p.digest)) {
        p.old_class = cls;  // no leaf in either tree
        found[i] = true;
      }
    }
  }
  for (size_t i = 0; i < batch.size() && w.looked_up; ++i) {
    const StorageClass cls = w.classes[i];
    if (cls == StorageClass::kNode || found[i]) continue;
    const Op& op = batch[i];
    PreparedLeaf& p = w.leaves[i];
    // As LookupLeaf: the key's own tree first, then the other one.
    for (StorageClass c : {cls, OtherTree(cls)}) {
      auto stored = physical_->Get(MerkleLeafPrefix(c, p.bucket) + op.key);
      if (!stored.ok()) {
        w.looked_up = false;  // the leader looks them up itself
        break;
      }
      if (stored->has_value()) {
        p.old_leaf = MerkleLeafHash(op.key, **stored);
        p.old_class = c;
        break;
      }
    }
  }
}

void ReplicatedLog::Release(Writer& member) {
  std::lock_guard<std::mutex> member_lock(member.mu);
  member.done = true;
  member.NotifyLocked();
}

ReplicatedLog::~ReplicatedLog() {
  {
    std::lock_guard<std::mutex> l(committer_mu_);
    committer_stop_ = true;
  }
  committer_cv_.notify_one();
  if (committer_.joinable()) committer_.join();
}

void ReplicatedLog::KickCommitter() {
  std::call_once(committer_started_,
                 [this] { committer_ = std::thread([this] { CommitterLoop(); }); });
  {
    std::lock_guard<std::mutex> l(committer_mu_);
    committer_kicked_ = true;
  }
  committer_cv_.notify_one();
}

void ReplicatedLog::CommitterLoop() {
  pthread_setname_np(pthread_self(), "coffer-commit");
  // Every write from a fiber waits for this one thread, so it should not wait
  // for a CPU behind the threads it serves: a higher priority where the
  // process may raise it (root, CAP_SYS_NICE), the process's own otherwise.
  // (Alternated A/B, 3 pairs: kv v2 writes +3..+51%, service tokens +1..+20%.)
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kCommitterNice) != 0) {
    COFFER_LOG(kDebug, "replication") << "committer thread keeps the process's priority";
  }
  std::unique_lock<std::mutex> l(committer_mu_);
  for (;;) {
    committer_cv_.wait(l, [this] { return committer_kicked_ || committer_stop_; });
    if (committer_stop_) return;
    committer_kicked_ = false;
    l.unlock();
    (void)LeadGroups(nullptr);
    l.lock();
  }
}

Status ReplicatedLog::Submit(Writer& w) {
  if (!w.reset_index) PrepareLeaves(w);
  bool lead_now = false;
  {
    std::lock_guard<std::mutex> queue_lock(queue_mu_);
    queue_.push_back(&w);
    // Nobody commits: lead at once. Otherwise the leader whose group ends
    // just before w promotes it, or a leader takes it into its group.
    lead_now = queue_.size() == 1;
  }
  const bool on_fiber = fiber::Current() != nullptr;
  if (lead_now && on_fiber) {
    KickCommitter();
    lead_now = false;
  }
  if (!lead_now) {
    std::unique_lock<std::mutex> own(w.mu);
    if (on_fiber) {
      while (!w.done) {
        if (w.lead) {
          w.lead = false;
          own.unlock();
          KickCommitter();
          own.lock();
          continue;
        }
        w.parked = fiber::Current();
        own.unlock();
        fiber::Suspend();
        own.lock();
      }
    } else {
      w.cv.wait(own, [&w] { return w.done || w.lead; });
    }
    if (w.done) {
      Writer* const next[2] = {w.wake[0], w.wake[1]};
      Status st = w.status;
      own.unlock();
      for (Writer* member : next) {
        if (member != nullptr) Release(*member);
      }
      return st;
    }
  }
  return LeadGroups(&w);
}

Status ReplicatedLog::LeadGroups(Writer* own_writer) {
  // Leader: take the queue's head, in order, up to the bounds; writers that
  // arrive while the group is being built join it (CommitGroup asks again).
  // Then, while writers are queued, lead their group too (up to
  // kMaxGroupsPerLeader in all): this thread is running, while a promoted
  // writer would first have to be woken and wait for a CPU behind the members
  // just released, which leaves the log idle between groups.
  Status own = Status::Ok();
  for (int led = 0;; ++led) {
    std::vector<Writer*> group;
    size_t bytes = 0;
    auto take_more = [&]() -> size_t {  // REQUIRES: queue_mu_ held
      size_t added = 0;
      for (size_t i = group.size(); i < queue_.size(); ++i) {
        Writer* next = queue_[i];
        if (!group.empty() && (group.back()->reset_index || next->reset_index)) break;
        size_t b = BatchBytes(*next->batch);
        if (!group.empty() && (group.size() >= kMaxGroupWriters || bytes + b > kMaxGroupBytes)) {
          break;
        }
        group.push_back(next);
        bytes += b;
        ++added;
      }
      return added;
    };
    {
      std::lock_guard<std::mutex> queue_lock(queue_mu_);
      take_more();
    }
    if (group.empty()) break;  // the committer, kicked with nothing queued
    Status st = CommitGroup(group, [&] {
      std::lock_guard<std::mutex> relock(queue_mu_);
      return take_more();
    });
    if (led == 0) own = st;  // w heads the first group
    Writer* next_leader = nullptr;
    {
      std::lock_guard<std::mutex> queue_lock(queue_mu_);
      for (size_t i = 0; i < group.size(); ++i) queue_.pop_front();
      if (!queue_.empty()) next_leader = queue_.front();
    }
    // The members learn the group's status, and are released as a tree: the
    // leader signals two, each of those two more, and so on. Signalling the
    // whole group itself would leave this thread, which leads the next
    // group, preempted by the writers it wakes (~0.9 ms per group of 30).
    std::vector<Writer*> members;
    members.reserve(group.size());
    for (Writer* member : group) {
      if (member != own_writer) members.push_back(member);
    }
    // The committer wakes every member itself (a fiber's wake is a queue push).
    const size_t tree = own_writer == nullptr ? 0 : 2;
    for (size_t i = 0; i < members.size(); ++i) {
      std::lock_guard<std::mutex> member_lock(members[i]->mu);
      members[i]->status = st;
      for (size_t k = 0; k < 2; ++k) {
        const size_t child = 2 * i + 2 + k;
        members[i]->wake[k] = tree != 0 && child < members.size() ? members[child] : nullptr;
      }
    }
    for (size_t i = 0; i < members.size() && (tree == 0 || i < tree); ++i) Release(*members[i]);
    if (next_leader == nullptr) break;
    // The committer leads for as long as writers are queued; a writer that
    // leads hands over after kMaxGroupsPerLeader (its group's head waits, and
    // its group is led from here until then).
    if (own_writer == nullptr || led + 1 < kMaxGroupsPerLeader) continue;
    // Hand over to the next group's head (it cannot leave before it is
    // signalled: only this leader could finish or promote it). Waking the
    // members first lets their next requests join that group.
    std::lock_guard<std::mutex> own_lock(next_leader->mu);
    next_leader->lead = true;
    next_leader->NotifyLocked();
    break;
  }
  return own;
}

Result<std::optional<std::string>> ReplicatedLog::LookupLeaf(GroupState& g, StorageClass c,
                                                             const std::string& key,
                                                             const PreparedLeaf& p) {
  auto it = g.leaves.find({TreeOf(c), p.digest});
  if (it != g.leaves.end()) return it->second.hash;
  // Leaves the index holds are exact; a miss is final unless the key may be
  // one it had no room for.
  std::optional<std::string> held = leaf_index_.Find(TreeOf(c), p.digest);
  if (held.has_value() || leaf_index_.MissIsFinal(p.digest)) return held;
  ASSIGN_OR_RETURN(auto stored, physical_->Get(MerkleLeafPrefix(c, p.bucket) + key));
  if (!stored.has_value()) return std::optional<std::string>();
  return std::optional<std::string>(MerkleLeafHash(key, *stored));
}

Status ReplicatedLog::AddOp(GroupState& g, Writer& w, size_t i, WalEntry& entry) {
  const Op& op = (*w.batch)[i];
  const StorageClass cls = w.classes[i];
  // The leaf record's key and value are moved out: each op is added once.
  PreparedLeaf& p = w.leaves[i];
  g.out.push_back(op);
  // Positions are tracked whatever their class (replication/upstream/dr is
  // node class).
  if (op.key.starts_with(kUpstreamPrefix)) {
    std::optional<UpstreamPosition> position;
    if (op.kind == Op::Kind::kPut) {
      auto decoded = DecodeUpstreamPosition(op.value);
      if (decoded.ok()) position = std::move(*decoded);
    }
    g.upstream[op.key.substr(kUpstreamPrefix.size())] = std::move(position);
  }
  if (cls == StorageClass::kNode) return Status::Ok();

  // Where the key is indexed now: normally its own class; a key whose mount
  // changed class (or that was indexed before its mount was known) is found
  // in the other tree and moved. The writer looked before it queued; that
  // holds unless this group already changed the key, or a group committed
  // since changed its bucket (then look again).
  const uint32_t bucket = p.bucket;
  const bool touched_here =
      g.leaves.contains({0, p.digest}) || g.leaves.contains({1, p.digest});
  const bool prepared = w.looked_up && !touched_here && bucket_commit_[bucket] <= w.seen_commits;
  StorageClass old_class = cls;
  std::optional<std::string> old_leaf;
  if (prepared) {
    old_leaf = p.old_leaf;
    old_class = p.old_class;
  } else {
    ASSIGN_OR_RETURN(old_leaf, LookupLeaf(g, cls, op.key, p));
    if (!old_leaf.has_value()) {
      ASSIGN_OR_RETURN(old_leaf, LookupLeaf(g, OtherTree(cls), op.key, p));
      if (old_leaf.has_value()) old_class = OtherTree(cls);
    }
  }
  auto bucket_hash = [&](StorageClass c) -> std::string& {
    auto [it, inserted] = g.buckets.try_emplace({TreeOf(c), bucket});
    if (inserted) it->second = trees_[TreeOf(c)].buckets[bucket];  // state_mu_ held shared
    return it->second;
  };
  if (old_leaf.has_value()) {
    XorInto(bucket_hash(old_class), *old_leaf);
    g.leaves[{TreeOf(old_class), p.digest}] = GroupState::Leaf{std::nullopt};
    // A put in the same tree overwrites the leaf below: no delete needed.
    if (op.kind != Op::Kind::kPut || old_class != cls) {
      g.out.push_back(Op::Delete(MerkleLeafPrefix(old_class, bucket) + op.key));
    }
  }
  WalOp logged;
  logged.key = op.key;
  if (op.kind == Op::Kind::kPut) {
    XorInto(bucket_hash(cls), p.new_leaf);
    g.leaves[{TreeOf(cls), p.digest}] = GroupState::Leaf{std::move(p.new_leaf)};
    g.out.push_back(Op::Put(std::move(p.leaf_key), std::move(w.value_hashes[i])));
    logged.kind = WalOp::Kind::kPut;
    logged.storage_class = cls;
    logged.value = op.value;
  } else {
    // A delete goes to the clusters that had the key.
    logged.kind = WalOp::Kind::kDelete;
    logged.storage_class = old_class;
  }
  entry.ops.push_back(std::move(logged));
  return Status::Ok();
}

Status ReplicatedLog::CommitGroup(std::vector<Writer*>& group,
                                 const std::function<size_t()>& take_more) {
  RETURN_IF_ERROR(EnsureLoaded());
  GroupState g;
  if (group.size() == 1 && group[0]->reset_index) {
    RETURN_IF_ERROR(ResetIndex(g));
    g.reset = true;
  } else {
    std::shared_lock<std::shared_mutex> read(state_mu_);
    g.wal = state_;
    const uint64_t now = NowMs();
    for (size_t n = 0; n < group.size(); ++n) {
      Writer* w = group[n];
      // Before the last member is built, let later arrivals join.
      if (n + 1 == group.size()) take_more();
      size_t begin = 0;
      const size_t ends = std::max<size_t>(1, w->entry_ends.size());
      for (size_t k = 0; k < ends; ++k) {
        const size_t end = w->entry_ends.empty() ? w->batch->size() : w->entry_ends[k];
        WalEntry entry;
        for (size_t i = begin; i < end; ++i) {
          RETURN_IF_ERROR(AddOp(g, *w, i, entry));
        }
        begin = end;
        if (entry.ops.empty()) continue;  // node-class only: no index
        entry.index = g.wal.last_index + 1;
        entry.commit_time_ms = now;
        entry.prev_hash = g.wal.last_hash;
        std::string record = SealWalEntry(entry);
        g.wal.last_index = entry.index;
        g.wal.last_hash = entry.hash;
        g.wal.retained_bytes += record.size();
        g.new_entry_sizes[entry.index] = record.size();
        g.out.push_back(Op::Put(WalEntryKey(entry.index), std::move(record)));
        g.new_entries.push_back(std::move(entry));
      }
    }
    // Retention: drop the oldest entries past either bound; keep the newest.
    while (g.wal.first_index < g.wal.last_index &&
           (g.wal.last_index - g.wal.first_index + 1 > max_entries_ ||
            g.wal.retained_bytes > max_bytes_)) {
      uint64_t size = 0;
      if (auto it = g.new_entry_sizes.find(g.wal.first_index); it != g.new_entry_sizes.end()) {
        size = it->second;
      } else if (std::optional<uint64_t> known = KnownRecordSize(g.wal.first_index)) {
        size = *known;
      } else {
        ASSIGN_OR_RETURN(auto old, physical_->Get(WalEntryKey(g.wal.first_index)));
        size = old.has_value() ? old->size() : 0;
      }
      g.out.push_back(Op::Delete(WalEntryKey(g.wal.first_index)));
      g.wal.retained_bytes -= std::min(size, g.wal.retained_bytes);
      ++g.wal.first_index;
    }
    if (g.wal != state_) g.out.push_back(Op::Put(std::string(kWalStateKey), EncodeWalState(g.wal)));
  }

  // Cached reads of the written keys go, and none come back while the write
  // is in flight; EndWrite runs failed or not (the backend may hold part of
  // it), before any writer of the group returns, and caches what a committed
  // write put (write-through).
  read_cache_.BeginWrite(g.out);
  Status st = g.out.empty() ? Status::Ok() : physical_->Write(g.out);
  read_cache_.EndWrite(g.out, st.ok());
  {
    std::unique_lock<std::shared_mutex> publish(state_mu_);
    if (!st.ok()) {
      // Storage may or may not hold the batch: reread it before the next write.
      loaded_.store(false, std::memory_order_release);
      return st;
    }
    groups_.fetch_add(1, std::memory_order_relaxed);
    batches_.fetch_add(group.size(), std::memory_order_relaxed);
    const uint64_t commit = commits_.load(std::memory_order_relaxed) + 1;
    if (g.reset) {
      std::fill(bucket_commit_.begin(), bucket_commit_.end(), commit);
    } else {
      for (const auto& [where, hash] : g.buckets) bucket_commit_[where.second] = commit;
    }
    commits_.store(commit, std::memory_order_release);
    state_ = std::move(g.wal);
    for (auto& [where, hash] : g.buckets) trees_[where.first].buckets[where.second] = std::move(hash);
    if (g.rebuilt_index.has_value()) {
      leaf_index_ = std::move(*g.rebuilt_index);
    } else {
      for (const auto& [where, leaf] : g.leaves) {
        if (leaf.hash.has_value()) {
          leaf_index_.Set(where.tree, where.digest, *leaf.hash);
        } else {
          leaf_index_.Erase(where.tree, where.digest);
        }
      }
    }
    leaf_index_on_.store(leaf_index_.holds_all(), std::memory_order_release);
    for (auto& [name, position] : g.upstream) {
      if (position.has_value()) {
        upstream_.insert_or_assign(name, std::move(*position));
      } else if (auto it = upstream_.find(name); it != upstream_.end()) {
        upstream_.erase(it);
      }
    }
    if (g.reset) ClearTailLocked();
    for (const WalEntry& e : g.new_entries) record_sizes_.push_back(g.new_entry_sizes[e.index]);
    while (record_sizes_.size() > kMaxRecordSizes ||
           (!record_sizes_.empty() &&
            state_.last_index - record_sizes_.size() + 1 < state_.first_index)) {
      record_sizes_.pop_front();
    }
    AppendTailLocked(std::move(g.new_entries));
    last_index_.store(state_.last_index);
  }
  WakeWaiters();
  return Status::Ok();
}

void ReplicatedLog::PublishLoadedLocked(
    WalState state, MerkleTree (&trees)[2], LeafIndex index,
    std::map<std::string, UpstreamPosition, std::less<>> upstream) {
  state_ = std::move(state);
  trees_[0] = std::move(trees[0]);
  trees_[1] = std::move(trees[1]);
  leaf_index_ = std::move(index);
  leaf_index_on_.store(leaf_index_.holds_all(), std::memory_order_release);
  upstream_ = std::move(upstream);
  // Every leaf a writer looked up before this load is suspect.
  const uint64_t commit = commits_.load(std::memory_order_relaxed) + 1;
  std::fill(bucket_commit_.begin(), bucket_commit_.end(), commit);
  commits_.store(commit, std::memory_order_release);
  ClearTailLocked();
  record_sizes_.clear();
  last_index_.store(state_.last_index);
  loaded_.store(true, std::memory_order_release);
}

std::optional<uint64_t> ReplicatedLog::KnownRecordSize(uint64_t index) const {
  const uint64_t known = record_sizes_.size();
  if (index > state_.last_index || state_.last_index - index >= known) return std::nullopt;
  return record_sizes_[known - 1 - (state_.last_index - index)];
}

void ReplicatedLog::ClearTailLocked() {
  tail_.clear();
  tail_bytes_ = 0;
}

void ReplicatedLog::AppendTailLocked(std::vector<WalEntry> entries) {
  auto size_of = [](const WalEntry& e) {
    size_t n = 96;
    for (const WalOp& op : e.ops) n += op.key.size() + op.value.size() + 16;
    return n;
  };
  for (WalEntry& e : entries) {
    if (!tail_.empty() && tail_.back().index + 1 != e.index) ClearTailLocked();
    tail_bytes_ += size_of(e);
    tail_.push_back(std::move(e));
  }
  // Keep what retention keeps, within the tail's own bounds.
  while (!tail_.empty() && (tail_.front().index < state_.first_index ||
                            tail_.size() > kTailEntries || tail_bytes_ > kTailBytes)) {
    tail_bytes_ -= std::min(tail_bytes_, size_of(tail_.front()));
    tail_.pop_front();
  }
}

void ReplicatedLog::WakeWaiters() {
  { std::lock_guard<std::mutex> lock(commit_mu_); }
  commit_cv_.notify_all();
}

// Drops the leaves whose key is gone and recomputes every bucket from the
// leaves that remain. After a wipe of a consistent store there are none left
// and both trees are already empty, so this finds nothing to do; it repairs an
// index that was out of step with the data. The WAL is untouched.
Status ReplicatedLog::ResetIndex(GroupState& g) {
  MerkleTree rebuilt[2];
  LeafIndex& index = g.rebuilt_index.emplace(leaf_index_capacity_);
  size_t dropped = 0;
  for (int t = 0; t < 2; ++t) {
    const std::string prefix = MerkleClassPrefix(kTreeClasses[t]) + "leaf/";
    ASSIGN_OR_RETURN(std::vector<std::string> leaves, physical_->ListAll(prefix));
    for (std::string& leaf : leaves) {
      Result<LeafName> name = ParseLeafName(std::string_view(leaf).substr(prefix.size()));
      std::string key = name.ok() ? std::string(name->key) : "";  // malformed: dropped below
      std::optional<std::string> data;
      if (!key.empty()) {
        ASSIGN_OR_RETURN(data, physical_->Get(key));
      }
      ASSIGN_OR_RETURN(auto value_hash, physical_->Get(leaf));
      if (!data.has_value() || !value_hash.has_value()) {
        g.out.push_back(Op::Delete(std::move(leaf)));
        ++dropped;
        continue;
      }
      const MerkleKey named = MerkleKeyOf(key);
      const std::string leaf_hash = MerkleLeafHash(key, *value_hash);
      XorInto(rebuilt[t].buckets[named.bucket], leaf_hash);
      index.Set(t, named.digest, leaf_hash);
    }
  }
  std::shared_lock<std::shared_mutex> read(state_mu_);
  g.wal = state_;
  for (int t = 0; t < 2; ++t) {
    for (uint32_t b = 0; b < kMerkleBuckets; ++b) {
      if (trees_[t].buckets[b] != rebuilt[t].buckets[b]) g.buckets[{t, b}] = rebuilt[t].buckets[b];
    }
  }
  if (dropped > 0 || !g.buckets.empty()) {
    COFFER_LOG(kWarn, "replication") << "wipe: the merkle index was out of step with the data; "
                                     << "dropped " << dropped << " leaves, rehashed "
                                     << g.buckets.size() << " buckets";
  }
  return Status::Ok();
}

Result<WalPosition> ReplicatedLog::LastPosition() {
  RETURN_IF_ERROR(EnsureLoaded());
  std::shared_lock<std::shared_mutex> read(state_mu_);
  return WalPosition{state_.last_index, state_.last_hash};
}

Result<WalState> ReplicatedLog::State() {
  RETURN_IF_ERROR(EnsureLoaded());
  std::shared_lock<std::shared_mutex> read(state_mu_);
  return state_;
}

Result<WalRead> ReplicatedLog::ReadAfter(uint64_t index, std::string_view expected_hash,
                                         size_t max_entries) {
  RETURN_IF_ERROR(EnsureLoaded());
  {
    // The recent tail is in memory (entries this log built and committed):
    // streams that keep up never read the WAL back from storage.
    std::shared_lock<std::shared_mutex> read(state_mu_);
    if (index <= state_.last_index && !tail_.empty() && tail_.back().index == state_.last_index &&
        index + 1 >= tail_.front().index &&
        index + 1 >= state_.first_index && max_entries > 0) {
      WalRead out;
      const std::string& hash_at_index =
          index == state_.last_index ? state_.last_hash
                                     : tail_[index + 1 - tail_.front().index].prev_hash;
      if (hash_at_index != expected_hash) {
        out.gap = true;
        out.gap_reason = "chain hash at wal index " + std::to_string(index) + " differs";
        return out;
      }
      for (uint64_t i = index + 1; i <= state_.last_index && out.entries.size() < max_entries;
           ++i) {
        out.entries.push_back(tail_[i - tail_.front().index]);
      }
      return out;
    }
  }
  ASSIGN_OR_RETURN(WalState s, State());
  if (index > s.last_index) {
    return InvalidArgument("wal index " + std::to_string(index) + " is beyond the last index " +
                           std::to_string(s.last_index));
  }
  WalRead out;
  auto gap = [&](std::string reason) {
    out.gap = true;
    out.gap_reason = std::move(reason);
    out.entries.clear();
    return out;
  };
  if (index + 1 < s.first_index) {
    return gap("wal index " + std::to_string(index) + " was trimmed; the oldest retained entry is " +
               std::to_string(s.first_index));
  }
  const uint64_t end =
      max_entries >= s.last_index - index ? s.last_index : index + static_cast<uint64_t>(max_entries);
  std::string hash_at_index = s.last_hash;
  for (uint64_t i = index + 1; i <= end; ++i) {
    ASSIGN_OR_RETURN(auto raw, physical_->Get(WalEntryKey(i)));
    if (!raw.has_value()) return gap("wal index " + std::to_string(i) + " was trimmed meanwhile");
    ASSIGN_OR_RETURN(WalEntry entry, DecodeWalEntry(*raw));
    if (entry.index != i) return Corruption("wal: entry stored under the wrong index");
    out.entries.push_back(std::move(entry));
  }
  if (index < s.last_index && out.entries.empty()) {
    // max_entries == 0: the hash at index is the next entry's prev_hash.
    ASSIGN_OR_RETURN(auto raw, physical_->Get(WalEntryKey(index + 1)));
    if (!raw.has_value()) return gap("wal index " + std::to_string(index + 1) + " was trimmed meanwhile");
    ASSIGN_OR_RETURN(WalEntry next, DecodeWalEntry(*raw));
    hash_at_index = next.prev_hash;
  } else if (!out.entries.empty()) {
    hash_at_index = out.entries.front().prev_hash;
  }
  if (hash_at_index != expected_hash) {
    return gap("chain hash at wal index " + std::to_string(index) + " differs");
  }
  RETURN_IF_ERROR(VerifyWalChain(index, expected_hash, out.entries));
  return out;
}

Result<std::string> ReplicatedLog::MerkleRoot(StorageClass c) {
  if (c == StorageClass::kNode) return InvalidArgument("node-class keys have no merkle tree");
  RETURN_IF_ERROR(EnsureLoaded());
  std::shared_lock<std::shared_mutex> read(state_mu_);
  return trees_[TreeOf(c)].Root();
}

Result<std::vector<std::string>> ReplicatedLog::MerkleBuckets(StorageClass c) {
  if (c == StorageClass::kNode) return InvalidArgument("node-class keys have no merkle tree");
  RETURN_IF_ERROR(EnsureLoaded());
  std::shared_lock<std::shared_mutex> read(state_mu_);
  return trees_[TreeOf(c)].buckets;
}

Result<std::vector<std::pair<std::string, std::string>>> ReplicatedLog::MerkleBucketKeys(
    StorageClass c, uint32_t bucket) {
  if (c == StorageClass::kNode) return InvalidArgument("node-class keys have no merkle tree");
  if (bucket >= kMerkleBuckets) return InvalidArgument("merkle bucket out of range");
  RETURN_IF_ERROR(EnsureLoaded());
  const std::string prefix = MerkleLeafPrefix(c, bucket);
  ASSIGN_OR_RETURN(std::vector<std::string> keys, physical_->ListAll(prefix));
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& k : keys) {
    ASSIGN_OR_RETURN(auto hash, physical_->Get(k));
    if (!hash.has_value()) continue;  // deleted since the listing
    out.emplace_back(k.substr(prefix.size()), std::move(*hash));
  }
  return out;
}

Result<MerkleSnapshot> ReplicatedLog::Snapshot(StorageClass c) {
  if (c == StorageClass::kNode) return InvalidArgument("node-class keys have no merkle tree");
  RETURN_IF_ERROR(EnsureLoaded());
  MerkleSnapshot out;
  {
    std::shared_lock<std::shared_mutex> read(state_mu_);
    out.buckets = trees_[TreeOf(c)].buckets;
    out.position = WalPosition{state_.last_index, state_.last_hash};
  }
  MerkleTree tree;
  tree.buckets = out.buckets;
  out.root = tree.Root();
  return out;
}

// --- Replication ---

namespace {

Status CheckUpstreamName(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos) {
    return InvalidArgument("replication: invalid upstream name");
  }
  return Status::Ok();
}

Status CheckPosition(const UpstreamPosition& position) {
  if (position.hash.size() != kWalHashSize) {
    return InvalidArgument("replication: upstream position hash must be 32 bytes");
  }
  return Status::Ok();
}

}  // namespace

Status ReplicatedLog::ApplyUpstream(std::string_view name, const std::vector<WalEntry>& entries,
                                    const UpstreamPosition& position) {
  RETURN_IF_ERROR(CheckUpstreamName(name));
  RETURN_IF_ERROR(CheckPosition(position));
  Batch batch;
  std::vector<StorageClass> hints;
  std::vector<size_t> entry_ends;
  entry_ends.reserve(entries.size());
  for (const WalEntry& e : entries) {
    for (const WalOp& op : e.ops) {
      batch.push_back(op.kind == WalOp::Kind::kPut ? Op::Put(op.key, op.value) : Op::Delete(op.key));
      hints.push_back(op.storage_class);
    }
    entry_ends.push_back(batch.size());
  }
  const size_t data_ops = batch.size();
  batch.push_back(Op::Put(UpstreamPositionKey(name), EncodeUpstreamPosition(position)));
  hints.push_back(StorageClass::kLocal);
  // The position belongs to the last entry.
  if (entry_ends.empty()) {
    entry_ends.push_back(batch.size());
  } else {
    entry_ends.back() = batch.size();
  }
  RETURN_IF_ERROR(ApplyBatch(batch, hints, data_ops, std::move(entry_ends)));
  NotifyApplied(batch, data_ops);
  return Status::Ok();
}

Status ReplicatedLog::ApplySync(std::string_view name, const std::vector<Op>& ops,
                                const std::optional<UpstreamPosition>& position,
                                StorageClass from_class) {
  RETURN_IF_ERROR(CheckUpstreamName(name));
  if (position.has_value()) RETURN_IF_ERROR(CheckPosition(*position));
  if (from_class == StorageClass::kNode) return InvalidArgument("replication: node-class sync");
  Batch batch = ops;
  std::vector<StorageClass> hints(batch.size(), from_class);
  const size_t data_ops = batch.size();
  if (position.has_value()) {
    batch.push_back(Op::Put(UpstreamPositionKey(name), EncodeUpstreamPosition(*position)));
    hints.push_back(StorageClass::kLocal);
  }
  if (batch.empty()) return Status::Ok();
  RETURN_IF_ERROR(ApplyBatch(batch, hints, data_ops, {}));
  NotifyApplied(batch, data_ops);
  return Status::Ok();
}

Status ReplicatedLog::ApplyBatch(const Batch& batch, const std::vector<StorageClass>& hints,
                                 size_t data_ops, std::vector<size_t> entry_ends) {
  RETURN_IF_ERROR(ValidateBatch(batch));
  Writer w;
  w.batch = &batch;
  w.entry_ends = std::move(entry_ends);
  MountClassesPtr mounts = mounts_.Load();
  w.classes.reserve(batch.size());
  w.value_hashes.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const Op& op = batch[i];
    Classification c = Classify(op.key, *mounts);
    if (c.storage_class == StorageClass::kNode && i < data_ops) {
      return InvalidArgument("replication: upstream data holds the node-class key " + op.key);
    }
    // A key no rule or known mount places (data of a mount whose table entry
    // this node has not loaded yet) keeps the class its upstream gave it.
    StorageClass cls = c.rule == "default" ? hints[i] : c.storage_class;
    if (c.rule == "default" && cls == StorageClass::kNode) cls = kDefaultClass;
    w.classes.push_back(cls);
    w.value_hashes.push_back(op.kind == Op::Kind::kPut && cls != StorageClass::kNode
                                 ? crypto::Sha256(op.value)
                                 : std::string());
  }
  if (batch.empty()) return Status::Ok();
  return Submit(w);
}

void ReplicatedLog::NotifyApplied(const Batch& batch, size_t data_ops) {
  std::function<void(const std::vector<std::string>&)> observer;
  {
    std::lock_guard<std::mutex> lock(observer_mu_);
    observer = observer_;
  }
  if (!observer || data_ops == 0) return;
  std::vector<std::string> keys;
  keys.reserve(data_ops);
  for (size_t i = 0; i < data_ops && i < batch.size(); ++i) keys.push_back(batch[i].key);
  observer(keys);
}

void ReplicatedLog::SetApplyObserver(
    std::function<void(const std::vector<std::string>& keys)> observer) {
  std::lock_guard<std::mutex> lock(observer_mu_);
  observer_ = std::move(observer);
}

Result<std::optional<UpstreamPosition>> ReplicatedLog::LoadUpstream(std::string_view name) {
  RETURN_IF_ERROR(CheckUpstreamName(name));
  ASSIGN_OR_RETURN(auto raw, physical_->Get(UpstreamPositionKey(name)));
  if (!raw.has_value()) return std::optional<UpstreamPosition>();
  ASSIGN_OR_RETURN(UpstreamPosition position, DecodeUpstreamPosition(*raw));
  return std::optional<UpstreamPosition>(std::move(position));
}

Status ReplicatedLog::WipeData() {
  RETURN_IF_ERROR(EnsureLoaded());
  ASSIGN_OR_RETURN(std::vector<std::string> all, physical_->ListAll(""));
  MountClassesPtr mounts = mounts_.Load();
  Batch doomed;
  for (std::string& key : all) {
    // Every upstream position goes, node-class ones included: the data they
    // described is gone.
    if (Classify(key, *mounts).storage_class != StorageClass::kNode ||
        key.starts_with(kUpstreamPrefix)) {
      doomed.push_back(Op::Delete(std::move(key)));
    }
  }
  all.clear();
  size_t wiped = 0;
  Status st = Status::Ok();
  for (size_t i = 0; i < doomed.size() && st.ok(); i += kBuildChunk) {
    const size_t end = std::min(doomed.size(), i + kBuildChunk);
    Batch chunk(std::make_move_iterator(doomed.begin() + static_cast<ptrdiff_t>(i)),
                std::make_move_iterator(doomed.begin() + static_cast<ptrdiff_t>(end)));
    Writer w;
    w.batch = &chunk;
    for (const Op& op : chunk) {
      // The class only says which tree to look in first; AddOp finds the leaf
      // in either.
      w.classes.push_back(Classify(op.key, *mounts).storage_class);
      w.value_hashes.emplace_back();
    }
    st = Submit(w);
    if (st.ok()) {
      for (size_t j = 0; j < chunk.size(); ++j) doomed[i + j].key = std::move(chunk[j].key);
      wiped = end;
    }
  }
  if (st.ok()) {
    Writer reset;
    Batch none;
    reset.batch = &none;
    reset.reset_index = true;
    st = Submit(reset);
  }
  if (wiped > 0) {
    doomed.resize(wiped);
    NotifyApplied(doomed, wiped);
    COFFER_LOG(kInfo, "replication") << "wiped " << wiped << " replicated and local keys";
  }
  return st;
}

uint64_t ReplicatedLog::WaitForCommitAfter(uint64_t index, std::chrono::milliseconds timeout) {
  (void)EnsureLoaded();  // a failure shows as the last index known
  std::unique_lock<std::mutex> lock(commit_mu_);
  commit_cv_.wait_for(lock, timeout, [&] { return last_index_.load() > index; });
  return last_index_.load();
}

bool ReplicatedLog::WaitForUpstream(std::string_view name, uint64_t index,
                                    std::chrono::milliseconds timeout) {
  if (!EnsureLoaded().ok()) return false;
  auto reached = [&] {
    std::shared_lock<std::shared_mutex> read(state_mu_);
    auto it = upstream_.find(name);
    return index == 0 || (it != upstream_.end() && it->second.index >= index);
  };
  std::unique_lock<std::mutex> lock(commit_mu_);
  return commit_cv_.wait_for(lock, timeout, reached);
}

void ReplicatedLog::CacheReadsUnder(std::vector<std::string> prefixes, size_t capacity) {
  read_cache_.SetPrefixes(std::move(prefixes), capacity);
}

Result<std::optional<std::string>> ReplicatedLog::Get(std::string_view key) {
  if (!read_cache_.Covers(key)) return physical_->Get(key);
  ASSIGN_OR_RETURN(SharedValue value, GetShared(key));
  if (!value) return std::optional<std::string>();
  return std::optional<std::string>(*value);
}

Result<SharedValue> ReplicatedLog::GetShared(std::string_view key) {
  if (!read_cache_.Covers(key)) return physical_->GetShared(key);
  if (std::optional<SharedValue> known = read_cache_.Lookup(key)) return std::move(*known);
  // The generation before the read (storage/read_cache.h).
  const uint64_t generation = read_cache_.Generation();
  ASSIGN_OR_RETURN(SharedValue value, physical_->GetShared(key));
  read_cache_.Insert(key, value, generation);  // an absent key too
  return value;
}

Result<std::vector<std::string>> ReplicatedLog::List(std::string_view prefix) {
  return physical_->List(prefix);
}

Result<std::vector<std::string>> ReplicatedLog::ListAll(std::string_view prefix) {
  return physical_->ListAll(prefix);
}

}  // namespace coffer::storage
