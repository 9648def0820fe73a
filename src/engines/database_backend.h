// database_backend: the state one database engine (one mount) keeps between
// requests: its PostgreSQL clients, one per connection config, and the way
// it makes them.
//
// A client is made from the stored config on first use and kept while the
// config stays the same: every use compares the stored record with the one
// the client was made from, so a config changed behind this node's back
// (replication, another write) gets a fresh client. Config writes, deletes,
// resets and root rotations replace or drop the client explicitly.
//
// Thread-safety: all methods may be called concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "coffer/status.h"
#include "coffer/storage.h"
#include "engines/database_model.h"
#include "engines/nano_clock.h"
#include "engines/pg_client.h"

namespace coffer::engines::database {

class DatabaseBackend {
 public:
  DatabaseBackend(PgClientFactory factory, NanoClock clock);

  int64_t NowUnix() const { return clock_() / 1'000'000'000; }

  // A client for `config` (stored under `name`), reusing the cached one when
  // it was made from the same record.
  Result<PgClientPtr> Client(const std::string& name, const DbConfig& config);

  // A new client for `config` that is not cached (config writes verify with
  // it before storing).
  Result<PgClientPtr> NewClient(const DbConfig& config) const;

  // Caches `client` as the one for `config` under `name`.
  void Install(const std::string& name, const DbConfig& config, PgClientPtr client);

  // Closes (drops) the cached client of `name`.
  void Drop(const std::string& name);

  // Held by rotate-root from reading the config to storing the new password:
  // two rotations at once could otherwise store a password the database no
  // longer has.
  std::unique_lock<std::mutex> LockRotation() { return std::unique_lock<std::mutex>(rotate_mu_); }

 private:
  struct Cached {
    std::string fingerprint;  // the stored record the client was made from
    PgClientPtr client;
  };

  PgClientFactory factory_;
  NanoClock clock_;
  std::mutex rotate_mu_;
  std::mutex mu_;
  std::map<std::string, Cached> clients_;  // GUARDED_BY(mu_)
};

}  // namespace coffer::engines::database
