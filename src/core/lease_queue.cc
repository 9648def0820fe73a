#include "core/lease_queue.h"

namespace coffer::core {

bool LeaseQueue::Add(const std::string& lease_id, int64_t due_time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = due_by_id_.emplace(lease_id, due_time);
  if (!inserted) return false;
  by_time_.emplace(due_time, std::string_view(it->first));
  return true;
}

void LeaseQueue::Update(const std::string& lease_id, int64_t due_time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_by_id_.find(lease_id);
  if (it != due_by_id_.end()) {
    if (it->second == due_time) return;
    by_time_.erase({it->second, std::string_view(it->first)});
    it->second = due_time;
  } else {
    it = due_by_id_.emplace(lease_id, due_time).first;
  }
  by_time_.emplace(due_time, std::string_view(it->first));
}

bool LeaseQueue::Remove(const std::string& lease_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_by_id_.find(lease_id);
  if (it == due_by_id_.end()) return false;
  by_time_.erase({it->second, std::string_view(it->first)});
  due_by_id_.erase(it);  // after by_time_ let go of its view
  return true;
}

std::vector<LeaseQueue::Item> LeaseQueue::PopDue(int64_t now, size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Item> out;
  while (out.size() < limit && !by_time_.empty() && by_time_.begin()->first <= now) {
    auto node = by_time_.extract(by_time_.begin());
    auto id = due_by_id_.extract(due_by_id_.find(node.value().second));
    out.push_back(Item{node.value().first, std::move(id.key())});
  }
  return out;
}

bool LeaseQueue::NextDue(int64_t* due_time) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (by_time_.empty()) return false;
  *due_time = by_time_.begin()->first;
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
