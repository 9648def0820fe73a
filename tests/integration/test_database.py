"""The database secrets engine against a real PostgreSQL server.

A private PostgreSQL (pg_harness, scram-sha-256 on loopback) per module and
one dev Coffer server; each test uses its own connection and role names.
Logins are proved with psql: a dynamic user can log in while its lease
lives and cannot after it is revoked.
"""

import time

import pytest

from coffer_harness import assert_error
from tcp_proxy import TcpProxy

CREATE = ("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' "
          "VALID UNTIL '{{expiration}}';")


@pytest.fixture(scope="module")
def db(dev_api):
    dev_api.mount("database", "database")
    return dev_api


def configure(db, pg, name, **extra):
    body = pg.config_body(allowed_roles=extra.pop("allowed_roles", "*"), **extra)
    r = db.put("database/config/" + name, body)
    assert r.status_code in (200, 204), r.text
    return r


def make_role(db, name, db_name, **extra):
    body = {"db_name": db_name, "creation_statements": CREATE,
            "default_ttl": "1h", "max_ttl": "2h"}
    body.update(extra)
    db.ok(db.put("database/roles/" + name, body))


def creds(db, role, **kw):
    r = db.get("database/creds/" + role, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def test_config_read_hides_password_and_lists(db, postgres):
    configure(db, postgres, "cfg", allowed_roles="a,b", max_open_connections=3)
    data = db.ok(db.get("database/config/cfg"))["data"]
    assert data["plugin_name"] == "postgresql-database-plugin"
    assert data["allowed_roles"] == ["a", "b"]
    assert data["connection_details"]["username"] == postgres.SUPERUSER
    assert data["connection_details"]["connection_url"] == postgres.url()
    assert "password" not in data["connection_details"]
    assert postgres.password not in db.get("database/config/cfg").text
    assert "cfg" in db.ok(db.list("database/config"))["data"]["keys"]
    db.ok(db.delete("database/config/cfg"))
    assert db.get("database/config/cfg").status_code == 404


def test_creds_log_in_with_a_fresh_user(db, postgres):
    configure(db, postgres, "pg1")
    make_role(db, "reader", "pg1",
              creation_statements=[CREATE, "GRANT pg_read_all_data TO \"{{name}}\";"])
    body = creds(db, "reader")
    user, password = body["data"]["username"], body["data"]["password"]
    assert user.startswith("v-root-reader-"), user
    assert len(user) <= 63
    assert len(password) == 20 and "-" in password
    assert body["renewable"] is True
    assert body["lease_duration"] == 3600
    assert postgres.can_login(user, password)
    assert not postgres.can_login(user, password + "x")
    # The grant ran in the same transaction as the creation.
    assert postgres.query("SELECT pg_has_role('%s', 'pg_read_all_data', 'member')"
                          % user) == "t"
    # VALID UNTIL is the lease's end (+5 s), not forever.
    assert postgres.query("SELECT rolvaliduntil IS NOT NULL FROM pg_roles WHERE rolname = '%s'"
                          % user) == "t"
    # Each read is a new user.
    other = creds(db, "reader")["data"]["username"]
    assert other != user and postgres.role_exists(other)


def test_creation_and_revocation_send_their_statements_in_one_round_trip(db, postgres):
    # BEGIN, the statements and COMMIT go to PostgreSQL in one pipeline, and
    # a pooled connection is checked without asking the server: one round
    # trip per creation and two per revocation (which first asks whether the
    # role exists), whatever the number of statements. One by one they were
    # 5 and 7 here; with an empty query to check each connection, 2 and 4.
    proxy = TcpProxy("127.0.0.1", postgres.port)
    try:
        url = ("postgresql://{{username}}:{{password}}@127.0.0.1:%d/postgres?sslmode=disable"
               % proxy.port)
        configure(db, postgres, "pgrt", connection_url=url, max_open_connections=1)
        make_role(db, "rt", "pgrt",
                  creation_statements=[CREATE, "GRANT pg_read_all_data TO \"{{name}}\";"],
                  revocation_statements=["REVOKE pg_read_all_data FROM \"{{name}}\";",
                                         "DROP ROLE \"{{name}}\";"])
        db.ok(db.put("sys/leases/revoke", {"lease_id": creds(db, "rt")["lease_id"]}), 204)
        n = 5
        before = proxy.round_trips
        issued = [creds(db, "rt") for _ in range(n)]
        # (+2: a pipeline split in transit could show as one more turn.)
        assert proxy.round_trips - before <= n + 2, (before, proxy.round_trips)
        for c in issued:
            assert postgres.role_exists(c["data"]["username"])
        before = proxy.round_trips
        for c in issued:
            db.ok(db.put("sys/leases/revoke", {"lease_id": c["lease_id"]}), 204)
        assert proxy.round_trips - before <= 2 * n + 2, (before, proxy.round_trips)
        for c in issued:
            assert not postgres.role_exists(c["data"]["username"])
        # A statement failing half way: the error of that statement, nothing
        # left behind, and the one pooled connection serves the next request.
        make_role(db, "rt-bad", "pgrt",
                  creation_statements=[CREATE, "GRANT SELECT ON no_such_table TO \"{{name}}\";"])
        assert_error(db.get("database/creds/rt-bad"), 500, "failed to create the database user:")
        assert postgres.roles_like("v-root-rt-bad") == []
        again = creds(db, "rt")
        assert postgres.role_exists(again["data"]["username"])
    finally:
        db.delete("database/config/pgrt")
        proxy.close()


def test_unreachable_postgres_is_a_clear_error(db, postgres):
    # verify_connection (default true) connects on write and refuses.
    r = db.put("database/config/down", {
        "plugin_name": "postgresql-database-plugin",
        "connection_url": "postgresql://u:p@127.0.0.1:1/postgres?sslmode=disable"})
    assert_error(r, 400, "error creating database object: error verifying connection:")
    assert "127.0.0.1" in r.text and "port 1" in r.text
    assert db.get("database/config/down").status_code == 404
    # Stored without verification, creds fail fast with a clear error.
    db.ok(db.put("database/config/down", {
        "plugin_name": "postgresql-database-plugin", "allowed_roles": "*",
        "connection_url": "postgresql://u:p@127.0.0.1:1/postgres?sslmode=disable",
        "verify_connection": False}))
    make_role(db, "downrole", "down")
    r = db.get("database/creds/downrole")
    assert_error(r, 500, "failed to connect to database \"down\":")
    assert "lease_id" not in r.json()


def test_creation_failing_half_way_leaves_no_role(db, postgres):
    configure(db, postgres, "pgfail")
    make_role(db, "halfway", "pgfail", creation_statements=[
        CREATE, "GRANT SELECT ON no_such_table TO \"{{name}}\";"])
    before = postgres.roles_like("v-root-halfway")
    r = db.get("database/creds/halfway")
    assert_error(r, 500, "failed to create the database user:")
    assert "no_such_table" in r.text
    assert postgres.roles_like("v-root-halfway") == before == []


def test_names_are_escaped_against_the_real_server(db, postgres):
    configure(db, postgres, "pgesc")
    role = "we\"ird'x"  # the username carries its first 8 characters
    make_role(db, role, "pgesc", creation_statements=[
        CREATE, "COMMENT ON ROLE \"{{name}}\" IS 'for {{name}}';"])
    body = creds(db, role)
    user = body["data"]["username"]
    assert user.startswith("v-root-we\"ird'x-"), user
    assert postgres.role_exists(user)
    assert postgres.can_login(user, body["data"]["password"])


def test_allowed_roles_enforced(db, postgres):
    configure(db, postgres, "pgallow", allowed_roles="dev-*,ops")
    make_role(db, "dev-1", "pgallow")
    make_role(db, "prod", "pgallow")
    assert creds(db, "dev-1")["data"]["username"]
    assert_error(db.get("database/creds/prod"), 400, "\"prod\" is not an allowed role")
    assert postgres.roles_like("v-root-prod") == []
    assert_error(db.get("database/creds/nosuch"), 400, "unknown role: nosuch")


def test_role_bad_input(db, postgres):
    assert_error(db.put("database/roles/bad", {"creation_statements": CREATE}), 400,
                 "database name is required")
    assert_error(db.put("database/roles/bad", {"db_name": "x"}), 400,
                 "empty creation statements")
    assert_error(db.put("database/roles/bad", {"db_name": "x", "creation_statements": CREATE,
                                               "default_ttl": "3h", "max_ttl": "1h"}),
                 400, "ttl cannot be greater than max_ttl")
    assert_error(db.put("database/roles/bad", {"db_name": "x",
                                               "creation_statements": "CREATE ROLE 'x"}),
                 400, "unterminated quoted string")
    assert db.get("database/roles/bad").status_code == 404


def test_rotate_root(db, postgres):
    # A dedicated root user, so the module's superuser password stays known.
    postgres.query("CREATE ROLE rot_admin WITH LOGIN CREATEROLE SUPERUSER PASSWORD 'first-pw'")
    configure(db, postgres, "pgrot", username="rot_admin", password="first-pw")
    make_role(db, "afterrot", "pgrot")
    assert postgres.can_login("rot_admin", "first-pw")
    db.ok(db.post("database/rotate-root/pgrot"))
    assert not postgres.can_login("rot_admin", "first-pw")
    assert "first-pw" not in db.get("database/config/pgrot").text
    # The engine reconnects with the new password it alone knows.
    body = creds(db, "afterrot")
    assert postgres.can_login(body["data"]["username"], body["data"]["password"])
    db.ok(db.post("database/reset/pgrot"))
    assert creds(db, "afterrot")["data"]["username"]


def test_pool_is_bounded_and_survives_a_postgres_restart(db, postgres):
    import threading
    postgres.query("CREATE ROLE pool_admin WITH LOGIN SUPERUSER PASSWORD 'pool-pw'")
    configure(db, postgres, "pgpool", username="pool_admin", password="pool-pw",
              max_open_connections=1)
    make_role(db, "pooled", "pgpool")
    results = []

    def read():
        results.append(db.get("database/creds/pooled").status_code)

    threads = [threading.Thread(target=read) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 6
    # One connection served all six (max_open_connections=1).
    assert postgres.query("SELECT count(*) FROM pg_stat_activity "
                          "WHERE usename = 'pool_admin'") == "1"
    # A pooled connection whose backend was terminated while it idled is
    # found out before reuse (the server's FATAL waits on its socket) and
    # replaced: the next read works.
    postgres.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE usename = 'pool_admin'")
    deadline = time.monotonic() + 10
    while postgres.query("SELECT count(*) FROM pg_stat_activity "
                         "WHERE usename = 'pool_admin'") != "0":
        assert time.monotonic() < deadline, "the terminated backend did not exit"
        time.sleep(0.05)
    body = creds(db, "pooled")
    assert postgres.can_login(body["data"]["username"], body["data"]["password"])
    # So is one that died with the server.
    postgres.restart()
    body = creds(db, "pooled")
    assert postgres.can_login(body["data"]["username"], body["data"]["password"])


def test_hvac_client(db, postgres):
    import hvac
    import hvac.exceptions
    import requests
    session = requests.Session()
    session.trust_env = False
    c = hvac.Client(url=db.server.addr, token=db.token, session=session, timeout=10)
    c.secrets.database.configure(
        "pghvac", "postgresql-database-plugin", allowed_roles=["hv"],
        connection_url=postgres.url(), username=postgres.SUPERUSER, password=postgres.password)
    assert c.secrets.database.read_connection("pghvac")["data"]["allowed_roles"] == ["hv"]
    assert "pghvac" in c.secrets.database.list_connections()["data"]["keys"]
    c.secrets.database.create_role("hv", "pghvac", [CREATE], default_ttl=600, max_ttl=1200)
    assert c.secrets.database.read_role("hv")["data"]["max_ttl"] == 1200
    body = c.secrets.database.generate_credentials("hv")
    assert body["lease_duration"] == 600 and body["renewable"] is True
    assert postgres.can_login(body["data"]["username"], body["data"]["password"])
    c.secrets.database.reset_connection("pghvac")
    assert "hv" in c.secrets.database.list_roles()["data"]["keys"]
    c.secrets.database.delete_role("hv")
    with pytest.raises(hvac.exceptions.InvalidPath):
        c.secrets.database.read_role("hv")


def test_cli_tour(db, postgres, tmp_path):
    """The README's database tour through the coffer CLI."""
    import json
    import os
    import subprocess
    from coffer_harness import coffer_bin

    def cli(*args):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "VAULT_ADDR": db.server.addr, "VAULT_TOKEN": db.token}
        r = subprocess.run([coffer_bin()] + list(args), capture_output=True, text=True,
                           env=env, timeout=30)
        assert r.returncode == 0, (args[:2], r.stdout, r.stderr)
        return r.stdout

    postgres.query("CREATE ROLE cli_admin WITH LOGIN SUPERUSER PASSWORD 'initial-pw'")
    cli("secrets", "enable", "-path=dbcli", "database")
    cli("write", "dbcli/config/app-db", "plugin_name=postgresql-database-plugin",
        "connection_url=" + postgres.url(), "username=cli_admin", "password=initial-pw",
        "allowed_roles=readonly")
    cli("write", "dbcli/roles/readonly", "db_name=app-db", "default_ttl=1h", "max_ttl=24h",
        "creation_statements=CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' "
        "VALID UNTIL '{{expiration}}';")
    cli("write", "-f", "dbcli/rotate-root/app-db")
    assert not postgres.can_login("cli_admin", "initial-pw")
    out = json.loads(cli("read", "-format=json", "dbcli/creds/readonly"))
    assert out["lease_duration"] == 3600 and out["renewable"] is True
    assert postgres.can_login(out["data"]["username"], out["data"]["password"])
    table = cli("read", "dbcli/creds/readonly")
    assert "username" in table and "password" in table
