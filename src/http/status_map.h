// The one mapping from coffer::Status codes to HTTP status codes.
//
// Every error that leaves the server goes through HttpStatusFor, so a code's
// HTTP status is decided here and nowhere else (see include/coffer/status.h).
//
// Thread-safety: pure function.
#pragma once

#include "coffer/status.h"

namespace coffer::http {

// InvalidArgument 400, PermissionDenied 403, NotFound 404,
// UnsupportedOperation 405, PreconditionFailed 412, TooLarge 413,
// UnsupportedMediaType 415, RateLimited 429, Sealed/Unavailable 503,
// Corruption/IOError/Internal 500. An OK status maps to 200.
int HttpStatusFor(const Status& status);

}  // namespace coffer::http
