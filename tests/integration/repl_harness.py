"""Helpers for replication integration tests: clusters of one real `coffer`
process each, on loopback, with a fixed cluster port per cluster.

    primary = new_cluster(make_server)            # initialised + unsealed
    enable_primary(primary)
    secondary = new_cluster(make_server)
    activate(primary, secondary, "eu")           # secondary streams; it has a root token

Every wait polls with a deadline; nothing sleeps a fixed time.
"""

import time

from coffer_harness import decode_otp_token, free_port, wait_until

SYNC_TIMEOUT_S = 60.0


def wait_for(predicate, timeout, what):
    """wait_until that fails the test (saying what it waited for) on timeout."""
    value = wait_until(predicate, timeout)
    assert value, "timed out after %ss waiting for %s" % (timeout, what)
    return value


def new_cluster(make_server, storage="rocksdb", extra_config=""):
    srv = make_server(cluster_port=free_port(), storage=storage, extra_config=extra_config)
    srv.init_and_unseal(3, 2)
    return srv


def ok(resp, *codes):
    codes = codes or (200, 204)
    assert resp.status_code in codes, (resp.status_code, resp.text)
    return resp.json() if resp.status_code != 204 and resp.text else None


def status(srv, kind="performance"):
    r = srv.get("/v1/sys/replication/%s/status" % kind)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()["data"]


def enable_primary(primary, kind="performance", **params):
    ok(primary.put("/v1/sys/replication/%s/primary/enable" % kind,
                   token=primary.root_token, json=params))
    wait_for(lambda: status(primary, kind).get("mode") == "primary", 10, "%s primary mode" % kind)


def secondary_token(primary, sid, ttl=None, kind="performance"):
    body = {"id": sid}
    if ttl is not None:
        body["ttl"] = ttl
    r = primary.put("/v1/sys/replication/%s/primary/secondary-token" % kind,
                    token=primary.root_token, json=body)
    data = ok(r, 200)
    return data["wrap_info"]["token"]


def generate_root(srv, keys):
    """A root token for `srv` from unseal key shares (the primary's, on a secondary)."""
    r = srv.put("/v1/sys/generate-root/attempt", json={})
    st = ok(r, 200)
    otp, nonce = st["otp"], st["nonce"]
    body = None
    for k in keys:
        body = ok(srv.put("/v1/sys/generate-root/update", json={"key": k, "nonce": nonce}), 200)
        if body["complete"]:
            break
    assert body and body["complete"], body
    return decode_otp_token(body["encoded_token"], otp)


def wait_streaming(secondary, timeout=SYNC_TIMEOUT_S, kind="performance"):
    def streaming():
        s = status(secondary, kind)
        return s.get("mode") == "secondary" and s.get("state") == "stream-wals"
    wait_for(streaming, timeout, "the %s secondary to stream WALs" % kind)


def activate(primary, secondary, sid, token=None, timeout=SYNC_TIMEOUT_S):
    """secondary-token on the primary, secondary/enable on the secondary, wait
    until it streams, then give the secondary a local root token (generated
    with the primary's unseal keys, which it now shares)."""
    token = token or secondary_token(primary, sid)
    ok(secondary.put("/v1/sys/replication/performance/secondary/enable",
                     token=secondary.root_token, json={"token": token}))
    wait_streaming(secondary, timeout)
    secondary.keys = primary.keys
    secondary.keys_base64 = primary.keys_base64
    secondary.root_token = generate_root(secondary, primary.keys[:2])
    return secondary


def last_wal(primary, kind="performance"):
    return status(primary, kind)["last_wal"]


def wait_caught_up(primary, secondary, timeout=SYNC_TIMEOUT_S, kind="performance"):
    """Until the secondary applied everything the primary had when called."""
    target = last_wal(primary, kind)
    wait_for(lambda: status(secondary, kind).get("last_remote_wal", 0) >= target, timeout,
             "the %s secondary to reach wal index %d" % (kind, target))


def wait_roots_equal(primary, secondary, timeout=SYNC_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while True:
        p, s = status(primary)["merkle_root"], status(secondary)["merkle_root"]
        if p == s:
            return p
        if time.monotonic() > deadline:
            raise AssertionError("merkle roots differ: primary %s, secondary %s" % (p, s))
        time.sleep(0.1)  # poll interval, bounded by the deadline


def kv_put(srv, token, path, data, mount="secret"):
    r = srv.put("/v1/%s/data/%s" % (mount, path), token=token, json={"data": data})
    return r


def kv_get(srv, token, path, mount="secret"):
    return srv.get("/v1/%s/data/%s" % (mount, path), token=token)


# ---- disaster recovery ---------------------------------------------------

DR_OPS = ("promote", "update-primary", "disable", "reindex", "operation-token/delete")
DISABLED = "path disabled in replication DR secondary mode"


def activate_dr(primary, dr, sid, token=None, timeout=SYNC_TIMEOUT_S):
    """A DR secondary of `primary`: it holds the primary's tokens (its root
    token included) and unseals with the primary's keys from now on."""
    token = token or secondary_token(primary, sid, kind="dr")
    ok(dr.put("/v1/sys/replication/dr/secondary/enable", token=dr.root_token,
              json={"token": token}))
    wait_streaming(dr, timeout, kind="dr")
    dr.keys = primary.keys
    dr.keys_base64 = primary.keys_base64
    dr.root_token = primary.root_token
    return dr


def batch_dr_token(primary, ttl="1h", ops=DR_OPS, policy="dr-ops"):
    """A batch token (orphan, not renewable) whose policy grants update on
    the DR secondary operations `ops`: prepared on a primary, it replicates
    to its DR secondaries and serves there as dr_operation_token."""
    rules = "".join('path "sys/replication/dr/secondary/%s" { capabilities = ["update"] }\n' % op
                    for op in ops)
    ok(primary.put("/v1/sys/policies/acl/" + policy, token=primary.root_token,
                   json={"policy": rules}))
    ok(primary.put("/v1/auth/token/roles/" + policy + "-batch", token=primary.root_token,
                   json={"allowed_policies": [policy], "orphan": True, "renewable": False,
                         "token_type": "batch"}))
    r = primary.put("/v1/auth/token/create/" + policy + "-batch", token=primary.root_token,
                    json={"policies": [policy], "ttl": ttl})
    body = ok(r, 200)
    assert body["auth"]["token_type"] == "batch", body
    return body["auth"]["client_token"]


def dr_op(dr, op, dr_token, auth=None, **body):
    """A DR secondary operation with dr_operation_token in the body (`auth`:
    an X-Vault-Token too; the body's `token` is update-primary's activation token)."""
    payload = dict(body)
    if dr_token is not None:
        payload["dr_operation_token"] = dr_token
    return dr.put("/v1/sys/replication/dr/secondary/" + op, token=auth, json=payload)


def generate_operation_token(dr, keys):
    """The one-shot DR operation token, from the primary's unseal key shares."""
    base = "/v1/sys/replication/dr/secondary/generate-operation-token/"
    st = ok(dr.put(base + "attempt", json={}), 200)
    otp, nonce = st["otp"], st["nonce"]
    body = None
    for k in keys:
        body = ok(dr.put(base + "update", json={"key": k, "nonce": nonce}), 200)
        if body["complete"]:
            break
    assert body and body["complete"], body
    return decode_otp_token(body["encoded_token"], otp)


def wait_dr_primary(srv, timeout=30):
    """Until a promotion finished: DR mode primary and the node serving (200)."""
    def promoted():
        s = status(srv, "dr")
        return (s.get("mode") == "primary" and not s.get("reconfiguring") and
                srv.get("/v1/sys/health").status_code == 200)
    wait_for(promoted, timeout, "the promotion to finish")


def wait_primary_gone(dr, timeout=20):
    """Until a DR secondary no longer streams from its primary (an unforced
    promotion is refused before: the old primary might still take writes)."""
    def gone():
        s = status(dr, "dr")
        return s.get("connection_state") != "ready" or s.get("state") != "stream-wals"
    wait_for(gone, timeout, "the DR secondary to notice its primary is gone")


def promote_dr(dr, dr_token, timeout=30, **body):
    """Promotes; returns the seconds from the call until a write succeeds."""
    if not body.get("force"):
        wait_primary_gone(dr)
    started = time.monotonic()
    ok(dr_op(dr, "promote", dr_token, **body), 200)
    wait_dr_primary(dr, timeout)
    wait_for(lambda: dr.put("/v1/sys/policies/acl/promoted", token=dr.root_token,
                            json={"policy": 'path "x" { capabilities = ["read"] }'}
                            ).status_code == 204, timeout, "a write on the promoted cluster")
    return time.monotonic() - started


def cluster_addr(srv):
    return "https://127.0.0.1:%d" % srv.cluster_port
