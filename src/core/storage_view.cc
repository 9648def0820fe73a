#include "core/storage_view.h"

namespace coffer::core {

Result<std::optional<std::string>> StorageView::Get(std::string_view key) {
  return parent_->Get(prefix_ + std::string(key));
}

Result<storage::SharedValue> StorageView::GetShared(std::string_view key) {
  return parent_->GetShared(prefix_ + std::string(key));
}

Status StorageView::Write(const storage::Batch& batch) {
  storage::Batch scoped;
  scoped.reserve(batch.size());
  for (const auto& op : batch) {
    scoped.push_back(storage::Op{op.kind, prefix_ + op.key, op.value});
  }
  return parent_->Write(scoped);
}

Result<std::vector<std::string>> StorageView::List(std::string_view prefix) {
  return parent_->List(prefix_ + std::string(prefix));
}

Result<std::vector<std::string>> StorageView::ListAll(std::string_view prefix) {
  ASSIGN_OR_RETURN(auto keys, parent_->ListAll(prefix_ + std::string(prefix)));
  for (auto& k : keys) k.erase(0, prefix_.size());
  return keys;
}

Status StorageView::Clear() {
  ASSIGN_OR_RETURN(auto keys, parent_->ListAll(prefix_));
  // Bounded batches keep one deletion from building a huge write.
  constexpr size_t kChunk = 1000;
  for (size_t i = 0; i < keys.size(); i += kChunk) {
    storage::Batch batch;
    for (size_t j = i; j < keys.size() && j < i + kChunk; ++j) {
      batch.push_back(storage::Op::Delete(keys[j]));
    }
    RETURN_IF_ERROR(parent_->Write(batch));
  }
  return Status::Ok();
}

}  // namespace coffer::core
