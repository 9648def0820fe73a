// KvV2State: what one KV v2 engine instance shares between its handlers:
// the clock, the per-secret lock stripes, and the one-time layout check that
// upgrades a KV v1 view in place.
//
// Upgrade: a kv v1 mount tuned to version 2 gets a new v2 engine over the
// same view. Before its first request is served, EnsureLayout() looks for the
// layout marker (kv2/layout/, see kv_v2_model.h). Without it every key in the
// view is a v1 secret, because v1 never writes the marker and the upgrade
// writes the marker in the same batch as the migrated data. Each v1 key K
// becomes version 1 of the v2 secret K (created now, no custom metadata) and
// K itself is deleted; all of it, marker included, is one atomic storage
// batch, so a crash leaves either the old v1 layout or the complete v2 one.
// A fresh mount just gets the marker. Requests arriving during an upgrade
// wait for it.
//
// Thread-safety: every method may be called from any thread.
// Invariants: KeyLock(p) returns the same mutex for the same p for the life
// of the object; LayoutReady() never goes back to false.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string_view>

#include "coffer/status.h"
#include "coffer/storage.h"
#include "common/fiber.h"
#include "engines/nano_clock.h"

namespace coffer::engines {

class KvV2State {
 public:
  // A null clock means the system clock.
  explicit KvV2State(NanoClock clock);

  KvV2State(const KvV2State&) = delete;
  KvV2State& operator=(const KvV2State&) = delete;

  int64_t Now() const { return clock_(); }

  // Guards read-modify-write of one secret (shared for reads). Different
  // secrets may share a stripe; that costs concurrency, never correctness.
  fiber::SharedMutex& KeyLock(std::string_view path);

  // Guards read-modify-write of the mount config.
  fiber::SharedMutex& config_lock() { return config_mu_; }

  // Makes sure `view` is in v2 layout, upgrading a v1 view first (see the
  // file comment). Cheap once it has succeeded; retried after a failure.
  Status EnsureLayout(storage::Backend& view);
  bool LayoutReady() const { return layout_ready_.load(std::memory_order_acquire); }

 private:
  // A write holds its stripe until its group commit is durable (~2–10 ms
  // under load), so writers of different secrets that share a stripe queue
  // behind each other: with 64 stripes, ~23 of 64 concurrent writers did.
  // 1,024 (~57 KB per mount) leaves ~2 of 64 waiting.
  static constexpr size_t kStripes = 1024;

  NanoClock clock_;
  std::array<fiber::SharedMutex, kStripes> key_locks_;
  fiber::SharedMutex config_mu_;  // held across a write: fiber-aware, as the stripes
  fiber::SharedMutex layout_mu_;  // held across the upgrade's writes
  std::atomic<bool> layout_ready_{false};
};

// The upgrade itself, exposed for tests: migrates a view without the layout
// marker and writes the marker. Returns the number of v1 secrets moved (0 for
// a view already in v2 layout). REQUIRES: no concurrent writer on the view.
Result<size_t> UpgradeToV2Layout(storage::Backend& view, int64_t now);

}  // namespace coffer::engines
