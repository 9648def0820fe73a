"""Response wrapping over HTTP against a real dev server: X-Vault-Wrap-TTL on
reads, writes, logins and token creation; sys/wrapping/unwrap (once),
lookup, rewrap and wrap; expiry; what a wrapping token may not do;
policy-forced wrapping; hvac's unwrap; the CLI's unwrap and -wrap-ttl."""

import datetime
import json
import shutil
import tempfile

import hvac
import pytest
import requests

from coffer_harness import DEV_ROOT_TOKEN, assert_error, wait_until
from test_cli import run_cli, table

INVALID = "wrapping token is not valid or does not exist"


def wrapped(api, method, path, ttl, body=None, token=None):
    """A request with X-Vault-Wrap-TTL; returns the checked wrap_info."""
    kw = {"headers": {"X-Vault-Wrap-TTL": ttl}}
    if token is not None:
        kw["token"] = token
    if body is not None:
        kw["json"] = body
    r = api.server.request(method, "/v1/" + path, **api._tok(kw))
    assert r.status_code == 200, (r.status_code, r.text)
    b = r.json()
    assert b["data"] is None and b["auth"] is None and b["lease_id"] == "", b
    w = b["wrap_info"]
    assert w["token"].startswith("hvs.") and len(w["token"]) == 28, w
    assert w["accessor"], w
    datetime.datetime.strptime(w["creation_time"], "%Y-%m-%dT%H:%M:%SZ")
    return w, r.text


def unwrap_as(api, wrapping_token):
    return api.server.request("PUT", "/v1/sys/wrapping/unwrap", token=wrapping_token)


def test_wrapped_read_unwraps_exactly_once(dev_api):
    dev_api.ok(dev_api.put("secret/data/wrap/once", {"data": {"password": "hunter2-once"}}))
    w, text = wrapped(dev_api, "GET", "secret/data/wrap/once", "5m")
    assert "hunter2-once" not in text
    assert w["ttl"] == 300
    assert w["creation_path"] == "secret/data/wrap/once"

    first = unwrap_as(dev_api, w["token"])
    assert first.status_code == 200, first.text
    assert first.json()["data"]["data"] == {"password": "hunter2-once"}
    assert first.json()["wrap_info"] is None

    assert_error(unwrap_as(dev_api, w["token"]), 400, INVALID)
    # ...and by a third party too.
    assert_error(dev_api.post("sys/wrapping/unwrap", {"token": w["token"]}), 400, INVALID)


def test_third_party_unwrap_and_lookup_do_not_mix_up_tokens(dev_api):
    w, _ = wrapped(dev_api, "POST", "sys/wrapping/wrap", "90s", body={"k": "v3"})
    assert w["creation_path"] == "sys/wrapping/wrap"
    for _ in range(2):  # lookup never uses the token up, and needs no token of its own
        r = dev_api.post("sys/wrapping/lookup", {"token": w["token"]}, token=None)
        body = dev_api.ok(r, 200)
        assert body["data"]["creation_path"] == "sys/wrapping/wrap"
        assert body["data"]["creation_ttl"] == 90
        assert body["data"]["creation_time"] == w["creation_time"]
    r = dev_api.post("sys/wrapping/unwrap", {"token": w["token"]})
    assert dev_api.ok(r, 200)["data"] == {"k": "v3"}
    assert_error(dev_api.post("sys/wrapping/lookup", {"token": w["token"]}), 400, INVALID)


def test_rewrap_issues_a_new_token_and_kills_the_old(dev_api):
    w, _ = wrapped(dev_api, "POST", "sys/wrapping/wrap", "10m", body={"rotate": "me"})
    r = dev_api.post("sys/wrapping/rewrap", {"token": w["token"]})
    body = dev_api.ok(r, 200)
    nw = body["wrap_info"]
    assert nw["token"] != w["token"] and nw["ttl"] == 600
    assert nw["creation_path"] == "sys/wrapping/wrap"
    assert_error(unwrap_as(dev_api, w["token"]), 400, INVALID)
    r = unwrap_as(dev_api, nw["token"])
    assert dev_api.ok(r, 200)["data"] == {"rotate": "me"}


def test_wrap_endpoint_needs_a_wrap_ttl_and_bad_headers_are_400(dev_api):
    assert_error(dev_api.post("sys/wrapping/wrap", {"a": "b"}), 400,
                 "endpoint requires response wrapping to be used")
    r = dev_api.get("secret/data/wrap/once", headers={"X-Vault-Wrap-TTL": "soon"})
    assert_error(r, 400, "error parsing X-Vault-Wrap-TTL header")
    r = dev_api.get("secret/data/wrap/once", headers={"X-Vault-Wrap-TTL": "-5s"})
    assert_error(r, 400, "error parsing X-Vault-Wrap-TTL header")


def test_wrapped_login_and_token_create(dev_api):
    dev_api.enable_auth("wrapup", "userpass")
    dev_api.ok(dev_api.post("auth/wrapup/users/alice", {"password": "pw-alice", "policies": "default"}))
    w, text = wrapped(dev_api, "POST", "auth/wrapup/login/alice", "2m",
                      body={"password": "pw-alice"}, token="")
    assert w["wrapped_accessor"], w
    assert w["creation_path"] == "auth/wrapup/login/alice"
    r = unwrap_as(dev_api, w["token"])
    auth = dev_api.ok(r, 200)["auth"]
    assert auth["accessor"] == w["wrapped_accessor"]
    assert auth["client_token"] not in text
    look = dev_api.get("auth/token/lookup-self", token=auth["client_token"])
    assert dev_api.ok(look, 200)["data"]["display_name"] == "wrapup-alice"

    w, _ = wrapped(dev_api, "POST", "auth/token/create", "1m", body={"policies": ["default"]})
    r = dev_api.post("sys/wrapping/unwrap", {"token": w["token"]})
    created = dev_api.ok(r, 200)["auth"]
    assert created["accessor"] == w["wrapped_accessor"]
    dev_api.ok(dev_api.get("auth/token/lookup-self", token=created["client_token"]), 200)


def test_wrapping_token_cannot_read_secrets(dev_api):
    dev_api.ok(dev_api.put("secret/data/wrap/private", {"data": {"v": "private-value"}}))
    w, _ = wrapped(dev_api, "POST", "sys/wrapping/wrap", "5m", body={"x": "y"})
    r = dev_api.get("secret/data/wrap/private", token=w["token"])
    assert_error(r, 403)
    assert "private-value" not in r.text
    w2, _ = wrapped(dev_api, "POST", "sys/wrapping/wrap", "5m", body={"x": "y"})
    assert_error(dev_api.post("auth/token/create", {}, token=w2["token"]), 403)
    assert_error(dev_api.get("sys/mounts", token=w2["token"]), 403)


def test_wrapping_token_outlives_its_creator(dev_api):
    child = dev_api.create_token(policies=["default"])
    w, _ = wrapped(dev_api, "POST", "sys/wrapping/wrap", "5m", body={"from": "child"},
                   token=child["client_token"])
    dev_api.ok(dev_api.post("auth/token/revoke-self", {}, token=child["client_token"]), 204)
    r = unwrap_as(dev_api, w["token"])
    assert dev_api.ok(r, 200)["data"] == {"from": "child"}


def test_expired_wrapping_token_is_refused(dev_api):
    w, _ = wrapped(dev_api, "POST", "sys/wrapping/wrap", "1s", body={"short": "lived"})
    gone = wait_until(
        lambda: dev_api.post("sys/wrapping/lookup", {"token": w["token"]}).status_code == 400,
        timeout=10)
    assert gone
    assert_error(unwrap_as(dev_api, w["token"]), 400, INVALID)


def test_policy_forces_wrapping_within_bounds(dev_api):
    dev_api.ok(dev_api.put("secret/data/wrap/forced", {"data": {"f": "1"}}))
    dev_api.write_policy("wrap-forced", """
path "secret/data/wrap/forced" {
  capabilities = ["read"]
  min_wrapping_ttl = "30s"
  max_wrapping_ttl = "10m"
}""")
    t = dev_api.create_token(policies=["wrap-forced"])["client_token"]
    assert_error(dev_api.get("secret/data/wrap/forced", token=t), 403)
    assert_error(dev_api.get("secret/data/wrap/forced", token=t,
                             headers={"X-Vault-Wrap-TTL": "10s"}), 403)
    assert_error(dev_api.get("secret/data/wrap/forced", token=t,
                             headers={"X-Vault-Wrap-TTL": "1h"}), 403)
    w, _ = wrapped(dev_api, "GET", "secret/data/wrap/forced", "5m", token=t)
    r = unwrap_as(dev_api, w["token"])
    assert dev_api.ok(r, 200)["data"]["data"] == {"f": "1"}


def test_hvac_unwrap(dev_api):
    dev_api.ok(dev_api.put("secret/data/wrap/hvac", {"data": {"lib": "hvac"}}))
    session = requests.Session()
    session.trust_env = False
    client = hvac.Client(url=dev_api.server.addr, token=DEV_ROOT_TOKEN, session=session,
                         timeout=10)
    resp = client.read("secret/data/wrap/hvac", wrap_ttl="60s")
    token = resp["wrap_info"]["token"]
    out = client.sys.unwrap(token)
    assert out["data"]["data"] == {"lib": "hvac"}
    with pytest.raises(hvac.exceptions.InvalidRequest):
        client.sys.unwrap(token)


@pytest.fixture
def home():
    d = tempfile.mkdtemp(prefix="coffer-wrap-home-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_cli_wrap_ttl_and_unwrap(dev_api, home):
    addr = dev_api.server.addr
    dev_api.ok(dev_api.put("secret/data/wrap/cli", {"data": {"pin": "4242"}}))
    out = run_cli(["read", "-wrap-ttl=2m", "secret/data/wrap/cli"], home, addr, DEV_ROOT_TOKEN)
    assert out.returncode == 0, out.stderr
    rows = table(out.stdout)
    assert rows["wrapping_token_ttl:"] == "2m"
    assert rows["wrapping_token_creation_path:"] == "secret/data/wrap/cli"
    assert rows["wrapping_accessor:"]
    assert "4242" not in out.stdout
    token = rows["wrapping_token:"]

    # With TOKEN as argument, the logged-in token makes the call.
    out = run_cli(["unwrap", "-format=json", token], home, addr, DEV_ROOT_TOKEN)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["data"]["data"] == {"pin": "4242"}
    out = run_cli(["unwrap", token], home, addr, DEV_ROOT_TOKEN)
    assert out.returncode == 2 and INVALID in out.stderr

    # Without an argument, VAULT_TOKEN is the wrapping token.
    out = run_cli(["write", "-wrap-ttl=1m", "-field=wrapping_token", "sys/wrapping/wrap",
                   "color=teal"], home, addr, DEV_ROOT_TOKEN)
    assert out.returncode == 0, out.stderr
    out = run_cli(["unwrap", "-field=color"], home, addr, out.stdout.strip())
    assert out.returncode == 0, out.stderr
    assert out.stdout == "teal"

    # kv get / kv put show the wrapping token instead of their own tables.
    out = run_cli(["kv", "get", "-wrap-ttl=1m", "secret/wrap/cli"], home, addr, DEV_ROOT_TOKEN)
    assert out.returncode == 0, out.stderr
    rows = table(out.stdout)
    assert rows["wrapping_token_creation_path:"] == "secret/data/wrap/cli" and "4242" not in out.stdout
    out = run_cli(["unwrap", "-format=json", rows["wrapping_token:"]], home, addr, DEV_ROOT_TOKEN)
    assert json.loads(out.stdout)["data"]["data"] == {"pin": "4242"}
    out = run_cli(["kv", "put", "-wrap-ttl=1m", "secret/wrap/cli2", "a=b"], home, addr,
                  DEV_ROOT_TOKEN)
    assert out.returncode == 0, out.stderr
    assert table(out.stdout)["wrapping_token_creation_path:"] == "secret/data/wrap/cli2"

    # token create -wrap-ttl: the token itself only comes out of the unwrap.
    out = run_cli(["token", "create", "-wrap-ttl=1m", "-policy=default"], home, addr,
                  DEV_ROOT_TOKEN)
    assert out.returncode == 0, out.stderr
    rows = table(out.stdout)
    assert rows["wrapped_accessor:"] and "token" not in rows
    out = run_cli(["unwrap", "-field=token_accessor", rows["wrapping_token:"]], home, addr,
                  DEV_ROOT_TOKEN)
    assert out.returncode == 0, out.stderr
    assert out.stdout == rows["wrapped_accessor:"]
