#include "engines/database.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "engines/database_model.h"
#include "engines/engine_harness_for_test.h"
#include "engines/pg_users.h"

namespace coffer::engines {
namespace {

// Records what the engine sends; fails on demand. pg_roles is `roles`.
struct FakePg : PgClient {
  Status ping = Status::Ok();
  std::string fail_on;  // ExecTransaction fails when a statement contains this
  std::set<std::string> roles;
  bool superuser = true;                // the root user, as pg_roles says
  std::vector<std::string> schemas;     // where the revoked user has privileges
  std::vector<std::vector<SqlStatement>> transactions;
  int pings = 0;

  Status Ping() override {
    ++pings;
    return ping;
  }
  Status ExecTransaction(const std::vector<SqlStatement>& statements) override {
    transactions.push_back(statements);
    for (const SqlStatement& s : statements) {
      if (!fail_on.empty() && s.sql.find(fail_on) != std::string::npos) {
        return InvalidArgument("syntax error (SQLSTATE 42601)");
      }
    }
    return Status::Ok();
  }
  Result<SqlRows> Query(const SqlStatement& q) override {
    if (!ping.ok()) return ping;
    SqlRows rows;
    if (q.sql.find("rolsuper") != std::string::npos) {
      rows.push_back({std::string(superuser ? "t" : "f"), std::string("app\"db")});
    } else if (q.sql.find("nspname") != std::string::npos) {
      for (const std::string& s : schemas) rows.push_back({s});
    } else if (q.sql.find("pg_roles") != std::string::npos && roles.count(q.params.at(0)) != 0) {
      rows.push_back({std::string("1")});
    }
    return rows;
  }
  std::vector<std::string> Sql(size_t tx) const {
    std::vector<std::string> out;
    for (const SqlStatement& s : transactions.at(tx)) out.push_back(s.sql);
    return out;
  }
};

class DatabaseEngineTest : public ::testing::Test {
 protected:
  DatabaseEngineTest() {
    engine_ = NewDatabaseEngine(
        [this](const PgPoolOptions& o) {
          options_.push_back(o);
          return pg_;
        },
        h_.Clock());
  }

  Result<Response> Call(Operation op, const std::string& path, Json data = Json::object()) {
    return h_.Call(*engine_, op, path, std::move(data));
  }

  void Configure(Json extra = Json::object()) {
    Json body = {{"plugin_name", "postgresql-database-plugin"},
                 {"connection_url", "postgresql://{{username}}:{{password}}@127.0.0.1:5432/db"},
                 {"username", "vault"},
                 {"password", "root-pw"},
                 {"allowed_roles", "app"}};
    body.update(extra);
    auto r = Call(Operation::kUpdate, "config/pg", body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void MakeRole(Json extra = Json::object()) {
    Json body = {{"db_name", "pg"},
                 {"creation_statements",
                  "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL "
                  "'{{expiration}}'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";"},
                 {"default_ttl", "1h"},
                 {"max_ttl", "24h"}};
    body.update(extra);
    auto r = Call(Operation::kUpdate, "roles/app", body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  EngineRequest LeaseRequest() {
    EngineRequest req;
    req.path = "creds/app";
    req.storage = &h_.view();
    req.system = h_.system();
    return req;
  }

  EngineHarness h_;
  std::shared_ptr<FakePg> pg_ = std::make_shared<FakePg>();
  std::vector<PgPoolOptions> options_;
  EnginePtr engine_;
};

TEST_F(DatabaseEngineTest, ConfigWriteVerifiesAndReadHidesThePassword) {
  Configure({{"max_open_connections", 2}, {"allowed_roles", "app, other"}});
  EXPECT_EQ(pg_->pings, 1);
  ASSERT_EQ(options_.size(), 1u);
  EXPECT_EQ(options_[0].conninfo, "postgresql://vault:root-pw@127.0.0.1:5432/db");
  EXPECT_EQ(options_[0].max_open, 2);

  auto r = Call(Operation::kRead, "config/pg");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data["plugin_name"], "postgresql-database-plugin");
  EXPECT_EQ(r->data["allowed_roles"], (Json{"app", "other"}));
  EXPECT_EQ(r->data["connection_details"]["username"], "vault");
  EXPECT_EQ(r->data["connection_details"]["max_open_connections"], 2);
  EXPECT_FALSE(r->data["connection_details"].contains("password"));
  EXPECT_EQ(r->data.dump().find("root-pw"), std::string::npos);

  auto list = Call(Operation::kList, "config/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->data["keys"], (Json{"pg"}));

  // An update changes only what it sends.
  ASSERT_TRUE(Call(Operation::kUpdate, "config/pg", {{"allowed_roles", "*"}}).ok());
  r = Call(Operation::kRead, "config/pg");
  EXPECT_EQ(r->data["allowed_roles"], (Json{"*"}));
  EXPECT_EQ(r->data["connection_details"]["username"], "vault");

  ASSERT_TRUE(Call(Operation::kDelete, "config/pg").ok());
  EXPECT_EQ(Call(Operation::kRead, "config/pg").status().code(), Code::kNotFound);
}

TEST_F(DatabaseEngineTest, UnreachableDatabaseIsAClearErrorAndNothingIsStored) {
  pg_->ping = Unavailable("connection to server at \"127.0.0.1\", port 1 failed: refused");
  auto r = Call(Operation::kUpdate, "config/pg",
                {{"plugin_name", "postgresql-database-plugin"},
                 {"connection_url", "postgresql://127.0.0.1:1/db"}});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "error creating database object: error verifying connection: connection to server "
            "at \"127.0.0.1\", port 1 failed: refused");
  EXPECT_EQ(Call(Operation::kRead, "config/pg").status().code(), Code::kNotFound);

  // verify_connection=false stores without connecting.
  pg_->pings = 0;
  ASSERT_TRUE(Call(Operation::kUpdate, "config/pg",
                   {{"plugin_name", "postgresql-database-plugin"},
                    {"connection_url", "postgresql://127.0.0.1:1/db"},
                    {"verify_connection", false}})
                  .ok());
  EXPECT_EQ(pg_->pings, 0);
}

TEST_F(DatabaseEngineTest, ConfigBadInput) {
  auto expect = [&](Json body, const std::string& message) {
    auto r = Call(Operation::kUpdate, "config/x", body);
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << body.dump();
    EXPECT_EQ(r.status().message(), message) << body.dump();
  };
  expect({{"connection_url", "postgresql://h/db"}}, "empty plugin name");
  expect({{"plugin_name", "postgresql-database-plugin"}}, "connection_url cannot be empty");
  expect({{"plugin_name", "mysql-database-plugin"}, {"connection_url", "x"}},
         "error creating database object: plugin \"mysql-database-plugin\" is not available "
         "(only postgresql-database-plugin is)");
  auto r = Call(Operation::kUpdate, "config/x",
                {{"plugin_name", "postgresql-database-plugin"},
                 {"connection_url", "postgresql://h/db"},
                 {"max_open_connections", "many"}});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST_F(DatabaseEngineTest, ConnectionUrlTemplatingEscapes) {
  Configure({{"username", "a@b"}, {"password", "p:w/ ?"}});
  EXPECT_EQ(options_.back().conninfo, "postgresql://a%40b:p%3Aw%2F%20%3F@127.0.0.1:5432/db");
  Configure({{"connection_url", "host=h user={{username}} password={{password}}"},
             {"password", "it's \\ x"}});
  EXPECT_EQ(options_.back().conninfo, "host=h user=vault password='it\\'s \\\\ x'");
  Configure({{"connection_url", "host=h password='{{password}}'"}, {"password", "a'b"}});
  EXPECT_EQ(options_.back().conninfo, "host=h password='a\\'b'");
}

TEST_F(DatabaseEngineTest, RoleWriteReadListAndBadInput) {
  MakeRole();
  auto r = Call(Operation::kRead, "roles/app");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data["db_name"], "pg");
  EXPECT_EQ(r->data["default_ttl"], 3600);
  EXPECT_EQ(r->data["max_ttl"], 86400);
  EXPECT_EQ(r->data["creation_statements"].size(), 1u);
  EXPECT_EQ(r->data["revocation_statements"], Json::array());
  EXPECT_EQ(Call(Operation::kList, "roles/")->data["keys"], (Json{"app"}));

  auto expect = [&](Json body, const std::string& message) {
    auto w = Call(Operation::kUpdate, "roles/bad", body);
    EXPECT_EQ(w.status().code(), Code::kInvalidArgument) << body.dump();
    EXPECT_EQ(w.status().message(), message) << body.dump();
  };
  expect({{"creation_statements", "CREATE ROLE x"}}, "database name is required");
  expect({{"db_name", "pg"}}, "empty creation statements");
  expect({{"db_name", "pg"}, {"creation_statements", "CREATE ROLE x"}, {"default_ttl", "2h"},
          {"max_ttl", "1h"}},
         "ttl cannot be greater than max_ttl");
  expect({{"db_name", "pg"}, {"creation_statements", "CREATE ROLE 'x"}},
         "creation_statements: unterminated quoted string in statement");
  EXPECT_EQ(Call(Operation::kRead, "roles/bad").status().code(), Code::kNotFound);

  ASSERT_TRUE(Call(Operation::kDelete, "roles/app").ok());
  EXPECT_EQ(Call(Operation::kRead, "roles/app").status().code(), Code::kNotFound);
}

TEST_F(DatabaseEngineTest, CredsCreateAUserUnderALease) {
  Configure();
  MakeRole();
  pg_->transactions.clear();
  auto r = Call(Operation::kRead, "creds/app");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string user = r->data["username"];
  const std::string password = r->data["password"];
  const int64_t now = h_.now() / 1'000'000'000;
  EXPECT_EQ(user.rfind("v--app-", 0), 0u) << user;
  EXPECT_EQ(user.substr(user.size() - std::to_string(now).size()), std::to_string(now));
  EXPECT_LE(user.size(), 63u);
  EXPECT_EQ(password.size(), 20u);

  ASSERT_EQ(pg_->transactions.size(), 1u);  // both statements in one transaction
  EXPECT_EQ(pg_->Sql(0), (std::vector<std::string>{
                             "CREATE ROLE \"" + user + "\" WITH LOGIN PASSWORD '" + password +
                                 "' VALID UNTIL '" + PgTimestamp(now + 3600 + 5) + "'",
                             "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"" + user + "\""}));

  ASSERT_TRUE(r->secret.has_value());
  EXPECT_TRUE(r->secret->register_lease);
  EXPECT_TRUE(r->secret->renewable);
  EXPECT_EQ(r->secret->lease_duration, 3600);
  EXPECT_EQ(r->secret->max_ttl, 86400);
  EXPECT_EQ(r->secret->internal_data["username"], user);
  EXPECT_EQ(r->secret->internal_data["role"], "app");
  EXPECT_EQ(r->secret->internal_data["db_name"], "pg");
}

TEST_F(DatabaseEngineTest, CredsRefusedForRolesNotAllowedOrUnknown) {
  Configure({{"allowed_roles", "other,pre*"}});
  MakeRole();
  auto r = Call(Operation::kRead, "creds/app");
  EXPECT_EQ(r.status(), InvalidArgument("\"app\" is not an allowed role"));
  EXPECT_EQ(Call(Operation::kRead, "creds/nope").status(), InvalidArgument("unknown role: nope"));
  EXPECT_TRUE(pg_->transactions.empty());

  MakeRole({{"db_name", "missing"}});
  EXPECT_EQ(Call(Operation::kRead, "creds/app").status(),
            InvalidArgument("failed to find entry for connection with name: \"missing\""));
}

TEST_F(DatabaseEngineTest, FailedCreationReturnsAnErrorAndNoLeaseAndRunsRollback) {
  Configure();
  MakeRole({{"rollback_statements", "DROP ROLE IF EXISTS \"{{name}}\""}});
  pg_->transactions.clear();
  pg_->fail_on = "GRANT";
  auto r = Call(Operation::kRead, "creds/app");
  EXPECT_EQ(r.status().code(), Code::kIOError);
  EXPECT_EQ(r.status().message(),
            "failed to create the database user: syntax error (SQLSTATE 42601)");
  ASSERT_EQ(pg_->transactions.size(), 2u);
  EXPECT_EQ(pg_->transactions[1].at(0).sql.rfind("DROP ROLE IF EXISTS \"v--app-", 0), 0u);
}

TEST_F(DatabaseEngineTest, RevokeDropsTheUserAndIsIdempotent) {
  Configure();
  MakeRole();
  Json internal = {{"username", "v-x"}, {"role", "app"}, {"db_name", "pg"}};
  pg_->transactions.clear();
  // Already gone: nothing to run, success.
  ASSERT_TRUE(engine_->RevokeSecret(LeaseRequest(), internal).ok());
  EXPECT_TRUE(pg_->transactions.empty());

  pg_->roles.insert("v-x");
  ASSERT_TRUE(engine_->RevokeSecret(LeaseRequest(), internal).ok());
  ASSERT_EQ(pg_->transactions.size(), 2u);
  EXPECT_EQ(pg_->Sql(0)[0], "ALTER ROLE \"v-x\" NOLOGIN");
  EXPECT_EQ(pg_->Sql(1), (std::vector<std::string>{"REASSIGN OWNED BY \"v-x\" TO CURRENT_USER",
                                                   "DROP OWNED BY \"v-x\"",
                                                   "DROP ROLE IF EXISTS \"v-x\""}));

  // A root user that is no superuser may not REASSIGN/DROP OWNED: the
  // user's privileges are revoked schema by schema instead.
  pg_->superuser = false;
  pg_->schemas = {"public", "we\"ird"};
  pg_->transactions.clear();
  ASSERT_TRUE(engine_->RevokeSecret(LeaseRequest(), internal).ok());
  ASSERT_EQ(pg_->transactions.size(), 2u);
  EXPECT_EQ(pg_->Sql(1), (std::vector<std::string>{
                             "REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA \"public\" FROM \"v-x\"",
                             "REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA \"public\" FROM \"v-x\"",
                             "REVOKE ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA \"public\" FROM \"v-x\"",
                             "REVOKE ALL ON SCHEMA \"public\" FROM \"v-x\"",
                             "REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA \"we\"\"ird\" FROM \"v-x\"",
                             "REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA \"we\"\"ird\" FROM \"v-x\"",
                             "REVOKE ALL PRIVILEGES ON ALL FUNCTIONS IN SCHEMA \"we\"\"ird\" FROM \"v-x\"",
                             "REVOKE ALL ON SCHEMA \"we\"\"ird\" FROM \"v-x\"",
                             "REVOKE ALL ON DATABASE \"app\"\"db\" FROM \"v-x\"",
                             "DROP ROLE IF EXISTS \"v-x\""}));

  // The role's own revocation statements win; with the role deleted, the
  // ones stored with the lease are used.
  MakeRole({{"revocation_statements", "DROP ROLE {{name}}"}});
  pg_->transactions.clear();
  ASSERT_TRUE(engine_->RevokeSecret(LeaseRequest(), internal).ok());
  EXPECT_EQ(pg_->Sql(0), (std::vector<std::string>{"DROP ROLE \"v-x\""}));
  ASSERT_TRUE(Call(Operation::kDelete, "roles/app").ok());
  internal["revocation_statements"] = Json{"DROP ROLE \"{{name}}\" -- stored"};
  pg_->transactions.clear();
  ASSERT_TRUE(engine_->RevokeSecret(LeaseRequest(), internal).ok());
  EXPECT_EQ(pg_->Sql(0), (std::vector<std::string>{"DROP ROLE \"v-x\" -- stored"}));

  // A database that cannot be reached keeps the lease (an error to retry).
  pg_->ping = Unavailable("down");
  EXPECT_FALSE(engine_->RevokeSecret(LeaseRequest(), internal).ok());
}

TEST_F(DatabaseEngineTest, RenewMovesValidUntil) {
  Configure();
  MakeRole();
  pg_->transactions.clear();
  Json internal = {{"username", "v-x"}, {"role", "app"}, {"db_name", "pg"}};
  auto ttl = engine_->RenewSecret(LeaseRequest(), internal, 600);
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_EQ(*ttl, 600);
  const int64_t now = h_.now() / 1'000'000'000;
  EXPECT_EQ(pg_->Sql(0), (std::vector<std::string>{"ALTER ROLE \"v-x\" VALID UNTIL '" +
                                                   PgTimestamp(now + 605) + "'"}));
  // No increment: the role's default; never past the role's max_ttl.
  EXPECT_EQ(*engine_->RenewSecret(LeaseRequest(), internal, 0), 3600);
  EXPECT_EQ(*engine_->RenewSecret(LeaseRequest(), internal, 999999), 86400);
  ASSERT_TRUE(Call(Operation::kDelete, "roles/app").ok());
  EXPECT_EQ(engine_->RenewSecret(LeaseRequest(), internal, 60).status().message(),
            "error during renew: could not find role with name: \"app\"");
}

TEST_F(DatabaseEngineTest, RotateRootChangesAndStoresThePassword) {
  Configure();
  pg_->transactions.clear();
  ASSERT_TRUE(Call(Operation::kUpdate, "rotate-root/pg").ok());
  ASSERT_EQ(pg_->transactions.size(), 1u);
  const std::string sql = pg_->Sql(0).at(0);
  ASSERT_EQ(sql.rfind("ALTER ROLE \"vault\" WITH PASSWORD '", 0), 0u) << sql;
  const std::string password = sql.substr(sql.find('\'') + 1, 20);
  // The next pool connects with the new password; reads still hide it.
  EXPECT_EQ(options_.back().conninfo, "postgresql://vault:" + password + "@127.0.0.1:5432/db");
  EXPECT_EQ(Call(Operation::kRead, "config/pg")->data.dump().find(password), std::string::npos);

  EXPECT_EQ(Call(Operation::kUpdate, "rotate-root/none").status(),
            InvalidArgument("failed to find entry for connection with name: \"none\""));
  Configure({{"connection_url", "postgresql://vault:literal@h/db"}});
  EXPECT_EQ(Call(Operation::kUpdate, "rotate-root/pg").status().code(), Code::kInvalidArgument);
}

TEST(DatabaseModelTest, RoleAllowedGlobs) {
  using database::RoleAllowed;
  EXPECT_TRUE(RoleAllowed({"*"}, "x"));
  EXPECT_TRUE(RoleAllowed({"a", "x"}, "x"));
  EXPECT_TRUE(RoleAllowed({"dev-*"}, "dev-1"));
  EXPECT_TRUE(RoleAllowed({"*-ro"}, "app-ro"));
  EXPECT_TRUE(RoleAllowed({"*pp*"}, "app-ro"));
  EXPECT_FALSE(RoleAllowed({}, "x"));
  EXPECT_FALSE(RoleAllowed({"dev-*"}, "prod-1"));
  EXPECT_FALSE(RoleAllowed({"xy"}, "x"));
}

TEST(DatabaseModelTest, GeneratedNamesAndPasswords) {
  std::string long_name = database::GenerateUsername("averyveryverylongdisplay",
                                                     "averyverylongrole", 1700000000);
  EXPECT_EQ(long_name.rfind("v-averyver-averyver-", 0), 0u);
  EXPECT_EQ(long_name.size(), 2u + 8 + 1 + 8 + 1 + 20 + 1 + 10);
  for (int i = 0; i < 50; ++i) {
    std::string p = database::GeneratePassword();
    ASSERT_EQ(p.size(), 20u);
    EXPECT_NE(p.find('-'), std::string::npos);
    EXPECT_EQ(p.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"),
              std::string::npos);
  }
  EXPECT_EQ(PgTimestamp(1700000000), "2023-11-14 22:13:20+0000");
}

}  // namespace
}  // namespace coffer::engines
