// LeaseQueue: the expiration manager's schedule, a time-ordered set of
// (due time, lease id). It holds only ids and times, never whole entries, so
// 100,000 pending leases cost a few MB; the entries themselves live in
// storage (see lease.h).
//
// Thread-safety: every method may be called concurrently (one internal mutex).
// Invariants: each lease id appears at most once; the ordered set and the id
// index always hold the same (time, id) pairs. Add/Update/Remove are
// O(log n), and O(1) amortized for a lease due no earlier than every queued
// one (new tokens, new leases); PopDue is O(k log n) for k popped entries.
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
  // first; leases due at the same time in the order they were scheduled
  // (added, or last moved by Update).
  std::vector<Item> PopDue(int64_t now, size_t limit);
  // The earliest due time, or false when empty (for sizing a timer).
  bool NextDue(int64_t* due_time) const;
  bool Contains(const std::string& lease_id) const;
  size_t size() const;

 private:
  // Where a lease sits in by_time_. Ties are broken by a sequence number
  // taken when the lease is (re)scheduled, not by its id: a run of new tokens
  // shares one due second, and ordering them by their long ids cost a string
  // comparison per level of the tree for each (~1.7% of a service token's
  // CPU); in scheduling order each new lease goes at the end, found in
  // constant time from the end hint.
  struct Slot {
    int64_t due_time = 0;
    uint64_t seq = 0;
  };
  struct Entry {
    Slot slot;
    std::string_view lease_id;  // the key of due_by_id_
    bool operator<(const Entry& o) const {
      return slot.due_time != o.slot.due_time ? slot.due_time < o.slot.due_time
                                              : slot.seq < o.slot.seq;
    }
  };
  // REQUIRES: mu_ held. Files `id` (a key of due_by_id_) at due_time.
  void InsertLocked(std::string_view id, Slot& slot, int64_t due_time);

  mutable std::mutex mu_;
  uint64_t next_seq_ = 0;
  // Each id is stored once, as a key of due_by_id_; by_time_ views it (an
  // unordered_map's keys stay put until erased). A copy in each was two
  // allocations and ~100 bytes more per live token.
  std::set<Entry> by_time_;
  StringKeyMap<Slot> due_by_id_;
};

}  // namespace coffer::core
