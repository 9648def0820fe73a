#include "coffer/status.h"

namespace coffer {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kPermissionDenied: return "PermissionDenied";
    case Code::kNotFound: return "NotFound";
    case Code::kUnsupportedOperation: return "UnsupportedOperation";
    case Code::kPreconditionFailed: return "PreconditionFailed";
    case Code::kReadOnly: return "ReadOnly";
    case Code::kTooLarge: return "TooLarge";
    case Code::kUnsupportedMediaType: return "UnsupportedMediaType";
    case Code::kRateLimited: return "RateLimited";
    case Code::kSealed: return "Sealed";
    case Code::kUnavailable: return "Unavailable";
    case Code::kCorruption: return "Corruption";
    case Code::kIOError: return "IOError";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace coffer
