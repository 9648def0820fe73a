"""Init, unseal, seal and their error paths (sys/init, sys/seal-status,
sys/unseal, sys/seal) against a real coffer on RocksDB."""

import base64

from coffer_harness import assert_error, assert_sealed_503, corrupt_share_hex


def test_seal_status_before_init_reports_uninitialised(server):
    r = server.get("/v1/sys/init")
    assert r.status_code == 200, r.text
    assert r.json() == {"initialized": False}
    st = server.seal_status()
    assert st["type"] == "shamir"
    assert st["initialized"] is False
    assert st["sealed"] is True
    assert st["t"] == 0 and st["n"] == 0 and st["progress"] == 0
    assert "cluster_name" not in st and "cluster_id" not in st


def test_init_returns_five_matching_hex_and_base64_shares(server):
    body = server.initialize(5, 3)
    assert len(body["keys"]) == 5 and len(body["keys_base64"]) == 5
    assert len(set(body["keys"])) == 5
    for hex_key, b64_key in zip(body["keys"], body["keys_base64"]):
        assert len(hex_key) == 66, "a Shamir share is 33 bytes"
        assert bytes.fromhex(hex_key) == base64.b64decode(b64_key)
    assert body["root_token"].startswith("hvs.")
    assert server.get("/v1/sys/init").json() == {"initialized": True}


def test_full_seal_lifecycle(server):
    server.initialize(5, 3)
    st = server.seal_status()
    assert (st["initialized"], st["sealed"], st["t"], st["n"], st["progress"]) == (True, True, 3, 5, 0)
    assert st["storage_type"]
    assert isinstance(st["version"], str) and st["version"]
    assert "cluster_name" not in st and "cluster_id" not in st

    # Share 1: progress 1 and an attempt nonce.
    r = server.put("/v1/sys/unseal", json={"key": server.keys[0]})
    assert r.status_code == 200, r.text
    st1 = r.json()
    assert st1["sealed"] is True and st1["progress"] == 1 and st1["t"] == 3
    nonce = st1["nonce"]
    assert nonce

    # The same share again does not advance progress.
    server.put("/v1/sys/unseal", json={"key": server.keys[0]})
    st_dup = server.seal_status()
    assert st_dup["progress"] == 1 and st_dup["sealed"] is True
    assert st_dup["nonce"] == nonce

    # Share 2: progress 2, same nonce.
    r = server.put("/v1/sys/unseal", json={"key": server.keys[1]})
    assert r.status_code == 200, r.text
    st2 = r.json()
    assert st2["progress"] == 2 and st2["sealed"] is True and st2["nonce"] == nonce

    # Share 3: unsealed; cluster identity appears.
    r = server.put("/v1/sys/unseal", json={"key": server.keys[2]})
    assert r.status_code == 200, r.text
    st3 = r.json()
    assert st3["sealed"] is False and st3["progress"] == 0
    st = server.seal_status()
    assert st["sealed"] is False
    assert st["cluster_name"] and st["cluster_id"]

    # The root token works.
    ks = server.key_status()
    assert ks["term"] == 1

    # Seal (204), then sealed paths answer 503.
    r = server.put("/v1/sys/seal", token=server.root_token)
    assert r.status_code == 204, (r.status_code, r.text)
    assert r.content == b""
    st = server.seal_status()
    assert st["sealed"] is True and st["initialized"] is True
    assert "cluster_name" not in st and "cluster_id" not in st
    assert_sealed_503(server.get("/v1/sys/key-status", token=server.root_token))
    assert_sealed_503(server.get("/v1/sys/key-status"))
    assert_sealed_503(server.put("/v1/sys/rotate", token=server.root_token))
    assert_sealed_503(server.get("/v1/secret/data/foo", token=server.root_token))
    assert_sealed_503(server.get("/v1/auth/token/lookup-self", token=server.root_token))

    # Unseal again with base64 shares (a different subset).
    body = None
    for k in server.keys_base64[2:5]:
        r = server.put("/v1/sys/unseal", json={"key": k})
        assert r.status_code == 200, r.text
        body = r.json()
    assert body["sealed"] is False
    assert server.key_status()["term"] == 1


def test_key_status_fields_and_injected_top_level(unsealed):
    r = unsealed.get("/v1/sys/key-status", token=unsealed.root_token)
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == "application/json"
    body = r.json()
    data = body["data"]
    assert data["term"] == 1
    assert isinstance(data["install_time"], str) and data["install_time"]
    assert isinstance(data["encryptions"], int)
    # sys/key-status is one of the routes whose data is copied to the top level.
    assert body.get("term") == 1, body


def test_unseal_reset_discards_progress(server):
    server.initialize(5, 3)
    r = server.put("/v1/sys/unseal", json={"key": server.keys[0]})
    assert r.json()["progress"] == 1
    r = server.put("/v1/sys/unseal", json={"reset": True})
    assert r.status_code == 200, r.text
    assert r.json()["progress"] == 0 and r.json()["sealed"] is True
    assert server.seal_status()["progress"] == 0
    # After a reset, two more shares are not enough: it takes three again.
    server.put("/v1/sys/unseal", json={"key": server.keys[1]})
    st = server.put("/v1/sys/unseal", json={"key": server.keys[2]}).json()
    assert st["sealed"] is True and st["progress"] == 2
    st = server.put("/v1/sys/unseal", json={"key": server.keys[3]}).json()
    assert st["sealed"] is False


def test_wrong_share_set_is_rejected_and_stays_sealed(server):
    server.initialize(5, 3)
    bad = corrupt_share_hex(server.keys[2])
    for k in server.keys[:2]:
        assert server.put("/v1/sys/unseal", json={"key": k}).status_code == 200
    r = server.put("/v1/sys/unseal", json={"key": bad})
    assert_error(r, 400)
    st = server.seal_status()
    assert st["sealed"] is True
    assert st["progress"] == 0, "a failed attempt must be discarded"
    # The genuine shares still unseal afterwards.
    server.unseal(server.keys[2:5])
    assert server.key_status()["term"] == 1


def test_unseal_without_key_or_reset_is_400(server):
    server.initialize(5, 3)
    assert_error(server.put("/v1/sys/unseal", json={}), 400)
    assert_error(server.put("/v1/sys/unseal", json={"key": "not hex or base64 !!"}), 400)
    assert server.seal_status()["progress"] == 0


def test_init_twice_is_400(server):
    server.initialize(5, 3)
    r = server.put("/v1/sys/init", json={"secret_shares": 5, "secret_threshold": 3})
    assert_error(r, 400)
    assert "root_token" not in r.json()


def test_init_validation(server):
    for shares, threshold in ((3, 5), (0, 0), (0, 1), (5, 0)):
        r = server.put("/v1/sys/init", json={"secret_shares": shares, "secret_threshold": threshold})
        assert_error(r, 400)
    assert server.get("/v1/sys/init").json() == {"initialized": False}
    # A valid request still works afterwards.
    server.initialize(1, 1)
    assert server.seal_status()["t"] == 1


def test_seal_requires_a_valid_token(unsealed):
    assert_error(unsealed.put("/v1/sys/seal"), 403)
    assert_error(unsealed.put("/v1/sys/seal", token="hvs.notarealtokenatall00000"), 403)
    assert unsealed.seal_status()["sealed"] is False
