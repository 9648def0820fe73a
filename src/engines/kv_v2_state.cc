#include "engines/kv_v2_state.h"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "engines/kv_v2_model.h"
#include "engines/stored_json.h"

namespace coffer::engines {

KvV2State::KvV2State(NanoClock clock) : clock_(clock ? std::move(clock) : SystemNanoClock()) {}

fiber::SharedMutex& KvV2State::KeyLock(std::string_view path) {
  return key_locks_[std::hash<std::string_view>{}(path) % kStripes];
}

Status KvV2State::EnsureLayout(storage::Backend& view) {
  if (LayoutReady()) return Status::Ok();
  std::lock_guard<fiber::SharedMutex> lock(layout_mu_);
  if (LayoutReady()) return Status::Ok();
  ASSIGN_OR_RETURN(size_t moved, UpgradeToV2Layout(view, Now()));
  if (moved > 0) {
    COFFER_LOG(kInfo, "kv") << "upgraded " << moved << " kv v1 secrets to kv v2 version 1";
  }
  layout_ready_.store(true, std::memory_order_release);
  return Status::Ok();
}

Result<size_t> UpgradeToV2Layout(storage::Backend& view, int64_t now) {
  ASSIGN_OR_RETURN(std::optional<std::string> marker, view.Get(kv2::kLayoutKey));
  if (marker) {
    ASSIGN_OR_RETURN(Json m, ParseStoredJson(*marker, "kv v2 layout marker"));
    const Json* format = m.is_object() && m.contains("format") ? &m["format"] : nullptr;
    if (format == nullptr || !format->is_number_integer() ||
        format->get<int64_t>() != kv2::kLayoutFormat) {
      return Corruption("kv v2 layout marker has an unknown format");
    }
    return size_t{0};
  }

  ASSIGN_OR_RETURN(std::vector<std::string> keys, view.ListAll(""));
  // Final value per key: the deletes of the v1 keys first, then the v2
  // records, so a v1 key that happens to equal a new v2 key ends up holding
  // the v2 record (the old value has been read by then).
  std::map<std::string, std::optional<std::string>> final_ops;
  std::vector<std::pair<std::string, std::string>> puts;
  for (const std::string& key : keys) {
    ASSIGN_OR_RETURN(std::optional<std::string> raw, view.Get(key));
    if (!raw) continue;  // cannot happen without a concurrent writer
    ASSIGN_OR_RETURN(Json data, ParseStoredJson(*raw, "kv v1 secret"));
    if (!data.is_object()) return Corruption("stored kv v1 secret is not a JSON object");
    kv2::Metadata meta;
    meta.AddVersion(now, 0, kv2::kDefaultMaxVersions);
    final_ops[key] = std::nullopt;
    storage::Op version = kv2::StoreVersionData(key, 1, data);
    storage::Op metadata = kv2::StoreMetadata(key, meta);
    puts.emplace_back(std::move(version.key), std::move(version.value));
    puts.emplace_back(std::move(metadata.key), std::move(metadata.value));
  }
  for (auto& [k, v] : puts) final_ops[k] = std::move(v);
  final_ops[std::string(kv2::kLayoutKey)] = DumpJsonCompact(Json{{"format", kv2::kLayoutFormat}});

  storage::Batch batch;
  batch.reserve(final_ops.size());
  for (auto& [k, v] : final_ops) {
    batch.push_back(v ? storage::Op::Put(k, std::move(*v)) : storage::Op::Delete(k));
  }
  RETURN_IF_ERROR(view.Write(batch));
  return puts.size() / 2;
}

}  // namespace coffer::engines
