// Engine: the interface every secrets engine and auth method implements, and
// the plain data the core hands it.
//
// An engine sees only an EngineRequest: the operation, the path relative to
// its mount, the request data, a storage view confined to its mount's prefix,
// its mount entry, and who is calling. It never sees the barrier, the token
// store or other mounts. Engines register by name in one registry
// (src/engines/registry.cc).
//
// Thread-safety: Handle() and Exists() are called concurrently from many
// threads; an engine keeps its state in its storage view or guards it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coffer/json.h"
#include "coffer/logical.h"
#include "coffer/status.h"
#include "coffer/storage.h"

namespace coffer {

// One row of a mount table (secrets engines) or auth table (auth methods).
struct MountEntry {
  std::string path;  // with trailing '/': "secret/", "auth/userpass/"
  std::string type;  // "kv", "cubbyhole", "userpass", "token", "system", ...
  std::string description;
  std::string accessor;  // "<type>_<8 hex>"
  std::string uuid;
  bool local = false;
  bool seal_wrap = false;
  bool external_entropy_access = false;
  bool is_auth = false;
  int64_t default_lease_ttl = 0;  // seconds; 0 = the system default
  int64_t max_lease_ttl = 0;      // seconds; 0 = the system maximum
  std::string listing_visibility;
  Json options = nullptr;          // e.g. {"version": "2"}; null when none
  Json extra_config = Json::object();  // other tune fields kept as given

  // Where its data lives: "logical/<uuid>/" or "auth/<uuid>/".
  std::string StoragePrefix() const;
  Json ToJson() const;
  static Result<MountEntry> FromJson(const Json& j);
};

// Who is calling, as far as an engine needs to know.
struct Caller {
  std::string accessor;
  std::vector<std::string> policies;
  std::string display_name;
  std::string entity_id;
  Json meta = nullptr;
  bool root = false;
  bool sudo = false;      // the ACL granted sudo on this path (always for root)
  std::string token_id;   // the calling token (token store engine only: parent, revoke-self)
};

// Values the engine may need from the system: effective TTLs for its mount.
struct SystemView {
  int64_t default_lease_ttl = 0;  // mount's, else the system's
  int64_t max_lease_ttl = 0;
};

struct EngineRequest {
  Operation operation = Operation::kRead;
  std::string path;  // relative to the mount, no leading '/'
  Json data = Json::object();
  storage::Backend* storage = nullptr;  // confined to the mount's prefix
  const MountEntry* mount = nullptr;
  const Caller* caller = nullptr;  // null on unauthenticated paths (login)
  SystemView system;
  const Request* original = nullptr;  // headers, full path, remote address
  // The answer goes straight to the client (no audit device, no wrapping,
  // not forwarded): the engine may set Response::data_json instead of data.
  bool raw_data_ok = false;
};

class Engine {
 public:
  virtual ~Engine() = default;

  virtual Result<Response> Handle(const EngineRequest& req) = 0;

  // For POST/PUT: does the object at req.path exist? nullopt when the path
  // has no existence check (then the request is an update).
  virtual Result<std::optional<bool>> Exists(const EngineRequest& req) {
    (void)req;
    return std::optional<bool>();
  }

  // Paths relative to the mount that need no token (login). A trailing '*'
  // matches any suffix.
  virtual std::vector<std::string> UnauthenticatedPaths() const { return {}; }

  // Storage under this mount changed behind the engine (replication applied
  // upstream data): `key` is relative to the mount's view. An engine that
  // caches something it read from storage drops it here.
  virtual void Invalidate(std::string_view key) { (void)key; }

  // Lease callbacks (Vault's revoke/renew operations), called by the
  // expiration manager for leases registered from this engine's responses
  // (SecretInfo::register_lease). req.path is the path that created the
  // lease, req.storage the mount's view, req.caller null; `internal_data` is
  // SecretInfo::internal_data as stored with the lease.
  //
  // RevokeSecret must be idempotent: a retried revocation of something
  // already gone succeeds. An error keeps the lease and schedules a retry.
  virtual Status RevokeSecret(const EngineRequest& req, const Json& internal_data) {
    (void)req;
    (void)internal_data;
    return Status::Ok();
  }
  // Renewal by `increment_s` seconds (0: the lease's current duration). The
  // engine returns the TTL it grants (the expiration manager still caps it by
  // the lease's and the mount's maximum), or an error to refuse.
  virtual Result<int64_t> RenewSecret(const EngineRequest& req, const Json& internal_data,
                                      int64_t increment_s) {
    (void)req;
    (void)internal_data;
    return increment_s;
  }
};

using EnginePtr = std::unique_ptr<Engine>;

}  // namespace coffer
