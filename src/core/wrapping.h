// Response wrapping: a response is stored in the cubbyhole of a fresh
// single-use token and the client gets only wrap_info (the token, its
// accessor, TTL, creation time and path). The token unwraps once.
//
// A wrapping token is a service token with exactly the policy
// "response-wrapping" (which allows only the sys/wrapping/* calls), num_uses
// 1, TTL = explicit max TTL = the wrap TTL, and no parent, so revoking the
// caller does not revoke it. Its cubbyhole holds one key, "response":
// {"response": "<the wrapped response as JSON text>"}; the text is
// ResponseToStored's, which keeps data, warnings, the lease part and the auth
// block (a wrapped login keeps its token). Lookup reads the token entry
// itself (path, issue time, creation TTL), so it never uses the token up.
//
// Thread-safety: free functions over the thread-safe TokenStore and Router.
// Two concurrent unwraps of one token: the token store's use counting lets
// exactly one of them read the response.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "coffer/logical.h"
#include "coffer/status.h"
#include "core/acl.h"
#include "core/router.h"
#include "core/token_store.h"

namespace coffer::core {

inline constexpr char kResponseWrappingPolicy[] = "response-wrapping";
inline constexpr char kInvalidWrappingToken[] = "wrapping token is not valid or does not exist";

// Whether a policy's min/max_wrapping_ttl admit the request's wrap TTL.
// Vault's rule: a bound set on the applying rule demands a wrap TTL within
// it; outside it the request is denied (403), not silently adjusted.
bool WrapTtlAllowed(const AclDecision& decision, const std::optional<int64_t>& wrap_ttl);

// For sys/wrapping/unwrap and sys/wrapping/rewrap, before the token check:
// the token to unwrap (body "token", else the client token) must be a live
// wrapping token, else 400 kInvalidWrappingToken (also when the client token
// is that token and already used: Vault answers 400 there, not 403).
// `relative` is the path inside the sys/ mount.
Status ValidateWrappingRequest(TokenStore& tokens, const Request& req,
                               const std::string& relative);

// Wraps `resp` when the request asked (X-Vault-Wrap-TTL) or the engine did
// (resp.wrap_info with a TTL and no token, e.g. rewrap); the shorter TTL
// wins. Returns `resp` unchanged when nothing asks, for raw responses and
// for empty (204) ones.
Result<Response> MaybeWrap(TokenStore& tokens, Router& router, const Request& req,
                           Response resp);

// Wraps `resp` under a caller-chosen token id (the replication activation
// token is JWT-shaped, and it is the wrapping token itself). kInvalidArgument
// for ttl <= 0; an id already in use fails as the token store says.
Result<WrapInfo> WrapResponseAs(TokenStore& tokens, Router& router, const Response& resp,
                                int64_t ttl, const std::string& creation_path,
                                std::string token_id);

// sys/wrapping/* handlers. `token` is the wrapping token; `third_party` when
// it came in the body rather than as the client token (the core has then
// not used it up, so these do).
Result<Response> UnwrapResponse(TokenStore& tokens, Router& router, const std::string& token,
                                bool third_party);
Result<Response> LookupWrapping(TokenStore& tokens, const std::string& token);
Result<Response> RewrapResponse(TokenStore& tokens, Router& router, const std::string& token,
                                bool third_party);

// The stored form of a response (for the cubbyhole) and back.
Json ResponseToStored(const Response& resp);
Result<Response> ResponseFromStored(const Json& j);

}  // namespace coffer::core
