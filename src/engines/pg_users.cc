#include "engines/pg_users.h"

#include <ctime>

#include "common/log.h"
#include "engines/sql_template.h"

namespace coffer::engines {
namespace {

using sql::TemplateValue;
using sql::TemplateValues;
using sql::ValueKind;

TemplateValues Values(const std::string& username, const std::string* password,
                      const int64_t* expires_unix) {
  TemplateValues v;
  v["name"] = TemplateValue{username, ValueKind::kIdentifier};
  v["username"] = TemplateValue{username, ValueKind::kIdentifier};
  if (password != nullptr) v["password"] = TemplateValue{*password, ValueKind::kLiteral};
  if (expires_unix != nullptr) {
    v["expiration"] = TemplateValue{PgTimestamp(*expires_unix), ValueKind::kLiteral};
  }
  return v;
}

Result<std::vector<SqlStatement>> Render(const std::vector<std::string>& templates,
                                         const TemplateValues& values) {
  ASSIGN_OR_RETURN(std::vector<std::string> texts, sql::RenderStatementList(templates, values));
  std::vector<SqlStatement> out;
  out.reserve(texts.size());
  for (std::string& t : texts) out.push_back(SqlStatement{std::move(t), {}});
  return out;
}

Result<bool> RoleExists(PgClient& pg, const std::string& username) {
  ASSIGN_OR_RETURN(SqlRows rows,
                   pg.Query(SqlStatement{"SELECT 1 FROM pg_roles WHERE rolname = $1", {username}}));
  return !rows.empty();
}

}  // namespace

std::string PgTimestamp(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S+0000", &tm);
  return buf;
}

Status CreateUser(PgClient& pg, const std::string& username, const std::string& password,
                  int64_t expires_unix, const std::vector<std::string>& creation,
                  const std::vector<std::string>& rollback) {
  TemplateValues values = Values(username, &password, &expires_unix);
  ASSIGN_OR_RETURN(std::vector<SqlStatement> statements, Render(creation, values));
  if (statements.empty()) return InvalidArgument("empty creation statements");
  Status st = pg.ExecTransaction(statements);
  if (st.ok() || rollback.empty()) return st;
  // The transaction already undid the creation statements; rollback
  // statements are for what a transaction cannot undo.
  Result<std::vector<SqlStatement>> undo = Render(rollback, values);
  Status undo_st = undo.ok() ? pg.ExecTransaction(*undo) : undo.status();
  if (!undo_st.ok()) {
    COFFER_LOG(kWarn, "database") << "rollback statements failed after a failed user creation: "
                                  << undo_st.ToString();
  }
  return st;
}

Status RenewUser(PgClient& pg, const std::string& username, int64_t expires_unix,
                 const std::vector<std::string>& renew) {
  static const std::vector<std::string> kDefault = {
      "ALTER ROLE {{name}} VALID UNTIL {{expiration}}"};
  ASSIGN_OR_RETURN(std::vector<SqlStatement> statements,
                   Render(renew.empty() ? kDefault : renew, Values(username, nullptr, &expires_unix)));
  if (statements.empty()) return Status::Ok();
  return pg.ExecTransaction(statements);
}

Status RevokeUser(PgClient& pg, const std::string& username,
                  const std::vector<std::string>& revocation) {
  ASSIGN_OR_RETURN(bool exists, RoleExists(pg, username));
  if (!exists) return Status::Ok();
  TemplateValues values = Values(username, nullptr, nullptr);
  if (!revocation.empty()) {
    ASSIGN_OR_RETURN(std::vector<SqlStatement> statements, Render(revocation, values));
    return pg.ExecTransaction(statements);
  }
  // Best effort: no new logins, and the user's open sessions end now rather
  // than whenever their clients hang up. Ending sessions needs
  // pg_signal_backend (or superuser); without it the role is still dropped.
  const std::string ident = sql::QuoteIdentifier(username);
  Status st = pg.ExecTransaction({
      SqlStatement{"ALTER ROLE " + ident + " NOLOGIN", {}},
      SqlStatement{"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE usename = $1 AND pid <> pg_backend_pid()",
                   {username}},
  });
  if (!st.ok()) {
    COFFER_LOG(kWarn, "database") << "could not end the sessions of a revoked user: "
                                  << st.ToString();
  }
  ASSIGN_OR_RETURN(SqlRows who, pg.Query(SqlStatement{
                                    "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = "
                                    "current_user), current_database()",
                                    {}}));
  const bool superuser = !who.empty() && who[0].size() == 2 && who[0][0] == "t";
  if (superuser) {
    // Objects the user created move to the root user; its privileges go.
    return pg.ExecTransaction({
        SqlStatement{"REASSIGN OWNED BY " + ident + " TO CURRENT_USER", {}},
        SqlStatement{"DROP OWNED BY " + ident, {}},
        SqlStatement{"DROP ROLE IF EXISTS " + ident, {}},
    });
  }
  // A CREATEROLE root may not REASSIGN/DROP OWNED: revoke what the user was
  // granted, schema by schema, then drop it.
  ASSIGN_OR_RETURN(SqlRows schemas, pg.Query(SqlStatement{R"(
      SELECT n.nspname FROM pg_namespace n, (SELECT oid FROM pg_roles WHERE rolname = $1) r
      WHERE EXISTS (SELECT 1 FROM aclexplode(n.nspacl) a WHERE a.grantee = r.oid)
         OR EXISTS (SELECT 1 FROM pg_class c, aclexplode(c.relacl) a
                    WHERE c.relnamespace = n.oid AND a.grantee = r.oid)
         OR EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
                    WHERE p.pronamespace = n.oid AND a.grantee = r.oid)
      ORDER BY 1)",
                                                              {username}}));
  std::vector<SqlStatement> revoke;
  for (const auto& row : schemas) {
    if (row.empty() || !row[0].has_value()) continue;
    const std::string schema = sql::QuoteIdentifier(*row[0]);
    for (const char* kind : {"TABLES", "SEQUENCES", "FUNCTIONS"}) {
      revoke.push_back(SqlStatement{std::string("REVOKE ALL PRIVILEGES ON ALL ") + kind +
                                        " IN SCHEMA " + schema + " FROM " + ident,
                                    {}});
    }
    revoke.push_back(SqlStatement{"REVOKE ALL ON SCHEMA " + schema + " FROM " + ident, {}});
  }
  if (!who.empty() && who[0].size() == 2 && who[0][1].has_value()) {
    revoke.push_back(SqlStatement{
        "REVOKE ALL ON DATABASE " + sql::QuoteIdentifier(*who[0][1]) + " FROM " + ident, {}});
  }
  revoke.push_back(SqlStatement{"DROP ROLE IF EXISTS " + ident, {}});
  return pg.ExecTransaction(revoke);
}

Status RotatePassword(PgClient& pg, const std::string& username, const std::string& password,
                      const std::vector<std::string>& rotation) {
  static const std::vector<std::string> kDefault = {
      "ALTER ROLE {{username}} WITH PASSWORD {{password}}"};
  ASSIGN_OR_RETURN(std::vector<SqlStatement> statements,
                   Render(rotation.empty() ? kDefault : rotation,
                          Values(username, &password, nullptr)));
  if (statements.empty()) return InvalidArgument("empty rotation statements");
  return pg.ExecTransaction(statements);
}

}  // namespace coffer::engines
