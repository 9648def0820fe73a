"""Replication endpoints refuse bad input with clear errors and change
nothing: forged, expired, reused and revoked activation tokens, a primary
asked to become a secondary, a certificate of another replication set."""

import base64
import json
import time

from coffer_harness import assert_error
from repl_harness import (activate, enable_primary, new_cluster, ok, secondary_token, status,
                          wait_for, wait_streaming)

ENABLE = "/v1/sys/replication/performance/secondary/enable"


def _b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _assert_untouched(s, marker):
    """Still a standalone cluster with its own data and root token."""
    assert status(s)["mode"] == "disabled"
    assert ok(s.get("/v1/kv/marker", token=s.root_token), 200)["data"] == {"v": marker}


def _standalone(make_server, marker):
    s = new_cluster(make_server)
    ok(s.post("/v1/sys/mounts/kv", token=s.root_token, json={"type": "kv"}))
    ok(s.put("/v1/kv/marker", token=s.root_token, json={"v": marker}))
    return s


def test_bad_activation_tokens_are_refused_and_nothing_changes(make_server):
    p = new_cluster(make_server)
    enable_primary(p)
    s = _standalone(make_server, "mine")
    t = s.root_token

    assert_error(s.put(ENABLE, token=t, json={}), 400, contains="missing activation token")
    assert_error(s.put(ENABLE, token=t, json={"token": "not-a-jwt"}), 400,
                 contains="invalid activation token")
    # Well-formed, pointing at the real primary, but never issued by it.
    forged = ".".join([_b64url({"alg": "HS256", "typ": "JWT"}),
                       _b64url({"type": "performance", "addr": p.addr, "id": "x",
                                "cluster_id": status(p)["cluster_id"], "exp": 2 ** 40}),
                       "c2lnbmF0dXJl"])
    assert_error(s.put(ENABLE, token=t, json={"token": forged}), 400,
                 contains="error unwrapping the activation token")
    _assert_untouched(s, "mine")

    # Expired.
    short = secondary_token(p, "short", ttl="1s")
    wait_for(lambda: time.sleep(0.2) or
             p.post("/v1/sys/wrapping/lookup", token=p.root_token,
                    json={"token": short}).status_code == 400, 10, "the token to expire")
    assert_error(s.put(ENABLE, token=t, json={"token": short}), 400,
                 contains="error unwrapping the activation token")
    _assert_untouched(s, "mine")

    # Revoked before use.
    rev = secondary_token(p, "revoked")
    ok(p.post("/v1/sys/replication/performance/primary/revoke-secondary", token=p.root_token,
              json={"id": "revoked"}))
    assert_error(s.put(ENABLE, token=t, json={"token": rev}), 400,
                 contains="error unwrapping the activation token")
    _assert_untouched(s, "mine")

    # Reused: the first secondary activates, a second one cannot.
    once = secondary_token(p, "first")
    first = new_cluster(make_server)
    activate(p, first, "first", token=once)
    assert_error(s.put(ENABLE, token=t, json={"token": once}), 400,
                 contains="error unwrapping the activation token")
    _assert_untouched(s, "mine")
    assert "activation token refused by the primary" in s.stderr()


def test_role_conflicts_and_permissions(make_server):
    p = new_cluster(make_server)
    enable_primary(p)
    t = p.root_token
    assert_error(p.put("/v1/sys/replication/performance/primary/enable", token=t, json={}), 400,
                 contains="already enabled")
    # A primary cannot be enabled as a secondary.
    other = new_cluster(make_server)
    enable_primary(other)
    tok = secondary_token(other, "p-as-s")
    assert_error(p.put(ENABLE, token=t, json={"token": tok}), 400, contains="primary")
    assert status(p)["mode"] == "primary"
    # secondary-token needs sudo.
    ok(p.post("/v1/sys/policy/repl-no-sudo", token=t, json={
        "policy": 'path "sys/replication/*" { capabilities = ["create", "update", "read"] }'}))
    nosudo = ok(p.post("/v1/auth/token/create", token=t, json={"policies": ["repl-no-sudo"]}),
                200)["auth"]["client_token"]
    assert_error(p.put("/v1/sys/replication/performance/primary/secondary-token", token=nosudo,
                       json={"id": "x"}), 403)
    assert_error(p.put("/v1/sys/replication/performance/primary/secondary-token", token=t,
                       json={}), 400, contains="missing secondary ID")
    # Endpoints need a token at all; status does not.
    assert_error(p.put("/v1/sys/replication/performance/primary/demote", json={}), 403)
    assert p.get("/v1/sys/replication/performance/status").status_code == 200
    # Secondary-only operations on a primary.
    assert_error(p.put("/v1/sys/replication/performance/secondary/promote", token=t, json={}),
                 400, contains="not a performance secondary")


def test_certificate_of_another_set_is_refused(make_server):
    a = new_cluster(make_server)
    ok(a.post("/v1/sys/mounts/kv", token=a.root_token, json={"type": "kv"}))
    enable_primary(a)
    b = new_cluster(make_server)
    ok(b.post("/v1/sys/mounts/kv", token=b.root_token, json={"type": "kv"}))
    ok(b.put("/v1/kv/only-in-b", token=b.root_token, json={"v": "b"}))
    enable_primary(b)
    s = activate(a, new_cluster(make_server), "s")
    # Point the secondary of set A at B's cluster port: mutual TLS fails both ways.
    ok(s.post("/v1/sys/replication/performance/secondary/update-primary", token=s.root_token,
              json={"update_primary_addrs": [b.cluster_addr]}))
    wait_for(lambda: status(s)["state"] != "stream-wals" and status(s).get("last_error"), 15,
             "the secondary to fail against the other set")
    assert s.get("/v1/kv/only-in-b", token=s.root_token).status_code == 404
    assert "replication from %s" % b.cluster_addr in s.stderr()
    # Back to its own primary: streams again.
    ok(s.post("/v1/sys/replication/performance/secondary/update-primary", token=s.root_token,
              json={"update_primary_addrs": [a.cluster_addr]}))
    wait_streaming(s)
    # update-primary with a token of another set is refused.
    other_tok = secondary_token(b, "s")
    assert_error(s.post("/v1/sys/replication/performance/secondary/update-primary",
                        token=s.root_token, json={"token": other_tok}), 400,
                 contains="another replication set")


def test_activation_over_a_tls_api_needs_the_right_ca(make_server, tls_cert):
    """The secondary unwraps at the primary's HTTPS API: `ca_file` names the CA
    to trust, `primary_api_addr` overrides the token's address."""
    from coffer_harness import free_port
    p = make_server(cluster_port=free_port(), tls=tls_cert)
    p.init_and_unseal(3, 2)
    enable_primary(p)
    s = _standalone(make_server, "tls")
    tok = secondary_token(p, "tls-sec")
    claims = json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
    assert claims["addr"] == p.addr and p.addr.startswith("https://")
    # Without the CA the unwrap fails verification; nothing changes.
    assert_error(s.put(ENABLE, token=s.root_token, json={"token": tok}), 400,
                 contains="error unwrapping the activation token at " + p.addr)
    _assert_untouched(s, "tls")
    # A wrong override address fails too and says which address it called.
    assert_error(s.put(ENABLE, token=s.root_token,
                       json={"token": tok, "primary_api_addr": "https://127.0.0.1:9",
                             "ca_file": tls_cert[0]}), 400,
                 contains="https://127.0.0.1:9")
    _assert_untouched(s, "tls")
    # With ca_file (and the token still unused) it activates.
    ok(s.put(ENABLE, token=s.root_token, json={"token": tok, "ca_file": tls_cert[0]}))
    wait_streaming(s)
