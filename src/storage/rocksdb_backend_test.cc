// RocksDB-specific behaviour; the shared contract is in
// backend_conformance_test.cc.
#include "storage/rocksdb_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/convenience.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/utilities/options_util.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "storage/temp_dir_for_test.h"

namespace coffer::storage {
namespace {

BackendPtr MustOpen(const std::string& path) {
  Result<BackendPtr> b = OpenRocksdbBackend(path);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? std::move(b).value() : nullptr;
}

unsigned ModeOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0xffff;
  return st.st_mode & 07777;
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  closedir(d);
  return out;
}

// Sets the process umask for the scope of one test.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

TEST(RocksdbBackendTest, ReopenKeepsData) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/db";
  {
    BackendPtr b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(
        b->Write({Op::Put("sys/a", "1"), Op::Put("sys/b/c", "2"), Op::Put("gone", "x")}).ok());
    ASSERT_TRUE(b->Delete("gone").ok());
  }
  BackendPtr b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b->Get("sys/a"), "1");
  EXPECT_EQ(*b->Get("sys/b/c"), "2");
  EXPECT_EQ(*b->Get("gone"), std::nullopt);
  EXPECT_EQ(*b->List("sys/"), (std::vector<std::string>{"a", "b/"}));
}

// What a closed store holds, per column family, read with RocksDB directly.
std::map<std::string, std::vector<std::string>> KeysByFamily(const std::string& path) {
  std::map<std::string, std::vector<std::string>> out;
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.push_back({name, rocksdb::ColumnFamilyOptions()});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, families, &handles, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return out;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    std::vector<std::string>& keys = out[h->GetName()];
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.push_back(it->key().ToString());
    EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
  }
  delete db;
  return out;
}

// Opens a store at `path`, writes `batch` and closes it again.
void WriteAndClose(const std::string& path, const Batch& batch) {
  BackendPtr b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Write(batch).ok());
}

TEST(RocksdbBackendTest, LogRecordsLiveInAColumnFamilyOfTheirOwn) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/db";
  ASSERT_NO_FATAL_FAILURE(WriteAndClose(path, {Op::Put("node/wal/entry/0000000000000001", "r1"),
                                               Op::Put("node/wal/state", "s"),
                                               Op::Put("logical/x", "v")}));
  std::map<std::string, std::vector<std::string>> keys = KeysByFamily(path);
  EXPECT_EQ(keys["wal"], (std::vector<std::string>{"node/wal/entry/0000000000000001"}));
  EXPECT_EQ(keys["default"], (std::vector<std::string>{"logical/x", "node/wal/state"}));
}

// The options a store was last opened with, as RocksDB persisted them.
std::map<std::string, rocksdb::ColumnFamilyOptions> PersistedFamilyOptions(
    const std::string& path) {
  std::map<std::string, rocksdb::ColumnFamilyOptions> out;
  rocksdb::ConfigOptions config;
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  rocksdb::Status s = rocksdb::LoadLatestOptions(config, path, &db_options, &families);
  EXPECT_TRUE(s.ok()) << s.ToString();
  for (const auto& f : families) out[f.name] = f.options;
  return out;
}

// The column family options a new store persisted: one key written, closed.
std::map<std::string, rocksdb::ColumnFamilyOptions> OptionsOfANewStore() {
  testing::TempDir dir;
  EXPECT_TRUE(dir.ok());
  const std::string path = dir.path() + "/db";
  WriteAndClose(path, {Op::Put("logical/x", "v")});
  return PersistedFamilyOptions(path);
}

// Flushes write L0 files that a compaction rewrites soon after: only the
// last level, where the data settles, is compressed (and the log's family,
// ciphertext written once, nowhere).
TEST(RocksdbBackendTest, OnlyTheLastLevelOfTheDataIsCompressed) {
  std::map<std::string, rocksdb::ColumnFamilyOptions> families = OptionsOfANewStore();
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(families.count("default"), 1u);
  ASSERT_EQ(families.count("wal"), 1u);
  std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  const bool lz4 = std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) !=
                   supported.end();
  EXPECT_EQ(families["default"].compression, rocksdb::kNoCompression);
  EXPECT_EQ(families["default"].bottommost_compression,
            lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression);
  EXPECT_TRUE(families["default"].compression_per_level.empty());
  EXPECT_EQ(families["wal"].compression, rocksdb::kNoCompression);
  EXPECT_EQ(families["wal"].bottommost_compression, rocksdb::kNoCompression);
}

// Random keys make every level-0 file overlap the whole base level, which is
// the last level while the store is small: level 0 waits for 16 files
// (256 MB) before it is compacted, so that rewrite happens a quarter as often,
// and writes are slowed or stopped only well past that.
TEST(RocksdbBackendTest, LevelZeroIsCompactedOncePerSixteenFlushes) {
  std::map<std::string, rocksdb::ColumnFamilyOptions> families = OptionsOfANewStore();
  ASSERT_FALSE(HasFailure());
  for (const char* family : {"default", "wal"}) {
    SCOPED_TRACE(family);
    ASSERT_EQ(families.count(family), 1u);
    const rocksdb::ColumnFamilyOptions& cf = families[family];
    EXPECT_EQ(cf.level0_file_num_compaction_trigger, 16);
    EXPECT_GT(cf.level0_slowdown_writes_trigger, 2 * cf.level0_file_num_compaction_trigger);
    EXPECT_GT(cf.level0_stop_writes_trigger, cf.level0_slowdown_writes_trigger);
  }
}

// Memtable inserts are the committer's largest cost; a Bloom filter on the
// memtable would add a hash and a cache miss to each, and nothing reads
// through the memtable often enough to win that back (the leaf index answers
// the log's leaf look-ups in memory).
TEST(RocksdbBackendTest, MemtablesKeepNoBloomFilter) {
  std::map<std::string, rocksdb::ColumnFamilyOptions> families = OptionsOfANewStore();
  ASSERT_FALSE(HasFailure());
  for (const char* family : {"default", "wal"}) {
    SCOPED_TRACE(family);
    ASSERT_EQ(families.count(family), 1u);
    EXPECT_FALSE(families[family].memtable_whole_key_filtering);
    EXPECT_EQ(families[family].memtable_prefix_bloom_size_ratio, 0.0);
  }
}

// A store written before the log had its family keeps its records in the
// default one: opening it moves them over, once, and nothing is lost.
TEST(RocksdbBackendTest, LogRecordsOfAnOlderStoreMoveToTheirFamilyOnOpen) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/db";
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, path, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteBatch wb;
    // More than one move's worth (a thousand per write).
    for (int i = 3; i < 2503; ++i) {
      char key[40];
      std::snprintf(key, sizeof(key), "node/wal/entry/%016x", i);
      wb.Put(key, "r");
    }
    wb.Put("node/wal/entry/0000000000000001", "r1");
    wb.Put("node/wal/entry/0000000000000002", "r2");
    wb.Put("node/wal/state", "s");
    wb.Put("sys/a", "1");
    rocksdb::WriteOptions sync;
    sync.sync = true;
    ASSERT_TRUE(db->Write(sync, &wb).ok());
  }
  for (int open = 0; open < 2; ++open) {
    BackendPtr b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(*b->Get("node/wal/entry/0000000000000002"), "r2");
    EXPECT_EQ(*b->Get("node/wal/entry/00000000000009c6"), "r");
    EXPECT_EQ(*b->Get("sys/a"), "1");
    EXPECT_EQ(b->ListAll("node/wal/entry/")->size(), 2502u);
    EXPECT_EQ(b->ListAll("")->size(), 2504u);
    EXPECT_EQ(*b->List("node/wal/"), (std::vector<std::string>{"entry/", "state"}));
  }
  std::map<std::string, std::vector<std::string>> keys = KeysByFamily(path);
  EXPECT_EQ(keys["wal"].size(), 2502u);
  EXPECT_EQ(keys["default"], (std::vector<std::string>{"node/wal/state", "sys/a"}));
}

// A listing that spans both families reads them at one snapshot: a batch
// that writes a log record and a data key together is seen whole or not at
// all, however the listing and the writes interleave.
TEST(RocksdbBackendTest, AListingSpanningBothFamiliesSeesABatchWhole) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  BackendPtr b = MustOpen(dir.path() + "/db");
  ASSERT_NE(b, nullptr);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 400; ++i) {
      char index[17];
      std::snprintf(index, sizeof(index), "%016x", i);
      EXPECT_TRUE(b->Write({Op::Put(std::string("node/wal/entry/") + index, "r"),
                            Op::Put(std::string("logical/u/") + index, "v")})
                      .ok());
    }
    done = true;
  });
  int checks = 0;
  while (!done.load() || checks == 0) {
    Result<std::vector<std::string>> all = b->ListAll("");
    ASSERT_TRUE(all.ok());
    size_t records = 0;
    for (const std::string& key : *all) records += key.starts_with("node/wal/entry/") ? 1 : 0;
    ASSERT_EQ(records * 2, all->size()) << "a batch was seen in one family only";
    ++checks;
  }
  writer.join();
  EXPECT_EQ(b->ListAll("")->size(), 800u);
}

// Every thread that reads, writes or lists turns RocksDB's per-thread perf
// counters off (nothing reads them; updating them cost ~2.5% of a write).
TEST(RocksdbBackendTest, ThreadsThatTouchTheStoreKeepNoPerfCounters) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  BackendPtr b = MustOpen(dir.path() + "/db");
  ASSERT_NE(b, nullptr);
  auto level_after = [&](const std::function<void()>& use) {
    rocksdb::PerfLevel level = rocksdb::PerfLevel::kUninitialized;
    std::thread t([&] {
      rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);  // RocksDB's default
      use();
      level = rocksdb::GetPerfLevel();
    });
    t.join();
    return level;
  };
  EXPECT_EQ(level_after([&] { EXPECT_TRUE(b->Put("sys/a", "1").ok()); }),
            rocksdb::PerfLevel::kDisable);
  EXPECT_EQ(level_after([&] { EXPECT_EQ(*b->Get("sys/a"), "1"); }), rocksdb::PerfLevel::kDisable);
  EXPECT_EQ(level_after([&] { EXPECT_TRUE(b->List("sys/").ok()); }),
            rocksdb::PerfLevel::kDisable);
}

TEST(RocksdbBackendTest, DirectoriesAre0700AndEveryFileIs0600EvenWithUmaskZero) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  ScopedUmask no_mask(0);  // RocksDB alone would now create 0644 files
  const std::string path = dir.path() + "/p/q/db";
  for (int round = 0; round < 2; ++round) {
    // The second open replays the WAL into an SST and rolls LOG, so every
    // kind of file RocksDB writes exists by the end.
    BackendPtr b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(b->Put("k/" + std::to_string(round) + "/" + std::to_string(i), "v").ok());
    }
    for (const std::string& name : FilesIn(path)) {
      EXPECT_EQ(ModeOf(path + "/" + name), 0600u) << name << " while open, round " << round;
    }
  }
  EXPECT_EQ(ModeOf(dir.path() + "/p"), 0700u);
  EXPECT_EQ(ModeOf(dir.path() + "/p/q"), 0700u);
  EXPECT_EQ(ModeOf(path), 0700u);
  bool saw_sst = false, saw_wal = false, saw_manifest = false, saw_lock = false, saw_log = false;
  std::vector<std::string> files = FilesIn(path);
  for (const std::string& name : files) {
    EXPECT_EQ(ModeOf(path + "/" + name), 0600u) << name;
    saw_sst |= name.ends_with(".sst");
    saw_wal |= name.ends_with(".log");
    saw_manifest |= name.starts_with("MANIFEST-");
    saw_lock |= name == "LOCK";
    saw_log |= name == "LOG";
  }
  EXPECT_TRUE(saw_sst && saw_wal && saw_manifest && saw_lock && saw_log)
      << "expected every kind of RocksDB file; found " << files.size() << " files";
}

TEST(RocksdbBackendTest, ExistingDirectoryKeepsItsModeButFilesArePrivate) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/shared";
  ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
  ASSERT_EQ(chmod(path.c_str(), 0755), 0);
  BackendPtr b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Put("k", "v").ok());
  EXPECT_EQ(ModeOf(path), 0755u);
  for (const std::string& name : FilesIn(path)) EXPECT_EQ(ModeOf(path + "/" + name), 0600u);
}

TEST(RocksdbBackendTest, SecondOpenInThisProcessIsALockError) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/db";
  BackendPtr first = MustOpen(path);
  ASSERT_NE(first, nullptr);
  Result<BackendPtr> second = OpenRocksdbBackend(path + "/");  // same dir, other spelling
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kIOError);
  EXPECT_NE(second.status().message().find("storage at " + path + " is locked"), std::string::npos)
      << second.status().ToString();
  // The first handle is unaffected.
  EXPECT_TRUE(first->Put("still", "works").ok());
}

TEST(RocksdbBackendTest, OpenHeldByAnotherProcessIsALockError) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/db";
  ASSERT_NE(MustOpen(path), nullptr);  // create, then close

  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const std::string lock_file = path + "/LOCK";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only async-signal-safe calls here: take the same fcntl lock RocksDB
    // takes, report, and hold it until the parent is done.
    int fd = open(lock_file.c_str(), O_RDWR);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    char ok = (fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0) ? 'y' : 'n';
    if (write(ready[1], &ok, 1) != 1) _exit(2);
    char done;
    if (read(release[0], &done, 1) < 0) _exit(3);
    _exit(0);
  }
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');

  Result<BackendPtr> b = OpenRocksdbBackend(path);
  char done = 'x';
  EXPECT_EQ(write(release[1], &done, 1), 1);
  int wstatus = 0;
  waitpid(child, &wstatus, 0);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);

  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "storage at " + path + " is locked by another process");
  // Once the other process is gone the directory opens again.
  EXPECT_NE(MustOpen(path), nullptr);
}

// Concurrent synced writers: RocksDB groups them into shared WAL syncs. Not a
// timing test: it checks that every acknowledged write landed and survives a
// reopen.
TEST(RocksdbBackendTest, ConcurrentSyncedWritersAllLand) {
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 200;
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/db";
  {
    BackendPtr b = MustOpen(path);
    ASSERT_NE(b, nullptr);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kWritesPerThread; ++i) {
          std::string key = "gc/" + std::to_string(t) + "/" + std::to_string(i);
          if (!b->Put(key, key).ok()) ++failures;
        }
      });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
  }
  BackendPtr b = MustOpen(path);
  ASSERT_NE(b, nullptr);
  Result<std::vector<std::string>> all = b->ListAll("gc/");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<size_t>(kThreads * kWritesPerThread));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWritesPerThread; ++i) {
      std::string key = "gc/" + std::to_string(t) + "/" + std::to_string(i);
      ASSERT_EQ(*b->Get(key), key);
    }
  }
}

TEST(RocksdbBackendTest, PathThatIsAFileIsInvalidArgument) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string file = dir.path() + "/plain";
  std::ofstream(file) << "not a directory";
  Result<BackendPtr> b = OpenRocksdbBackend(file);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Code::kInvalidArgument);
  EXPECT_FALSE(OpenRocksdbBackend(file + "/db").ok());
}

TEST(RocksdbBackendTest, DamagedDatabaseIsAnErrorNotACrash) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/db";
  ASSERT_NE(MustOpen(path), nullptr);
  std::ofstream(path + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
  Result<BackendPtr> b = OpenRocksdbBackend(path);
  EXPECT_FALSE(b.ok());
}

TEST(RocksdbBackendTest, InsertOrderIsByKeyAndKeepsTheOrderOfOpsOnOneKey) {
  Batch batch = {Op::Put("node/wal/state", "s"), Op::Delete("b/leaf"), Op::Put("a", "1"),
                 Op::Put("b/leaf", "new"),       Op::Put("a", "2"),     Op::Put("A", "x")};
  EXPECT_EQ(MemtableInsertOrder(batch), (std::vector<uint32_t>{5, 2, 4, 1, 3, 0}));
  EXPECT_TRUE(MemtableInsertOrder({}).empty());
}

TEST(RocksdbBackendTest, ABatchReorderedForTheMemtableMeansTheSame) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  BackendPtr b = MustOpen(dir.path() + "/db");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Write({Op::Put("k1", "old"), Op::Put("k2", "old")}).ok());
  // The last op on each key wins, wherever the key sorts among the others.
  ASSERT_TRUE(b->Write({Op::Put("z", "1"), Op::Delete("k1"), Op::Put("k1", "new"),
                        Op::Put("k2", "tmp"), Op::Delete("k2"), Op::Put("a", "first"),
                        Op::Put("a", "second")})
                  .ok());
  EXPECT_EQ(b->Get("k1").value(), std::optional<std::string>("new"));
  EXPECT_EQ(b->Get("k2").value(), std::nullopt);
  EXPECT_EQ(b->Get("a").value(), std::optional<std::string>("second"));
  EXPECT_EQ(b->Get("z").value(), std::optional<std::string>("1"));
}

}  // namespace
}  // namespace coffer::storage
