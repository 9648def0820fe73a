// WorkerPool: a fixed set of threads running posted jobs in FIFO order, for
// handlers that may block (a durable write waits on its thread for the group
// commit).
//
//   WorkerPool pool(64);
//   pool.Post([request = std::move(r)]() mutable { Serve(std::move(request)); });
//   pool.Stop();  // queued jobs are dropped unrun; running ones finish
//
// What it does differently from asio::thread_pool, which it replaces: a Post
// wakes at most one idle thread, and the one it wakes is the thread that went
// idle last (its stack and allocator caches are the warmest). asio's pool
// also made every thread that dequeued a job wake another one while jobs were
// queued, ~0.7 wake-ups per durable write at 64 connections on top of the
// one each job needs.
//
// In fiber mode (Runs::kOnFibers) each job runs on a fiber of one of the
// pool's threads (common/fiber.h): a job that waits by suspending its fiber
// frees the thread for the next job, and is continued on the same thread once
// woken, before any new job is started there. Jobs run in that mode must keep
// fiber.h's rule: no lock held across a suspension that another fiber takes
// by blocking its thread.
//
// Thread-safety: Post may be called from any thread; Stop from any thread but
// a job's; the destructor calls Stop.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/fiber.h"

namespace coffer::http {

class WorkerPool {
 public:
  enum class Runs { kOnThreads, kOnFibers };
  explicit WorkerPool(int threads, Runs runs = Runs::kOnThreads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();

  // Runs job() on a pool thread (move-only jobs welcome). After Stop the job
  // is destroyed unrun.
  template <class F>
  void Post(F&& job) {
    Enqueue(std::make_unique<Job<std::decay_t<F>>>(std::forward<F>(job)));
  }

  // Drops the queued jobs (destroying them on this thread), lets running ones
  // (in fiber mode: started ones, suspended or not) finish and joins every
  // thread. Idempotent.
  void Stop();

  // Threads waiting for a job (for tests).
  size_t idle_threads();

 private:
  struct JobBase {
    virtual ~JobBase() = default;
    virtual void Run() = 0;
  };
  template <class F>
  struct Job final : JobBase {
    explicit Job(F f) : f(std::move(f)) {}
    void Run() override { f(); }
    F f;
  };
  // One pool thread's wake-up: Enqueue hands it `woken` under mu_. Owned by
  // the pool, so a notify after mu_ is released never outlives it.
  struct Sleeper {
    std::condition_variable cv;
    bool woken = false;  // GUARDED_BY(mu_)
    // Fiber mode: this thread's fibers woken and waiting to be continued.
    std::deque<fiber::Fiber*> resumes;  // GUARDED_BY(mu_)
    fiber::Home home;                   // set before the thread starts
  };

  void Enqueue(std::unique_ptr<JobBase> job);
  void Loop(Sleeper& me);
  // Fiber mode: Wake's way back to `s`'s thread.
  void Reschedule(Sleeper& s, fiber::Fiber* f);
  // Hands `me` to a waiter: REQUIRES mu_ held; returns whether to notify.
  bool WakeLocked(Sleeper& me);
  static void RunGuarded(JobBase& job);

  const Runs runs_;

  std::mutex mu_;
  std::deque<std::unique_ptr<JobBase>> queue_;      // GUARDED_BY(mu_)
  std::vector<Sleeper*> idle_;                      // GUARDED_BY(mu_); back = idle last
  bool stopping_ = false;                           // GUARDED_BY(mu_)
  size_t live_fibers_ = 0;                          // GUARDED_BY(mu_); started, not returned
  std::vector<std::unique_ptr<Sleeper>> sleepers_;  // one per thread
  std::mutex stop_mu_;                              // serialises Stop
  std::vector<std::thread> threads_;                // GUARDED_BY(stop_mu_) after construction
};

}  // namespace coffer::http
