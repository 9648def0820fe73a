// The logical request and response: what the HTTP layer hands to the core and
// what it gets back. Neither side knows about the other's transport.
//
// Thread-safety: plain values.
// Invariants:
//  - Request::path has no leading '/', no "/v1/" prefix, no "//"; a kList
//    path always ends with '/'.
//  - Request::data is always a JSON object (query parameters merged in).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coffer/json.h"

namespace coffer {

enum class Operation {
  kRead,    // GET
  kList,    // LIST or GET ?list=true
  kCreate,  // POST/PUT on a path whose existence check said "absent"
  kUpdate,  // POST/PUT
  kPatch,   // PATCH (merge-patch)
  kDelete,  // DELETE
  kHead,    // HEAD (sys/health only)
};

const char* OperationName(Operation op);

struct Request {
  Operation operation = Operation::kRead;
  std::string path;
  Json data = Json::object();
  std::string client_token;   // from X-Vault-Token or Authorization: Bearer
  std::string remote_addr;    // "ip:port" of the client
  std::optional<int64_t> wrap_ttl_seconds;  // X-Vault-Wrap-TTL
  std::map<std::string, std::string> headers;  // lower-case names, selected headers only
  bool is_help = false;       // ?help=1
  std::string request_id;     // set by the HTTP layer; rendered and audited
};

// Lease part of a response ("secret" in Vault's terms). An empty lease_id
// with a lease_duration is a TTL hint only (KV v1 reads); the expiration
// manager registers a lease for responses whose engine asks for one.
struct SecretInfo {
  std::string lease_id;
  bool renewable = false;
  int64_t lease_duration = 0;
  // Set by an engine that issued something the expiration manager must
  // revoke later (dynamic credentials). The core then registers a lease,
  // fills lease_id, and on expiry or revocation hands internal_data back to
  // the engine's RevokeSecret. Never rendered to the client.
  bool register_lease = false;
  Json internal_data = nullptr;
  int64_t max_ttl = 0;  // seconds; 0 = the mount's maximum caps renewals
};

// Auth block of a login/token-create response. An auth method fills in what
// the token should be (policies, TTLs, metadata); the core mints the token and
// fills client_token, accessor and the final lease_duration.
struct AuthInfo {
  std::string client_token;
  std::string accessor;
  std::vector<std::string> policies;
  std::vector<std::string> token_policies;
  std::vector<std::string> identity_policies;
  Json metadata = nullptr;
  int64_t lease_duration = 0;
  bool renewable = false;
  std::string entity_id;
  std::string token_type = "service";
  bool orphan = false;
  int64_t num_uses = 0;
  // Requested by the auth method, applied by the token store:
  int64_t explicit_max_ttl = 0;
  int64_t period = 0;
  bool no_default_policy = false;
  std::string display_name;
  std::vector<std::string> bound_cidrs;
};

struct WrapInfo {
  std::string token;
  std::string accessor;
  int64_t ttl = 0;
  std::string creation_time;
  std::string creation_path;
  std::string wrapped_accessor;
};

struct Response {
  // kEnvelope: the standard {request_id, lease_id, ..., data, auth} object,
  //   204 when data, auth, wrap_info and warnings are all empty.
  // kRaw: `raw_body` sent as-is with `raw_content_type` and `status`
  //   (sys/init, sys/health, sys/seal-status, Prometheus metrics, ...).
  enum class Kind { kEnvelope, kRaw };
  Kind kind = Kind::kEnvelope;

  int status = 0;  // 0: let the HTTP layer choose (200 or 204)
  Json data = nullptr;
  // `data` as compact JSON text of an object, set instead of `data` by an
  // engine that has it as text already (a kv v2 read splices the stored
  // secret), and only when the request allowed it
  // (EngineRequest::raw_data_ok): the renderer writes it as it is.
  std::string data_json;
  std::vector<std::string> warnings;
  std::optional<SecretInfo> secret;
  std::optional<AuthInfo> auth;
  std::optional<WrapInfo> wrap_info;
  std::string mount_type;
  std::map<std::string, std::string> headers;  // extra response headers

  std::string raw_body;
  std::string raw_content_type = "application/json";
  bool head_only = false;  // HEAD: status and headers, no body

  // A plain JSON object response (special sys routes).
  static Response RawJson(const Json& body, int status = 200) {
    Response r;
    r.kind = Kind::kRaw;
    r.status = status;
    r.raw_body = body.dump();
    return r;
  }
  static Response Data(Json d) {
    Response r;
    r.data = std::move(d);
    return r;
  }
  static Response Empty() { return Response(); }
};

// Turns a Response's data_json into its data tree (for whoever inspects the
// data: audit devices, response wrapping). False, with data_json kept, when
// the text is not a JSON object.
bool MaterializeData(Response& r);

}  // namespace coffer
