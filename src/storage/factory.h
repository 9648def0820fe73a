// The registry of storage backends by name: the one place that maps a
// configuration's `storage "<type>" { ... }` to a backend.
//
//   "rocksdb", "file"  on-disk RocksDB; options {"path": "<dir>"} (required).
//                      "file" is accepted so Vault single-node configs work.
//   "inmem"            in memory, nothing survives; no options.
//
// Thread-safety: OpenBackend may be called from any thread.
// Errors: InvalidArgument for an unknown type or bad options (messages
// `unknown storage type "x"`, `storage path is required`); whatever the backend's
// open returns otherwise.
#pragma once

#include <string>

#include "coffer/json.h"
#include "coffer/status.h"
#include "coffer/storage.h"

namespace coffer::storage {

Result<BackendPtr> OpenBackend(const std::string& type, const Json& options);

}  // namespace coffer::storage
