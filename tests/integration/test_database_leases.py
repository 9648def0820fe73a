"""Dynamic PostgreSQL logins under leases: the expiration manager drops the
user when the lease is revoked (sys/leases/revoke), expires, or loses its
parent token, and leases survive a Coffer restart and still expire on time.

A private PostgreSQL (pg_harness) per module; logins are proved with psql
(scram-sha-256 on loopback, so a dropped user really cannot log in).
"""

import time

import pytest

from coffer_harness import Api, assert_error, wait_until

CREATE = ("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' "
          "VALID UNTIL '{{expiration}}';")


@pytest.fixture(scope="module")
def db(dev_api, postgres):
    dev_api.mount("database", "database")
    dev_api.ok(dev_api.put("database/config/pg", postgres.config_body(allowed_roles="*")))
    return dev_api


def make_role(api, name, **extra):
    body = {"db_name": "pg", "creation_statements": CREATE, "default_ttl": "1h",
            "max_ttl": "2h"}
    body.update(extra)
    api.ok(api.put("database/roles/" + name, body))


def creds(api, role, **kw):
    r = api.get("database/creds/" + role, **kw)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lease_id"].startswith("database/creds/%s/" % role), body["lease_id"]
    return body


def lease_keys(api, role):
    r = api.list("sys/leases/lookup/database/creds/%s/" % role)
    if r.status_code == 404:
        return []
    assert r.status_code == 200, r.text
    return r.json()["data"]["keys"]


def gone(pg, user):
    return lambda: not pg.role_exists(user)


def test_revoke_drops_the_user(db, postgres):
    make_role(db, "rev")
    body = creds(db, "rev")
    user, password = body["data"]["username"], body["data"]["password"]
    assert postgres.can_login(user, password)
    assert len(lease_keys(db, "rev")) == 1
    db.ok(db.put("sys/leases/revoke", {"lease_id": body["lease_id"]}))
    assert wait_until(gone(postgres, user), 10)
    assert not postgres.can_login(user, password)
    assert lease_keys(db, "rev") == []
    assert db.put("sys/leases/lookup", {"lease_id": body["lease_id"]}).status_code == 400


def test_expiry_drops_the_user(db, postgres):
    make_role(db, "short", default_ttl="2s", max_ttl="10s")
    body = creds(db, "short")
    user, password = body["data"]["username"], body["data"]["password"]
    assert body["lease_duration"] == 2
    assert postgres.can_login(user, password)
    assert wait_until(gone(postgres, user), 20)
    assert not postgres.can_login(user, password)
    assert lease_keys(db, "short") == []


def test_revoking_the_parent_token_drops_the_user(db, postgres):
    make_role(db, "child")
    db.write_policy("db-creds", 'path "database/creds/*" { capabilities = ["read"] }')
    token = db.create_token(policies=["db-creds"], ttl="1h")["client_token"]
    body = creds(db.as_token(token), "child")
    user, password = body["data"]["username"], body["data"]["password"]
    assert postgres.can_login(user, password)
    db.ok(db.put("auth/token/revoke", {"token": token}))
    assert wait_until(gone(postgres, user), 10)
    assert not postgres.can_login(user, password)


def test_renew_moves_valid_until_and_is_capped_by_max_ttl(db, postgres):
    make_role(db, "renew", default_ttl="60s", max_ttl="90s")
    body = creds(db, "renew")
    user = body["data"]["username"]
    before = float(postgres.query(
        "SELECT extract(epoch FROM rolvaliduntil) FROM pg_roles WHERE rolname = '%s'" % user))
    r = db.put("sys/leases/renew", {"lease_id": body["lease_id"], "increment": 3600})
    assert r.status_code == 200, r.text
    renewed = r.json()
    assert renewed["lease_id"] == body["lease_id"]
    assert 0 < renewed["lease_duration"] <= 90
    after = float(postgres.query(
        "SELECT extract(epoch FROM rolvaliduntil) FROM pg_roles WHERE rolname = '%s'" % user))
    assert after > before
    assert postgres.can_login(user, body["data"]["password"])


def test_failed_reads_leave_no_lease(db, postgres):
    db.ok(db.put("database/config/down", {
        "plugin_name": "postgresql-database-plugin", "allowed_roles": "*",
        "connection_url": "postgresql://u:p@127.0.0.1:1/postgres?sslmode=disable",
        "verify_connection": False}))
    db.ok(db.put("database/roles/downrole", {"db_name": "down", "creation_statements": CREATE}))
    assert_error(db.get("database/creds/downrole"), 500, "failed to connect to database")
    assert lease_keys(db, "downrole") == []

    make_role(db, "halfway", creation_statements=[
        CREATE, "GRANT SELECT ON no_such_table TO \"{{name}}\";"])
    assert_error(db.get("database/creds/halfway"), 500, "failed to create the database user")
    assert lease_keys(db, "halfway") == []
    assert postgres.roles_like("v-root-halfway") == []


def test_leases_survive_a_restart_and_expire_on_time(make_server, postgres):
    srv = make_server()
    srv.init_and_unseal(1, 1)
    api = Api(srv, token=srv.root_token)
    api.mount("database", "database")
    api.ok(api.put("database/config/pg", postgres.config_body(allowed_roles="*")))
    make_role(api, "persist", default_ttl="8s", max_ttl="60s")
    body = creds(api, "persist")
    user, password = body["data"]["username"], body["data"]["password"]
    issued = time.monotonic()

    srv.restart()
    srv.unseal()
    # Still there after the restart, and still a live login.
    assert len(lease_keys(api, "persist")) == 1
    assert postgres.can_login(user, password)
    # Revoked by the restored schedule: not before the TTL, and soon after.
    assert wait_until(gone(postgres, user), 30)
    assert time.monotonic() - issued >= 7
    assert lease_keys(api, "persist") == []


def test_revoke_with_a_createrole_root_revokes_grants_then_drops(db, postgres):
    # The recommended setup: Coffer's user is no superuser. It may not
    # REASSIGN/DROP OWNED, so the default revocation revokes the grants the
    # user got (tables, sequences, schemas, database) before DROP ROLE.
    postgres.query("CREATE ROLE cr_admin WITH LOGIN CREATEROLE PASSWORD 'cr-pw'; "
                   "GRANT CREATE ON DATABASE postgres TO cr_admin")
    admin = lambda sql: postgres.psql(sql, user="cr_admin", password="cr-pw")
    assert admin("CREATE SCHEMA crs; CREATE TABLE crs.t(x int); CREATE SEQUENCE crs.s")\
        .returncode == 0
    db.ok(db.put("database/config/pgcr", postgres.config_body(
        allowed_roles="*", username="cr_admin", password="cr-pw")))
    make_role(db, "crrole", db_name="pgcr", creation_statements=[
        CREATE, "GRANT USAGE ON SCHEMA crs TO \"{{name}}\";",
        "GRANT SELECT ON ALL TABLES IN SCHEMA crs TO \"{{name}}\";",
        "GRANT USAGE ON SEQUENCE crs.s TO \"{{name}}\";",
        "GRANT CONNECT ON DATABASE postgres TO \"{{name}}\";"])
    body = creds(db, "crrole")
    user, password = body["data"]["username"], body["data"]["password"]
    assert postgres.psql("SELECT count(*) FROM crs.t", user=user, password=password)\
        .returncode == 0
    db.ok(db.put("sys/leases/revoke", {"lease_id": body["lease_id"]}))
    assert wait_until(gone(postgres, user), 10), postgres.log_tail(1500)
    assert not postgres.can_login(user, password)


def test_cli_read_shows_the_lease(db, postgres, tmp_path):
    import os
    import subprocess
    from coffer_harness import coffer_bin
    make_role(db, "clilease")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "VAULT_ADDR": db.server.addr, "VAULT_TOKEN": db.token}
    r = subprocess.run([coffer_bin(), "read", "database/creds/clilease"], capture_output=True,
                       text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(None, 1) for line in r.stdout.splitlines()[2:] if line.strip())
    assert lines["lease_id"].startswith("database/creds/clilease/")
    assert lines["lease_duration"].strip() == "1h"
    assert lines["lease_renewable"].strip() == "true"
    assert postgres.role_exists(lines["username"].strip())
