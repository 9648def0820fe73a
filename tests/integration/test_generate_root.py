"""sys/generate-root: the OTP flow end to end, nonce checks, cancel, and a
share set from another cluster."""

from coffer_harness import ROOT_TOKEN_LEN, assert_error, decode_otp_token

ATTEMPT = "/v1/sys/generate-root/attempt"
UPDATE = "/v1/sys/generate-root/update"


def _start(srv):
    r = srv.put(ATTEMPT, json={})
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def test_status_before_any_attempt(unsealed):
    r = unsealed.get(ATTEMPT)
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["started"] is False
    assert b["progress"] == 0
    assert b["required"] == 3
    assert b["complete"] is False


def test_otp_flow_end_to_end(unsealed):
    st = _start(unsealed)
    assert st["started"] is True
    assert st["nonce"]
    assert len(st["otp"]) == ROOT_TOKEN_LEN
    assert st["otp_length"] == ROOT_TOKEN_LEN
    assert st["progress"] == 0 and st["required"] == 3 and st["complete"] is False
    otp, nonce = st["otp"], st["nonce"]

    got = unsealed.get(ATTEMPT).json()
    assert got["started"] is True and got["nonce"] == nonce
    assert "otp" not in got or not got["otp"], "the OTP must only be returned once"

    for i, key in enumerate(unsealed.keys[1:3], start=1):
        r = unsealed.put(UPDATE, json={"key": key, "nonce": nonce})
        assert r.status_code == 200, r.text
        b = r.json()
        assert b["progress"] == i and b["complete"] is False and b["nonce"] == nonce
        assert not b.get("encoded_token")
    r = unsealed.put(UPDATE, json={"key": unsealed.keys_base64[4], "nonce": nonce})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["complete"] is True
    assert b["encoded_token"]

    token = decode_otp_token(b["encoded_token"], otp)
    assert token.startswith("hvs.") and len(token) == ROOT_TOKEN_LEN
    assert token != unsealed.root_token
    r = unsealed.get("/v1/sys/key-status", token=token)
    assert r.status_code == 200, r.text
    # It is a root token: sudo operations work.
    r = unsealed.put("/v1/sys/rotate", token=token)
    assert r.status_code == 204, r.text
    assert unsealed.key_status(token)["term"] == 2
    # The attempt is over.
    assert unsealed.get(ATTEMPT).json()["started"] is False


def test_wrong_nonce_is_400(unsealed):
    _start(unsealed)
    r = unsealed.put(UPDATE, json={"key": unsealed.keys[0], "nonce": "not-the-nonce"})
    assert_error(r, 400)
    assert unsealed.get(ATTEMPT).json()["progress"] == 0


def test_update_without_attempt_is_400(unsealed):
    r = unsealed.put(UPDATE, json={"key": unsealed.keys[0], "nonce": "whatever"})
    assert_error(r, 400)


def test_cancel(unsealed):
    st = _start(unsealed)
    r = unsealed.put(UPDATE, json={"key": unsealed.keys[0], "nonce": st["nonce"]})
    assert r.status_code == 200 and r.json()["progress"] == 1
    r = unsealed.delete(ATTEMPT)
    assert r.status_code == 204, (r.status_code, r.text)
    got = unsealed.get(ATTEMPT).json()
    assert got["started"] is False and got["progress"] == 0
    # The old nonce is dead.
    r = unsealed.put(UPDATE, json={"key": unsealed.keys[1], "nonce": st["nonce"]})
    assert_error(r, 400)
    # A new attempt starts from zero with a new nonce.
    st2 = _start(unsealed)
    assert st2["nonce"] != st["nonce"] and st2["progress"] == 0


def test_shares_from_another_cluster_give_no_token(make_server):
    a = make_server(storage="inmem")
    a.init_and_unseal(5, 3)
    b = make_server(storage="inmem")
    b.initialize(5, 3)
    st = _start(a)
    responses = []
    for key in b.keys[:3]:
        r = a.put(UPDATE, json={"key": key, "nonce": st["nonce"]})
        responses.append(r)
        if r.status_code != 200:
            break
    last = responses[-1]
    assert_error(last, 400)
    for r in responses:
        if r.status_code == 200:
            assert not r.json().get("encoded_token"), "a token from foreign shares"
            assert r.json()["complete"] is False
    got = a.get(ATTEMPT).json()
    assert not got.get("encoded_token") and got["complete"] is False
    # The genuine shares still work afterwards (new attempt).
    if got["started"]:
        assert a.delete(ATTEMPT).status_code == 204
    st = _start(a)
    for key in a.keys[:3]:
        r = a.put(UPDATE, json={"key": key, "nonce": st["nonce"]})
        assert r.status_code == 200, r.text
    assert r.json()["complete"] is True
    token = decode_otp_token(r.json()["encoded_token"], st["otp"])
    assert a.get("/v1/sys/key-status", token=token).status_code == 200
