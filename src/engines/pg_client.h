// pg_client: the database engine's view of one PostgreSQL server, and the
// libpq implementation (a small bounded connection pool).
//
// The engine logic talks to PgClient only, so its tests run against a fake.
// A PgClient belongs to one stored connection config; the engine replaces it
// when the config changes (a new URL, a rotated root password) and drops it
// on delete/reset.
//
// Pool rules (NewPgPool):
//  - at most max_open connections exist at once; a caller waits up to
//    acquire_timeout_s for one to come free, then gets kUnavailable;
//  - at most max_idle of them are kept between uses;
//  - an idle connection is checked (status + an empty round trip) before
//    reuse and replaced when it failed, or when it is older than
//    max_lifetime_s (0: no limit);
//  - connecting gives up after connect_timeout_s (libpq's connect_timeout,
//    unless the URL sets its own), so an unreachable server fails fast;
//  - every connection runs with standard_conforming_strings = on (what
//    sql_template's escaping assumes).
// Errors carry libpq's message with whitespace collapsed; libpq does not put
// passwords in its messages.
//
// Thread-safety: a PgClient may be used from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coffer/status.h"

namespace coffer::engines {

// One statement: SQL text, and the values of its $1, $2, ... parameters.
struct SqlStatement {
  std::string sql;
  std::vector<std::string> params;
};

// Query result rows; a SQL NULL is nullopt.
using SqlRows = std::vector<std::vector<std::optional<std::string>>>;

class PgClient {
 public:
  virtual ~PgClient() = default;

  // Opens a connection (or checks a pooled one): verify_connection.
  virtual Status Ping() = 0;

  // Runs the statements in order inside one transaction. The first failure
  // rolls back all of them and is returned (kInvalidArgument for an SQL
  // error the server reported, kUnavailable when the server cannot be
  // reached).
  virtual Status ExecTransaction(const std::vector<SqlStatement>& statements) = 0;

  // Runs one query outside any transaction and returns its rows.
  virtual Result<SqlRows> Query(const SqlStatement& query) = 0;
};

using PgClientPtr = std::shared_ptr<PgClient>;

struct PgPoolOptions {
  std::string conninfo;  // a postgres:// URL or "key=value ..." string
  int max_open = 4;
  int max_idle = 4;
  int64_t max_lifetime_s = 0;
  int connect_timeout_s = 5;
  int acquire_timeout_s = 10;
};

// The libpq pool. Connects lazily (Ping connects at once).
PgClientPtr NewPgPool(PgPoolOptions options);

// How the engine makes clients; tests pass a factory of fakes.
using PgClientFactory = std::function<PgClientPtr(const PgPoolOptions&)>;

}  // namespace coffer::engines
