"""The benchmark scenarios, as data.

Each scenario names the target that serves it (coffer, nginx, etcd, disk), the
request wrk sends (method, path, body; "{k}" is replaced by a key index drawn
uniformly from 0..numkvs-1 per request), the header that carries a credential
prepared during setup ("{token}", "{role_id}", "{secret_id}" come from the
target's setup), the peer its figures are compared with and the goal the
ratio must meet.

Adding a scenario is adding a row here; a new kind of target (a database for
dynamic credentials, a replica pair for replication lag) adds a setup in
targets.py and rows that name it. Names follow vault-benchmark where it has
the test (kvv1_read, kvv2_read, kvv2_write, approle_auth, userpass_auth), with
its defaults: 1,000 pre-written keys, a 1-byte value ("kvsize" 1), 10 s runs.
"""

NUMKVS = 1000  # vault-benchmark's numkvs default

# Goal kinds: ("ratio", peer, minimum) compares requests/s with a peer's;
# ("p99_ms", maximum) bounds the 99th percentile latency.
SCENARIOS = [
    # ---- Coffer -------------------------------------------------------------
    dict(name="kvv1_read", target="coffer", method="GET", path="/v1/kvv1/secret-{k}",
         token=True, peer="nginx_json", goals=[("p99_ms", 5.0)]),
    dict(name="kvv2_read", target="coffer", method="GET", path="/v1/kvv2/data/secret-{k}",
         token=True, peer="nginx_json",
         goals=[("ratio", "nginx_json", 0.5), ("p99_ms", 5.0)], peer2="etcd_get"),
    dict(name="kvv2_write", target="coffer", method="POST", path="/v1/kvv2w/data/secret-{k}",
         body='{"data":{"foo":"b"}}', token=True, peer="etcd_put",
         goals=[("ratio", "etcd_put", 2.0)], peer2="disk_append"),
    dict(name="token_create_service", target="coffer", method="POST",
         path="/v1/auth/token/create", body='{"policies":["default"],"ttl":"1h"}',
         token=True, peer="etcd_put", goals=[("ratio", "etcd_put", 1.0)]),
    dict(name="token_create_batch", target="coffer", method="POST",
         path="/v1/auth/token/create",
         body='{"policies":["default"],"ttl":"1h","type":"batch"}',
         token=True, peer="nginx_json"),
    dict(name="approle_auth", target="coffer", method="POST", path="/v1/auth/approle/login",
         body='{"role_id":"{role_id}","secret_id":"{secret_id}"}', peer="etcd_put"),
    dict(name="userpass_auth", target="coffer", method="POST",
         path="/v1/auth/userpass/login/benchmark-user", body='{"password":"{password}"}',
         peer="etcd_put",
         # Each login runs scrypt (N=2^15) by design, ~100 ms of CPU: give it
         # time to finish some even in a 1 s smoke run. Last of the Coffer
         # rows: the logins still queued when wrk stops are drained before
         # the next scenario starts (run.py waits for the server to be idle).
         min_duration_s=3,
         # 64 connections queue ~20 s of scrypt: wait for answers that long
         # rather than count them as timeouts.
         timeout_s=60),
    # Dynamic PostgreSQL credentials under a lease (vault-benchmark's
    # postgresql_secret: connection benchmark-postgres, role benchmark-role,
    # CREATE ROLE ... VALID UNTIL + GRANT SELECT). `postgres`: run.py starts a
    # private PostgreSQL (tests/integration/pg_harness.py) for them. Each
    # issue is a CREATE ROLE in PostgreSQL plus a lease write in Coffer.
    dict(name="postgresql_secret", target="coffer", method="GET",
         path="/v1/database/creds/benchmark-role", token=True, postgres=True),
    # Issue and revoke: each lease issued is revoked by the next request on
    # that wrk thread (bench/issue_revoke.lua), half the requests each; a
    # revoke is a DROP ROLE plus the lease's deletion. `revoked` in the JSON.
    dict(name="postgresql_secret_revoke", target="coffer", method="GET",
         path="/v1/database/creds/benchmark-role", token=True, postgres=True,
         script="issue_revoke.lua", extra={"revoke_path": "/v1/sys/leases/revoke"}),
    # Replication lag, catch-up and DR promotion: bench/replication.py, bench/dr.py.

    # ---- Peers and limits ---------------------------------------------------
    # The HTTP floor: a fixed JSON body (the bytes of a kvv2_read answer).
    dict(name="nginx_json", target="nginx", method="GET", path="/v1/kvv2/data/secret-{k}"),
    # A durable KV store: put, and serializable get, through the JSON gateway.
    dict(name="etcd_put", target="etcd", method="POST", path="/v3/kv/put",
         body='{"key":"{b64key}","value":"{b64value}"}'),
    dict(name="etcd_get", target="etcd", method="POST", path="/v3/kv/range",
         body='{"key":"{b64key}","serializable":true}'),
    # The disk floor: 1 KiB appends, each followed by fdatasync.
    dict(name="disk_append", target="disk"),
    dict(name="disk_append_1", target="disk", connections=1),  # one writer: fsync latency
]

COFFER_TARGETS = ("coffer",)


def by_name():
    return {s["name"]: s for s in SCENARIOS}
