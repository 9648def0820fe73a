#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace coffer::http {
namespace {

using namespace std::chrono_literals;

// Polls `done` for up to 10 s.
template <class F>
bool WaitFor(F done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(WorkerPoolTest, RunsEveryJobOnceMoveOnlyJobsToo) {
  WorkerPool pool(4);
  std::atomic<int> sum{0};
  for (int i = 1; i <= 1000; ++i) {
    auto value = std::make_unique<int>(i);  // move-only capture
    pool.Post([&sum, value = std::move(value)] { sum += *value; });
  }
  EXPECT_TRUE(WaitFor([&] { return sum.load() == 500500; }));
}

TEST(WorkerPoolTest, BlockedJobsDoNotStopTheOthersUpToThePoolSize) {
  constexpr int kThreads = 8;
  WorkerPool pool(kThreads);
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  bool release = false;
  for (int i = 0; i < kThreads; ++i) {
    pool.Post([&] {
      std::unique_lock<std::mutex> lock(mu);
      ++started;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return started == kThreads; }));
    release = true;
  }
  cv.notify_all();
}

// The thread that went idle last takes the next job: one job at a time runs
// on one thread, its caches warm.
TEST(WorkerPoolTest, TheThreadIdleLastTakesTheNextJob) {
  constexpr int kThreads = 8;
  WorkerPool pool(kThreads);
  ASSERT_TRUE(WaitFor([&] { return pool.idle_threads() == kThreads; }));
  std::set<std::thread::id> ran_on;
  for (int i = 0; i < 20; ++i) {
    std::atomic<bool> done{false};
    pool.Post([&] {
      ran_on.insert(std::this_thread::get_id());
      done = true;
    });
    ASSERT_TRUE(WaitFor([&] { return done.load() && pool.idle_threads() == kThreads; }));
  }
  EXPECT_EQ(ran_on.size(), 1u);
}

TEST(WorkerPoolTest, StopLetsRunningJobsFinishAndDropsQueuedOnesUnrun) {
  WorkerPool pool(1);
  std::mutex mu;
  std::condition_variable cv;
  bool running = false, release = false, finished = false;
  pool.Post([&] {
    std::unique_lock<std::mutex> lock(mu);
    running = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
    finished = true;
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return running; }));
  }
  auto witness = std::make_shared<int>(0);
  std::atomic<bool> queued_ran{false};
  pool.Post([&queued_ran, witness] { queued_ran = true; });
  EXPECT_EQ(witness.use_count(), 2);
  std::thread stopper([&] { pool.Stop(); });
  std::this_thread::sleep_for(20ms);  // Stop is waiting for the running job
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  stopper.join();
  EXPECT_TRUE(finished);
  EXPECT_FALSE(queued_ran);
  EXPECT_EQ(witness.use_count(), 1);  // the dropped job was destroyed
  pool.Post([&queued_ran] { queued_ran = true; });  // after Stop: dropped
  pool.Stop();                                     // idempotent
  EXPECT_FALSE(queued_ran);
}

}  // namespace
}  // namespace coffer::http
