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


def enable_primary(primary, **params):
    ok(primary.put("/v1/sys/replication/performance/primary/enable",
                   token=primary.root_token, json=params))
    wait_for(lambda: status(primary).get("mode") == "primary", 10, "primary mode")


def secondary_token(primary, sid, ttl=None):
    body = {"id": sid}
    if ttl is not None:
        body["ttl"] = ttl
    r = primary.put("/v1/sys/replication/performance/primary/secondary-token",
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


def wait_streaming(secondary, timeout=SYNC_TIMEOUT_S):
    def streaming():
        s = status(secondary)
        return s.get("mode") == "secondary" and s.get("state") == "stream-wals"
    wait_for(streaming, timeout, "the secondary to stream WALs")


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


def last_wal(primary):
    return status(primary)["last_wal"]


def wait_caught_up(primary, secondary, timeout=SYNC_TIMEOUT_S):
    """Until the secondary applied everything the primary had when called."""
    target = last_wal(primary)
    wait_for(lambda: status(secondary).get("last_remote_wal", 0) >= target, timeout,
             "the secondary to reach wal index %d" % target)


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
