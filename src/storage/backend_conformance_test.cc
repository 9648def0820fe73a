// One behavioural suite run against every backend: whatever core sees through
// the Backend interface must not depend on which backend is configured.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "coffer/storage.h"
#include "storage/inmem_backend.h"
#include "storage/rocksdb_backend.h"
#include "storage/temp_dir_for_test.h"

namespace coffer::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct BackendKind {
  std::string name;
  // Opens a backend; `dir` is a fresh temp dir the backend may use.
  std::function<Result<BackendPtr>(const std::string& dir)> open;
};

class BackendConformanceTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    Result<BackendPtr> opened = GetParam().open(dir_.path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    backend_ = std::move(opened).value();
  }
  void TearDown() override { backend_.reset(); }

  std::optional<std::string> MustGet(std::string_view key) {
    Result<std::optional<std::string>> got = backend_->Get(key);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::nullopt;
  }
  std::vector<std::string> MustList(std::string_view prefix) {
    Result<std::vector<std::string>> got = backend_->List(prefix);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::vector<std::string>{"<error>"};
  }
  std::vector<std::string> MustListAll(std::string_view prefix) {
    Result<std::vector<std::string>> got = backend_->ListAll(prefix);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    return got.ok() ? *got : std::vector<std::string>{"<error>"};
  }
  void PutAll(const std::vector<std::string>& keys) {
    for (const std::string& k : keys) ASSERT_TRUE(backend_->Put(k, "v:" + k).ok()) << k;
  }

  testing::TempDir dir_;
  BackendPtr backend_;
};

TEST_P(BackendConformanceTest, TypeNamesTheBackend) {
  EXPECT_EQ(backend_->Type(), GetParam().name);
}

TEST_P(BackendConformanceTest, GetMissingIsNullopt) {
  EXPECT_EQ(MustGet("nothing/here"), std::nullopt);
}

TEST_P(BackendConformanceTest, PutGetOverwriteDelete) {
  ASSERT_TRUE(backend_->Put("k", "one").ok());
  EXPECT_EQ(MustGet("k"), "one");
  ASSERT_TRUE(backend_->Put("k", "two").ok());
  EXPECT_EQ(MustGet("k"), "two");
  ASSERT_TRUE(backend_->Delete("k").ok());
  EXPECT_EQ(MustGet("k"), std::nullopt);
}

TEST_P(BackendConformanceTest, EmptyValueIsStoredNotMissing) {
  ASSERT_TRUE(backend_->Put("empty", "").ok());
  EXPECT_EQ(MustGet("empty"), std::string());
}

TEST_P(BackendConformanceTest, DeleteOfMissingKeyIsOk) {
  EXPECT_TRUE(backend_->Delete("never/written").ok());
  EXPECT_EQ(MustGet("never/written"), std::nullopt);
}

TEST_P(BackendConformanceTest, EmptyBatchIsOk) { EXPECT_TRUE(backend_->Write({}).ok()); }

TEST_P(BackendConformanceTest, BatchAppliesMixedPutsAndDeletesTogether) {
  PutAll({"x", "y"});
  ASSERT_TRUE(backend_
                  ->Write({Op::Put("a", "1"), Op::Delete("x"), Op::Put("b", "2"),
                           Op::Put("y", "new"), Op::Delete("missing")})
                  .ok());
  EXPECT_EQ(MustGet("a"), "1");
  EXPECT_EQ(MustGet("b"), "2");
  EXPECT_EQ(MustGet("x"), std::nullopt);
  EXPECT_EQ(MustGet("y"), "new");
  EXPECT_THAT(MustListAll(""), ElementsAre("a", "b", "y"));
}

TEST_P(BackendConformanceTest, LastOpOnAKeyWinsWithinABatch) {
  ASSERT_TRUE(backend_->Write({Op::Put("k", "v1"), Op::Put("k", "v2")}).ok());
  EXPECT_EQ(MustGet("k"), "v2");
  ASSERT_TRUE(backend_->Write({Op::Put("k", "v3"), Op::Delete("k")}).ok());
  EXPECT_EQ(MustGet("k"), std::nullopt);
  ASSERT_TRUE(backend_->Write({Op::Delete("k"), Op::Put("k", "v4")}).ok());
  EXPECT_EQ(MustGet("k"), "v4");
}

TEST_P(BackendConformanceTest, InvalidKeysAreRejectedAndNothingIsApplied) {
  Status empty = backend_->Put("", "v");
  EXPECT_EQ(empty.code(), Code::kInvalidArgument);
  Status nul = backend_->Write({Op::Put("good", "v"), Op::Put(std::string("ba\0d", 4), "v")});
  EXPECT_EQ(nul.code(), Code::kInvalidArgument);
  EXPECT_EQ(MustGet("good"), std::nullopt);
  EXPECT_EQ(backend_->Get("").status().code(), Code::kInvalidArgument);
  EXPECT_THAT(MustListAll(""), IsEmpty());
}

TEST_P(BackendConformanceTest, ListReturnsSortedImmediateChildrenWithDirs) {
  PutAll({"a/d", "a/c/f/g", "a/b", "a/c/d", "a/c/e", "a/e/", "aa/x", "b"});
  EXPECT_THAT(MustList("a/"), ElementsAre("b", "c/", "d", "e/"));
  EXPECT_THAT(MustList("a/c/"), ElementsAre("d", "e", "f/"));
  EXPECT_THAT(MustList(""), ElementsAre("a/", "aa/", "b"));
}

TEST_P(BackendConformanceTest, ListShowsALeafAndADirOfTheSameName) {
  PutAll({"a/b", "a/b/c", "a/b-x", "a/b0"});
  // Bytewise: '-' (0x2d) < '/' (0x2f) < '0' (0x30).
  EXPECT_THAT(MustList("a/"), ElementsAre("b", "b-x", "b/", "b0"));
}

TEST_P(BackendConformanceTest, ListDoesNotCountThePrefixKeyItself) {
  PutAll({"a/", "a/b"});
  EXPECT_THAT(MustList("a/"), ElementsAre("b"));
}

TEST_P(BackendConformanceTest, ListWithPrefixThatIsNotADirBoundary) {
  PutAll({"a/c/d", "a/cat", "a/cb", "a/d"});
  // The prefix is a plain string prefix: "a/c/d" lies under "a/c" as "/d".
  EXPECT_THAT(MustList("a/c"), ElementsAre("/", "at", "b"));
}

TEST_P(BackendConformanceTest, ListOfNothingIsAnEmptyVector) {
  EXPECT_THAT(MustList(""), IsEmpty());
  PutAll({"a/b"});
  EXPECT_THAT(MustList("zz/"), IsEmpty());
  EXPECT_THAT(MustList("a/b/"), IsEmpty());
}

TEST_P(BackendConformanceTest, ListSkipsLargeSubdirectoriesCorrectly) {
  std::vector<std::string> keys;
  for (int dir = 0; dir < 5; ++dir) {
    for (int i = 0; i < 100; ++i) {
      keys.push_back("big/d" + std::to_string(dir) + "/n" + std::to_string(i % 10) + "/k" +
                     std::to_string(i));
    }
  }
  keys.push_back("big/leaf");
  keys.push_back("bigger");
  Batch batch;
  for (const std::string& k : keys) batch.push_back(Op::Put(k, "v"));
  ASSERT_TRUE(backend_->Write(batch).ok());
  EXPECT_THAT(MustList("big/"), ElementsAre("d0/", "d1/", "d2/", "d3/", "d4/", "leaf"));
  EXPECT_EQ(MustList("big/d3/n7/").size(), 10u);
  EXPECT_EQ(MustListAll("big/").size(), 501u);
}

TEST_P(BackendConformanceTest, ListAndListAllHandleHighBytes) {
  PutAll({"p\xff/a", "p\xff\xff", "p\xff/b/c", "q"});
  EXPECT_THAT(MustList("p\xff"), ElementsAre("/", "\xff"));
  EXPECT_THAT(MustList("p\xff/"), ElementsAre("a", "b/"));
  EXPECT_THAT(MustListAll("p\xff"), ElementsAre("p\xff/a", "p\xff/b/c", "p\xff\xff"));
}

TEST_P(BackendConformanceTest, ListAllReturnsEveryFullKeySorted) {
  PutAll({"s/b/c", "s/a", "t", "s/b/a/z", "sa"});
  EXPECT_THAT(MustListAll("s/"), ElementsAre("s/a", "s/b/a/z", "s/b/c"));
  EXPECT_THAT(MustListAll("s"), ElementsAre("s/a", "s/b/a/z", "s/b/c", "sa"));
  EXPECT_THAT(MustListAll(""), ElementsAre("s/a", "s/b/a/z", "s/b/c", "sa", "t"));
  EXPECT_THAT(MustListAll("nope/"), IsEmpty());
}

// The replicated log's records ("node/wal/entry/...") may be kept apart from
// the other keys (RocksDB gives them a column family of their own); listings
// and batches see one key space all the same.
TEST_P(BackendConformanceTest, LogRecordsAndOtherKeysShareOneKeySpace) {
  ASSERT_TRUE(backend_
                  ->Write({Op::Put("node/wal/entry/0000000000000002", "r2"),
                           Op::Put("node/wal/state", "s"), Op::Put("node/wal/entry", "odd"),
                           Op::Put("node/wal/entry/0000000000000001", "r1"),
                           Op::Put("node/a", "a"), Op::Put("z", "z")})
                  .ok());
  EXPECT_THAT(MustList(""), ElementsAre("node/", "z"));
  EXPECT_THAT(MustList("node/"), ElementsAre("a", "wal/"));
  EXPECT_THAT(MustList("node/wal/"), ElementsAre("entry", "entry/", "state"));
  EXPECT_THAT(MustList("node/wal/entry/"), ElementsAre("0000000000000001", "0000000000000002"));
  EXPECT_THAT(MustListAll("node/wal/"),
              ElementsAre("node/wal/entry", "node/wal/entry/0000000000000001",
                          "node/wal/entry/0000000000000002", "node/wal/state"));
  EXPECT_THAT(MustListAll(""), ElementsAre("node/a", "node/wal/entry",
                                           "node/wal/entry/0000000000000001",
                                           "node/wal/entry/0000000000000002", "node/wal/state", "z"));
  EXPECT_THAT(MustListAll("node/wal/entry/0"),
              ElementsAre("node/wal/entry/0000000000000001", "node/wal/entry/0000000000000002"));
  // One batch deletes and writes on both sides at once.
  ASSERT_TRUE(backend_
                  ->Write({Op::Delete("node/wal/entry/0000000000000001"),
                           Op::Put("node/wal/state", "s2")})
                  .ok());
  EXPECT_EQ(backend_->Get("node/wal/entry/0000000000000001").value(), std::nullopt);
  EXPECT_EQ(backend_->Get("node/wal/entry/0000000000000002").value(),
            std::optional<std::string>("r2"));
  EXPECT_EQ(backend_->Get("node/wal/state").value(), std::optional<std::string>("s2"));
  EXPECT_THAT(MustList("node/wal/entry/"), ElementsAre("0000000000000002"));
}

TEST_P(BackendConformanceTest, BinaryValuesRoundTrip) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  std::string nuls(64, '\0');
  ASSERT_TRUE(backend_->Put("bin/all", all_bytes).ok());
  ASSERT_TRUE(backend_->Put("bin/nuls", nuls).ok());
  EXPECT_EQ(MustGet("bin/all"), all_bytes);
  EXPECT_EQ(MustGet("bin/nuls"), nuls);
}

TEST_P(BackendConformanceTest, LargeValueRoundTrips) {
  std::mt19937 rng(1234);
  std::string big(1 << 20, '\0');
  for (char& c : big) c = static_cast<char>(rng());
  ASSERT_TRUE(backend_->Put("big/value", big).ok());
  std::optional<std::string> got = MustGet("big/value");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->size(), big.size());
  EXPECT_TRUE(*got == big);  // not EXPECT_EQ: a mismatch would print 2 MiB
}

TEST_P(BackendConformanceTest, UnicodeKeys) {
  const std::string jp = "secret/日本語/鍵";
  const std::string ru = "secret/ключ";
  const std::string emoji = "secret/🔑";
  PutAll({jp, ru, emoji});
  EXPECT_EQ(MustGet(jp), "v:" + jp);
  EXPECT_EQ(MustGet(emoji), "v:" + emoji);
  // Bytewise UTF-8 order: Cyrillic (d0..) < CJK (e6..) < emoji (f0..).
  EXPECT_THAT(MustList("secret/"), ElementsAre("ключ", "日本語/", "🔑"));
}

// Writers race on shared keys and their own counters while readers check what
// the contract promises under concurrency: a batch is seen whole (the pair is
// both present or both absent in one ListAll) and a reader never sees a
// writer's counter go backwards.
TEST_P(BackendConformanceTest, ConcurrentReadersAndWriters) {
  constexpr int kWriters = 4;
  constexpr int kReaders = 4;
  constexpr int kRounds = 40;
  constexpr int kMinReads = 50;
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::string own = "counter/" + std::to_string(w);
      for (int n = 1; n <= kRounds; ++n) {
        std::string v = std::to_string(n);
        if (!backend_->Write({Op::Put("pair/x", v), Op::Put("pair/y", v)}).ok()) ++failures;
        if (!backend_->Put(own, v).ok()) ++failures;
        if (!backend_->Write({Op::Delete("pair/x"), Op::Delete("pair/y")}).ok()) ++failures;
      }
      --writers_left;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      std::vector<int> last_seen(kWriters, 0);
      // At least kMinReads passes even if the writers finish first.
      for (int pass = 0; writers_left.load() > 0 || pass < kMinReads; ++pass) {
        Result<std::vector<std::string>> pair = backend_->ListAll("pair/");
        if (!pair.ok() || (pair->size() != 0 && pair->size() != 2)) ++failures;
        for (int w = 0; w < kWriters; ++w) {
          Result<std::optional<std::string>> got = backend_->Get("counter/" + std::to_string(w));
          if (!got.ok()) {
            ++failures;
            continue;
          }
          int n = got->has_value() ? std::stoi(**got) : 0;
          if (n < last_seen[w]) ++failures;
          last_seen[w] = n;
        }
        if (!backend_->List("").ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(MustGet("counter/" + std::to_string(w)), std::to_string(kRounds));
  }
  EXPECT_THAT(MustListAll("pair/"), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, BackendConformanceTest,
    ::testing::Values(
        BackendKind{"inmem",
                    [](const std::string&) -> Result<BackendPtr> { return NewInmemBackend(); }},
        BackendKind{"rocksdb",
                    [](const std::string& dir) { return OpenRocksdbBackend(dir + "/db"); }}),
    [](const ::testing::TestParamInfo<BackendKind>& info) { return info.param.name; });

}  // namespace
}  // namespace coffer::storage
