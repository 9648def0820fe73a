// LeaseQueue: the expiration manager's schedule, a time-ordered set of
// (due time, lease id). It holds only ids and times, never whole entries, so
// 100,000 pending leases cost a few MB; the entries themselves live in
// storage (see lease.h).
//
// Thread-safety: every method may be called concurrently (one internal mutex).
// Invariants: each lease id appears at most once; the ordered set and the id
// index always hold the same (time, id) pairs. Add/Update/Remove are
// O(log n); PopDue is O(k log n) for k popped entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/string_key_map.h"

namespace coffer::core {

class LeaseQueue {
 public:
  struct Item {
    int64_t due_time = 0;
    std::string lease_id;
    bool operator==(const Item&) const = default;
  };

  // Schedules lease_id at due_time. Returns false (and changes nothing) when
  // the id is already queued.
  bool Add(const std::string& lease_id, int64_t due_time);
  // Moves a queued lease to due_time, or adds it when absent.
  void Update(const std::string& lease_id, int64_t due_time);
  // Unschedules lease_id. Returns false when it was not queued.
  bool Remove(const std::string& lease_id);
  // Removes and returns up to `limit` leases with due_time <= now, earliest
  // first (ties by lease id).
  std::vector<Item> PopDue(int64_t now, size_t limit);
  // The earliest due time, or false when empty (for sizing a timer).
  bool NextDue(int64_t* due_time) const;
  bool Contains(const std::string& lease_id) const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  // Each id is stored once, as a key of due_by_id_; by_time_ views it (an
  // unordered_map's keys stay put until erased). A copy in each was two
  // allocations and ~100 bytes more per live token.
  std::set<std::pair<int64_t, std::string_view>> by_time_;
  StringKeyMap<int64_t> due_by_id_;
};

}  // namespace coffer::core
