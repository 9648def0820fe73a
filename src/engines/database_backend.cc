#include "engines/database_backend.h"

#include "engines/stored_json.h"

namespace coffer::engines::database {

DatabaseBackend::DatabaseBackend(PgClientFactory factory, NanoClock clock)
    : factory_(factory ? std::move(factory) : PgClientFactory(NewPgPool)),
      clock_(clock ? std::move(clock) : SystemNanoClock()) {}

Result<PgClientPtr> DatabaseBackend::NewClient(const DbConfig& config) const {
  if (config.plugin_name != kPostgresPlugin) {
    return InvalidArgument("plugin \"" + config.plugin_name + "\" is not available (only " +
                           std::string(kPostgresPlugin) + " is)");
  }
  ASSIGN_OR_RETURN(PgPoolOptions options, PoolOptions(config));
  PgClientPtr client = factory_(options);
  if (client == nullptr) return Internal("database client factory returned nothing");
  return client;
}

Result<PgClientPtr> DatabaseBackend::Client(const std::string& name, const DbConfig& config) {
  const std::string fingerprint = DumpJsonCompact(config.ToStored());
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(name);
    if (it != clients_.end() && it->second.fingerprint == fingerprint) return it->second.client;
  }
  ASSIGN_OR_RETURN(PgClientPtr client, NewClient(config));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(name);
  // Another request may have made one meanwhile; keep the first.
  if (it != clients_.end() && it->second.fingerprint == fingerprint) return it->second.client;
  clients_[name] = Cached{fingerprint, client};
  return client;
}

void DatabaseBackend::Install(const std::string& name, const DbConfig& config,
                              PgClientPtr client) {
  std::lock_guard<std::mutex> lock(mu_);
  clients_[name] = Cached{DumpJsonCompact(config.ToStored()), std::move(client)};
}

void DatabaseBackend::Drop(const std::string& name) {
  PgClientPtr old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(name);
    if (it == clients_.end()) return;
    old = std::move(it->second.client);
    clients_.erase(it);
  }
  // `old` closes its idle connections here, outside the lock; requests still
  // holding it finish on their own copy.
}

}  // namespace coffer::engines::database
