#include "http/exchange.h"

#include <exception>

#include "common/log.h"

namespace coffer::http {

PendingExchange BeginExchange(const RawRequest& raw) {
  PendingExchange pending;
  pending.head = raw.method == "HEAD";
  try {
    pending.request = TranslateRequest(raw);
  } catch (const std::exception& e) {
    COFFER_LOG(kError, "http") << "request translation threw: " << e.what();
    pending.request = Internal("internal error");
  } catch (...) {
    COFFER_LOG(kError, "http") << "request translation threw a non-standard exception";
    pending.request = Internal("internal error");
  }
  return pending;
}

HttpResponse FinishExchange(PendingExchange pending, const Handler& handler) {
  try {
    if (!pending.request.ok()) return RenderError(pending.request.status(), pending.head);
    const std::string request_id = NewRequestId();
    pending.request->request_id = request_id;
    // The renderer needs only the operation and path; the (possibly large)
    // data moves into the handler.
    Request shape;
    shape.operation = pending.request->operation;
    shape.path = pending.request->path;
    Response response = handler(std::move(pending.request).value());
    return RenderResponse(shape, response, request_id);
  } catch (const std::exception& e) {
    COFFER_LOG(kError, "http") << "request handling threw: " << e.what();
  } catch (...) {
    COFFER_LOG(kError, "http") << "request handling threw a non-standard exception";
  }
  return RenderError(Internal("internal error"), pending.head);
}

HttpResponse Exchange(const RawRequest& raw, const Handler& handler) {
  return FinishExchange(BeginExchange(raw), handler);
}

}  // namespace coffer::http
