// Status and Result<T>: errors as values across every module boundary.
//
// Thread-safety: values; safe to copy and move between threads.
// Invariant: an OK Status carries no message; Result<T> holds exactly one of a
// value or a non-OK Status.
//
// The error codes are few on purpose: a new code only when a caller must react
// to it differently. The HTTP status for each code is chosen in exactly one
// place (src/http/status_map.cc).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace coffer {

enum class Code {
  kOk = 0,
  kInvalidArgument,     // bad input from a client: 400
  kPermissionDenied,    // bad/missing token or ACL denial: 403
  kNotFound,            // nothing at that path / no such route: 404
  kUnsupportedOperation,// operation not supported at that path: 405
  kPreconditionFailed,  // X-Vault-Index not reached: 412
  kTooLarge,            // request body over the limit: 413
  kUnsupportedMediaType,// PATCH without merge-patch: 415
  kRateLimited,         // 429
  kSealed,              // the barrier is sealed: 503
  kUnavailable,         // transient: peer down, not active: 503
  kCorruption,          // data failed an integrity check (bad tag, bad CRC): 500
  kIOError,             // disk or OS failure: 500
  kInternal,            // "cannot happen": 500
  kReadOnly,            // write to replicated storage on a performance secondary:
                        // the core forwards the request to the primary; 503 if it cannot
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<CodeName>: <message>" for logs and tests.
  std::string ToString() const;

  bool operator==(const Status& other) const = default;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

const char* CodeName(Code code);

// Convenience constructors, one per code that callers create.
inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status PermissionDenied(std::string m = "permission denied") {
  return {Code::kPermissionDenied, std::move(m)};
}
inline Status NotFound(std::string m = "") { return {Code::kNotFound, std::move(m)}; }
inline Status Unsupported(std::string m = "unsupported operation") {
  return {Code::kUnsupportedOperation, std::move(m)};
}
inline Status Sealed() { return {Code::kSealed, "Vault is sealed"}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
inline Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status ReadOnly(std::string m = "cannot write to readonly storage") {
  return {Code::kReadOnly, std::move(m)};
}

// Result<T>: a value or a non-OK Status.
//
//   Result<int> ParsePort(std::string_view s);
//   ASSIGN_OR_RETURN(int port, ParsePort(text));   // returns the Status on error
template <typename T>
class [[nodiscard]] Result {
 public:
  // A value is copied or moved straight into place (one move for a returned
  // local, not two: results carry token entries and responses up several
  // layers on every request).
  Result(const T& value) : v_(value) {}  // NOLINT: implicit by design
  Result(T&& value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
    if (std::get<Status>(v_).ok()) v_ = Status(Code::kInternal, "Result built from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace coffer

#define COFFER_CONCAT_INNER(a, b) a##b
#define COFFER_CONCAT(a, b) COFFER_CONCAT_INNER(a, b)

// RETURN_IF_ERROR(expr): evaluates a Status expression and returns it if not OK.
//   RETURN_IF_ERROR(backend.Put(key, value));
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::coffer::Status _coffer_st = (expr);              \
    if (!_coffer_st.ok()) return _coffer_st;           \
  } while (0)

// ASSIGN_OR_RETURN(decl, expr): evaluates a Result<T> expression; on error
// returns its Status, else moves the value into decl.
//   ASSIGN_OR_RETURN(auto bytes, crypto::RandomBytes(32));
#define ASSIGN_OR_RETURN(decl, expr) \
  ASSIGN_OR_RETURN_IMPL(COFFER_CONCAT(_coffer_res_, __LINE__), decl, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  decl = std::move(tmp).value()
