// The bytes of an HTTP/1.x response, written straight into one string (one
// buffer, one write) instead of through Beast's serializer.
//
// Rules, as Beast's prepare_payload/keep_alive applied them before:
//  - status line "HTTP/1.1 <code> <reason>" (HTTP/1.0 for 1.0 requests);
//    reason from the IANA table, "status code <n>" for unknown codes (Go);
//  - the response's headers in order; a header whose name or value could
//    split the message (CR, LF, NUL, spaces or ':' in the name) is dropped,
//    and Content-Length, Transfer-Encoding and Connection are ours to set;
//  - Content-Length of the body, except on 1xx, 204 and 304 (RFC 9110);
//  - "Connection: close" ending an HTTP/1.1 connection, "Connection:
//    keep-alive" keeping an HTTP/1.0 one.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "http/render.h"

namespace coffer::http {

// `version` is 10 or 11.
std::string WireResponse(const HttpResponse& response, unsigned version, bool keep_alive);

// False for names/values that must not reach the wire.
bool IsSafeHeader(std::string_view name, std::string_view value);

}  // namespace coffer::http
