// SharedSnapshot<T>: the current version of an immutable value that is
// replaced whole now and then (the mount table, the mount classes) and read
// by every request.
//
//   SharedSnapshot<const Table> table(std::make_shared<const Table>());
//   std::shared_ptr<const Table> now = table.Load();  // stays valid
//   table.Read([](const Table& t) { ... });  // no reference count touched
//   table.Store(std::make_shared<const Table>(...));
//
// Why not std::atomic<std::shared_ptr<T>>: libstdc++ guards it with a spin
// lock (a bit of the pointer word), and with dozens of handler threads on two
// cores a thread preempted while holding it leaves the others spinning on
// `pause` for their whole time slice: 95% of Router::Find's samples, 2.5% of
// a service token's CPU (perf, 2026-11-29). Here readers share a
// reader-writer lock, which a preempted reader does not hold against other
// readers, and a waiter sleeps instead of spinning. The lock prefers writers
// (glibc's default prefers readers, and a Store could wait forever while
// request threads keep reading), so Read must not call back into the same
// snapshot.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <pthread.h>

#include <memory>
#include <utility>

namespace coffer {

template <class T>
class SharedSnapshot {
 public:
  explicit SharedSnapshot(std::shared_ptr<T> initial = nullptr) : value_(std::move(initial)) {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&mu_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~SharedSnapshot() { pthread_rwlock_destroy(&mu_); }
  SharedSnapshot(const SharedSnapshot&) = delete;
  SharedSnapshot& operator=(const SharedSnapshot&) = delete;

  std::shared_ptr<T> Load() const {
    Reading read(mu_);
    return value_;
  }
  // Calls fn(value) under the read lock, without copying the pointer (two
  // atomic updates of a counter every reader shares). Keep fn short: a Store
  // waits for it.
  template <class Fn>
  decltype(auto) Read(Fn&& fn) const {
    Reading read(mu_);
    return std::forward<Fn>(fn)(*value_);
  }
  // The old value is released after the lock, so its destructor (say, an
  // engine's) never runs while readers wait.
  void Store(std::shared_ptr<T> next) {
    pthread_rwlock_wrlock(&mu_);
    value_.swap(next);
    pthread_rwlock_unlock(&mu_);
  }

 private:
  struct Reading {
    explicit Reading(pthread_rwlock_t& mu) : mu(mu) { pthread_rwlock_rdlock(&mu); }
    ~Reading() { pthread_rwlock_unlock(&mu); }
    Reading(const Reading&) = delete;
    Reading& operator=(const Reading&) = delete;
    pthread_rwlock_t& mu;
  };

  mutable pthread_rwlock_t mu_;
  std::shared_ptr<T> value_;
};

}  // namespace coffer
