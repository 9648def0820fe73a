"""Audit devices against real servers: the file device logs one request and
one response line per request with every secret HMAC'd (a known secret, a
password, logins and tokens never appear in clear), files are 0600,
sys/audit-hash matches the file, devices and salts survive a restart, the
fail-closed rule (only when every device fails), and the CLI's audit
enable/list/disable."""

import json
import os
import shutil
import stat
import tempfile
from collections import defaultdict

import pytest

from coffer_harness import assert_error
from test_cli import run_cli

SECRET = "s3cr3t-audit-value-7731"
PASSWORD = "pw-audit-zyx-4411"


def req(srv, method, path, token=None, body=None, headers=None):
    return srv.request(method, "/v1/" + path,
                       token=srv.root_token if token is None else token, json=body,
                       headers=headers)


def ok(resp, *codes):
    assert resp.status_code in (codes or (200, 204)), (resp.status_code, resp.text)
    return resp.json() if resp.status_code == 200 else None


def enable_file(srv, path, file_path, **options):
    opts = {"file_path": file_path}
    opts.update(options)
    return req(srv, "PUT", "sys/audit/" + path, body={"type": "file", "options": opts})


def lines_of(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def audit_hash(srv, device, value):
    body = ok(req(srv, "PUT", "sys/audit-hash/" + device, body={"input": value}), 200)
    assert body["data"]["hash"].startswith("hmac-sha256:"), body
    return body["data"]["hash"]


@pytest.fixture
def rocks(make_server):
    srv = make_server()
    srv.init_and_unseal(1, 1)
    return srv


def test_file_device_hashes_every_secret(rocks):
    log = os.path.join(rocks.tmp, "audit.log")
    ok(enable_file(rocks, "file", log), 204)
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600

    ok(req(rocks, "POST", "sys/mounts/secret", body={"type": "kv", "options": {"version": "2"}}))
    ok(req(rocks, "PUT", "secret/data/app", body={"data": {"api_key": SECRET}}))
    assert ok(req(rocks, "GET", "secret/data/app"), 200)["data"]["data"]["api_key"] == SECRET
    ok(req(rocks, "POST", "sys/auth/userpass", body={"type": "userpass"}))
    ok(req(rocks, "POST", "auth/userpass/users/bob", body={"password": PASSWORD}))
    login = ok(req(rocks, "POST", "auth/userpass/login/bob", token="",
                   body={"password": PASSWORD}), 200)["auth"]
    created = ok(req(rocks, "POST", "auth/token/create", body={}), 200)["auth"]
    ok(req(rocks, "GET", "auth/token/lookup-self", token=login["client_token"]), 200)
    assert_error(req(rocks, "GET", "sys/mounts", token="hvs.not-a-real-token-xyz"), 403)

    text = open(log).read()
    for plain in (SECRET, PASSWORD, rocks.root_token, login["client_token"],
                  created["client_token"], login["accessor"], created["accessor"],
                  "hvs.not-a-real-token-xyz"):
        assert plain not in text, plain

    entries = lines_of(log)
    by_id = defaultdict(lambda: {"request": 0, "response": 0})
    # The enabling request was answered after the device existed: only its
    # response is in the file.
    assert entries[0]["type"] == "response" and entries[0]["request"]["path"] == "sys/audit/file"
    for e in entries[1:]:
        assert e["type"] in ("request", "response"), e
        by_id[e["request"]["id"]][e["type"]] += 1
    for rid, counts in by_id.items():
        # The denied request has a request entry with its error and no response.
        assert counts["request"] == 1 and counts["response"] in (0, 1), (rid, counts)
    answered = [c for c in by_id.values() if c["response"] == 1]
    assert len(answered) >= 8
    denied = [e for e in entries if e.get("error") == "permission denied"]
    assert len(denied) == 1 and denied[0]["type"] == "request"

    # sys/audit-hash gives exactly what the file holds.
    secret_hash = audit_hash(rocks, "file", SECRET)
    reads = [e for e in entries if e["type"] == "response"
             and e["request"]["path"] == "secret/data/app" and e["request"]["operation"] == "read"]
    assert reads and reads[0]["response"]["data"]["data"]["api_key"] == secret_hash
    pw_hash = audit_hash(rocks, "file", PASSWORD)
    logins = [e for e in entries if e["request"]["path"] == "auth/userpass/login/bob"]
    assert [e["type"] for e in logins] == ["request", "response"]
    assert logins[0]["request"]["data"]["password"] == pw_hash
    assert logins[1]["response"]["auth"]["client_token"] == audit_hash(
        rocks, "file", login["client_token"])
    assert logins[1]["auth"]["client_token"] == ""  # the login itself carried no token


def test_device_options_list_and_errors(rocks):
    raw = os.path.join(rocks.tmp, "raw.log")
    ok(enable_file(rocks, "raw", raw, log_raw="true", hmac_accessor="false",
                   prefix="AUDIT: ", mode="0640"), 204)
    ok(req(rocks, "PUT", "cubbyhole/raw-test", body={"v": "visible-when-raw"}), 204)
    text = open(raw).read()
    assert "visible-when-raw" in text  # log_raw is what it says
    assert all(line.startswith("AUDIT: ") for line in text.splitlines())
    assert stat.S_IMODE(os.stat(raw).st_mode) == 0o640
    ok(req(rocks, "PUT", "sys/audit/nowhere", body={"type": "file",
                                                     "options": {"file_path": "discard"}}), 204)

    listed = ok(req(rocks, "GET", "sys/audit"), 200)
    assert set(listed["data"]) == {"raw/", "nowhere/"}
    assert listed["data"]["raw/"]["options"]["log_raw"] == "true"
    assert "salt" not in json.dumps(listed)
    assert listed["raw/"]["type"] == "file"  # also at the top level, as Vault

    assert_error(enable_file(rocks, "raw", raw), 400, "path already in use")
    assert_error(enable_file(rocks, "x", os.path.join(rocks.tmp, "x.log"), format="jsonx"),
                 400, "jsonx")
    assert_error(enable_file(rocks, "gone", os.path.join(rocks.tmp, "no-dir", "a.log")), 400)
    assert_error(req(rocks, "PUT", "sys/audit/y", body={"type": "file"}), 400,
                 "file_path is required")
    assert_error(req(rocks, "PUT", "sys/audit-hash/unknown", body={"input": "x"}), 400)
    user = ok(req(rocks, "POST", "auth/token/create", body={"policies": ["default"]}), 200)
    assert_error(req(rocks, "GET", "sys/audit", token=user["auth"]["client_token"]), 403)

    ok(req(rocks, "DELETE", "sys/audit/raw"), 204)
    ok(req(rocks, "DELETE", "sys/audit/never-was"), 204)
    assert set(ok(req(rocks, "GET", "sys/audit"), 200)["data"]) == {"nowhere/"}


def test_devices_and_salts_survive_restart(rocks):
    log = os.path.join(rocks.tmp, "audit.log")
    ok(enable_file(rocks, "file", log), 204)
    local_log = os.path.join(rocks.tmp, "local.log")
    ok(req(rocks, "PUT", "sys/audit/loc", body={"type": "file", "local": True,
                                                 "options": {"file_path": local_log}}), 204)
    before = audit_hash(rocks, "file", SECRET)
    local_before = audit_hash(rocks, "loc", SECRET)
    assert before != local_before  # one salt per device

    rocks.restart()
    rocks.unseal(rocks.keys)
    assert audit_hash(rocks, "file", SECRET) == before
    assert audit_hash(rocks, "loc", SECRET) == local_before
    listed = ok(req(rocks, "GET", "sys/audit"), 200)["data"]
    assert listed["loc/"]["local"] is True and listed["file/"]["local"] is False

    size = os.path.getsize(log)
    ok(req(rocks, "PUT", "cubbyhole/after-restart", body={"v": SECRET}), 204)
    assert os.path.getsize(log) > size
    assert SECRET not in open(log).read()

    # Seal and unseal in place: still the same salt.
    ok(req(rocks, "PUT", "sys/seal"), 204)
    rocks.unseal(rocks.keys)
    assert audit_hash(rocks, "file", SECRET) == before


def test_fails_closed_only_when_every_device_fails(rocks):
    good = os.path.join(rocks.tmp, "good.log")
    ok(enable_file(rocks, "good", good), 204)
    # Writes to /dev/full always fail (ENOSPC); mode 0000 leaves the node alone.
    ok(enable_file(rocks, "full", "/dev/full", mode="0000"), 204)
    ok(req(rocks, "PUT", "cubbyhole/one", body={"v": "1"}), 204)
    assert ok(req(rocks, "GET", "cubbyhole/one"), 200)["data"] == {"v": "1"}

    # With the good device gone, nothing can record a request any more.
    req(rocks, "DELETE", "sys/audit/good")
    assert_error(req(rocks, "PUT", "cubbyhole/two", body={"v": "2"}), 500, "internal error")
    assert_error(req(rocks, "GET", "cubbyhole/one"), 500, "internal error")
    assert "failed to audit request" in rocks.stderr()


@pytest.fixture
def home():
    d = tempfile.mkdtemp(prefix="coffer-audit-home-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_cli_audit_enable_list_disable(rocks, home):
    addr, tok = rocks.addr, rocks.root_token
    out = run_cli(["audit", "list"], home, addr, tok)
    assert out.returncode == 2 and "No audit devices are enabled." in out.stdout

    log = os.path.join(rocks.tmp, "cli.log")
    out = run_cli(["audit", "enable", "file", "file_path=" + log], home, addr, tok)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Success! Enabled the file audit device at: file/"
    out = run_cli(["audit", "enable", "-path=team", "-description=team log", "-local", "file",
                   "file_path=discard"], home, addr, tok)
    assert out.returncode == 0, out.stderr
    assert "audit device at: team/" in out.stdout

    out = run_cli(["audit", "list"], home, addr, tok)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["Path", "Type", "Description"]
    assert lines[2].split() == ["file/", "file", "n/a"]
    assert lines[3].split()[:3] == ["team/", "file", "team"]
    out = run_cli(["audit", "list", "-detailed"], home, addr, tok)
    assert out.returncode == 0, out.stderr
    assert "Replication" in out.stdout and "local" in out.stdout
    assert "map[file_path:" + log + "]" in out.stdout

    out = run_cli(["audit", "disable", "team"], home, addr, tok)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Success! Disabled audit device (if it was enabled) at: team/"
    out = run_cli(["audit", "list", "-format=json"], home, addr, tok)
    assert list(json.loads(out.stdout)) == ["file/"]

    # The CLI's own requests were audited, without the token in clear.
    text = open(log).read()
    assert '"path":"sys/audit/team"' in text and tok not in text

    out = run_cli(["audit", "enable", "file", "file_path=" + log], home, addr, tok)
    assert out.returncode == 2 and "path already in use" in out.stderr


def test_hvac_audit_methods(rocks):
    import hvac
    import requests
    session = requests.Session()
    session.trust_env = False
    client = hvac.Client(url=rocks.addr, token=rocks.root_token, session=session, timeout=10)
    log = os.path.join(rocks.tmp, "hvac.log")
    client.sys.enable_audit_device("file", description="via hvac", path="hv",
                                   options={"file_path": log})
    listed = client.sys.list_enabled_audit_devices()
    assert listed["data"]["hv/"]["description"] == "via hvac"
    hashed = client.sys.calculate_hash("hv", SECRET)
    assert hashed["data"]["hash"] == audit_hash(rocks, "hv", SECRET)
    client.sys.disable_audit_device("hv")
    assert "hv/" not in client.sys.list_enabled_audit_devices()["data"]
