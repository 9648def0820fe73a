// kv_v2_paths: the KV v2 endpoints as framework paths.
//
//   DataPaths:     data/*path (read ?version, create/update, patch, delete
//                  latest), delete/*path, undelete/*path, destroy/*path
//                  ({versions}), subkeys/*path (?version, ?depth)
//                  -- kv_v2_data.cc
//   MetadataPaths: metadata/*path (read, list, create/update, patch,
//                  delete), config (read, update) -- kv_v2_metadata.cc
//
// Handlers take the storage view from the request (never null: the engine
// checks before dispatch) and the shared KvV2State for the clock and locks.
// The engine has already ensured the view is in v2 layout.
//
// Thread-safety: the paths capture only the shared state; handlers may run
// concurrently (read-modify-write of one secret holds its KeyLock).
#pragma once

#include <memory>
#include <vector>

#include "engines/framework.h"
#include "engines/kv_v2_state.h"

namespace coffer::engines::kv2 {

std::vector<framework::Path> DataPaths(std::shared_ptr<KvV2State> state);
std::vector<framework::Path> MetadataPaths(std::shared_ptr<KvV2State> state);

}  // namespace coffer::engines::kv2
