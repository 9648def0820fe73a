"""Performance replication between real clusters (one coffer process each):
activation, what reaches a secondary, its own tokens, forwarding with
read-your-writes, local mounts, paths filters, revocation."""

import base64

from coffer_harness import assert_error
from repl_harness import (activate, enable_primary, kv_get, kv_put, new_cluster, ok, status,
                          wait_caught_up, wait_for, wait_roots_equal)


def _setup_primary(p):
    t = p.root_token
    ok(p.post("/v1/sys/mounts/secret", token=t, json={"type": "kv", "options": {"version": "2"}}))
    ok(p.post("/v1/sys/policy/reader", token=t,
              json={"policy": 'path "secret/data/*" { capabilities = ["read", "create", "update"] }'}))
    ok(p.post("/v1/sys/auth/userpass", token=t, json={"type": "userpass"}))
    ok(p.post("/v1/auth/userpass/users/alice", token=t,
              json={"password": "correct horse", "token_policies": "reader"}))
    ok(kv_put(p, t, "app/config", {"db": "postgres://primary"}))


def _login(srv, user="alice", password="correct horse"):
    r = srv.post("/v1/auth/userpass/login/" + user, json={"password": password})
    return ok(r, 200)["auth"]["client_token"]


def test_activation_replicates_data_config_and_keeps_tokens_apart(make_server):
    p = new_cluster(make_server)
    _setup_primary(p)
    enable_primary(p)
    ps = status(p)
    assert ps["mode"] == "primary" and ps["state"] == "running"
    assert len(ps["cluster_id"]) == 36

    s = new_cluster(make_server)
    own_root = s.root_token
    activate(p, s, "eu-west")
    wait_caught_up(p, s)

    ss = status(s)
    assert ss["mode"] == "secondary" and ss["state"] == "stream-wals"
    assert ss["connection_state"] == "ready"
    assert ss["secondary_id"] == "eu-west"
    assert ss["cluster_id"] == ps["cluster_id"]
    assert ss["primary_cluster_addr"] == p.cluster_addr
    assert ss["primaries"][0]["connection_status"] == "connected"
    for key in ("last_remote_wal", "merkle_root", "known_primary_cluster_addrs", "lag_entries",
                "lag_ms"):
        assert key in ss, key
    wait_roots_equal(p, s)
    ps = status(p)
    assert ps["known_secondaries"] == ["eu-west"]
    wait_for(lambda: status(p)["secondaries"][0]["connection_status"] == "connected", 10,
             "the primary to see the secondary connected")

    # Data, mounts, policies and auth configuration are there.
    r = kv_get(s, s.root_token, "app/config")
    assert ok(r, 200)["data"]["data"] == {"db": "postgres://primary"}
    assert "secret/" in ok(s.get("/v1/sys/mounts", token=s.root_token), 200)["data"]
    assert "userpass/" in ok(s.get("/v1/sys/auth", token=s.root_token), 200)["data"]
    assert "reader" in ok(s.get("/v1/sys/policy/reader", token=s.root_token), 200)["data"]["name"]

    # A login on the secondary gives a secondary-local token.
    local = _login(s)
    assert ok(kv_get(s, local, "app/config"), 200)["data"]["data"]["db"] == "postgres://primary"
    assert_error(kv_get(p, local, "app/config"), 403)
    assert_error(p.get("/v1/auth/token/lookup-self", token=local), 403)
    # The primary's tokens mean nothing on the secondary (and its own old root is gone).
    assert_error(kv_get(s, p.root_token, "app/config"), 403)
    primary_login = _login(p)
    assert_error(kv_get(s, primary_login, "app/config"), 403)
    assert_error(s.get("/v1/auth/token/lookup-self", token=own_root), 403)

    # The lag is exposed as metrics.
    m = s.get("/v1/sys/metrics", token=s.root_token, params={"format": "prometheus"})
    assert m.status_code == 200, m.text
    for gauge in ("coffer_replication_performance_lag_entries",
                  "coffer_replication_performance_lag_ms",
                  "coffer_replication_performance_last_remote_wal",
                  "coffer_replication_performance_connected 1"):
        assert gauge in m.text, gauge
    assert 'coffer_replication_performance_mode{mode="secondary"} 1' in m.text

    # Health shows the roles.
    h = s.get("/v1/sys/health").json()
    assert h["replication_performance_mode"] == "secondary"
    assert h["replication_dr_mode"] == "disabled"
    assert isinstance(h["last_wal"], int)
    assert p.get("/v1/sys/health").json()["replication_performance_mode"] == "primary"
    combined = ok(p.get("/v1/sys/replication/status"), 200)["data"]
    assert combined["performance"]["mode"] == "primary"
    assert combined["dr"]["mode"] == "disabled"


def test_write_on_secondary_is_forwarded_and_read_back_at_once(make_server):
    p = new_cluster(make_server)
    _setup_primary(p)
    enable_primary(p)
    s = activate(p, new_cluster(make_server), "eu")
    local = _login(s)
    for i in range(20):
        r = kv_put(s, local, "fwd/k%d" % i, {"v": i})
        body = ok(r, 200)
        assert body["data"]["version"] == 1
        assert r.headers.get("X-Vault-Index"), r.headers
        assert not body.get("warnings"), body
        # The very next read on the secondary sees it (read-your-writes).
        assert ok(kv_get(s, local, "fwd/k%d" % i), 200)["data"]["data"] == {"v": i}
    # It was written on the primary.
    assert ok(kv_get(p, p.root_token, "fwd/k7"), 200)["data"]["data"] == {"v": 7}
    # Policies written on the secondary go to the primary too.
    ok(s.post("/v1/sys/policy/from-secondary", token=s.root_token,
              json={"policy": 'path "secret/*" { capabilities = ["read"] }'}))
    assert ok(p.get("/v1/sys/policy/from-secondary", token=p.root_token), 200)
    # ACLs are still the secondary's: a denied write is denied, not forwarded.
    ok(s.post("/v1/sys/policy/ro", token=s.root_token,
              json={"policy": 'path "secret/data/*" { capabilities = ["read"] }'}))
    ro = ok(s.post("/v1/auth/token/create", token=s.root_token, json={"policies": ["ro"]}),
            200)["auth"]["client_token"]
    assert_error(kv_put(s, ro, "fwd/denied", {"v": 1}), 403)
    assert kv_get(p, p.root_token, "fwd/denied").status_code == 404
    # A kv v2 mount made after activation and never used on the primary: its
    # lazy set-up on the secondary would write replicated storage, so the
    # first requests go to the primary; denied callers are still denied here.
    ok(p.post("/v1/sys/mounts/fresh", token=p.root_token,
              json={"type": "kv", "options": {"version": "2"}}))
    ok(s.post("/v1/sys/policy/fresh-create", token=s.root_token,
              json={"policy": 'path "fresh/data/*" { capabilities = ["create", "read"] }'}))
    writer = ok(s.post("/v1/auth/token/create", token=s.root_token,
                       json={"policies": ["fresh-create"]}), 200)["auth"]["client_token"]
    wait_caught_up(p, s)
    assert_error(kv_put(s, ro, "x", {"v": 0}, mount="fresh"), 403)
    assert ok(kv_put(s, writer, "x", {"v": 1}, mount="fresh"), 200)["data"]["version"] == 1
    assert ok(kv_get(s, writer, "x", mount="fresh"), 200)["data"]["data"] == {"v": 1}
    assert ok(kv_get(p, p.root_token, "x", mount="fresh"), 200)["data"]["data"] == {"v": 1}


def test_x_vault_index_gates_reads(make_server):
    p = new_cluster(make_server)
    _setup_primary(p)
    enable_primary(p)
    s = activate(p, new_cluster(make_server), "eu")
    r = kv_put(p, p.root_token, "idx/a", {"v": 1})
    index = ok(r, 200) and r.headers["X-Vault-Index"]
    # A secondary that has (or soon has) that state serves the read.
    got = s.get("/v1/secret/data/idx/a", token=s.root_token, headers={"X-Vault-Index": index})
    assert got.status_code == 200, got.text
    # A tampered value fails its MAC: 400.
    raw = base64.b64decode(index).decode()
    parts = raw.split(":")
    parts[3] = str(int(parts[3]) + 1000000)
    forged = base64.b64encode(":".join(parts).encode()).decode()
    assert_error(s.get("/v1/secret/data/idx/a", token=s.root_token,
                       headers={"X-Vault-Index": forged}), 400)
    # A genuine index the secondary cannot reach yet gets 412: see
    # test_replication_catchup.py (connection cut through a proxy).


def test_local_mounts_stay_on_their_cluster(make_server):
    p = new_cluster(make_server)
    _setup_primary(p)
    ok(p.post("/v1/sys/mounts/plocal", token=p.root_token,
              json={"type": "kv", "local": True, "options": {"version": "1"}}))
    ok(p.put("/v1/plocal/only-here", token=p.root_token, json={"v": "primary"}))
    enable_primary(p)
    s = activate(p, new_cluster(make_server), "eu")
    assert "plocal/" not in ok(s.get("/v1/sys/mounts", token=s.root_token), 200)["data"]
    # A local mount on the secondary: written there, never forwarded.
    ok(s.post("/v1/sys/mounts/slocal", token=s.root_token,
              json={"type": "kv", "local": True, "options": {"version": "1"}}))
    ok(s.put("/v1/slocal/mine", token=s.root_token, json={"v": "secondary"}))
    assert ok(s.get("/v1/slocal/mine", token=s.root_token), 200)["data"] == {"v": "secondary"}
    assert "slocal/" not in ok(p.get("/v1/sys/mounts", token=p.root_token), 200)["data"]
    # Replication goes on and leaves the secondary's local mount alone.
    ok(kv_put(p, p.root_token, "after", {"v": 2}))
    ok(p.post("/v1/sys/mounts/shared2", token=p.root_token, json={"type": "kv"}))
    wait_caught_up(p, s)
    wait_for(lambda: "shared2/" in ok(s.get("/v1/sys/mounts", token=s.root_token), 200)["data"],
             10, "the new shared mount on the secondary")
    assert ok(s.get("/v1/slocal/mine", token=s.root_token), 200)["data"] == {"v": "secondary"}
    assert "plocal/" not in ok(s.get("/v1/sys/mounts", token=s.root_token), 200)["data"]
    assert ok(p.get("/v1/plocal/only-here", token=p.root_token), 200)["data"] == {"v": "primary"}


def test_paths_filter_withholds_mounts(make_server):
    p = new_cluster(make_server)
    t = p.root_token
    for m in ("eu", "us"):
        ok(p.post("/v1/sys/mounts/" + m, token=t, json={"type": "kv"}))
        ok(p.put("/v1/%s/before" % m, token=t, json={"region": m}))
    enable_primary(p)
    ok(p.post("/v1/sys/replication/performance/primary/paths-filter/apac", token=t,
              json={"mode": "deny", "paths": ["eu/"]}))
    f = ok(p.get("/v1/sys/replication/performance/primary/paths-filter/apac", token=t), 200)
    assert f["data"] == {"mode": "deny", "paths": ["eu/"]}
    s = activate(p, new_cluster(make_server), "apac")
    for m in ("eu", "us"):
        ok(p.put("/v1/%s/after" % m, token=t, json={"region": m}))
    wait_caught_up(p, s)
    st = s.root_token
    assert ok(s.get("/v1/us/before", token=st), 200)["data"] == {"region": "us"}
    assert ok(s.get("/v1/us/after", token=st), 200)["data"] == {"region": "us"}
    assert s.get("/v1/eu/before", token=st).status_code == 404
    assert s.get("/v1/eu/after", token=st).status_code == 404
    ok(p.delete("/v1/sys/replication/performance/primary/paths-filter/apac", token=t))
    assert p.get("/v1/sys/replication/performance/primary/paths-filter/apac",
                 token=t).status_code == 404
    assert_error(p.post("/v1/sys/replication/performance/primary/paths-filter/apac", token=t,
                        json={"mode": "sideways", "paths": ["eu/"]}), 400)


def test_revoke_secondary_cuts_it_off(make_server):
    p = new_cluster(make_server)
    _setup_primary(p)
    enable_primary(p)
    s = activate(p, new_cluster(make_server), "gone")
    ok(kv_put(p, p.root_token, "r/one", {"v": 1}))
    wait_caught_up(p, s)
    ok(p.post("/v1/sys/replication/performance/primary/revoke-secondary", token=p.root_token,
              json={"id": "gone"}))
    assert status(p)["known_secondaries"] == []
    wait_for(lambda: status(s)["state"] != "stream-wals", 10, "the revoked secondary to stop")
    ok(kv_put(p, p.root_token, "r/two", {"v": 2}))
    assert kv_get(s, s.root_token, "r/two").status_code == 404
    assert ok(kv_get(s, s.root_token, "r/one"), 200)["data"]["data"] == {"v": 1}
    assert "unknown or revoked secondary" in status(s).get("last_error", "") or \
        "revoked" in status(s).get("last_error", ""), status(s)
    assert_error(p.post("/v1/sys/replication/performance/primary/revoke-secondary",
                        token=p.root_token, json={"id": "gone"}), 400)
