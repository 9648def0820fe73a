#include "core/request_audit.h"

#include "common/log.h"

namespace coffer::core {
namespace {

Status AuditFailed() { return Internal("internal error"); }

}  // namespace

RequestAudit::RequestAudit(AuditBroker* broker, const Request& req)
    : broker_(broker), req_(req) {
  auth_.client_token = req.client_token;
}

void RequestAudit::SetCaller(const TokenEntry& token) {
  auth_.accessor = token.accessor;
  auth_.display_name = token.display_name;
  auth_.entity_id = token.entity_id;
  auth_.token_type = token.type;
  auth_.policies = token.policies;
  auth_.token_policies = token.policies;
  auth_.metadata = token.meta.empty() ? Json(nullptr) : Json(token.meta);
}

void RequestAudit::SetCaller(const Caller& caller) {
  auth_.accessor = caller.accessor;
  auth_.display_name = caller.display_name;
  auth_.entity_id = caller.entity_id;
  auth_.token_type = "service";
  auth_.policies = caller.policies;
  auth_.token_policies = caller.policies;
  auth_.metadata = caller.meta.is_object() && !caller.meta.empty() ? caller.meta : Json(nullptr);
}

Status RequestAudit::LogRequest() {
  request_logged_ = true;
  Status st = broker_->LogRequest(req_, auth_, req_.request_id);
  if (!st.ok()) {
    COFFER_LOG(kError, "audit") << "failed to audit request to " << req_.path << ": "
                                << st.message();
    return AuditFailed();
  }
  return Status::Ok();
}

Result<Response> RequestAudit::Finish(Result<Response> result) {
  if (!request_logged_) {
    if (!result.ok()) {
      // Refused before the engine: a request entry with the error; the
      // client keeps its own error (403 stays 403).
      Status st = broker_->LogRequest(req_, auth_, req_.request_id, result.status().message());
      if (!st.ok()) {
        COFFER_LOG(kError, "audit") << "failed to audit request to " << req_.path << ": "
                                    << st.message();
      }
    }
    return result;
  }
  // Devices record the data's values (hashed): give them the tree (a device
  // enabled while this request ran; otherwise Dispatch asked for no text).
  if (result.ok() && !broker_->empty() && !MaterializeData(*result)) {
    result = Internal("response data is not a JSON object");
  }
  Status st = result.ok()
                  ? broker_->LogResponse(req_, *result, auth_, req_.request_id)
                  : broker_->LogResponse(req_, Response{}, auth_, req_.request_id,
                                         result.status().message());
  if (!st.ok()) {
    COFFER_LOG(kError, "audit") << "failed to audit response to " << req_.path << ": "
                                << st.message();
    return AuditFailed();
  }
  return result;
}

}  // namespace coffer::core
