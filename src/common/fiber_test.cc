#include "common/fiber.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "common/fiber_scheduler_for_test.h"

namespace coffer::fiber {
namespace {

TEST(FiberTest, OffAFiberThereIsNoCurrentFiber) { EXPECT_EQ(Current(), nullptr); }

TEST(FiberTest, ASuspendedFiberLetsTheNextOneRunAndContinuesOnItsOwnThreadWhenWoken) {
  testing::FiberThread scheduler;
  std::vector<int> order;
  Fiber* first = nullptr;
  std::thread::id resumed_on;
  scheduler.Run({
      [&] {
        first = Current();
        ASSERT_NE(first, nullptr);
        order.push_back(1);
        Suspend();
        order.push_back(3);
        resumed_on = std::this_thread::get_id();
      },
      [&] {
        order.push_back(2);
        // Woken from another thread, continued on the scheduler's.
        std::thread([&] { Wake(first); }).join();
      },
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(resumed_on, scheduler.thread_id());
  EXPECT_EQ(Current(), nullptr);
}

TEST(FiberTest, AWakeBeforeTheFiberHasSwitchedOutIsNotLost) {
  // The waiter publishes itself under a lock, releases it and suspends; the
  // waker may run in between. The scheduler continues the fiber only after it
  // switched out, so the wake-up is never lost.
  testing::FiberThread scheduler;
  std::mutex mu;
  bool ready = false;
  Fiber* waiter = nullptr;
  bool finished = false;
  scheduler.Run({[&] {
    std::unique_lock<std::mutex> lock(mu);
    std::thread waker([&] {
      std::lock_guard<std::mutex> l(mu);
      ready = true;
      if (waiter != nullptr) Wake(std::exchange(waiter, nullptr));
    });
    while (!ready) {
      waiter = Current();
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the waker gets in first
      Suspend();
      lock.lock();
    }
    lock.unlock();
    waker.join();
    finished = true;
  }});
  EXPECT_TRUE(finished);
}

// The case fiber.h's rule is about: a fiber holds a lock across a suspension
// and another fiber of the same thread wants it. With SharedMutex the second
// suspends, the thread runs the holder again once woken, and both finish
// (with std::shared_mutex the second would block the only thread forever).
TEST(FiberTest, ASecondFiberWantingALockAnotherHoldsAcrossASuspensionWaitsWithoutBlocking) {
  testing::FiberThread scheduler;
  SharedMutex mu;
  Fiber* holder = nullptr;
  std::vector<std::string> order;
  std::thread waker;
  scheduler.Run({
      [&] {
        std::lock_guard<SharedMutex> lock(mu);
        order.push_back("holder locked");
        holder = Current();
        Suspend();  // as a write waiting for its group commit
        order.push_back("holder unlocks");
      },
      [&] {
        // Wakes the holder "later" from another thread, then waits for the lock.
        waker = std::thread([&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          Wake(holder);
        });
        std::shared_lock<SharedMutex> lock(mu);
        order.push_back("reader locked");
      },
  });
  waker.join();
  EXPECT_EQ(order, (std::vector<std::string>{"holder locked", "holder unlocks", "reader locked"}));
}

TEST(SharedMutexTest, ReadersShareWritersExcludeAndWaitersGoInArrivalOrder) {
  SharedMutex mu;
  ASSERT_TRUE(mu.try_lock_shared());
  ASSERT_TRUE(mu.try_lock_shared());
  EXPECT_FALSE(mu.try_lock());
  mu.unlock_shared();
  mu.unlock_shared();
  ASSERT_TRUE(mu.try_lock());
  EXPECT_FALSE(mu.try_lock_shared());
  // While the writer holds it: a writer queues, then a reader; the reader
  // must not overtake the queued writer.
  std::mutex order_mu;
  std::vector<std::string> order;
  std::thread writer([&] {
    std::lock_guard<SharedMutex> lock(mu);
    std::lock_guard<std::mutex> l(order_mu);
    order.push_back("writer");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  std::thread reader([&] {
    std::shared_lock<SharedMutex> lock(mu);
    std::lock_guard<std::mutex> l(order_mu);
    order.push_back("reader");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(mu.try_lock_shared());  // queued waiters go first
  mu.unlock();
  writer.join();
  reader.join();
  EXPECT_EQ(order, (std::vector<std::string>{"writer", "reader"}));
  EXPECT_TRUE(mu.try_lock());
  mu.unlock();
}

TEST(SharedMutexTest, ManyThreadsKeepACounterExact) {
  SharedMutex mu;
  int64_t counter = 0;  // guarded by mu
  std::atomic<int64_t> reads{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        if ((i + t) % 4 == 0) {
          std::lock_guard<SharedMutex> lock(mu);
          const int64_t before = counter;
          counter = before + 1;
        } else {
          std::shared_lock<SharedMutex> lock(mu);
          if (counter >= 0) reads.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter, 8 * 5000 / 4);
  EXPECT_EQ(reads.load(), 8 * 5000 * 3 / 4);
}

}  // namespace
}  // namespace coffer::fiber
