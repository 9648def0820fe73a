#include "core/lease_queue.h"

namespace coffer::core {

void LeaseQueue::InsertLocked(std::string_view id, Slot& slot, int64_t due_time) {
  slot = Slot{due_time, next_seq_++};
  // The newest sequence number: at the end unless an earlier time is queued
  // after it (the hint then only costs the usual search).
  by_time_.emplace_hint(by_time_.end(), Entry{slot, id});
}

bool LeaseQueue::Add(const std::string& lease_id, int64_t due_time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = due_by_id_.emplace(lease_id, Slot{});
  if (!inserted) return false;
  InsertLocked(it->first, it->second, due_time);
  return true;
}

void LeaseQueue::Update(const std::string& lease_id, int64_t due_time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_by_id_.find(lease_id);
  if (it != due_by_id_.end()) {
    if (it->second.due_time == due_time) return;
    by_time_.erase(Entry{it->second, it->first});
  } else {
    it = due_by_id_.emplace(lease_id, Slot{}).first;
  }
  InsertLocked(it->first, it->second, due_time);
}

bool LeaseQueue::Remove(const std::string& lease_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_by_id_.find(lease_id);
  if (it == due_by_id_.end()) return false;
  by_time_.erase(Entry{it->second, it->first});
  due_by_id_.erase(it);  // after by_time_ let go of its view
  return true;
}

std::vector<LeaseQueue::Item> LeaseQueue::PopDue(int64_t now, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Item> out;
  while (out.size() < limit && !by_time_.empty() && by_time_.begin()->slot.due_time <= now) {
    auto node = by_time_.extract(by_time_.begin());
    auto id = due_by_id_.extract(due_by_id_.find(node.value().lease_id));
    out.push_back(Item{node.value().slot.due_time, std::move(id.key())});
  }
  return out;
}

bool LeaseQueue::NextDue(int64_t* due_time) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (by_time_.empty()) return false;
  *due_time = by_time_.begin()->slot.due_time;
  return true;
}

bool LeaseQueue::Contains(const std::string& lease_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return due_by_id_.count(lease_id) != 0;
}

size_t LeaseQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return due_by_id_.size();
}

}  // namespace coffer::core
