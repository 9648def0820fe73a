"""sys/health replication fields, sys/metrics (JSON and Prometheus text) and
sys/replication status on a standalone server (no replication configured)."""


def test_health_has_replication_fields_and_last_wal(dev_api):
    r = dev_api.server.get("/v1/sys/health")
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["replication_performance_mode"] == "disabled"
    assert b["replication_dr_mode"] == "disabled"
    first = b["last_wal"]
    assert isinstance(first, int) and first > 0
    dev_api.ok(dev_api.put("secret/data/metrics-health", {"data": {"a": "b"}}), 200)
    assert dev_api.server.get("/v1/sys/health").json()["last_wal"] > first


def prometheus_values(api):
    r = api.get("sys/metrics", params={"format": "prometheus"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    lines = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            lines[name] = float(value)
    return lines


def test_metrics_prometheus_needs_a_token(dev_api):
    # A kv v2 write reads its mount's config, which nobody set: afterwards the
    # read cache knows that key is absent.
    dev_api.ok(dev_api.put("secret/data/metrics-absent", {"data": {"a": "b"}}), 200)
    lines = prometheus_values(dev_api)
    assert lines["coffer_core_unsealed"] == 1
    assert lines["coffer_wal_last_index"] >= lines["coffer_wal_first_index"] >= 1
    assert "coffer_wal_retained_bytes" in lines
    assert lines["coffer_wal_commit_groups_total"] >= 1
    # Every authenticated request reads its token entry through the read cache.
    assert lines["coffer_read_cache_hits_total"] >= 1
    assert lines["coffer_read_cache_entries"] >= 1
    assert lines["coffer_read_cache_absent_keys"] >= 1
    for name in ("coffer_read_cache_misses_total", "coffer_read_cache_evictions_total",
                 "coffer_read_cache_written_through_total"):
        assert name in lines, name
    # The leaf index holds every stored leaf in memory (far below its capacity).
    assert lines["coffer_merkle_leaf_index_complete"] == 1
    assert lines["coffer_merkle_leaves_unheld"] == 0
    dev_api.ok(dev_api.put("secret/data/metrics-new-leaves", {"data": {"a": "b"}}), 200)
    after = prometheus_values(dev_api)
    # A new secret's version and metadata records, each with a leaf.
    assert after["coffer_merkle_leaves_held"] >= lines["coffer_merkle_leaves_held"] + 2
    denied = dev_api.get("sys/metrics", params={"format": "prometheus"}, token=None)
    assert denied.status_code == 403, denied.text
    assert denied.json() == {"errors": ["permission denied"]}


def test_rewriting_a_secret_does_not_decrypt_its_metadata_again(dev_api):
    # Each kv v2 write reads the secret's metadata record, which the previous
    # write left: the barrier remembers the plaintext it wrote, so after the
    # first read nothing of the kind is decrypted again.
    path = "secret/data/metrics-rewrite"
    dev_api.ok(dev_api.put(path, {"data": {"n": "0"}}), 200)
    dev_api.ok(dev_api.put(path, {"data": {"n": "1"}}), 200)
    before = prometheus_values(dev_api)["coffer_barrier_decryptions_total"]
    writes = 20
    for n in range(writes):
        dev_api.ok(dev_api.put(path, {"data": {"n": str(n + 2)}}), 200)
    after = prometheus_values(dev_api)["coffer_barrier_decryptions_total"]
    # One per write (or more) without the write-through; a few at most with it
    # (the metrics reads themselves, a background lease check).
    assert after - before < writes / 2, (before, after)
    got = dev_api.get(path)
    assert got.status_code == 200, got.text
    assert got.json()["data"]["data"] == {"n": str(writes + 1)}
    assert got.json()["data"]["metadata"]["version"] == writes + 2


def test_metrics_json_shape(dev_api):
    r = dev_api.get("sys/metrics")
    assert r.status_code == 200, r.text
    b = r.json()
    for key in ("Timestamp", "Gauges", "Counters", "Samples"):
        assert key in b
    names = {g["Name"] for g in b["Gauges"]}
    assert "coffer.wal.last_index" in names


def test_metrics_policy_read_on_sys_metrics(dev_api):
    dev_api.write_policy("metrics-reader", 'path "sys/metrics" { capabilities = ["read"] }')
    reader = dev_api.create_token(policies=["metrics-reader"])["client_token"]
    other = dev_api.create_token(policies=["default"])["client_token"]
    assert dev_api.as_token(reader).get("sys/metrics").status_code == 200
    assert dev_api.as_token(other).get("sys/metrics").status_code == 403


def test_replication_status_disabled_without_token(dev_api):
    r = dev_api.get("sys/replication/status", token=None)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"dr": {"mode": "disabled"}, "performance": {"mode": "disabled"}}
    for kind in ("performance", "dr"):
        r = dev_api.get("sys/replication/%s/status" % kind, token=None)
        assert r.status_code == 200, r.text
        assert r.json()["data"] == {"mode": "disabled"}
    # Paths the replication module does not serve are 404; the others need a token.
    r = dev_api.post("sys/replication/performance/no-such-thing", {})
    assert r.status_code == 404, r.text
    r = dev_api.as_token(None).post("sys/replication/performance/primary/enable", {})
    assert r.status_code == 403, r.text
