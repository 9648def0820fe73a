// RequestAudit: the audit trail of one request through Core::Handle.
//
//   RequestAudit audit(&broker, req);
//   ... resolve the token ...           audit.SetCaller(token)
//   ... ACL allowed ...                 RETURN_IF_ERROR(audit.LogRequest())
//   ... engine, wrapping ...
//   return audit.Finish(result);        logs the response (or the error)
//
// Vault's rules: the request entry is written before the engine runs, with
// the caller's identity; if no enabled device can record it the request is
// refused with 500 "internal error" and the engine never runs. The response
// entry (wrapped responses as the client sees them, errors with their text)
// is written after; if no device can record it the client gets 500 too. A
// request refused before the engine (denied, bad token) gets only a request
// entry carrying the error, and keeps its own error whatever the devices do.
//
// Thread-safety: one per request, on one thread.
#pragma once

#include "coffer/engine.h"
#include "coffer/logical.h"
#include "coffer/status.h"
#include "core/audit_broker.h"
#include "core/token_store.h"

namespace coffer::core {

class RequestAudit {
 public:
  // Neither is owned; both must outlive this object.
  RequestAudit(AuditBroker* broker, const Request& req);

  void SetCaller(const TokenEntry& token);
  // A forwarded request's caller, as the secondary resolved its token.
  void SetCaller(const Caller& caller);
  Status LogRequest();
  Result<Response> Finish(Result<Response> result);

 private:
  AuditBroker* broker_;
  const Request& req_;
  AuditAuth auth_;
  bool request_logged_ = false;
};

}  // namespace coffer::core
