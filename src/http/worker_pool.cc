#include "http/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <exception>

#include "common/log.h"

namespace coffer::http {

WorkerPool::WorkerPool(int threads, Runs runs) : runs_(runs) {
  const size_t n = static_cast<size_t>(threads > 0 ? threads : 1);
  sleepers_.reserve(n);
  threads_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    sleepers_.push_back(std::make_unique<Sleeper>());
    Sleeper* me = sleepers_.back().get();
    me->home.reschedule = [this, me](fiber::Fiber* f) { Reschedule(*me, f); };
    threads_.emplace_back([this, me] { Loop(*me); });
  }
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Enqueue(std::unique_ptr<JobBase> job) {
  Sleeper* wake = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;  // `job` is destroyed here, unrun
    queue_.push_back(std::move(job));
    if (!idle_.empty()) {
      wake = idle_.back();
      idle_.pop_back();
      wake->woken = true;
    }
  }
  // Outside the lock, so the woken thread does not block on mu_ at once.
  if (wake != nullptr) wake->cv.notify_one();
}

void WorkerPool::RunGuarded(JobBase& job) {
  try {
    job.Run();
  } catch (const std::exception& e) {
    // Handlers do not throw by design; keep the thread if one does.
    COFFER_LOG(kError, "http") << "worker thread caught: " << e.what();
  } catch (...) {
    COFFER_LOG(kError, "http") << "worker thread caught a non-standard exception";
  }
}

bool WorkerPool::WakeLocked(Sleeper& me) {
  auto it = std::find(idle_.begin(), idle_.end(), &me);
  if (it == idle_.end()) return false;  // running: it looks before it sleeps
  idle_.erase(it);
  me.woken = true;
  return true;
}

void WorkerPool::Reschedule(Sleeper& s, fiber::Fiber* f) {
  bool notify = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.resumes.push_back(f);
    notify = WakeLocked(s);
  }
  if (notify) s.cv.notify_one();
}

void WorkerPool::Loop(Sleeper& me) {
  pthread_setname_np(pthread_self(), "coffer-handler");
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // Woken fibers first: they finish requests already under way.
    if (!me.resumes.empty()) {
      fiber::Fiber* f = me.resumes.front();
      me.resumes.pop_front();
      lock.unlock();
      fiber::Continue(f);
      lock.lock();
      continue;
    }
    // A stopping pool starts nothing new, but its fibers must finish: their
    // threads are the only ones that can continue them.
    if (stopping_ && live_fibers_ == 0) return;
    if (!stopping_ && !queue_.empty()) {
      std::unique_ptr<JobBase> job = std::move(queue_.front());
      queue_.pop_front();
      if (runs_ == Runs::kOnFibers) {
        ++live_fibers_;
        lock.unlock();
        JobBase* const raw = job.release();
        auto run = [this, raw] {
          RunGuarded(*raw);
          delete raw;  // what the job holds goes before the lock is taken
          std::lock_guard<std::mutex> relock(mu_);
          if (--live_fibers_ == 0 && stopping_) {
            for (auto& s : sleepers_) s->cv.notify_one();  // they may leave now
          }
        };
        try {
          fiber::RunNew(me.home, run);
        } catch (const std::exception& e) {
          // No stack to be had (mmap failed): run it on this thread, where
          // its waits block the thread instead.
          COFFER_LOG(kWarn, "http")
              << "cannot start a fiber (" << e.what() << "); running the request on its thread";
          run();
        }
      } else {
        lock.unlock();
        RunGuarded(*job);
        job.reset();  // what the job holds goes before the lock is taken again
      }
      lock.lock();
      continue;
    }
    me.woken = false;
    idle_.push_back(&me);
    me.cv.wait(lock, [&] { return me.woken || (stopping_ && live_fibers_ == 0); });
    if (!me.woken) std::erase(idle_, &me);  // stopping: still listed
  }
}

void WorkerPool::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  std::deque<std::unique_ptr<JobBase>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  for (auto& s : sleepers_) s->cv.notify_one();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  dropped.clear();
}

size_t WorkerPool::idle_threads() {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_.size();
}

}  // namespace coffer::http
