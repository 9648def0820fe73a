"""Disaster-recovery replication with real processes: a DR replica holds
everything (tokens, leases, secrets), serves no client until promoted, and
once promoted carries on with every token and lease; DR operation tokens
(one-shot and batch) authorise its operations and bad ones are refused."""

from coffer_harness import assert_error, free_port, wait_until
from repl_harness import (DISABLED, activate_dr, batch_dr_token, dr_op, enable_primary,
                          generate_operation_token, new_cluster, ok, promote_dr, secondary_token,
                          status, wait_caught_up, wait_dr_primary, wait_for,
                          wait_streaming)

CREATE = ("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' "
          "VALID UNTIL '{{expiration}}';")


def mount_kv(srv):
    ok(srv.post("/v1/sys/mounts/secret", token=srv.root_token,
                json={"type": "kv", "options": {"version": "2"}}))


def put_secret(srv, token, path, data):
    return ok(srv.put("/v1/secret/data/" + path, token=token, json={"data": data}), 200)


def read_secret(srv, token, path):
    r = srv.get("/v1/secret/data/" + path, token=token)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()["data"]["data"]


def create_token(srv, **body):
    return ok(srv.post("/v1/auth/token/create", token=srv.root_token, json=body), 200)["auth"]


def lookup_self(srv, token):
    return srv.get("/v1/auth/token/lookup-self", token=token)


def test_promoted_dr_replica_keeps_tokens_leases_and_secrets(make_server, postgres):
    p = new_cluster(make_server)
    enable_primary(p, kind="dr")
    mount_kv(p)
    ok(p.put("/v1/sys/policies/acl/app", token=p.root_token,
             json={"policy": 'path "secret/*" { capabilities = ["read", "create", "update"] }'}))
    put_secret(p, p.root_token, "before", {"v": "1"})
    service = create_token(p, policies=["app"], ttl="1h")["client_token"]
    batch = create_token(p, policies=["app"], ttl="1h", type="batch")["client_token"]
    # A dynamic PostgreSQL login under a lease, made before activation (the
    # bootstrap carries it) ...
    ok(p.post("/v1/sys/mounts/database", token=p.root_token, json={"type": "database"}))
    ok(p.put("/v1/database/config/pg", token=p.root_token,
             json=postgres.config_body(allowed_roles="*")))
    for name, ttl in (("long", "1h"), ("short", "8s")):
        ok(p.put("/v1/database/roles/" + name, token=p.root_token,
                 json={"db_name": "pg", "creation_statements": CREATE, "default_ttl": ttl,
                       "max_ttl": "2h"}))
    long_cred = ok(p.get("/v1/database/creds/long", token=p.root_token), 200)
    assert postgres.can_login(long_cred["data"]["username"], long_cred["data"]["password"])

    d = new_cluster(make_server)
    activate_dr(p, d, "dr-east")
    # ... and after it (the stream carries it): a secret, a token, leases.
    put_secret(p, service, "after", {"v": "2"})
    later = create_token(p, policies=["app"], ttl="1h")["client_token"]
    short_token = create_token(p, policies=["app"], ttl="12s")["client_token"]
    short_cred = ok(p.get("/v1/database/creds/short", token=p.root_token), 200)
    ops_token = batch_dr_token(p)
    # A token used on the primary and looked up on the replica (the operation
    # token check reads its entry there: both cache it), then revoked: refused
    # at once on the primary, and on the replica once the revocation streamed.
    revoked = create_token(p, policies=["app"], ttl="1h")["client_token"]
    wait_caught_up(p, d, kind="dr")
    for _ in range(2):
        assert_error(dr_op(d, "reindex", revoked), 403, "invalid DR operation token")
        ok(lookup_self(p, revoked), 200)
    ok(p.post("/v1/auth/token/revoke", token=p.root_token, json={"token": revoked}))
    assert_error(lookup_self(p, revoked), 403)
    wait_caught_up(p, d, kind="dr")

    # Before promotion the replica serves no client path.
    for path in ("/v1/secret/data/before", "/v1/auth/token/lookup-self", "/v1/sys/mounts",
                 "/v1/sys/policies/acl/app"):
        assert_error(d.get(path, token=p.root_token), 400, DISABLED)
    assert d.get("/v1/sys/health").status_code == 472
    assert ok(d.get("/v1/sys/seal-status"), 200)["sealed"] is False

    p.kill()  # kill -9: an unplanned failover
    took = promote_dr(d, ops_token)
    assert took < 30, took
    assert status(d, "dr")["generation"] == 2

    # Every token carries on: service, batch, root; secrets are there.
    assert read_secret(d, service, "before") == {"v": "1"}
    assert read_secret(d, batch, "after") == {"v": "2"}
    assert read_secret(d, later, "after") == {"v": "2"}
    assert ok(lookup_self(d, service), 200)["data"]["policies"] == ["app", "default"]
    assert_error(lookup_self(d, revoked), 403)
    put_secret(d, service, "promoted", {"v": "3"})
    assert read_secret(d, d.root_token, "promoted") == {"v": "3"}
    # Leases: the long one is known, renewable and revocable (the user goes).
    lease = ok(d.put("/v1/sys/leases/lookup", token=d.root_token,
                     json={"lease_id": long_cred["lease_id"]}), 200)["data"]
    assert lease["ttl"] > 0, lease
    ok(d.put("/v1/sys/leases/renew", token=d.root_token,
             json={"lease_id": long_cred["lease_id"]}), 200)
    ok(d.put("/v1/sys/leases/revoke", token=d.root_token,
             json={"lease_id": long_cred["lease_id"]}))
    assert wait_until(lambda: not postgres.role_exists(long_cred["data"]["username"]), 20)
    # ... and the short ones keep expiring on schedule (restored at promotion).
    assert wait_until(lambda: not postgres.role_exists(short_cred["data"]["username"]), 30)
    assert wait_until(lambda: lookup_self(d, short_token).status_code == 403, 30)
    assert lookup_self(d, service).status_code == 200


def test_dr_operation_tokens_and_bad_input(make_server):
    p = new_cluster(make_server)
    enable_primary(p, kind="dr")
    ops_token = batch_dr_token(p)
    no_grant = batch_dr_token(p, ops=("reindex",), policy="reindex-only")
    short = batch_dr_token(p, ttl="3s", policy="short-ops")
    service_token = create_token(p, policies=["dr-ops"], ttl="1h")["client_token"]
    d = new_cluster(make_server)
    activate_dr(p, d, "dr1")
    wait_caught_up(p, d, kind="dr")
    assert ok(d.get("/v1/sys/health", params={"drsecondarycode": "299"}), 299) is not None

    def still_secondary():
        assert status(d, "dr")["mode"] == "secondary"

    # Promote without a valid operation token: refused, nothing changes.
    assert_error(dr_op(d, "promote", None), 400, "dr_operation_token")
    assert_error(dr_op(d, "promote", "hvs.not-a-token"), 403, "invalid DR operation token")
    assert_error(dr_op(d, "promote", p.root_token), 403, "invalid DR operation token")
    assert_error(dr_op(d, "promote", service_token), 403, "invalid DR operation token")
    assert_error(dr_op(d, "promote", no_grant), 403, "invalid DR operation token")
    wait_for(lambda: dr_op(d, "reindex", short).status_code == 403, 20, "the batch token to expire")
    still_secondary()
    # The primary is alive and streaming: promotion needs force. (The expiry
    # loop above reindexed while the short token was valid: wait for the stream.)
    wait_streaming(d, kind="dr")
    assert_error(dr_op(d, "promote", ops_token), 400, "still reachable")
    still_secondary()
    # A batch token granted only reindex may reindex.
    ok(dr_op(d, "reindex", no_grant), 200)
    wait_for(lambda: status(d, "dr").get("last_reindex_epoch", "0") != "0", 60, "the reindex")

    # One-shot: generated from the primary's key shares, valid until deleted.
    base = "/v1/sys/replication/dr/secondary/generate-operation-token/attempt"
    assert ok(d.get(base), 200)["started"] is False
    one_shot = generate_operation_token(d, p.keys[:2])
    ok(dr_op(d, "reindex", one_shot), 200)
    ok(dr_op(d, "operation-token/delete", one_shot))
    assert_error(dr_op(d, "reindex", one_shot), 403, "invalid DR operation token")
    # A share that is not the primary's does not make a token.
    ok(d.delete(base))
    st = ok(d.put(base, json={}), 200)
    bad = ok(d.put("/v1/sys/replication/dr/secondary/generate-operation-token/update",
                   json={"key": "00" * 33, "nonce": st["nonce"]}), 200, 400)
    assert bad is None or not bad.get("encoded_token")
    still_secondary()

    # Promote twice: the second is refused with a clear error.
    ok(dr_op(d, "promote", ops_token, force=True), 200)
    again = dr_op(d, "promote", ops_token, auth=p.root_token, force=True)
    assert again.status_code == 400, again.text
    assert ("in progress" in again.text or "not a DR secondary" in again.text), again.text
    wait_dr_primary(d)
    assert_error(dr_op(d, "promote", ops_token, auth=p.root_token), 400, "not a DR secondary")


def test_dr_roles_refuse_conflicting_setup(make_server):
    p = new_cluster(make_server)
    enable_primary(p)  # a performance primary
    enable_primary(p, kind="dr")
    other = new_cluster(make_server)
    enable_primary(other, kind="dr")
    d = new_cluster(make_server)
    activate_dr(p, d, "dr1")
    ops_token = batch_dr_token(p)
    wait_caught_up(p, d, kind="dr")

    # secondary/enable on a cluster that is a primary: refused, it stays primary.
    token = secondary_token(other, "p-as-secondary", kind="dr")
    assert_error(p.put("/v1/sys/replication/dr/secondary/enable", token=p.root_token,
                       json={"token": token}), 400, "is a performance primary")
    assert status(p, "dr")["mode"] == "primary"
    assert status(p)["mode"] == "primary"
    # update-primary with an activation token of another set: refused.
    foreign = secondary_token(other, "d-foreign", kind="dr")
    assert_error(dr_op(d, "update-primary", ops_token, token=foreign), 400, "another replication set")
    assert status(d, "dr")["cluster_id"] == status(p, "dr")["cluster_id"]
    # A performance activation token is no DR token.
    perf_token = secondary_token(p, "perf1")
    assert_error(dr_op(d, "update-primary", ops_token, token=perf_token), 400, "not DR")
    # The replica still follows: a write on the primary arrives.
    ok(p.put("/v1/sys/policies/acl/late", token=p.root_token,
             json={"policy": 'path "late" { capabilities = ["read"] }'}))
    wait_caught_up(p, d, kind="dr")
    assert status(d, "dr")["state"] == "stream-wals"
    # Status fields as Vault's, plus what a promotion would lose now.
    primary = status(p, "dr")
    assert primary["last_dr_wal"] == primary["last_wal"]
    assert primary["known_secondaries"] == ["dr1"]
    secondary = status(d, "dr")
    assert secondary["secondary_id"] == "dr1"
    assert set(secondary["promotion_data_loss"]) >= {"entries", "ms"}
    assert ok(p.get("/v1/sys/health"), 200)["replication_dr_mode"] == "primary"
    health = d.get("/v1/sys/health", params={"drsecondarycode": "200"})
    assert ok(health, 200)["replication_dr_mode"] == "secondary"
    # Revoked, the replica is cut off: its stream ends and stays refused.
    ok(p.put("/v1/sys/replication/dr/primary/revoke-secondary", token=p.root_token,
             json={"id": "dr1"}))
    assert status(p, "dr")["known_secondaries"] == []
    wait_for(lambda: "revoked" in status(d, "dr").get("last_error", "") or
             "unknown" in status(d, "dr").get("last_error", ""), 20,
             "the revoked replica's stream to be refused")
    # Disabled, the replica is a standalone cluster with the data it holds.
    ok(dr_op(d, "disable", ops_token))
    wait_for(lambda: d.get("/v1/sys/health").status_code == 200, 30, "the replica to disable")
    assert status(d, "dr")["mode"] == "disabled" and status(d)["mode"] == "disabled"
    ok(d.get("/v1/sys/policies/acl/late", token=p.root_token), 200)
    ok(d.put("/v1/sys/policies/acl/own", token=p.root_token,
             json={"policy": 'path "own" { capabilities = ["read"] }'}))
    ok(p.put("/v1/sys/replication/dr/primary/disable", token=p.root_token))
    assert status(p, "dr")["mode"] == "disabled"
    assert status(p)["mode"] == "primary"  # the performance set is untouched


def test_failed_bootstrap_leaves_a_node_that_can_be_initialised_again(make_server):
    p = new_cluster(make_server)
    # The activation token points at a cluster address nobody listens on.
    enable_primary(p, kind="dr", primary_cluster_addr="https://127.0.0.1:%d" % free_port())
    d = new_cluster(make_server, extra_config='replication {\n  bootstrap_timeout = "2s"\n}\n')
    token = secondary_token(p, "dr-unreachable", kind="dr")
    ok(d.put("/v1/sys/replication/dr/secondary/enable", token=d.root_token, json={"token": token}))
    wait_for(lambda: "last_error" in status(d, "dr"), 60, "the bootstrap to give up")
    assert "storage replacement failed" in status(d, "dr")["last_error"]
    # Wiped and sealed: an uninitialised node, and no secondary of anything.
    assert ok(d.get("/v1/sys/seal-status"), 200)["initialized"] is False
    d.init_and_unseal(3, 2)
    assert d.get("/v1/sys/health").status_code == 200
    ok(d.post("/v1/sys/mounts/kv", token=d.root_token, json={"type": "kv"}))
    assert status(d, "dr")["mode"] == "disabled"
