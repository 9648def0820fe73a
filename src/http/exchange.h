// One HTTP exchange without the transport: translate the raw request, call the
// handler, render the response. The server runs this on a worker thread; tests
// call it directly.
//
// Thread-safety: Exchange is reentrant; the handler must be safe to call from
// several worker threads at once.
// Invariant: never throws; an exception escaping the handler becomes a 500
// {"errors":["internal error"]}.
#pragma once

#include <functional>

#include "coffer/logical.h"
#include "http/render.h"
#include "http/translate.h"

namespace coffer::http {

// The core's entry point. May block (disk I/O); runs on a worker thread, never
// on an I/O thread. Errors are returned as Responses (see ErrorResponse()).
using Handler = std::function<Response(Request)>;

HttpResponse Exchange(const RawRequest& raw, const Handler& handler);

}  // namespace coffer::http
