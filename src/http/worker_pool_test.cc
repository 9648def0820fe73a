#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

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

// Fiber mode: a job that waits by suspending frees its thread, so one thread
// runs many waiting jobs at once (a thread pool of one would run them one
// by one); each is continued on the thread that started it.
TEST(WorkerPoolTest, OnFibersOneThreadRunsManyJobsThatWaitAtOnce) {
  WorkerPool pool(1, WorkerPool::Runs::kOnFibers);
  constexpr int kJobs = 50;
  std::mutex mu;
  std::vector<fiber::Fiber*> waiting;  // guarded by mu
  std::atomic<int> finished{0};
  std::atomic<bool> same_thread{true};
  for (int i = 0; i < kJobs; ++i) {
    pool.Post([&] {
      const auto started_on = std::this_thread::get_id();
      {
        std::lock_guard<std::mutex> lock(mu);
        waiting.push_back(fiber::Current());
      }
      fiber::Suspend();
      if (std::this_thread::get_id() != started_on) same_thread = false;
      finished.fetch_add(1);
    });
  }
  // All of them are suspended at once on the pool's single thread.
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return waiting.size() == kJobs;
  }));
  EXPECT_EQ(finished.load(), 0);
  EXPECT_EQ(pool.idle_threads(), 1u);
  {
    std::lock_guard<std::mutex> lock(mu);
    for (fiber::Fiber* f : waiting) fiber::Wake(f);  // from this (foreign) thread
  }
  ASSERT_TRUE(WaitFor([&] { return finished.load() == kJobs; }));
  EXPECT_TRUE(same_thread);
}

// Stop waits for suspended fibers: only the pool's threads can continue them.
TEST(WorkerPoolTest, OnFibersStopWaitsForSuspendedJobsToFinish) {
  WorkerPool pool(1, WorkerPool::Runs::kOnFibers);
  std::atomic<fiber::Fiber*> waiting{nullptr};
  std::atomic<bool> finished{false};
  pool.Post([&] {
    waiting = fiber::Current();
    fiber::Suspend();
    finished = true;
  });
  ASSERT_TRUE(WaitFor([&] { return waiting.load() != nullptr; }));
  std::thread stopper([&] { pool.Stop(); });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(finished);
  fiber::Wake(waiting.load());
  stopper.join();
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace coffer::http
