// passthrough: the unversioned key/value store behind KV v1 and cubbyhole.
//
// Every request path (relative to the mount) is a storage key in the view;
// the value is the request body as given, a JSON object stored as compact
// JSON text. Reads return it unchanged, writes replace it whole, deletes
// remove it, and lists return the view's immediate children (directories end
// with '/').
//
// Thread-safety: the paths hold no state; handlers may run concurrently (the
// storage view serialises writes, and a write replaces a whole value).
// Invariants:
//  - Only JSON objects are stored; a non-empty path not ending in '/' is the
//    only kind of key ever written, so keys ending in '/' are never user data
//    (the KV v2 upgrade relies on this: see kv_v2_model.h).
//  - A write with no fields is refused (400 "missing data fields"), as Vault
//    does.
#pragma once

#include <vector>

#include "engines/framework.h"

namespace coffer::engines {

struct PassthroughOptions {
  // KV v1: reads carry a TTL hint (SecretInfo with an empty lease id) taken
  // from the stored "ttl" (or "lease") field, else the mount's default TTL.
  // Cubbyhole: reads carry no lease information.
  bool ttl_hints = false;
};

// One catch-all path ("*path") with read, list, create/update and delete,
// plus an existence check for create vs update.
std::vector<framework::Path> PassthroughPaths(PassthroughOptions options);

}  // namespace coffer::engines
