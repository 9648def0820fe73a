// FiberThread: a one-thread fiber scheduler for tests, as http::WorkerPool's
// fiber mode is: Run(jobs) starts each job on a fiber of the calling thread and
// continues woken fibers (woken from any thread) until every job returned.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/fiber.h"

namespace coffer::testing {

class FiberThread {
 public:
  FiberThread() {
    home_.reschedule = [this](fiber::Fiber* f) {
      std::lock_guard<std::mutex> lock(mu_);
      woken_.push_back(f);
      cv_.notify_one();
    };
  }
  FiberThread(const FiberThread&) = delete;
  FiberThread& operator=(const FiberThread&) = delete;

  void Run(std::vector<std::function<void()>> jobs) {
    live_ = jobs.size();
    thread_id_ = std::this_thread::get_id();
    for (auto& job : jobs) {
      fiber::RunNew(home_, [this, job = std::move(job)] {
        job();
        --live_;
      });
    }
    std::unique_lock<std::mutex> lock(mu_);
    while (live_ > 0) {
      cv_.wait_for(lock, std::chrono::milliseconds(10), [&] { return !woken_.empty(); });
      while (!woken_.empty()) {
        fiber::Fiber* f = woken_.front();
        woken_.pop_front();
        lock.unlock();
        fiber::Continue(f);
        lock.lock();
      }
    }
  }
  std::thread::id thread_id() const { return thread_id_; }

 private:
  fiber::Home home_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<fiber::Fiber*> woken_;  // guarded by mu_
  std::atomic<size_t> live_{0};
  std::thread::id thread_id_;
};

}  // namespace coffer::testing
