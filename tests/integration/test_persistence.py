"""Durability across restarts: graceful (SIGTERM) and crash (kill -9), on
RocksDB and its "file" alias; inmem forgets; file modes of the data dir."""

import os
import stat


def _reopen_and_unseal(srv, keys):
    srv.start()
    st = srv.seal_status()
    assert st["initialized"] is True and st["sealed"] is True, st
    assert (st["t"], st["n"]) == (3, 5), st
    srv.unseal(keys)


def test_restart_keeps_keyring_and_root_token(make_server):
    srv = make_server(storage="rocksdb")
    srv.init_and_unseal(5, 3)
    assert srv.key_status()["term"] == 1
    r = srv.put("/v1/sys/rotate", token=srv.root_token)
    assert r.status_code == 204, (r.status_code, r.text)
    assert srv.key_status()["term"] == 2
    rc = srv.stop()
    assert rc == 0, "graceful shutdown should exit 0, got %s" % rc
    _reopen_and_unseal(srv, srv.keys[1:4])
    ks = srv.key_status()
    assert ks["term"] == 2
    # An invalid token is still refused after restart (state, not luck).
    r = srv.get("/v1/sys/key-status", token="hvs.bogusbogusbogusbogus0000")
    assert r.status_code == 403, r.text


def test_kill9_after_acknowledged_rotate_is_durable(make_server):
    srv = make_server(storage="rocksdb")
    srv.init_and_unseal(5, 3)
    r = srv.put("/v1/sys/rotate", token=srv.root_token)
    assert r.status_code == 204, (r.status_code, r.text)
    assert srv.key_status()["term"] == 2
    r = srv.put("/v1/sys/rotate", token=srv.root_token)
    assert r.status_code == 204, (r.status_code, r.text)
    srv.kill()  # immediately after the acknowledgement
    assert srv.proc.returncode == -9
    _reopen_and_unseal(srv, srv.keys_base64[0:3])
    assert srv.key_status()["term"] == 3


def test_file_storage_alias_persists(make_server):
    srv = make_server(storage="file")
    srv.init_and_unseal(5, 3)
    assert srv.put("/v1/sys/rotate", token=srv.root_token).status_code == 204
    assert srv.stop() == 0
    _reopen_and_unseal(srv, srv.keys[2:5])
    assert srv.key_status()["term"] == 2


def test_inmem_storage_forgets_on_restart(make_server):
    srv = make_server(storage="inmem")
    srv.init_and_unseal(5, 3)
    st = srv.seal_status()
    assert st["storage_type"] == "inmem"
    assert srv.stop() == 0
    srv.start()
    assert srv.get("/v1/sys/init").json() == {"initialized": False}


def test_data_dir_and_file_modes(make_server):
    srv = make_server(storage="rocksdb")
    srv.init_and_unseal(5, 3)
    assert srv.put("/v1/sys/rotate", token=srv.root_token).status_code == 204
    assert srv.stop() == 0  # flush everything to disk first
    mode = stat.S_IMODE(os.stat(srv.data_dir).st_mode)
    assert mode == 0o700, "data dir mode %o" % mode
    bad = []
    count = 0
    for root, dirs, files in os.walk(srv.data_dir):
        for d in dirs:
            m = stat.S_IMODE(os.stat(os.path.join(root, d)).st_mode)
            if m != 0o700:
                bad.append((os.path.join(root, d), oct(m)))
        for f in files:
            count += 1
            m = stat.S_IMODE(os.lstat(os.path.join(root, f)).st_mode)
            if m != 0o600:
                bad.append((os.path.join(root, f), oct(m)))
    assert count > 0, "no files in the data dir"
    assert not bad, bad
