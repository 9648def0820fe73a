// One HTTP exchange without the transport: translate the raw request, call the
// handler, render the response. The server runs it in two steps: BeginExchange
// (translation, never blocks) on the I/O thread, FinishExchange (the handler)
// on the I/O thread for requests the server's `serve_inline` accepts and on a
// worker thread otherwise. Tests call Exchange directly.
//
// Thread-safety: reentrant; the handler must be safe to call from several
// threads at once.
// Invariant: never throws; an exception escaping the handler becomes a 500
// {"errors":["internal error"]}.
#pragma once

#include <functional>

#include "coffer/logical.h"
#include "http/render.h"
#include "http/translate.h"

namespace coffer::http {

// The core's entry point. May block (disk I/O) unless the server's
// `serve_inline` said the request runs inline. Errors are returned as
// Responses (see ErrorResponse()).
using Handler = std::function<Response(Request)>;

// A translated request waiting for its handler, or the translation's error.
struct PendingExchange {
  bool head = false;  // a HEAD request: errors are rendered without a body
  Result<Request> request = Internal("not translated");
};

PendingExchange BeginExchange(const RawRequest& raw);
HttpResponse FinishExchange(PendingExchange pending, const Handler& handler);

// BeginExchange then FinishExchange.
HttpResponse Exchange(const RawRequest& raw, const Handler& handler);

}  // namespace coffer::http
