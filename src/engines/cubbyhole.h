// Cubbyhole: each token's private key/value store.
//
// Behaves like KV v1 without TTL hints: read/list/write/delete JSON objects
// at any path; reading a missing path is 404. The engine does not know about
// tokens: the core hands every request a storage view already confined to
// the calling token's cubbyhole, and destroys that view's contents when the
// token is revoked. One engine instance serves every token.
//
// Thread-safety: the engine is stateless; Handle/Exists may run concurrently.
#pragma once

#include "coffer/engine.h"

namespace coffer::engines {

EnginePtr NewCubbyholeEngine();

}  // namespace coffer::engines
