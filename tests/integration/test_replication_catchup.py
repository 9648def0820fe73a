"""Performance secondaries that fall behind and catch up: kill -9 and restart,
a cut connection (through a loopback TCP proxy) healed, a late secondary
after 20,000 writes, and WAL retention exceeded (Merkle diff, only the
differing keys fetched)."""

from concurrent.futures import ThreadPoolExecutor

import requests

from coffer_harness import assert_error
from repl_harness import (activate, enable_primary, new_cluster, ok, status,
                          wait_caught_up, wait_for, wait_roots_equal, wait_streaming)
from tcp_proxy import TcpProxy


def _kv1(p, name="kv"):
    ok(p.post("/v1/sys/mounts/" + name, token=p.root_token, json={"type": "kv"}))


def _bulk_put(srv, token, prefix, count, workers=8, mount="kv"):
    """count KV v1 writes over keep-alive sessions in parallel threads."""
    def run(chunk):
        with requests.Session() as sess:
            sess.trust_env = False
            for i in chunk:
                r = sess.put(srv.url("/v1/%s/%s/%d" % (mount, prefix, i)),
                             headers={"X-Vault-Token": token}, json={"v": i}, timeout=30)
                assert r.status_code in (200, 204), r.text
    chunks = [range(w, count, workers) for w in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, chunks))


def test_secondary_killed_and_restarted_catches_up(make_server):
    p = new_cluster(make_server)
    _kv1(p)
    # A DNS name as the cluster address: resolved again on every reconnect.
    enable_primary(p, primary_cluster_addr="https://localhost:%d" % p.cluster_port)
    s = activate(p, new_cluster(make_server), "crashy")
    assert status(s)["primary_cluster_addr"] == "https://localhost:%d" % p.cluster_port
    _bulk_put(p, p.root_token, "before", 50)
    wait_caught_up(p, s)
    s.kill()
    _bulk_put(p, p.root_token, "while-down", 300)
    s.start()
    assert s.seal_status()["sealed"] is True
    # It unseals with the primary's keys (the seal config is replicated).
    s.unseal(p.keys[:2])
    wait_streaming(s)
    wait_caught_up(p, s)
    wait_roots_equal(p, s)
    for i in (0, 150, 299):
        assert ok(s.get("/v1/kv/while-down/%d" % i, token=s.root_token), 200)["data"] == {"v": i}


def test_connection_cut_mid_stream_and_healed_converges(make_server):
    p = new_cluster(make_server)
    _kv1(p)
    proxy = TcpProxy("127.0.0.1", p.cluster_port)
    try:
        enable_primary(p, primary_cluster_addr="https://" + proxy.address)
        s = activate(p, new_cluster(make_server), "flaky")
        assert status(s)["primary_cluster_addr"] == "https://" + proxy.address
        writer = ThreadPoolExecutor(1)
        fut = writer.submit(_bulk_put, p, p.root_token, "during", 400, 2)
        wait_for(lambda: status(s)["last_remote_wal"] > 0, 10, "some entries to arrive")
        proxy.cut()
        fut.result(timeout=120)
        _bulk_put(p, p.root_token, "while-cut", 100)
        wait_for(lambda: status(s)["state"] != "stream-wals", 15, "the secondary to notice the cut")
        # An index the secondary has not reached: 412 after the bounded wait.
        r = p.put("/v1/kv/marker", token=p.root_token, json={"v": 1})
        assert r.status_code == 204, r.text
        index = r.headers["X-Vault-Index"]
        assert_error(s.get("/v1/kv/during/1", token=s.root_token,
                           headers={"X-Vault-Index": index}), 412,
                     contains="required index state not present")
        proxy.heal()
        wait_streaming(s)
        wait_caught_up(p, s)
        root = wait_roots_equal(p, s)
        assert len(root) == 64
        assert ok(s.get("/v1/kv/while-cut/99", token=s.root_token), 200)["data"] == {"v": 99}
        got = s.get("/v1/kv/marker", token=s.root_token, headers={"X-Vault-Index": index})
        assert got.status_code == 200, got.text
    finally:
        proxy.close()


def test_secondary_enabled_after_20000_writes_catches_up(make_server):
    p = new_cluster(make_server)
    _kv1(p)
    enable_primary(p)
    _bulk_put(p, p.root_token, "bulk", 20000, workers=8)
    s = activate(p, new_cluster(make_server), "late", timeout=120)
    wait_caught_up(p, s, timeout=120)
    wait_roots_equal(p, s)
    for i in (0, 9999, 19999):
        assert ok(s.get("/v1/kv/bulk/%d" % i, token=s.root_token), 200)["data"] == {"v": i}


def test_retention_exceeded_resyncs_only_the_differing_keys(make_server):
    # A tiny WAL: 50 entries. The secondary misses far more than that.
    extra = "replication {\n  logshipper_buffer_length = 50\n}\n"
    p = new_cluster(make_server, extra_config=extra)
    _kv1(p)
    _bulk_put(p, p.root_token, "base", 1000)
    enable_primary(p)
    s = activate(p, new_cluster(make_server), "behind", timeout=120)
    wait_caught_up(p, s)
    s.kill()
    _bulk_put(p, p.root_token, "base", 120)           # rewrite 120 existing keys
    _bulk_put(p, p.root_token, "new", 80)             # and add 80
    for i in range(900, 920):                         # and delete 20
        ok(p.delete("/v1/kv/base/%d" % i, token=p.root_token))
    s.start()
    s.unseal(p.keys[:2])
    wait_streaming(s)
    wait_caught_up(p, s)
    wait_roots_equal(p, s)
    # The restarted client's counters: one gap, one diff-and-sync.
    after = status(s)["merkle_sync_stats"]
    assert after["syncs"] == 1, after
    fetched, removed = after["keys_fetched"], after["keys_removed"]
    # 200 changed keys (+ the primary's canary and the like), not the 1,000+ there are.
    assert 200 <= fetched <= 215, fetched
    assert removed == 20, removed
    assert ok(s.get("/v1/kv/new/79", token=s.root_token), 200)["data"] == {"v": 79}
    assert s.get("/v1/kv/base/905", token=s.root_token).status_code == 404
    assert "must resync" in p.stderr() or "trimmed" in p.stderr()


def test_primary_sealed_unsealed_and_killed_the_secondary_resumes(make_server):
    p = new_cluster(make_server)
    _kv1(p)
    enable_primary(p)
    s = activate(p, new_cluster(make_server), "patient")
    _bulk_put(p, p.root_token, "one", 20)
    wait_caught_up(p, s)
    # Seal and unseal at once: the cluster port comes back on the same address.
    ok(p.put("/v1/sys/seal", token=p.root_token))
    p.unseal(p.keys[:2])
    _bulk_put(p, p.root_token, "two", 20)
    wait_streaming(s)
    wait_caught_up(p, s)
    # A crash of the primary: every acknowledged write is there after restart,
    # and the secondary picks up where it was.
    p.kill()
    wait_for(lambda: status(s)["state"] != "stream-wals", 15, "the secondary to notice")
    p.start()
    p.unseal(p.keys[:2])
    _bulk_put(p, p.root_token, "three", 20)
    wait_streaming(s)
    wait_caught_up(p, s)
    wait_roots_equal(p, s)
    for prefix in ("one", "two", "three"):
        assert ok(s.get("/v1/kv/%s/19" % prefix, token=s.root_token), 200)["data"] == {"v": 19}
