// KV version 1: the unversioned key/value secrets engine ("kv" without
// options.version, "kv" with version "1", and the legacy "generic").
//
// Any path below the mount holds one JSON object, stored exactly as written
// (unknown fields included) and returned exactly on read. A read carries a
// TTL hint, never a lease: lease_id "", renewable false, lease_duration from
// the stored "ttl" field when it parses as a duration, else the mount's
// default lease TTL. The storage layout is the passthrough one
// (engines/passthrough.h): the secret path is the key.
//
// Thread-safety: the engine is stateless; Handle/Exists may run concurrently.
#pragma once

#include "coffer/engine.h"

namespace coffer::engines {

EnginePtr NewKvV1Engine();

}  // namespace coffer::engines
