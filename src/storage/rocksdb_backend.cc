#include "storage/rocksdb_backend.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <iterator>

#include "common/log.h"
#include "storage/keys.h"
#include "storage/private_fs.h"
#include "storage/wal_entry.h"

namespace coffer::storage {
namespace {

// Secrets are small and few compared with what RocksDB is built for: keep the
// memory footprint modest.
constexpr size_t kBlockCacheBytes = 16 << 20;
constexpr size_t kWriteBufferBytes = 16 << 20;
constexpr int kLevel0CompactionFiles = 16;
constexpr int kLevel0SlowdownFiles = 40;
constexpr int kLevel0StopFiles = 56;
constexpr int kMaxOpenFiles = 256;
constexpr size_t kMaxInfoLogBytes = 8 << 20;
constexpr size_t kKeepInfoLogFiles = 4;

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  std::string message = "rocksdb " + std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Corruption(std::move(message));
  return IOError(std::move(message));
}

// Values are barrier ciphertext and do not compress; keys (paths) do a little.
// LZ4 is cheap enough to take that, if this librocksdb was built with it.
rocksdb::CompressionType ChooseCompression() {
  std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  bool lz4 =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
  return lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
}

rocksdb::Options MakeOptions(rocksdb::Env* env) {
  rocksdb::Options options;
  options.env = env;
  options.create_if_missing = true;
  options.paranoid_checks = true;

  // Group commit: concurrent synced writers join one WAL write + fsync led by
  // the first of them. That is RocksDB's default write path; say so here so no
  // later tuning defeats it. Pipelined and unordered writes stay off (the
  // latter would break batch atomicity for readers).
  options.enable_pipelined_write = false;
  options.unordered_write = false;
  options.allow_concurrent_memtable_write = true;
  options.enable_write_thread_adaptive_yield = true;
  options.manual_wal_flush = false;
  // After a crash, recover every synced write and drop a torn tail.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;

  options.compaction_style = rocksdb::kCompactionStyleLevel;
  options.level_compaction_dynamic_level_bytes = true;
  options.write_buffer_size = kWriteBufferBytes;
  // Level 0 is compacted once 16 flushed files (256 MB) have gathered, not
  // 4. Keys are random paths, so every level-0 file overlaps the whole base
  // level, and while the store is under ~2.5 GB (dynamic level sizes) the
  // base level is the last one: each level-0 compaction rewrote the entire
  // store, every 64 MB of new data. Over eight 10 s windows of service tokens
  // on one server (~560,000 tokens) compaction wrote 2.3–3.2 GB and used 13–15
  // CPU-seconds; with 16 files, 0.7 GB and 4–5 s (docs/performance.md). The
  // slowdown and stop bounds move up with it (RocksDB's defaults: 20, 36).
  options.level0_file_num_compaction_trigger = kLevel0CompactionFiles;
  options.level0_slowdown_writes_trigger = kLevel0SlowdownFiles;
  options.level0_stop_writes_trigger = kLevel0StopFiles;
  options.max_open_files = kMaxOpenFiles;
  options.max_log_file_size = kMaxInfoLogBytes;
  options.keep_log_file_num = kKeepInfoLogFiles;

  // Only the last level is compressed: it holds nearly all the data, while
  // what is flushed to L0 is rewritten by a compaction soon after (LZ4 on
  // every flush was ~1.5% of a service token's CPU, 2026-11-29).
  options.compression = rocksdb::kNoCompression;
  options.bottommost_compression = ChooseCompression();

  // No Bloom filter on the memtable. One was added when the replicated log
  // looked up the Merkle leaf of every key it wrote in RocksDB; the leaf index
  // (storage/leaf_index.h) answers those in memory now, so the filter only
  // cost every insert a hash and a cache miss on the committer's serial path
  // (kv v2 writes ~5% faster without it, docs/performance.md 2026-11-30).
  options.memtable_whole_key_filtering = false;
  options.memtable_prefix_bloom_size_ratio = 0;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));  // point reads
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// The replicated log's records live in a column family of their own. They are
// written once in index order, read back while recent (replication), and
// deleted from the oldest end after kDefaultMaxEntries or so: in the default
// family they were flushed and compacted together with every secret, and
// their tombstones after them, roughly doubling what compaction rewrote. Here
// they share the WAL, the write batch (so a group stays atomic) and the block
// cache, but compact only among themselves.
rocksdb::ColumnFamilyOptions WalFamilyOptions(const rocksdb::Options& base) {
  rocksdb::ColumnFamilyOptions cf(base);
  cf.compression = rocksdb::kNoCompression;  // ciphertext: nothing to gain
  cf.bottommost_compression = rocksdb::kNoCompression;
  return cf;
}

constexpr const char* kWalFamily = "wal";
// Log records moved per write when an older store is opened.
constexpr size_t kMoveBatch = 1000;

// Whether a key belongs to the log's column family.
bool InWalFamily(std::string_view key) { return key.starts_with(kWalEntryPrefix); }

// Whether a scan of `prefix` covers keys of the log's family (and of the
// default family too unless the prefix lies inside the log's range).
bool ScanCoversWal(std::string_view prefix) {
  return kWalEntryPrefix.starts_with(prefix) || prefix.starts_with(kWalEntryPrefix);
}

// RocksDB keeps per-thread perf counters (perf_context, iostats_context) and
// updates them on every Get, Write and iterator step unless the thread's perf
// level is kDisable. Nothing here reads them, and each update is a
// thread-local access through the shared library (__tls_get_addr): off, once
// per thread that touches the store.
void NoPerfCounters() {
  thread_local const bool off = [] {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return true;
  }();
  (void)off;
}

// A failed open caused by the LOCK file being held. RocksDB reports it as an
// IOError naming <dir>/LOCK: "lock hold by current process ..." when this
// process already has the directory open, "While lock file: ..." when the
// fcntl lock is held by another process.
Status OpenError(const rocksdb::Status& s, const std::string& path) {
  std::string text = s.ToString();
  if (s.IsIOError() && Contains(text, "/LOCK")) {
    if (Contains(text, "lock hold by current process")) {
      return IOError("storage at " + path + " is locked: it is already open in this process");
    }
    if (Contains(text, "While lock file")) {
      return IOError("storage at " + path + " is locked by another process");
    }
  }
  return FromRocks(s, "open " + path);
}

// Strips trailing slashes so RocksDB's file names ("<dir>/LOCK") read cleanly.
std::string NormalizePath(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

class RocksdbBackend final : public Backend {
 public:
  RocksdbBackend(std::string path, std::unique_ptr<rocksdb::Env> env,
                 std::unique_ptr<rocksdb::DB> db,
                 std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : path_(std::move(path)), env_(std::move(env)), db_(std::move(db)),
        handles_(std::move(handles)) {
    write_options_.sync = true;
  }

  ~RocksdbBackend() override {
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      rocksdb::Status s = db_->DestroyColumnFamilyHandle(h);
      if (!s.ok()) {
        COFFER_LOG(kWarn, "storage") << "closing a column family: " << s.ToString();
      }
    }
    // Every acknowledged write is in the synced WAL, so no flush is needed.
    rocksdb::Status s = db_->Close();
    if (!s.ok()) {
      COFFER_LOG(kWarn, "storage") << "closing rocksdb at " << path_ << ": " << s.ToString();
    }
    db_.reset();  // before env_, which the DB uses
  }

  // Backend:
  Result<std::optional<std::string>> Get(std::string_view key) override {
    RETURN_IF_ERROR(ValidateKey(key));
    NoPerfCounters();
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), FamilyOf(key),
                                 rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "get");
    return std::optional<std::string>(std::move(value));
  }

  Status Write(const Batch& batch) override {
    RETURN_IF_ERROR(ValidateBatch(batch));
    if (batch.empty()) return Status::Ok();
    NoPerfCounters();
    rocksdb::WriteBatch wb;
    for (uint32_t i : MemtableInsertOrder(batch)) {
      const Op& op = batch[i];
      rocksdb::ColumnFamilyHandle* cf = FamilyOf(op.key);
      rocksdb::Status s =
          op.kind == Op::Kind::kPut ? wb.Put(cf, op.key, op.value) : wb.Delete(cf, op.key);
      if (!s.ok()) return FromRocks(s, "batch");
    }
    rocksdb::Status s = db_->Write(write_options_, &wb);
    if (!s.ok()) return FromRocks(s, "write");
    return Status::Ok();
  }

  Result<std::vector<std::string>> List(std::string_view prefix) override {
    return Merged(prefix, [&](rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* at) {
      return ListIn(cf, prefix, at);
    });
  }

  Result<std::vector<std::string>> ListAll(std::string_view prefix) override {
    return Merged(prefix, [&](rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* at) {
      return ListAllIn(cf, prefix, at);
    });
  }

  // Moves log records an older build kept in the default family into the
  // log's family, kMoveBatch at a time: each record is in one family or the
  // other at every moment, and an open after a crash moves the rest.
  Status MoveWalRecordsIntoTheirFamily() {
    ASSIGN_OR_RETURN(std::vector<std::string> keys,
                     ListAllIn(Default(), kWalEntryPrefix, nullptr));
    for (size_t begin = 0; begin < keys.size(); begin += kMoveBatch) {
      rocksdb::WriteBatch wb;
      for (size_t i = begin; i < std::min(keys.size(), begin + kMoveBatch); ++i) {
        std::string value;
        rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), Default(), keys[i], &value);
        if (!s.ok()) return FromRocks(s, "read a log record to move");
        wb.Put(Wal(), keys[i], value);
        wb.Delete(Default(), keys[i]);
      }
      rocksdb::Status s = db_->Write(write_options_, &wb);
      if (!s.ok()) return FromRocks(s, "move log records");
    }
    if (!keys.empty()) {
      COFFER_LOG(kInfo, "storage") << "moved " << keys.size()
                                   << " replicated-log records into their column family";
    }
    return Status::Ok();
  }

  std::string_view Type() const override { return "rocksdb"; }

 private:
  static rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

  rocksdb::ColumnFamilyHandle* Default() const { return handles_[0]; }
  rocksdb::ColumnFamilyHandle* Wal() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* FamilyOf(std::string_view key) const {
    return InWalFamily(key) ? Wal() : Default();
  }

  // A scan of `prefix`: in the one family that holds it, or in both, merged
  // into one sorted list without repeats (a directory both hold, "node/wal/"
  // say, is listed once). Both families are read at one snapshot, so a batch
  // spanning them is seen entirely or not at all.
  template <typename ScanFn>
  Result<std::vector<std::string>> Merged(std::string_view prefix, ScanFn scan) {
    if (prefix.starts_with(kWalEntryPrefix)) return scan(Wal(), nullptr);
    if (!ScanCoversWal(prefix)) return scan(Default(), nullptr);
    const rocksdb::Snapshot* at = db_->GetSnapshot();
    Result<std::vector<std::string>> in_default = scan(Default(), at);
    Result<std::vector<std::string>> in_wal = scan(Wal(), at);
    db_->ReleaseSnapshot(at);
    if (!in_default.ok()) return in_default.status();
    if (!in_wal.ok()) return in_wal.status();
    std::vector<std::string> out = std::move(in_default).value();
    std::vector<std::string> wal = std::move(in_wal).value();
    if (wal.empty()) return out;
    std::vector<std::string> both;
    both.reserve(out.size() + wal.size());
    std::set_union(std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()),
                   std::make_move_iterator(wal.begin()), std::make_move_iterator(wal.end()),
                   std::back_inserter(both));
    return both;
  }

  Result<std::vector<std::string>> ListIn(rocksdb::ColumnFamilyHandle* cf,
                                          std::string_view prefix, const rocksdb::Snapshot* at) {
    std::vector<std::string> out;
    Scan scan(db_.get(), cf, at, prefix, /*fill_cache=*/true);
    rocksdb::Iterator* it = scan.iter.get();
    for (it->Seek(ToSlice(prefix)); it->Valid();) {
      std::string_view key(it->key().data(), it->key().size());
      std::optional<Child> child = ImmediateChild(prefix, key);
      if (!child) {
        if (key == prefix) {  // the prefix itself is a key: not a child
          it->Next();
          continue;
        }
        break;
      }
      if (child->is_dir) {
        // Jump over everything under this sub-directory in one seek.
        std::string skip = SkipPastDir(std::string(prefix) + child->name);
        out.push_back(std::move(child->name));
        it->Seek(skip);
      } else {
        out.push_back(std::move(child->name));
        it->Next();
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "list");
    return out;
  }

  Result<std::vector<std::string>> ListAllIn(rocksdb::ColumnFamilyHandle* cf,
                                             std::string_view prefix,
                                             const rocksdb::Snapshot* at) {
    std::vector<std::string> out;
    // Bulk: keep the block cache for requests.
    Scan scan(db_.get(), cf, at, prefix, /*fill_cache=*/false);
    rocksdb::Iterator* it = scan.iter.get();
    for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
         it->Next()) {
      out.push_back(it->key().ToString());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "list all");
    return out;
  }

  // An iterator bounded above by the prefix's successor, so RocksDB stops at
  // the end of the prefix instead of wading through later keys or tombstones.
  // The bound's storage must outlive the iterator, hence one object.
  struct Scan {
    // `at`: the snapshot to read (null: the iterator's own, taken now).
    Scan(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, const rocksdb::Snapshot* at,
         std::string_view prefix, bool fill_cache)
        : upper(PrefixUpperBound(prefix)) {
      NoPerfCounters();
      rocksdb::ReadOptions ro;
      ro.fill_cache = fill_cache;
      ro.snapshot = at;
      if (upper) {
        upper_slice = rocksdb::Slice(*upper);
        ro.iterate_upper_bound = &upper_slice;
      }
      iter.reset(db->NewIterator(ro, cf));
    }
    Scan(const Scan&) = delete;  // upper_slice points into upper
    Scan& operator=(const Scan&) = delete;
    std::optional<std::string> upper;
    rocksdb::Slice upper_slice;
    std::unique_ptr<rocksdb::Iterator> iter;
  };

  const std::string path_;
  std::unique_ptr<rocksdb::Env> env_;  // outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, wal; released before db_
  rocksdb::WriteOptions write_options_;
};

}  // namespace

std::vector<uint32_t> MemtableInsertOrder(const Batch& batch) {
  std::vector<uint32_t> order(batch.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  // Stable: ops on one key keep their order, so the last one still wins.
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return batch[a].key < batch[b].key; });
  return order;
}

Result<BackendPtr> OpenRocksdbBackend(const std::string& raw_path) {
  std::string path = NormalizePath(raw_path);
  RETURN_IF_ERROR(MakePrivateDir(path));

  std::unique_ptr<rocksdb::Env> env =
      rocksdb::NewCompositeEnv(NewPrivateFileSystem(rocksdb::FileSystem::Default()));
  rocksdb::Options options = MakeOptions(env.get());
  options.create_missing_column_families = true;  // a store from before the log's family
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(options)},
      {kWalFamily, WalFamilyOptions(options)},
  };
  rocksdb::DB* raw_db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(options), path, families, &handles,
                                        &raw_db);
  if (!s.ok()) return OpenError(s, path);
  std::unique_ptr<rocksdb::DB> db(raw_db);

  auto backend =
      std::make_unique<RocksdbBackend>(path, std::move(env), std::move(db), std::move(handles));
  RETURN_IF_ERROR(backend->MoveWalRecordsIntoTheirFamily());
  // Files written by an older build, or by any path that bypassed the wrapper.
  RETURN_IF_ERROR(TightenFileModes(path));
  COFFER_LOG(kInfo, "storage") << "rocksdb storage open at " << path << " (compression "
                               << (options.bottommost_compression == rocksdb::kLZ4Compression
                                       ? "lz4 on the last level"
                                       : "none")
                               << ")";
  return BackendPtr(std::move(backend));
}

}  // namespace coffer::storage
