#include "storage/inmem_backend.h"

#include <pthread.h>

#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "storage/keys.h"

namespace coffer::storage {
namespace {

// A shared mutex that lets a waiting writer in before new readers. glibc's
// default rwlock (behind std::shared_mutex) prefers readers, and a steady
// stream of Get/List calls then starves Write indefinitely. Not recursive:
// a thread must not take the shared lock twice. Usable with std::shared_lock
// and std::unique_lock.
class WriterPreferringSharedMutex {
 public:
  WriterPreferringSharedMutex() = default;
  WriterPreferringSharedMutex(const WriterPreferringSharedMutex&) = delete;
  WriterPreferringSharedMutex& operator=(const WriterPreferringSharedMutex&) = delete;
  ~WriterPreferringSharedMutex() { pthread_rwlock_destroy(&rw_); }

  void lock() { pthread_rwlock_wrlock(&rw_); }
  void unlock() { pthread_rwlock_unlock(&rw_); }
  void lock_shared() { pthread_rwlock_rdlock(&rw_); }
  void unlock_shared() { pthread_rwlock_unlock(&rw_); }

 private:
  // A static initializer: no init call that could fail.
  pthread_rwlock_t rw_ = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
};

class InmemBackend final : public Backend {
 public:
  // Backend:
  Result<std::optional<std::string>> Get(std::string_view key) override {
    RETURN_IF_ERROR(ValidateKey(key));
    std::shared_lock lock(mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status Write(const Batch& batch) override {
    RETURN_IF_ERROR(ValidateBatch(batch));
    std::unique_lock lock(mu_);
    // Ops apply in order, so the last op on a key within the batch wins.
    for (const Op& op : batch) {
      if (op.kind == Op::Kind::kPut) {
        data_.insert_or_assign(op.key, op.value);
      } else {
        data_.erase(op.key);
      }
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> List(std::string_view prefix) override {
    std::vector<std::string> out;
    std::shared_lock lock(mu_);
    auto it = data_.lower_bound(prefix);
    while (it != data_.end()) {
      std::optional<Child> child = ImmediateChild(prefix, it->first);
      if (!child) {
        if (it->first == prefix) {  // the prefix itself is a key: not a child
          ++it;
          continue;
        }
        break;  // past the keys that start with prefix
      }
      if (child->is_dir) {
        std::string skip = SkipPastDir(std::string(prefix) + child->name);
        out.push_back(std::move(child->name));
        it = data_.lower_bound(skip);
      } else {
        out.push_back(std::move(child->name));
        ++it;
      }
    }
    return out;
  }

  Result<std::vector<std::string>> ListAll(std::string_view prefix) override {
    std::vector<std::string> out;
    std::shared_lock lock(mu_);
    for (auto it = data_.lower_bound(prefix);
         it != data_.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix;
         ++it) {
      out.push_back(it->first);
    }
    return out;
  }

  std::string_view Type() const override { return "inmem"; }

 private:
  WriterPreferringSharedMutex mu_;
  std::map<std::string, std::string, std::less<>> data_;  // guarded by mu_
};

}  // namespace

BackendPtr NewInmemBackend() { return std::make_unique<InmemBackend>(); }

}  // namespace coffer::storage
