// Test helper: drives an Engine the way the core does, over an in-memory
// storage view, with a fake clock for engines that take one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "coffer/engine.h"
#include "storage/inmem_backend.h"

namespace coffer::engines {

class EngineHarness {
 public:
  static constexpr int64_t kStart = 1'700'000'000'123'456'789;  // 2023-11-14T22:13:20.123456789Z

  EngineHarness() : view_(storage::NewInmemBackend()) {
    mount_.path = "secret/";
    mount_.type = "kv";
    system_.default_lease_ttl = 2764800;
    system_.max_lease_ttl = 2764800;
  }

  storage::Backend& view() { return *view_; }
  SystemView& system() { return system_; }

  int64_t now() const { return *now_; }
  void Advance(int64_t seconds) { *now_ += seconds * 1'000'000'000; }
  // A clock that follows Advance() for as long as the harness lives.
  std::function<int64_t()> Clock() const {
    auto now = now_;
    return [now] { return *now; };
  }

  // Runs one request. Create/update: like the core, asks Exists() first and
  // sends kCreate when the engine says the object is absent.
  Result<Response> Call(Engine& engine, Operation op, const std::string& path,
                        Json data = Json::object()) {
    EngineRequest req = Request(op, path, std::move(data));
    if (op == Operation::kUpdate) {
      auto exists = engine.Exists(req);
      if (!exists.ok()) return exists.status();
      if (exists->has_value() && !**exists) req.operation = Operation::kCreate;
    }
    return engine.Handle(req);
  }

  // A read whose answer goes straight to the client (the core's case without
  // audit devices or wrapping): the engine may answer with data_json.
  Result<Response> ReadForClient(Engine& engine, const std::string& path,
                                 Json data = Json::object()) {
    EngineRequest req = Request(Operation::kRead, path, std::move(data));
    req.raw_data_ok = true;
    return engine.Handle(req);
  }

  Result<std::optional<bool>> Exists(Engine& engine, const std::string& path) {
    return engine.Exists(Request(Operation::kUpdate, path, Json::object()));
  }

 private:
  EngineRequest Request(Operation op, const std::string& path, Json data) {
    EngineRequest req;
    req.operation = op;
    req.path = path;
    req.data = std::move(data);
    req.storage = view_.get();
    req.mount = &mount_;
    req.system = system_;
    return req;
  }

  storage::BackendPtr view_;
  MountEntry mount_;
  SystemView system_;
  std::shared_ptr<int64_t> now_ = std::make_shared<int64_t>(kStart);
};

}  // namespace coffer::engines
