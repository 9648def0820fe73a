"""Failover drills with real processes: planned failover (demote, promote,
the old primary rejoining as a DR secondary of the new one), a performance
replica following the new primary, generation fencing of an old primary,
and cascading (a performance replica's DR replica taking its place)."""

import threading

from coffer_harness import assert_error, wait_until
from repl_harness import (activate, activate_dr, batch_dr_token, cluster_addr, dr_op,
                          enable_primary, generate_operation_token, kv_get, kv_put, new_cluster,
                          ok, promote_dr, secondary_token, status, wait_caught_up, wait_for,
                          wait_roots_equal, wait_streaming)


def mount_kv(srv):
    ok(srv.post("/v1/sys/mounts/secret", token=srv.root_token,
                json={"type": "kv", "options": {"version": "2"}}))


def sees(srv, token, path, value):
    def check():
        r = kv_get(srv, token, path)
        return r.status_code == 200 and r.json()["data"]["data"] == value
    return check


def three_clusters(make_server):
    """P: performance and DR primary; S: its performance replica; D: its DR replica."""
    p = new_cluster(make_server)
    enable_primary(p)
    mount_kv(p)
    ops_token = batch_dr_token(p)
    s = activate(p, new_cluster(make_server), "perf-west")
    # DR enabled while a performance secondary streams: the cluster port
    # restarts with both sets' CAs under the running stream.
    enable_primary(p, kind="dr")
    d = activate_dr(p, new_cluster(make_server), "dr-east")
    ok(kv_put(p, p.root_token, "x", {"v": "1"}), 200)
    wait_caught_up(p, s)
    wait_caught_up(p, d, kind="dr")
    return p, s, d, ops_token


def test_planned_failover_and_failback_path(make_server):
    p, s, d, ops_token = three_clusters(make_server)
    # 1. Demote the primary while a client keeps writing: it stops taking
    #    writes at once (a DR secondary that connects nowhere), stays so
    #    across a restart, and every write it acknowledged reaches the DR
    #    replica first.
    acked, stop = [], threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            n += 1
            if kv_put(p, p.root_token, "w/%d" % n, {"n": n}).status_code == 200:
                acked.append(n)
    t = threading.Thread(target=writer)
    t.start()
    wait_for(lambda: len(acked) >= 20, 20, "the writer to get going")
    ok(p.put("/v1/sys/replication/dr/primary/demote", token=p.root_token), 200)
    wait_for(lambda: p.get("/v1/sys/health").status_code == 472, 20, "the demotion")
    stop.set()
    t.join()
    assert_error(kv_put(p, p.root_token, "y", {"v": "lost"}), 400, "path disabled")
    p.kill()
    p.start()
    p.unseal()
    assert p.get("/v1/sys/health").status_code == 472
    assert status(p)["mode"] == "disabled"  # it feeds no performance replica
    assert status(p, "dr")["mode"] == "secondary"

    # 2. Promote the DR replica (no force needed: the old primary stepped down).
    promote_dr(d, ops_token, timeout=30)
    assert status(d)["mode"] == "primary"
    assert status(d, "dr")["generation"] == 2
    assert status(d)["generation"] == 2
    ok(kv_put(d, p.root_token, "y", {"v": "2"}), 200)  # the same root token works
    missing = [n for n in acked if kv_get(d, p.root_token, "w/%d" % n).status_code != 200]
    assert missing == [], "acknowledged writes lost in the planned failover: %s" % missing

    # 3. The performance replica follows the new primary without a wipe and
    #    keeps serving; it learns the new generation.
    assert wait_until(sees(s, s.root_token, "x", {"v": "1"}), 5)
    ok(s.put("/v1/sys/replication/performance/secondary/update-primary", token=s.root_token,
             json={"update_primary_addrs": [cluster_addr(d)]}))
    assert wait_until(sees(s, s.root_token, "y", {"v": "2"}), 60)
    wait_for(lambda: status(s).get("generation") == 2, 20, "the replica to learn generation 2")
    ok(kv_put(s, s.root_token, "z", {"v": "via-s"}), 200)  # forwarded to the new primary
    assert wait_until(sees(d, p.root_token, "z", {"v": "via-s"}), 10)

    # 4. The old primary becomes a DR secondary of the new one.
    token = secondary_token(d, "old-primary", kind="dr")
    ok(dr_op(p, "update-primary", ops_token, token=token))
    wait_streaming(p, kind="dr")
    ok(kv_put(d, p.root_token, "w", {"v": "4"}), 200)
    wait_caught_up(d, p, kind="dr")
    wait_roots_equal_dr(d, p)
    assert status(d, "dr")["known_secondaries"] == ["old-primary"]


def wait_roots_equal_dr(primary, secondary, timeout=60):
    def equal():
        a, b = status(primary, "dr"), status(secondary, "dr")
        return (a["merkle_root"] == b["merkle_root"] and
                a.get("merkle_root_local") == b.get("merkle_root_local"))
    wait_for(equal, timeout, "equal replicated and local merkle roots")


def test_generation_fences_the_old_primary(make_server):
    p, s, d, ops_token = three_clusters(make_server)
    p.kill()  # unplanned: the old primary never stepped down
    promote_dr(d, ops_token)
    ok(s.put("/v1/sys/replication/performance/secondary/update-primary", token=s.root_token,
             json={"update_primary_addrs": [cluster_addr(d)]}))
    ok(kv_put(d, p.root_token, "after", {"v": "new"}), 200)
    assert wait_until(sees(s, s.root_token, "after", {"v": "new"}), 60)
    wait_for(lambda: status(s).get("generation") == 2, 20, "the replica to learn generation 2")

    # The old primary comes back believing it still leads generation 1.
    p.start()
    p.unseal()
    assert status(p)["mode"] == "primary" and status(p)["generation"] == 1
    ok(kv_put(p, p.root_token, "stale", {"v": "old"}), 200)
    # Pointed at it, the replica is refused: no stream, no forwarded write.
    ok(s.put("/v1/sys/replication/performance/secondary/update-primary", token=s.root_token,
             json={"update_primary_addrs": [cluster_addr(p)]}))
    wait_for(lambda: "generation" in status(s).get("last_error", ""), 30,
             "the stream from the old primary to be refused")
    forwarded = kv_put(s, s.root_token, "fenced", {"v": "x"})
    assert forwarded.status_code >= 400, forwarded.text
    assert kv_get(p, p.root_token, "fenced").status_code == 404
    assert kv_get(s, s.root_token, "stale").status_code == 404
    # Back to the new primary, everything flows again.
    ok(s.put("/v1/sys/replication/performance/secondary/update-primary", token=s.root_token,
             json={"update_primary_addrs": [cluster_addr(d)]}))
    ok(kv_put(d, p.root_token, "again", {"v": "ok"}), 200)
    assert wait_until(sees(s, s.root_token, "again", {"v": "ok"}), 60)
    wait_roots_equal(d, s)


def test_cascading_dr_replica_takes_the_performance_replicas_place(make_server):
    p = new_cluster(make_server)
    enable_primary(p)
    mount_kv(p)
    s = activate(p, new_cluster(make_server), "perf-west")
    # The performance replica leads its own DR set.
    enable_primary(s, kind="dr")
    sd = activate_dr(s, new_cluster(make_server), "perf-west-dr")
    # Tokens made on the replica are its own (the primary never holds them).
    local = ok(s.post("/v1/auth/token/create", token=s.root_token,
                      json={"policies": ["default"], "ttl": "1h"}), 200)["auth"]["client_token"]
    assert p.get("/v1/auth/token/lookup-self", token=local).status_code == 403
    ok(kv_put(p, p.root_token, "a", {"v": "1"}), 200)
    wait_caught_up(p, s)
    wait_caught_up(s, sd, kind="dr")

    s.kill()
    one_shot = generate_operation_token(sd, p.keys[:2])
    promote_dr(sd, one_shot)
    # It is the performance replica now, in the lost one's place: it streams
    # from the primary with the replica's identity and position ...
    wait_streaming(sd)
    assert status(sd)["secondary_id"] == "perf-west"
    ok(kv_put(p, p.root_token, "b", {"v": "2"}), 200)
    assert wait_until(sees(sd, s.root_token, "b", {"v": "2"}), 60)
    assert wait_until(sees(sd, s.root_token, "a", {"v": "1"}), 5)
    # ... with the replica's local tokens, and never the primary's.
    assert ok(sd.get("/v1/auth/token/lookup-self", token=local), 200)["data"]["policies"] == ["default"]
    assert sd.get("/v1/auth/token/lookup-self", token=p.root_token).status_code == 403
    # Writes there are forwarded to the primary as before.
    ok(kv_put(sd, s.root_token, "c", {"v": "3"}), 200)
    assert wait_until(sees(p, p.root_token, "c", {"v": "3"}), 10)
    wait_roots_equal(p, sd)
