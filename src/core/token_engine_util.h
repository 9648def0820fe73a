// Internal to the token engine (token_engine*.cc): shared response builders
// and the create handler.
//
// Thread-safety: pure functions over their arguments (HandleCreate calls the
// store, which is thread-safe).
#pragma once

#include <string>

#include "coffer/engine.h"
#include "coffer/json.h"
#include "core/token_store.h"
#include "engines/framework.h"

namespace coffer::core::tokenengine {

// Root, or sudo granted by the ACL on the request path.
inline bool Privileged(const Caller& c) { return c.root || c.sudo; }

// The data of a lookup: Vault's documented token fields. `id` is "" for
// lookups by accessor.
Json LookupData(const TokenEntry& e, int64_t now, bool include_id);

// The auth block of a create or renew response; client_token is e.id.
AuthInfo AuthFor(const TokenEntry& e);

enum class CreateMode { kNormal, kOrphan, kRole };

// auth/token/create, create-orphan and create/:role_name.
Result<Response> HandleCreate(TokenStore& tokens, const EngineRequest& req,
                              const framework::Params& params, CreateMode mode);

}  // namespace coffer::core::tokenengine
