// The database secrets engine ("database"), with PostgreSQL as its plugin
// ("postgresql-database-plugin"), following Vault's API:
//
//   config/:name        connection configs (LIST config/), verified on write
//   reset/:name         reopen a connection's pool
//   rotate-root/:name   new root password, set in the database and stored
//   roles/:name         roles (LIST roles/): db_name, statements, TTLs
//   creds/:name         a new database user under a lease
//
// creds responses ask the core for a lease (SecretInfo::register_lease); the
// expiration manager calls RevokeSecret on expiry or revocation (the user is
// dropped) and RenewSecret on renewal (its VALID UNTIL moves). Operator
// documentation: docs/secrets/database.md.
//
// Thread-safety: Handle, Exists and the lease callbacks may run concurrently;
// the engine's PostgreSQL pools are shared by them.
#pragma once

#include "coffer/engine.h"
#include "engines/nano_clock.h"
#include "engines/pg_client.h"

namespace coffer::engines {

// Null arguments mean the libpq pool and the system clock.
EnginePtr NewDatabaseEngine(PgClientFactory factory = nullptr, NanoClock clock = nullptr);

}  // namespace coffer::engines
