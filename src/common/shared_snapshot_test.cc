#include "common/shared_snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace coffer {
namespace {

struct Pair {
  int a;
  int b;  // always equal to a in a published value
};

TEST(SharedSnapshotTest, LoadKeepsAValueAliveAfterItIsReplaced) {
  SharedSnapshot<const Pair> cell(std::make_shared<const Pair>(Pair{1, 1}));
  std::shared_ptr<const Pair> old = cell.Load();
  std::weak_ptr<const Pair> watch = old;
  cell.Store(std::make_shared<const Pair>(Pair{2, 2}));
  EXPECT_EQ(old->a, 1);
  EXPECT_EQ(cell.Load()->a, 2);
  EXPECT_EQ(cell.Read([](const Pair& p) { return p.b; }), 2);
  old.reset();
  EXPECT_TRUE(watch.expired());  // the cell let go of it at the Store
}

// Readers on many threads (more than there are cores) always see a whole
// published value while a writer keeps replacing it, and the writer is not
// starved by readers that never stop (with a reader-preferring lock this test
// does not end).
TEST(SharedSnapshotTest, ReadersSeeWholeValuesWhileAWriterReplacesThem) {
  SharedSnapshot<const Pair> cell(std::make_shared<const Pair>(Pair{0, 0}));
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 16; ++t) {
    readers.emplace_back([&] {
      int last = 0;
      while (!stop.load()) {
        auto p = cell.Load();
        if (p->a != p->b || p->a < last) torn.fetch_add(1);
        last = p->a;
        if (!cell.Read([](const Pair& q) { return q.a == q.b; })) torn.fetch_add(1);
        reads.fetch_add(1);
      }
    });
  }
  while (reads.load() < 100) std::this_thread::yield();  // the readers are under way
  for (int i = 1; i <= 2000; ++i) cell.Store(std::make_shared<const Pair>(Pair{i, i}));
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(cell.Load()->a, 2000);
}

}  // namespace
}  // namespace coffer
