#include "engines/pg_client.h"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <utility>

namespace coffer::engines {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;

struct ResultCloser {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultCloser>;

// libpq messages end in newlines and sometimes span lines ("\n\tIs the
// server running ..."): one line for an error body.
std::string OneLine(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

struct PooledConn {
  ConnPtr conn;
  SteadyClock::time_point created;
};

class PgPool : public PgClient {
 public:
  explicit PgPool(PgPoolOptions options) : options_(std::move(options)) {
    if (options_.max_open < 1) options_.max_open = 1;
    if (options_.max_idle > options_.max_open) options_.max_idle = options_.max_open;
  }

  Status Ping() override {
    ASSIGN_OR_RETURN(PooledConn c, Acquire());
    Release(std::move(c));
    return Status::Ok();
  }

  Status ExecTransaction(const std::vector<SqlStatement>& statements) override {
    ASSIGN_OR_RETURN(PooledConn c, Acquire());
    Status st = RunPipelined(c.conn.get(), statements);
    if (PQpipelineStatus(c.conn.get()) != PQ_PIPELINE_OFF) c.conn.reset();
    if (c.conn != nullptr && !st.ok() && PQstatus(c.conn.get()) == CONNECTION_OK) {
      // Leaves nothing half done; a connection that cannot roll back is not
      // pooled again.
      if (!Run(c.conn.get(), SqlStatement{"ROLLBACK", {}}, nullptr).ok()) c.conn.reset();
    }
    Release(std::move(c));
    return st;
  }

  Result<SqlRows> Query(const SqlStatement& query) override {
    ASSIGN_OR_RETURN(PooledConn c, Acquire());
    SqlRows rows;
    Status st = Run(c.conn.get(), query, &rows);
    Release(std::move(c));
    if (!st.ok()) return st;
    return rows;
  }

  ~PgPool() override = default;

 private:
  Result<PooledConn> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    const auto deadline = SteadyClock::now() + std::chrono::seconds(options_.acquire_timeout_s);
    for (;;) {
      while (!idle_.empty()) {
        // Still counted in open_ while checked, so the bound holds.
        PooledConn c = std::move(idle_.back());
        idle_.pop_back();
        lock.unlock();
        bool healthy = Healthy(c);
        if (!healthy) c.conn.reset();
        lock.lock();
        if (healthy) return c;
        --open_;
        cv_.notify_one();
      }
      if (open_ < options_.max_open) {
        ++open_;
        lock.unlock();
        Result<PooledConn> fresh = Connect();
        if (!fresh.ok()) {
          lock.lock();
          --open_;
          cv_.notify_one();
        }
        return fresh;
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
          idle_.empty() && open_ >= options_.max_open) {
        return Unavailable("timed out waiting for a free database connection (max_open_connections " +
                           std::to_string(options_.max_open) + ")");
      }
    }
  }

  void Release(PooledConn c) {
    std::lock_guard<std::mutex> lock(mu_);
    bool keep = c.conn != nullptr && PQstatus(c.conn.get()) == CONNECTION_OK &&
                PQtransactionStatus(c.conn.get()) == PQTRANS_IDLE &&
                static_cast<int>(idle_.size()) < options_.max_idle;
    if (keep) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
      c.conn.reset();
    }
    cv_.notify_one();
  }

  bool Healthy(const PooledConn& c) const {
    if (c.conn == nullptr || PQstatus(c.conn.get()) != CONNECTION_OK) return false;
    if (options_.max_lifetime_s > 0 &&
        SteadyClock::now() - c.created > std::chrono::seconds(options_.max_lifetime_s)) {
      return false;
    }
    // An idle connection has nothing to read unless the server wrote to it
    // or closed it (a backend that is terminated or shut down sends its
    // FATAL, then closes): nothing pending means it is as it was released,
    // found without a round trip. (An empty query for every acquisition was
    // half of a creation's round trips.)
    const int fd = PQsocket(c.conn.get());
    if (fd < 0) return false;
    pollfd pending{fd, POLLIN, 0};
    const int ready = ::poll(&pending, 1, 0);
    if (ready == 0) return true;
    if (ready < 0) return false;
    // Something arrived while it idled: an error and end of stream, or
    // something harmless (a notice, a parameter change). Read it, then ask
    // the server: an empty query is one round trip.
    if (PQconsumeInput(c.conn.get()) == 0 || PQstatus(c.conn.get()) != CONNECTION_OK) {
      return false;
    }
    ResultPtr r(PQexec(c.conn.get(), ""));
    return r != nullptr && PQresultStatus(r.get()) == PGRES_EMPTY_QUERY;
  }

  Result<PooledConn> Connect() const {
    const std::string timeout = std::to_string(options_.connect_timeout_s);
    // connect_timeout comes first so that one in the URL (expanded from
    // dbname) overrides it.
    const char* keys[] = {"connect_timeout", "dbname", nullptr};
    const char* values[] = {timeout.c_str(), options_.conninfo.c_str(), nullptr};
    ConnPtr conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
    if (conn == nullptr) return Unavailable("out of memory creating a database connection");
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return Unavailable(OneLine(PQerrorMessage(conn.get())));
    }
    ResultPtr r(PQexec(conn.get(), "SET standard_conforming_strings = on"));
    if (r == nullptr || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return Unavailable("could not set standard_conforming_strings: " +
                         OneLine(PQerrorMessage(conn.get())));
    }
    return PooledConn{std::move(conn), SteadyClock::now()};
  }

  static std::vector<const char*> ParamPointers(const SqlStatement& stmt) {
    std::vector<const char*> params;
    params.reserve(stmt.params.size());
    for (const std::string& p : stmt.params) params.push_back(p.c_str());
    return params;
  }

  // BEGIN, the statements and COMMIT sent at once (libpq's pipeline mode)
  // and their results read after one Sync: one round trip to the server
  // instead of one per statement. A creation or revocation held a pooled
  // connection for 4-5 round trips, each waiting for both processes to be
  // scheduled on a busy machine, which bounded database/creds at the pool
  // size over that time. The server runs them in order and, after the first
  // error, skips the rest up to the Sync (PGRES_PIPELINE_ABORTED); the error
  // returned is that first one, as when they ran one by one, and the caller
  // rolls back the transaction it leaves open.
  static Status RunPipelined(PGconn* conn, const std::vector<SqlStatement>& statements) {
    if (PQenterPipelineMode(conn) != 1) return Unavailable(OneLine(PQerrorMessage(conn)));
    std::vector<const SqlStatement*> sent;
    const SqlStatement begin{"BEGIN", {}};
    const SqlStatement commit{"COMMIT", {}};
    sent.push_back(&begin);
    for (const SqlStatement& stmt : statements) sent.push_back(&stmt);
    sent.push_back(&commit);
    Status st = Status::Ok();
    size_t queued = 0;
    for (const SqlStatement* stmt : sent) {
      std::vector<const char*> params = ParamPointers(*stmt);
      if (PQsendQueryParams(conn, stmt->sql.c_str(), static_cast<int>(params.size()), nullptr,
                            params.empty() ? nullptr : params.data(), nullptr, nullptr,
                            0) != 1) {
        st = Unavailable(OneLine(PQerrorMessage(conn)));
        break;
      }
      ++queued;
    }
    if (PQpipelineSync(conn) != 1 && st.ok()) st = Unavailable(OneLine(PQerrorMessage(conn)));
    // Every queued statement's results (each ends with a null), then the Sync.
    for (size_t i = 0; i < queued && PQstatus(conn) == CONNECTION_OK; ++i) {
      while (PGresult* raw = PQgetResult(conn)) {
        ResultPtr r(raw);
        const ExecStatusType status = PQresultStatus(r.get());
        if (status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY ||
            status == PGRES_TUPLES_OK || status == PGRES_PIPELINE_ABORTED) {
          continue;
        }
        if (st.ok()) st = ErrorOf(conn, r.get());
      }
    }
    bool synced = false;
    while (!synced && PQstatus(conn) == CONNECTION_OK) {
      ResultPtr r(PQgetResult(conn));
      if (r == nullptr) break;
      synced = PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
      return st.ok() ? Unavailable(OneLine(PQerrorMessage(conn))) : st;
    }
    // The server's verdict stands even if libpq will not leave pipeline
    // mode (results it still holds): ExecTransaction then drops the
    // connection instead of pooling it.
    PQexitPipelineMode(conn);
    return st;
  }

  // A failed statement's error: the connection's when it is gone, else the
  // server's message with its SQLSTATE.
  static Status ErrorOf(PGconn* conn, const PGresult* r) {
    if (PQstatus(conn) != CONNECTION_OK) return Unavailable(OneLine(PQerrorMessage(conn)));
    const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char* sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    std::string msg = primary != nullptr ? OneLine(primary) : OneLine(PQresultErrorMessage(r));
    if (sqlstate != nullptr) msg += " (SQLSTATE " + std::string(sqlstate) + ")";
    return InvalidArgument(msg);
  }

  // One statement through the extended protocol, which refuses several
  // commands in one string: a statement the splitter got wrong fails
  // instead of smuggling a second command.
  static Status Run(PGconn* conn, const SqlStatement& stmt, SqlRows* rows) {
    std::vector<const char*> params = ParamPointers(stmt);
    ResultPtr r(PQexecParams(conn, stmt.sql.c_str(), static_cast<int>(params.size()), nullptr,
                             params.empty() ? nullptr : params.data(), nullptr, nullptr, 0));
    if (r == nullptr) return Unavailable(OneLine(PQerrorMessage(conn)));
    ExecStatusType status = PQresultStatus(r.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) return Status::Ok();
    if (status == PGRES_TUPLES_OK) {
      if (rows != nullptr) {
        int nrows = PQntuples(r.get());
        int ncols = PQnfields(r.get());
        for (int i = 0; i < nrows; ++i) {
          std::vector<std::optional<std::string>> row;
          for (int j = 0; j < ncols; ++j) {
            if (PQgetisnull(r.get(), i, j)) {
              row.emplace_back(std::nullopt);
            } else {
              row.emplace_back(std::string(PQgetvalue(r.get(), i, j),
                                           static_cast<size_t>(PQgetlength(r.get(), i, j))));
            }
          }
          rows->push_back(std::move(row));
        }
      }
      return Status::Ok();
    }
    return ErrorOf(conn, r.get());
  }

  PgPoolOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PooledConn> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                  // GUARDED_BY(mu_): idle + in use + connecting
};

}  // namespace

PgClientPtr NewPgPool(PgPoolOptions options) {
  return std::make_shared<PgPool>(std::move(options));
}

}  // namespace coffer::engines
