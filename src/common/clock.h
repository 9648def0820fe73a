// clock: the wall-clock readings the project uses, in one place.
//
// Thread-safety: pure reads of the system clock; safe from any thread.
// Invariants: all values count from the Unix epoch in UTC.
#pragma once

#include <chrono>
#include <cstdint>

namespace coffer {

// Whole seconds since the Unix epoch (lease, token and secret-id times).
inline int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Milliseconds since the Unix epoch (replication timestamps, lag).
inline int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Nanoseconds since the Unix epoch (KV v2 version times).
inline int64_t UnixNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace coffer
