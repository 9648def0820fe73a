// Test harness for auth method engines: an in-memory storage view, a mount
// entry and a way to call Engine::Handle as the core would. Tests only.
//
// Thread-safety: none; one harness per test.
#pragma once

#include <string>

#include "coffer/engine.h"
#include "storage/inmem_backend.h"

namespace coffer::auth::testing {

struct Harness {
  explicit Harness(EnginePtr e, std::string type = "userpass") : engine(std::move(e)) {
    mount.path = "auth/" + type + "/";
    mount.type = type;
    mount.is_auth = true;
    system.default_lease_ttl = 2764800;  // 768h, the system default
    system.max_lease_ttl = 2764800;
  }

  Result<Response> Call(Operation op, const std::string& path, Json data = Json::object(),
                        const std::string& remote_addr = "127.0.0.1:40000") {
    original.operation = op;
    original.path = mount.path + path;
    original.data = data;
    original.remote_addr = remote_addr;
    EngineRequest req;
    req.operation = op;
    req.path = path;
    req.data = std::move(data);
    req.storage = storage.get();
    req.mount = &mount;
    req.system = system;
    req.original = &original;
    return engine->Handle(req);
  }
  Result<Response> Read(const std::string& path) { return Call(Operation::kRead, path); }
  Result<Response> Write(const std::string& path, Json data = Json::object(),
                         const std::string& remote_addr = "127.0.0.1:40000") {
    return Call(Operation::kUpdate, path, std::move(data), remote_addr);
  }
  Result<Response> List(const std::string& path) { return Call(Operation::kList, path); }
  Result<Response> Delete(const std::string& path, Json data = Json::object()) {
    return Call(Operation::kDelete, path, std::move(data));
  }
  Result<std::optional<bool>> Exists(const std::string& path) {
    EngineRequest req;
    req.operation = Operation::kCreate;
    req.path = path;
    req.storage = storage.get();
    req.mount = &mount;
    return engine->Exists(req);
  }

  // Every stored key and value, concatenated: for "never stored in clear"
  // checks.
  std::string DumpStorage() {
    std::string out;
    auto keys = storage->ListAll("");
    if (!keys.ok()) return out;
    for (const std::string& k : *keys) {
      auto v = storage->Get(k);
      out += k + "=" + (v.ok() && *v ? **v : std::string()) + "\n";
    }
    return out;
  }

  storage::BackendPtr storage = storage::NewInmemBackend();
  MountEntry mount;
  SystemView system;
  Request original;
  EnginePtr engine;
};

}  // namespace coffer::auth::testing
