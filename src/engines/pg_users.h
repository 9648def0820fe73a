// pg_users: what the database engine does to PostgreSQL users, as SQL sent
// through a PgClient. Statement lists are the role's, rendered by
// sql_template ({{name}}/{{username}} as identifiers, {{password}} and
// {{expiration}} as literals).
//
//   CreateUser   creation statements in one transaction, so a statement that
//                fails half way leaves nothing behind; then the rollback
//                statements (if any) in a second transaction, best effort.
//   RenewUser    renew statements, or ALTER ROLE ... VALID UNTIL.
//   RevokeUser   nothing when the role is already gone (idempotent);
//                else the revocation statements in one transaction, or the
//                default: forbid new logins and end the user's sessions
//                (best effort), then in one transaction, when the root user
//                is a superuser: REASSIGN OWNED BY ... TO CURRENT_USER, DROP
//                OWNED BY, DROP ROLE; otherwise (a CREATEROLE root may not
//                reassign): REVOKE ALL on the tables, sequences, functions
//                and schemas it has privileges in and on the database, then
//                DROP ROLE.
//   RotatePassword  rotation statements, or ALTER ROLE ... WITH PASSWORD.
//
// Thread-safety: pure functions of their arguments (the client is
// thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coffer/status.h"
#include "engines/pg_client.h"

namespace coffer::engines {

// {{expiration}} as PostgreSQL reads it: "2026-11-28 14:05:09+0000" (UTC).
std::string PgTimestamp(int64_t unix_seconds);

Status CreateUser(PgClient& pg, const std::string& username, const std::string& password,
                  int64_t expires_unix, const std::vector<std::string>& creation,
                  const std::vector<std::string>& rollback);

Status RenewUser(PgClient& pg, const std::string& username, int64_t expires_unix,
                 const std::vector<std::string>& renew);

Status RevokeUser(PgClient& pg, const std::string& username,
                  const std::vector<std::string>& revocation);

Status RotatePassword(PgClient& pg, const std::string& username, const std::string& password,
                      const std::vector<std::string>& rotation);

}  // namespace coffer::engines
