"""The replicated log under a real server on RocksDB: the retention settings
of the replication stanza reach it, every write advances the WAL, and the
position survives a graceful restart and a kill -9."""

import re

WAL_LINE = re.compile(
    r"replicated log at wal index (\d+) \(oldest retained (\d+); "
    r"retaining up to (\d+) entries and (\d+) bytes\)")

CONFIG = """
replication {
  logshipper_buffer_length = 5
  logshipper_buffer_size = "1mb"
}
"""


def _wal(srv):
    """(last index, oldest retained, max entries, max bytes) of the latest open."""
    found = WAL_LINE.findall(srv.stderr())
    assert found, srv.stderr()[-2000:]
    return tuple(int(x) for x in found[-1])


def _write(srv, path, value):
    r = srv.put("/v1/" + path, token=srv.root_token, json={"value": value})
    assert r.status_code in (200, 204), (r.status_code, r.text)


def test_wal_position_and_retention_survive_restarts(make_server):
    srv = make_server(storage="rocksdb", extra_config=CONFIG)
    last, first, max_entries, max_bytes = _wal(srv)
    assert (last, first) == (0, 1)
    assert max_entries == 5
    assert max_bytes in (1000 * 1000, 1024 * 1024)

    srv.init_and_unseal(5, 3)
    r = srv.put("/v1/sys/mounts/kv", token=srv.root_token, json={"type": "kv"})
    assert r.status_code == 204, r.text
    for i in range(12):
        _write(srv, "kv/item%d" % i, "v%d" % i)
    assert srv.stop() == 0

    srv.start()
    last, first, _, _ = _wal(srv)
    # init, unseal and 13 requests each wrote at least one batch.
    assert last >= 14, last
    # Retention kept exactly the newest five entries.
    assert first == last - 4, (first, last)
    srv.unseal(srv.keys[0:3])
    _write(srv, "kv/after-restart", "x")
    srv.kill()

    srv.start()
    after_kill, first, _, _ = _wal(srv)
    assert after_kill > last, (after_kill, last)
    assert first == after_kill - 4
    srv.unseal(srv.keys[1:4])
    for i in range(12):
        r = srv.get("/v1/kv/item%d" % i, token=srv.root_token)
        assert r.status_code == 200 and r.json()["data"]["value"] == "v%d" % i, r.text
    r = srv.get("/v1/kv/after-restart", token=srv.root_token)
    assert r.status_code == 200, r.text
