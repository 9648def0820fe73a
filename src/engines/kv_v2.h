// KV version 2: the versioned key/value secrets engine ("kv" with
// options.version "2", and "kv-v2").
//
// Endpoints (relative to the mount): config, data/<path>, delete/<path>,
// undelete/<path>, destroy/<path>, metadata/<path>, subkeys/<path>; see
// kv_v2_paths.h for the operations and kv_v2_model.h (and
// docs/formats/kv-v2.md) for the storage layout. Response shapes and error
// texts follow Vault's KV v2 API: a deleted or destroyed version is a 404
// that still carries {data: null, metadata}; any other path is a 404 with a
// warning naming the `kv` subcommand to use.
//
// Before serving its first request an engine makes sure its view is in v2
// layout, upgrading KV v1 data in place (kv_v2_state.h).
//
// Thread-safety: Handle/Exists may run concurrently; read-modify-write of one
// secret is serialised by a striped lock, so concurrent writes to the same
// secret get consecutive versions and CAS is exact.
#pragma once

#include "coffer/engine.h"
#include "engines/kv_v2_state.h"

namespace coffer::engines {

// A null clock means the system clock (tests pass a fake one).
EnginePtr NewKvV2Engine(NanoClock clock = nullptr);

}  // namespace coffer::engines
