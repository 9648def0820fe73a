"""Leases over HTTP with real servers: every service token with a TTL has a
lease (auth/token/create/<hash>); its expiry revokes the token and its
children on time; sys/leases/lookup, renew, revoke, revoke-prefix (sudo),
revoke-force, tidy and the legacy sys/renew, sys/revoke* routes; leases
survive a restart on the same RocksDB directory and still expire on time;
the `coffer lease` commands."""

import os
import shutil
import subprocess
import tempfile
import time

import pytest

from coffer_harness import Api, assert_error, coffer_bin, wait_until

TOKEN_LEASES = "sys/leases/lookup/auth/token/create/"


@pytest.fixture
def api(make_server):
    """A fresh dev server per test (root token "root"): lease listings only
    hold what the test made."""
    srv = make_server(dev=True, dev_root_token_id="root")
    return Api(srv)


def token_lease_ids(api):
    """The lease ids of tokens made with auth/token/create (LIST, sudo)."""
    r = api.list(TOKEN_LEASES)
    if r.status_code == 404:
        return []
    body = api.ok(r, 200)
    return ["auth/token/create/" + k for k in body["data"]["keys"]]


def new_token_lease(api, **params):
    """Creates a token; returns (token, its lease id)."""
    before = set(token_lease_ids(api))
    auth = api.create_token(**params)
    after = set(token_lease_ids(api)) - before
    assert len(after) == 1, (before, after)
    return auth["client_token"], after.pop()


def lookup(api, lease_id):
    return api.put("sys/leases/lookup", {"lease_id": lease_id})


def allow_children(api):
    """A policy that lets a token create child tokens."""
    api.write_policy("maker", 'path "auth/token/create" { capabilities = ["update"] }')
    return ["default", "maker"]


def token_works(api, token):
    return api.as_token(token).get("auth/token/lookup-self").status_code == 200


def test_token_lease_lookup_shape(api):
    token, lease_id = new_token_lease(api, ttl="1h", policies=["default"])
    assert len(lease_id.rsplit("/", 1)[1]) == 64  # the token's salted hash, never the token
    assert token not in lease_id
    body = api.ok(lookup(api, lease_id), 200)
    data = body["data"]
    assert set(data) >= {"id", "issue_time", "expire_time", "last_renewal", "renewable", "ttl"}
    assert data["id"] == lease_id
    assert data["renewable"] is True
    assert data["last_renewal"] is None
    assert 3590 <= data["ttl"] <= 3600
    assert data["expire_time"].endswith("Z") and data["issue_time"].endswith("Z")
    # Unknown and missing ids: Vault's texts.
    assert_error(lookup(api, "auth/token/create/nope"), 400, "invalid lease")
    assert_error(api.put("sys/leases/lookup", {}), 400, "lease_id must be specified")
    # Batch tokens have no lease (nor does the dev root token, which has no TTL).
    api.create_token(type="batch", ttl="1h", policies=["default"])
    assert token_lease_ids(api) == [lease_id]


def test_token_lease_expiry_revokes_token_and_children_on_time(api):
    parent, lease_id = new_token_lease(api, ttl="3s", policies=allow_children(api))
    child = api.as_token(parent).create_token(ttl="1h", policies=["default"])["client_token"]
    assert token_works(api, child)
    # The child's own TTL is an hour: only the parent's lease expiry (not the
    # hourly token tidy) can end it within a few seconds.
    assert wait_until(lambda: not token_works(api, child), 8), "child outlived its parent's lease"
    assert not token_works(api, parent)
    # The expiry revokes the token tree first and deletes the lease right after.
    wait_until(lambda: lookup(api, lease_id).status_code == 400, 5)
    assert_error(lookup(api, lease_id), 400, "invalid lease")
    # Renewing a lease that expired: Vault's error.
    assert_error(api.put("sys/leases/renew", {"lease_id": lease_id}), 400,
                 "lease not found or lease is not renewable")


def test_token_renew_moves_its_lease(api):
    token, lease_id = new_token_lease(api, ttl="30s", explicit_max_ttl="1h",
                                      policies=["default"])
    assert api.ok(lookup(api, lease_id), 200)["data"]["ttl"] <= 30
    api.ok(api.put("auth/token/renew", {"token": token, "increment": "600s"}), 200)
    data = api.ok(lookup(api, lease_id), 200)["data"]
    assert 590 <= data["ttl"] <= 600
    assert data["last_renewal"] is not None
    # A token lease is renewed through auth/token/renew, not here.
    assert_error(api.put("sys/leases/renew", {"lease_id": lease_id}), 400,
                 "tokens cannot be renewed through this endpoint")
    assert_error(api.put("sys/leases/renew", {"lease_id": "nope/x"}), 400,
                 "lease not found or lease is not renewable")
    assert_error(api.put("sys/leases/renew", {}), 400, "lease_id must be specified")


def test_revoke_token_lease_revokes_token(api):
    token, lease_id = new_token_lease(api, ttl="1h", policies=["default"])
    r = api.put("sys/leases/revoke", {"lease_id": lease_id})
    assert r.status_code == 204, r.text
    assert not token_works(api, token)
    assert_error(lookup(api, lease_id), 400, "invalid lease")
    # Revoking the token removes its lease.
    token2, lease2 = new_token_lease(api, ttl="1h", policies=["default"])
    api.ok(api.put("auth/token/revoke", {"token": token2}), 204)
    assert_error(lookup(api, lease2), 400, "invalid lease")
    # Unknown leases revoke quietly; sync=false answers 202 and the worker does it.
    assert api.put("sys/leases/revoke", {"lease_id": "auth/token/create/x"}).status_code == 204
    token3, lease3 = new_token_lease(api, ttl="1h", policies=["default"])
    r = api.put("sys/leases/revoke/" + lease3, {"sync": False})
    assert r.status_code == 202, r.text
    assert wait_until(lambda: not token_works(api, token3), 5)


def test_legacy_routes(api):
    token, lease_id = new_token_lease(api, ttl="1h", policies=["default"])
    assert_error(api.put("sys/renew/" + lease_id), 400,
                 "tokens cannot be renewed through this endpoint")
    assert_error(api.put("sys/renew", {"lease_id": "x/y"}), 400,
                 "lease not found or lease is not renewable")
    assert api.put("sys/revoke/" + lease_id).status_code == 204
    assert not token_works(api, token)
    t1, _ = new_token_lease(api, ttl="1h", policies=["default"])
    t2, _ = new_token_lease(api, ttl="1h", policies=["default"])
    assert api.put("sys/revoke-prefix/auth/token/create").status_code == 204
    assert not token_works(api, t1) and not token_works(api, t2)
    assert token_lease_ids(api) == []
    t3, l3 = new_token_lease(api, ttl="1h", policies=["default"])
    assert api.put("sys/revoke-force/auth/token/").status_code == 204
    assert not token_works(api, t3)
    assert api.put("sys/revoke", {"lease_id": l3}).status_code == 204


def test_prefix_routes_and_listing_need_sudo(api):
    api.write_policy("leases-nosudo", """
path "sys/leases/*" { capabilities = ["update", "list"] }
path "sys/revoke-prefix/*" { capabilities = ["update"] }
""")
    api.write_policy("leases-sudo", """
path "sys/leases/*" { capabilities = ["update", "list", "sudo"] }
""")
    plain = api.as_token(api.create_token(policies=["leases-nosudo"])["client_token"])
    sudo = api.as_token(api.create_token(policies=["leases-sudo"])["client_token"])
    token, lease_id = new_token_lease(api, ttl="1h", policies=["default"])
    # lookup and revoke of one lease need no sudo; prefixes and listing do.
    assert plain.put("sys/leases/lookup", {"lease_id": lease_id}).status_code == 200
    assert_error(plain.put("sys/leases/revoke-prefix/auth/token/"), 403)
    assert_error(plain.put("sys/leases/revoke-force/auth/token/"), 403)
    assert_error(plain.put("sys/revoke-prefix/auth/token/"), 403)
    assert_error(plain.list(TOKEN_LEASES), 403)
    assert token_works(api, token)
    assert sudo.list(TOKEN_LEASES).status_code == 200
    assert sudo.put("sys/leases/revoke-prefix/auth/token/create").status_code == 204
    assert not token_works(api, token)


def test_tidy_answers(api):
    body = api.ok(api.put("sys/leases/tidy"), 200)
    assert any("Tidy" in w for w in body["warnings"]), body


def test_disabling_an_auth_method_revokes_its_token_leases(api):
    api.enable_auth("userpass", "userpass")
    api.ok(api.post("auth/userpass/users/alice", {"password": "pw-1234", "token_ttl": "1h"}), 204)
    login = api.ok(api.post("auth/userpass/login/alice", {"password": "pw-1234"}, token=None), 200)
    keys = api.ok(api.list("sys/leases/lookup/auth/userpass/login/alice/"), 200)["data"]["keys"]
    assert len(keys) == 1
    api.ok(api.delete("sys/auth/userpass"), 204)
    assert not token_works(api, login["auth"]["client_token"])
    assert api.list("sys/leases/lookup/auth/userpass/login/alice/").status_code == 404


def test_leases_survive_restart_and_still_expire_on_time(unsealed):
    srv = unsealed
    api = Api(srv, srv.root_token)
    keep, keep_lease = new_token_lease(api, ttl="1h", policies=["default"])
    short, short_lease = new_token_lease(api, ttl="8s", policies=allow_children(api))
    child = api.as_token(short).create_token(ttl="1h", policies=["default"])["client_token"]
    created = time.monotonic()
    assert srv.stop() == 0
    srv.start()
    srv.unseal(srv.keys[:3])
    # Restored: both leases are there and the short one has not fired early.
    assert api.ok(lookup(api, keep_lease), 200)["data"]["ttl"] > 3000
    # (Times are whole seconds: the 8 s lease ends 7 to 8 s after creation.)
    if time.monotonic() - created < 6.5:
        assert lookup(api, short_lease).status_code == 200
        assert token_works(api, child)
    # ...and expires on schedule, taking the hour-long child with it.
    assert wait_until(lambda: lookup(api, short_lease).status_code == 400, 15)
    assert time.monotonic() - created >= 6.9
    assert wait_until(lambda: not token_works(api, child), 3)
    assert token_works(api, keep)


def test_leases_overdue_at_restart_are_revoked(unsealed):
    srv = unsealed
    api = Api(srv, srv.root_token)
    short, short_lease = new_token_lease(api, ttl="2s", policies=allow_children(api))
    child = api.as_token(short).create_token(ttl="1h", policies=["default"])["client_token"]
    assert srv.stop() == 0
    time.sleep(2.5)  # the server is down: nothing to poll; the lease falls due meanwhile
    srv.start()
    srv.unseal(srv.keys[:3])
    assert wait_until(lambda: not token_works(api, child), 5)
    wait_until(lambda: lookup(api, short_lease).status_code == 400, 5)
    assert_error(lookup(api, short_lease), 400, "invalid lease")


# ---- CLI ------------------------------------------------------------------

@pytest.fixture
def home():
    d = tempfile.mkdtemp(prefix="coffer-cli-leases-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def cli(api, home, *args):
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("VAULT_", "COFFER_")) and not k.upper().endswith("_PROXY")}
    env.update({"HOME": home, "VAULT_ADDR": api.server.addr, "VAULT_TOKEN": api.token})
    return subprocess.run([coffer_bin()] + list(args), capture_output=True, text=True, env=env,
                          timeout=30)


def test_cli_lease_commands(api, home):
    import json
    token, lease_id = new_token_lease(api, ttl="1h", policies=["default"])
    r = cli(api, home, "lease", "lookup", lease_id)
    assert r.returncode == 0, r.stderr
    assert "id" in r.stdout and lease_id in r.stdout and "renewable" in r.stdout
    r = cli(api, home, "lease", "lookup", "-format=json", lease_id)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["data"]["id"] == lease_id

    r = cli(api, home, "lease", "renew", lease_id)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "tokens cannot be renewed through this endpoint" in r.stderr
    r = cli(api, home, "lease", "renew", "-increment=bogus", lease_id)
    assert r.returncode == 1

    r = cli(api, home, "lease", "revoke", "-force", lease_id)
    assert r.returncode == 1 and "-prefix" in r.stderr
    r = cli(api, home, "lease", "revoke", "-sync", lease_id)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Success! Revoked lease: " + lease_id
    assert not token_works(api, token)

    t2, l2 = new_token_lease(api, ttl="1h", policies=["default"])
    r = cli(api, home, "lease", "revoke", l2)
    assert r.returncode == 0 and "queued successfully" in r.stdout, r.stderr
    assert wait_until(lambda: not token_works(api, t2), 5)

    t3, _ = new_token_lease(api, ttl="1h", policies=["default"])
    r = cli(api, home, "lease", "revoke", "-prefix", "-sync", "auth/token/create")
    assert r.returncode == 0, r.stderr
    assert "Revoked any leases with prefix: auth/token/create" in r.stdout
    assert not token_works(api, t3)

    t4, _ = new_token_lease(api, ttl="1h", policies=["default"])
    r = cli(api, home, "lease", "revoke", "-force", "-prefix", "auth/token/")
    assert r.returncode == 0, r.stderr
    assert "Force revoked any leases with prefix" in r.stdout
    assert not token_works(api, t4)

    r = cli(api, home, "lease", "lookup", "auth/token/create/missing")
    assert r.returncode == 2 and "invalid lease" in r.stderr
