// StorageView: a storage::Backend confined to one key prefix of another
// backend (usually the barrier). Engines get one per mount, so a mount can
// never read or write another mount's keys.
//
// Thread-safety: as the underlying backend; the view itself is immutable.
// Invariant: every key passed down is prefix_ + key, and keys returned by
// List/ListAll have the prefix removed.
#pragma once

#include <string>

#include "coffer/storage.h"

namespace coffer::core {

class StorageView final : public storage::Backend {
 public:
  StorageView(storage::Backend* parent, std::string prefix)
      : parent_(parent), prefix_(std::move(prefix)) {}

  Result<std::optional<std::string>> Get(std::string_view key) override;
  Result<storage::SharedValue> GetShared(std::string_view key) override;
  Status Write(const storage::Batch& batch) override;
  Result<std::vector<std::string>> List(std::string_view prefix) override;
  Result<std::vector<std::string>> ListAll(std::string_view prefix) override;
  std::string_view Type() const override { return "view"; }

  const std::string& prefix() const { return prefix_; }

  // Deletes every key under the view (unmount, token revocation).
  Status Clear();

 private:
  storage::Backend* parent_;
  std::string prefix_;
};

}  // namespace coffer::core
