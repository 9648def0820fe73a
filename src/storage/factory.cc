#include "storage/factory.h"

#include <string_view>

#include "storage/inmem_backend.h"
#include "storage/rocksdb_backend.h"

namespace coffer::storage {
namespace {

Result<std::string> RequiredPath(const Json& options) {
  if (!options.is_object() || !options.contains("path") || options["path"].is_null()) {
    return InvalidArgument("storage path is required");
  }
  const Json& path = options["path"];
  if (!path.is_string()) return InvalidArgument("storage path must be a string");
  std::string text = path.get<std::string>();
  if (text.empty()) return InvalidArgument("storage path is required");
  return text;
}

Result<BackendPtr> OpenRocksdb(const Json& options) {
  ASSIGN_OR_RETURN(std::string path, RequiredPath(options));
  return OpenRocksdbBackend(path);
}

Result<BackendPtr> OpenInmem(const Json& /*options*/) { return NewInmemBackend(); }

struct Registration {
  std::string_view type;
  Result<BackendPtr> (*open)(const Json& options);
};

// One line per backend name.
constexpr Registration kBackends[] = {
    {"rocksdb", &OpenRocksdb},
    {"file", &OpenRocksdb},  // Vault's single-node type name
    {"inmem", &OpenInmem},
};

}  // namespace

Result<BackendPtr> OpenBackend(const std::string& type, const Json& options) {
  for (const Registration& r : kBackends) {
    if (r.type == type) return r.open(options);
  }
  return InvalidArgument("unknown storage type \"" + type + "\"");
}

}  // namespace coffer::storage
