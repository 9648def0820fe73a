// Rendering a logical coffer::Response (or an error Status) into the bytes of
// an HTTP response, the way Vault shapes them (vault-core-api.md §1.5-§1.8).
// Pure functions: no sockets, unit-tested in render_test.cc.
//
//  - Errors: {"errors":["<message>"]}, or {"errors":[]} for an empty message,
//    with the status from HttpStatusFor (status_map.h).
//  - kEnvelope: {request_id, lease_id, renewable, lease_duration, data,
//    wrap_info, warnings, auth, mount_type}; 204 without a body when there is
//    nothing to say; LIST results without keys become 404; a fixed set of
//    sys/ routes also get the data keys copied to the top level.
//  - kRaw: the core's status, content type and bytes as they are.
//  - Every response carries Cache-Control: no-store; JSON responses carry
//    Content-Type exactly "application/json" (hvac parses errors only then).
//  - Requests with operation kHead (or a Response with head_only) get status
//    and headers only.
//
// Thread-safety: pure functions; safe from any thread. NewRequestId reads
// OpenSSL's RNG, which is thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coffer/logical.h"
#include "coffer/status.h"
#include "http/status_map.h"

namespace coffer::http {

// An HTTP response ready to serialize. Content-Length is the transport's job.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty for 204 and HEAD
};

// Renders `response` to the request it answers. `request_id` goes into the
// envelope (callers use NewRequestId()).
HttpResponse RenderResponse(const Request& request, const Response& response,
                            std::string_view request_id);

// Renders an error. An OK status is treated as an internal error.
HttpResponse RenderError(const Status& status, bool head_only = false);

// The same error as a logical Response (kRaw), for handlers that must return a
// Response: a core returning Result<Response> is adapted with
//   return r.ok() ? std::move(r).value() : http::ErrorResponse(r.status());
Response ErrorResponse(const Status& status);

// A fresh random UUID v4 ("9c5c8d1b-5f0e-4bd1-a3a5-5c2b7a1c1e2f").
std::string NewRequestId();

// True for the sys/ routes whose data keys Vault also copies to the top level
// (sys/mounts, sys/policy/*, ...). `path` is a logical path (no "/v1/").
bool IsInjectedRoute(std::string_view path);

}  // namespace coffer::http
