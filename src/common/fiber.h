// fiber: requests that wait without holding a thread.
//
// The HTTP server runs the handlers Core::ServesOnFiber picks (kv writes,
// token creation) as fibers on two threads instead of one blocked thread
// each. A durable write waits for its group commit by suspending its fiber
// (Suspend); the committer makes it runnable again (Wake), which is a push on
// its thread's queue. Per write that saves the two sleeps and wake-ups of a
// handler thread (waiting for the commit, then idle in the pool) and keeps
// the working set on two stacks' worth of threads (docs/performance.md).
//
//   // on a fiber (Current() != nullptr), with `mu` guarding `ready`:
//   while (!ready) { waiter = fiber::Current(); lock.unlock(); fiber::Suspend(); lock.lock(); }
//   // elsewhere, under `mu`:
//   ready = true; if (waiter) fiber::Wake(std::exchange(waiter, nullptr));
//
// The rule that keeps this deadlock-free: a fiber suspended while holding a
// lock leaves its thread to the other fibers, so any of them that wants the
// same lock must wait for it by suspending too (SharedMutex below), never by
// blocking the thread, which would keep the holder from ever running again.
// Locks a fiber may hold across a durable write are SharedMutex (kv v2's key
// stripes, config and layout locks; the token store's write lock). The core's
// and the barrier's state locks are taken shared by fibers and exclusively
// only by plain threads (seal, rekey) that never wait for a fiber. Fibers never
// lead a group commit (ReplicatedLog hands that to its committer thread).
//
// Fibers never move between threads: Wake hands a fiber back to the thread
// that started it, so thread_local state stays valid across a Suspend.
//
// Thread-safety: Wake and SharedMutex from any thread; Suspend on a fiber.
#pragma once

#include <functional>
#include <mutex>

namespace coffer::fiber {

struct Fiber;  // opaque: created by RunNew, freed when its function returns

// The fiber running on this thread; null off a fiber.
Fiber* Current();
// Switches back to the thread's scheduler; returns once Wake(f) for this
// fiber has been called and its thread continues it. REQUIRES: on a fiber.
void Suspend();
// Makes a fiber that suspended (or is about to: it published itself under
// a lock the caller holds) runnable again on its own thread. Once per Suspend.
void Wake(Fiber* f);

// The scheduler's side (http::WorkerPool in fiber mode). A thread's Home says
// how Wake hands a fiber back to it; the thread then calls Continue.
struct Home {
  std::function<void(Fiber*)> reschedule;
};
// Starts `fn` on a new fiber of this thread and runs it until it returns or
// suspends. Stacks are 2 MiB with a guard page, reused per thread. Throws
// std::bad_alloc (nothing run) when no stack can be had.
void RunNew(Home& home, std::function<void()> fn);
// Runs a woken fiber until it returns or suspends again. On its home thread.
void Continue(Fiber* f);

// A reader-writer lock that grants waiters in arrival order; a waiter on a
// fiber suspends, one on a plain thread blocks. Meets the SharedMutex
// requirements (std::unique_lock, std::shared_lock, std::lock_guard).
class SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void lock() { Acquire(/*exclusive=*/true); }
  void lock_shared() { Acquire(/*exclusive=*/false); }
  bool try_lock();
  bool try_lock_shared();
  void unlock();
  void unlock_shared();

 private:
  struct Waiter;
  void Acquire(bool exclusive);
  void GrantLocked();  // REQUIRES: mu_ held

  std::mutex mu_;
  int readers_ = 0;         // GUARDED_BY(mu_)
  bool writer_ = false;     // GUARDED_BY(mu_)
  Waiter* head_ = nullptr;  // GUARDED_BY(mu_); waiters in arrival order,
  Waiter* tail_ = nullptr;  // GUARDED_BY(mu_)  each on its own stack
};

}  // namespace coffer::fiber
