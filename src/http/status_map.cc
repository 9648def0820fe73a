#include "http/status_map.h"

namespace coffer::http {

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kUnsupportedOperation:
      return 405;
    case Code::kPreconditionFailed:
      return 412;
    case Code::kTooLarge:
      return 413;
    case Code::kUnsupportedMediaType:
      return 415;
    case Code::kRateLimited:
      return 429;
    case Code::kSealed:
      return 503;
    case Code::kUnavailable:
      return 503;
    case Code::kCorruption:
      return 500;
    case Code::kIOError:
      return 500;
    case Code::kInternal:
      return 500;
    case Code::kReadOnly:
      return 503;
  }
  return 500;
}

}  // namespace coffer::http
