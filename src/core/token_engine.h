// The token auth method (mounted at auth/token/): create, lookup, renew and
// revoke tokens, token roles, accessor listing and tidy, as paths for the
// framework's PathEngine. Every handler works on the TokenStore; the engine's
// own storage view is unused (roles live in the store, under sys/token/).
//
// Paths (relative to the mount):
//   create, create-orphan, create/:role_name      POST  -> auth block
//   lookup (POST/GET {token}), lookup/:token (GET, legacy),
//   lookup-self, lookup-accessor[/:accessor]      -> data (token fields)
//   renew[/:token], renew-self, renew-accessor    POST  -> auth block
//   revoke, revoke-self, revoke-orphan, revoke-accessor   POST -> 204
//   roles/ (LIST), roles/:role_name (GET/POST/DELETE), accessors/ (LIST), tidy
//
// Authorisation: the core's ACL decides who reaches a path and sets
// Caller::sudo when the ACL grants sudo there; handlers add the documented
// in-handler rules (custom ids, no_parent, periods and revoke-orphan need root
// or sudo; non-privileged callers create tokens with a subset of their
// policies).
//
// Thread-safety: the paths hold a reference to the store, which must outlive
// them; handlers may run concurrently.
#pragma once

#include <vector>

#include "core/token_store.h"
#include "engines/framework.h"

namespace coffer::core {

std::vector<framework::Path> TokenPaths(TokenStore& tokens);

}  // namespace coffer::core
