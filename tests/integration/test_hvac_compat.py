"""Compatibility with the Debian python3-hvac 0.11.2 client: only hvac
methods here, no raw HTTP."""

import base64

import hvac
import hvac.exceptions
import pytest
import requests

from coffer_harness import ROOT_TOKEN_LEN, decode_otp_token


def _client(srv, token=""):
    # token="" (not None) keeps hvac from reading VAULT_TOKEN/~/.vault-token.
    session = requests.Session()
    session.trust_env = False
    return hvac.Client(url=srv.addr, token=token, session=session, timeout=10)


def _status_code(resp):
    """hvac's JSONAdapter returns a dict for 200 and the Response otherwise."""
    assert isinstance(resp, requests.Response), resp
    return resp.status_code


def test_hvac_init_unseal_seal_cycle(server):
    c = _client(server)
    assert c.sys.is_initialized() is False
    head = c.sys.read_health_status()  # HEAD by default, never raises
    assert _status_code(head) == 501

    result = c.sys.initialize(5, 3)
    keys, root = result["keys"], result["root_token"]
    assert len(keys) == 5 and len(result["keys_base64"]) == 5
    assert c.sys.is_initialized() is True

    st = c.sys.read_seal_status()
    assert st["sealed"] is True and st["t"] == 3 and st["n"] == 5 and st["progress"] == 0
    assert c.sys.is_sealed() is True

    st = c.sys.submit_unseal_key(keys[0])
    assert st["sealed"] is True and st["progress"] == 1
    st = c.sys.submit_unseal_key(reset=True)
    assert st["progress"] == 0
    st = c.sys.submit_unseal_keys(keys[2:5])
    assert st["sealed"] is False
    assert c.sys.is_sealed() is False

    health = c.sys.read_health_status(method="GET")
    assert isinstance(health, dict), health
    assert health["initialized"] is True and health["sealed"] is False
    assert _status_code(c.sys.read_health_status()) == 200

    leader = c.sys.read_leader_status()
    assert isinstance(leader["ha_enabled"], bool)

    c.token = root
    ks = c.sys.get_encryption_key_status()
    assert ks["data"]["term"] == 1
    resp = c.sys.rotate_encryption_key()
    assert _status_code(resp) == 204
    assert c.sys.get_encryption_key_status()["data"]["term"] == 2
    assert c.key_status["term"] == 2  # legacy property reads ['data']

    resp = c.sys.seal()
    assert _status_code(resp) == 204
    assert c.sys.is_sealed() is True
    assert _status_code(c.sys.read_health_status(method="GET")) == 503
    assert _status_code(c.sys.read_health_status()) == 503

    st = c.sys.submit_unseal_keys(result["keys_base64"][0:3])
    assert st["sealed"] is False
    assert c.sys.get_encryption_key_status()["data"]["term"] == 2


def test_hvac_error_mapping(server):
    c = _client(server)
    result = c.sys.initialize(5, 3)
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.sys.initialize(5, 3)
    c.token = result["root_token"]
    with pytest.raises(hvac.exceptions.VaultDown) as sealed:
        c.sys.get_encryption_key_status()
    # hvac only parses errors when Content-Type is exactly application/json.
    assert sealed.value.errors == ["Vault is sealed"]
    c.sys.submit_unseal_keys(result["keys"][:3])
    c.token = "hvs.notavalidtokennotvalid00"
    with pytest.raises(hvac.exceptions.Forbidden) as denied:
        c.sys.get_encryption_key_status()
    assert isinstance(denied.value.errors, list)
    c.token = ""
    with pytest.raises(hvac.exceptions.Forbidden):
        c.sys.rotate_encryption_key()


def test_hvac_generate_root(unsealed):
    c = _client(unsealed)
    progress = c.sys.read_root_generation_progress()
    assert progress["started"] is False and progress["required"] == 3

    start = c.sys.start_root_token_generation()
    assert start["started"] is True
    otp, nonce = start["otp"], start["nonce"]
    assert len(otp) == ROOT_TOKEN_LEN

    c.sys.cancel_root_generation()
    assert c.sys.read_root_generation_progress()["started"] is False

    start = c.sys.start_root_token_generation()
    otp, nonce = start["otp"], start["nonce"]
    resp = None
    for key in unsealed.keys[:3]:
        resp = c.sys.generate_root(key=key, nonce=nonce)
    assert resp["complete"] is True
    token = decode_otp_token(resp["encoded_token"], otp)
    assert token.startswith("hvs.")

    root_client = _client(unsealed, token=token)
    assert root_client.sys.get_encryption_key_status()["data"]["term"] == 1


def test_hvac_dev_mode(make_server):
    srv = make_server(dev=True, dev_root_token_id="root")
    assert srv.root_token == "root"
    assert base64.b64decode(srv.dev_unseal_key, validate=True)
    c = _client(srv, token="root")
    assert c.sys.is_initialized() is True
    assert c.sys.is_sealed() is False
    st = c.sys.read_seal_status()
    assert st["t"] == 1 and st["n"] == 1
    assert c.sys.get_encryption_key_status()["data"]["term"] == 1
    # The printed unseal key really unseals it.
    assert _status_code(c.sys.seal()) == 204
    assert c.sys.is_sealed() is True
    st = c.sys.submit_unseal_key(srv.dev_unseal_key)
    assert st["sealed"] is False
    assert c.sys.get_encryption_key_status()["data"]["term"] == 1


def test_hvac_dev_mode_generated_root_token(make_server):
    srv = make_server(dev=True)
    assert srv.root_token.startswith("hvs."), "dev root token should be a generated hvs. token"
    c = _client(srv, token=srv.root_token)
    assert c.sys.get_encryption_key_status()["data"]["term"] == 1
    c.token = "root"
    with pytest.raises(hvac.exceptions.Forbidden):
        c.sys.get_encryption_key_status()
