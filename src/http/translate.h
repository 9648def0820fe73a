// Translation of an HTTP request, as read off the wire, into the logical
// coffer::Request the core understands. Pure functions: no sockets, no
// Beast, so every rule is unit-testable (translate_test.cc).
//
// The rules follow Vault's documented HTTP behaviour (see
// /work/shared/reference/vault-core-api.md §1.1-§1.4):
//  - only /v1/... is API; anything else is NotFound("") (404 {"errors":[]});
//  - the path is percent-decoded, duplicate slashes collapsed; control
//    characters, invalid UTF-8, "." and ".." segments are "invalid path";
//  - GET->read (GET ?list=<bool> true->list), LIST->list, POST/PUT->update,
//    PATCH->patch (merge-patch media type required), DELETE->delete,
//    HEAD->head; other methods are Unsupported("") (405 {"errors":[]});
//  - query parameters become data for GET/LIST/DELETE/HEAD ("list" and
//    "help" are not data); a JSON object body becomes data for POST/PUT/
//    PATCH with top-level nulls dropped;
//  - token from X-Vault-Token, else "Authorization: Bearer <t>".
//
// Thread-safety: pure functions; safe from any thread.
// Invariant: a successful TranslateRequest satisfies the invariants of
// coffer::Request (include/coffer/logical.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/logical.h"
#include "coffer/status.h"

namespace coffer::http {

// A request as read off the wire, before interpretation.
struct RawRequest {
  std::string method;  // as sent, case-sensitive ("GET", "LIST", ...)
  std::string target;  // request-target: "/v1/secret/foo?list=true"
  // Header fields in arrival order; names in any case.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_addr;  // "ip:port"
};

// JSON bodies nested deeper than this are refused as "error parsing JSON",
// so nothing downstream recurses without bound on client input.
inline constexpr int kMaxJsonDepth = 512;

Result<Request> TranslateRequest(const RawRequest& raw);

// --- Building blocks, exposed for tests. ---

// "/v1/secret//foo%2Fbar" -> "secret/foo/bar". `url_path` is the path part of
// the target (no query), still percent-encoded. NotFound("") outside /v1/ or
// for an empty logical path; InvalidArgument("invalid path") for bad escapes,
// non-printable characters and "."/".." segments.
Result<std::string> NormalizePath(std::string_view url_path);

// Percent-decoding. `plus_is_space` for query strings. nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

// "a=1&b=2&a=3" -> [(a,1),(b,2),(a,3)], decoded. Like Go's URL.Query(),
// malformed pairs (bad escapes, ';') are skipped rather than failing.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);


// Integer seconds ("300"), days ("7d") or a Go duration ("1h30m", "1.5s",
// "250ms"); result truncated to whole seconds. May be negative.
// InvalidArgument(`time: invalid duration "<s>"`) otherwise.
Result<int64_t> ParseDurationSeconds(std::string_view s);

}  // namespace coffer::http
