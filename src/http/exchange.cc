#include "http/exchange.h"

#include <exception>

#include "common/log.h"

namespace coffer::http {

HttpResponse Exchange(const RawRequest& raw, const Handler& handler) {
  const bool head = raw.method == "HEAD";
  try {
    Result<Request> request = TranslateRequest(raw);
    if (!request.ok()) return RenderError(request.status(), head);
    const std::string request_id = NewRequestId();
    request->request_id = request_id;
    // The renderer needs only the operation and path; the (possibly large)
    // data moves into the handler.
    Request shape;
    shape.operation = request->operation;
    shape.path = request->path;
    Response response = handler(std::move(request).value());
    return RenderResponse(shape, response, request_id);
  } catch (const std::exception& e) {
    COFFER_LOG(kError, "http") << "request handling threw: " << e.what();
  } catch (...) {
    COFFER_LOG(kError, "http") << "request handling threw a non-standard exception";
  }
  return RenderError(Internal("internal error"), head);
}

}  // namespace coffer::http
