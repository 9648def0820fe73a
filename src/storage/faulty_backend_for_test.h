// Test-only helper: a Backend that forwards to another one, counts physical
// writes, and fails writes on demand (fault injection for crash-safety tests).
// Header-only so it stays out of coffer_storage; include it from *_test.cc
// files only.
//
// Thread-safety: as the inner backend; the knobs are atomics.
#pragma once

#include <atomic>
#include <functional>

#include "coffer/storage.h"

namespace coffer::storage::testing {

class FaultyBackend final : public Backend {
 public:
  explicit FaultyBackend(Backend* inner) : inner_(inner) {}
  Result<std::optional<std::string>> Get(std::string_view key) override {
    auto value = inner_->Get(key);
    if (after_get) after_get(key);
    return value;
  }
  Status Write(const Batch& batch) override {
    if (fail) return IOError("injected write failure");
    // A countdown: once it reaches zero, every later write fails.
    if (int left = succeed_writes.load(); left >= 0) {
      if (left == 0) return IOError("injected write failure");
      succeed_writes.store(left - 1);
    }
    writes.fetch_add(1);
    Status st = inner_->Write(batch);
    if (st.ok() && fail_after_write) return IOError("injected failure after the write");
    return st;
  }
  Result<std::vector<std::string>> List(std::string_view p) override { return inner_->List(p); }
  Result<std::vector<std::string>> ListAll(std::string_view p) override {
    return inner_->ListAll(p);
  }
  std::string_view Type() const override { return inner_->Type(); }

  std::atomic<bool> fail{false};         // every write fails while set
  std::atomic<int> succeed_writes{-1};   // >= 0: that many more writes succeed, then all fail
  std::atomic<int> writes{0};            // writes that reached the inner backend
  // Writes reach the inner backend and still report failure (an fsync error
  // after the data went in) while set.
  std::atomic<bool> fail_after_write{false};
  // Called after each read of the inner backend (a test pauses a reader
  // there); set before the backend is shared.
  std::function<void(std::string_view key)> after_get;

 private:
  Backend* inner_;
};

}  // namespace coffer::storage::testing
