// The drill's writer: one thread doing KV v2 writes to secret/drill/<run>/<n>
// on a target cluster that the drill can switch, recording which writes were
// acknowledged (200) by which target and when.
//
// Thread-safety: SwitchTo/Stop/snapshots are called from the drill's thread
// while the writer thread runs; shared fields are guarded by mu_.
// Invariants: a write counts as acknowledged only on a 2xx answer; the token
// is never logged.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/api_client.h"

namespace coffer::cli {

class DrillWriter {
 public:
  struct Ack {
    std::string key;  // under secret/drill/
    int target = 0;   // index of the SwitchTo that was current
    std::chrono::steady_clock::time_point at;
  };

  DrillWriter(TransportFactory factory, std::string token, std::string run);
  ~DrillWriter();
  DrillWriter(const DrillWriter&) = delete;
  DrillWriter& operator=(const DrillWriter&) = delete;

  // Starts writing to `addr` (target 0).
  void Start(const std::string& addr);
  // Later writes go to `addr` (target 1, 2, ...); returns the new index.
  int SwitchTo(const std::string& addr);
  void Stop();

  std::vector<Ack> Acks() const;
  long long Failures() const;
  // The first ack by `target` at or after `since`, if any.
  bool FirstAckBy(int target, std::chrono::steady_clock::time_point since,
                  std::chrono::steady_clock::time_point* at) const;
  size_t AckCount() const;

 private:
  void Loop();

  TransportFactory factory_;
  std::string token_;
  std::string run_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::string addr_;   // guarded by mu_
  int target_ = -1;    // guarded by mu_
  std::vector<Ack> acks_;  // guarded by mu_
  long long failures_ = 0; // guarded by mu_
};

}  // namespace coffer::cli
