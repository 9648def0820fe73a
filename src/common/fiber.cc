#include "common/fiber.h"

#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <boost/context/stack_context.hpp>
#include <condition_variable>
#include <memory>
#include <utility>
#include <vector>

// SharedMutex links waiters that live on the waiting fiber's or thread's
// stack; each unlinks before its frame ends (it returns only once granted,
// and granting unlinks it).
#pragma GCC diagnostic ignored "-Wdangling-pointer"

namespace coffer::fiber {
namespace ctx = boost::context;

struct Fiber {
  Home* home = nullptr;
  std::function<void()> fn;
  ctx::fiber self;  // the fiber's own context while it is not running
  ctx::fiber sink;  // the scheduler's context while the fiber runs
  bool done = false;
};

namespace {

thread_local Fiber* current = nullptr;

// As deep as a thread's stack needs to be for what runs here (a 512-level
// JSON body is rendered recursively), with a guard page below it so an
// overflow faults instead of overwriting memory. Pages are committed only as
// they are touched, so a stack costs what its deepest request used.
constexpr size_t kStackBytes = 2 << 20;
constexpr size_t kSpareStacks = 256;  // per thread

// An mmap and munmap per request would cost more than the thread switches
// fibers save, so each thread keeps the stacks of finished fibers.
class StackCache {
 public:
  StackCache() = default;
  StackCache(const StackCache&) = delete;
  StackCache& operator=(const StackCache&) = delete;
  ~StackCache() {
    for (ctx::stack_context& sc : spare_)
      ctx::protected_fixedsize_stack(kStackBytes).deallocate(sc);
  }
  ctx::stack_context Take() {
    if (spare_.empty()) return ctx::protected_fixedsize_stack(kStackBytes).allocate();
    ctx::stack_context sc = spare_.back();
    spare_.pop_back();
    return sc;
  }
  void Give(ctx::stack_context& sc) {
    if (spare_.size() < kSpareStacks) {
      spare_.push_back(sc);
    } else {
      ctx::protected_fixedsize_stack(kStackBytes).deallocate(sc);
    }
  }

 private:
  std::vector<ctx::stack_context> spare_;
};

thread_local StackCache stacks;

// boost's stack allocator interface over the thread's cache (a fiber is
// created and destroyed on the same thread).
struct CachedStack {
  ctx::stack_context allocate() { return stacks.Take(); }
  void deallocate(ctx::stack_context& sc) noexcept { stacks.Give(sc); }
};

void Run(Fiber* f) {
  Fiber* const outer = current;
  current = f;
  f->self = std::move(f->self).resume();
  current = outer;
  if (f->done) delete f;
}

}  // namespace

Fiber* Current() { return current; }

void Suspend() {
  Fiber* f = current;
  f->sink = std::move(f->sink).resume();
}

void Wake(Fiber* f) { f->home->reschedule(f); }

void RunNew(Home& home, std::function<void()> fn) {
  auto owned = std::make_unique<Fiber>();
  Fiber* const f = owned.get();
  f->home = &home;
  f->fn = std::move(fn);
  // Throws (nothing started, `f` freed) when no stack can be had.
  f->self = ctx::fiber(std::allocator_arg, CachedStack(), [f](ctx::fiber&& sink) {
    f->sink = std::move(sink);
    f->fn();
    f->fn = nullptr;  // what it captured goes while the fiber's stack is still there
    f->done = true;
    return std::move(f->sink);
  });
  owned.release();  // from here Run frees it when its function returns
  Run(f);
}

void Continue(Fiber* f) { Run(f); }

// ------------------------------------------------------------- SharedMutex

struct SharedMutex::Waiter {
  bool exclusive = false;
  bool granted = false;
  Fiber* fiber = nullptr;                 // while suspended
  std::condition_variable* cv = nullptr;  // a plain thread's
  Waiter* next = nullptr;
};

bool SharedMutex::try_lock() {
  std::lock_guard<std::mutex> lock(mu_);
  if (writer_ || readers_ > 0 || head_ != nullptr) return false;
  writer_ = true;
  return true;
}

bool SharedMutex::try_lock_shared() {
  std::lock_guard<std::mutex> lock(mu_);
  if (writer_ || head_ != nullptr) return false;
  ++readers_;
  return true;
}

void SharedMutex::Acquire(bool exclusive) {
  std::unique_lock<std::mutex> lock(mu_);
  // Nobody queued (arrival order) and compatible with the holders.
  if (head_ == nullptr && !writer_ && (!exclusive || readers_ == 0)) {
    if (exclusive) {
      writer_ = true;
    } else {
      ++readers_;
    }
    return;
  }
  Waiter me;
  me.exclusive = exclusive;
  (tail_ != nullptr ? tail_->next : head_) = &me;
  tail_ = &me;
  if (Current() != nullptr) {
    while (!me.granted) {
      me.fiber = Current();
      lock.unlock();
      Suspend();
      lock.lock();
    }
    return;
  }
  std::condition_variable cv;
  me.cv = &cv;
  cv.wait(lock, [&me] { return me.granted; });
}

void SharedMutex::GrantLocked() {
  while (head_ != nullptr) {
    Waiter* w = head_;
    if (w->exclusive ? (writer_ || readers_ > 0) : writer_) return;
    if (w->exclusive) {
      writer_ = true;
    } else {
      ++readers_;
    }
    head_ = w->next;
    if (head_ == nullptr) tail_ = nullptr;
    const bool exclusive = w->exclusive;
    w->granted = true;
    if (w->fiber != nullptr) {
      Wake(std::exchange(w->fiber, nullptr));
    } else if (w->cv != nullptr) {
      w->cv->notify_one();  // under mu_: the waiter's cv outlives this call
    }
    // `w` may be gone from here on (a thread waiter returns once mu_ is free).
    if (exclusive) return;
  }
}

void SharedMutex::unlock() {
  std::lock_guard<std::mutex> lock(mu_);
  writer_ = false;
  GrantLocked();
}

void SharedMutex::unlock_shared() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--readers_ == 0) GrantLocked();
}

}  // namespace coffer::fiber
