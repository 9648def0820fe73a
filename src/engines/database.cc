#include "engines/database.h"

#include <memory>
#include <utility>

#include "engines/database_backend.h"
#include "engines/database_model.h"
#include "engines/database_paths.h"
#include "engines/framework.h"

namespace coffer::engines {
namespace {

std::vector<framework::Path> AllPaths(const std::shared_ptr<database::DatabaseBackend>& b) {
  std::vector<framework::Path> paths = database::ConfigPaths(b);
  for (std::vector<framework::Path> more : {database::RolePaths(), database::CredsPaths(b)}) {
    for (framework::Path& p : more) paths.push_back(std::move(p));
  }
  return paths;
}

class DatabaseEngine : public framework::PathEngine {
 public:
  explicit DatabaseEngine(std::shared_ptr<database::DatabaseBackend> b)
      : PathEngine(AllPaths(b)), backend_(std::move(b)) {}

  // A config changed by replication: its client goes (the next use makes a
  // fresh one from the new record).
  void Invalidate(std::string_view key) override {
    if (key.substr(0, std::string_view(database::kConfigPrefix).size()) ==
        database::kConfigPrefix) {
      backend_->Drop(std::string(key.substr(std::string_view(database::kConfigPrefix).size())));
    }
  }

  // Engine lease callbacks:
  Status RevokeSecret(const EngineRequest& req, const Json& internal_data) override {
    return database::RevokeCreds(*backend_, req, internal_data);
  }
  Result<int64_t> RenewSecret(const EngineRequest& req, const Json& internal_data,
                              int64_t increment_s) override {
    return database::RenewCreds(*backend_, req, internal_data, increment_s);
  }

 private:
  std::shared_ptr<database::DatabaseBackend> backend_;
};

}  // namespace

EnginePtr NewDatabaseEngine(PgClientFactory factory, NanoClock clock) {
  return std::make_unique<DatabaseEngine>(
      std::make_shared<database::DatabaseBackend>(std::move(factory), std::move(clock)));
}

}  // namespace coffer::engines
