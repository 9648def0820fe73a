"""The `coffer` client commands driven as a user would: the binary ($COFFER_BIN)
against a real in-memory server on port 0. Covers init, status exit codes,
unseal (argument and stdin), key-status, rotate, seal, the generate-root flow
ending in a working token, address/token precedence, and errors."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

from coffer_harness import ROOT_TOKEN_LEN, coffer_bin

CLI_TIMEOUT_S = 30


@pytest.fixture
def home():
    """An empty HOME so no ~/.vault-token of the user leaks in."""
    d = tempfile.mkdtemp(prefix="coffer-cli-home-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def run_cli(args, home, addr=None, token=None, stdin=None, extra_env=None):
    """Runs `coffer <args>` with a clean environment; returns CompletedProcess."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("VAULT_", "COFFER_")) and not k.upper().endswith("_PROXY")}
    env["HOME"] = home
    if addr is not None:
        env["VAULT_ADDR"] = addr
    if token is not None:
        env["VAULT_TOKEN"] = token
    env.update(extra_env or {})
    return subprocess.run([coffer_bin()] + list(args), input=stdin, capture_output=True,
                          text=True, env=env, timeout=CLI_TIMEOUT_S)


def table(stdout):
    """Key/value rows of a CLI table ("Key    Value" lines) as a dict."""
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\S.*?)\s{2,}(\S.*)$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def closed_port():
    """A local port with nothing listening (bound, then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli_init(srv, home, shares=5, threshold=3):
    r = run_cli(["operator", "init", "-format=json", "-key-shares=%d" % shares,
                 "-key-threshold=%d" % threshold], home, srv.addr)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def cli_unseal(srv, home, keys):
    for k in keys:
        r = run_cli(["operator", "unseal", k], home, srv.addr)
        assert r.returncode == 0, r.stderr


def test_operator_lifecycle(make_server, home):
    srv = make_server(storage="inmem")
    addr = srv.addr

    r = run_cli(["operator", "init", "-status"], home, addr)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "not initialized" in r.stdout

    init = cli_init(srv, home)
    assert len(init["unseal_keys_b64"]) == 5 and len(init["unseal_keys_hex"]) == 5
    assert init["unseal_shares"] == 5 and init["unseal_threshold"] == 3
    assert init["recovery_keys_b64"] == [] and init["recovery_keys_shares"] == 0
    root = init["root_token"]
    assert len(root) == ROOT_TOKEN_LEN

    r = run_cli(["operator", "init", "-status"], home, addr)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "Vault is initialized"

    r = run_cli(["status"], home, addr)
    assert r.returncode == 2, r.stderr
    rows = table(r.stdout)
    assert rows["Sealed"] == "true" and rows["Initialized"] == "true"
    assert rows["Unseal Progress"] == "0/3"
    assert rows["Total Shares"] == "5" and rows["Threshold"] == "3"

    # First share as base64 argument, second as hex, third through stdin.
    r = run_cli(["operator", "unseal", init["unseal_keys_b64"][0]], home, addr)
    assert r.returncode == 0, r.stderr
    assert table(r.stdout)["Unseal Progress"] == "1/3"
    r = run_cli(["operator", "unseal", init["unseal_keys_hex"][1]], home, addr)
    assert r.returncode == 0, r.stderr
    assert table(r.stdout)["Unseal Progress"] == "2/3"
    r = run_cli(["operator", "unseal"], home, addr, stdin=init["unseal_keys_b64"][2] + "\n")
    assert r.returncode == 0, r.stderr
    assert table(r.stdout)["Sealed"] == "false"
    assert init["unseal_keys_b64"][2] not in r.stdout + r.stderr

    r = run_cli(["status"], home, addr)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert rows["Sealed"] == "false"
    assert rows["Storage Type"] == "inmem"
    assert rows["Cluster ID"] and rows["Cluster Name"]
    assert rows["HA Enabled"] == "false"
    assert r.stdout.startswith("Key ")

    r = run_cli(["status", "-format=json"], home, addr)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["sealed"] is False and st["ha_enabled"] is False

    r = run_cli(["operator", "key-status"], home, addr, token=root)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert rows["Key Term"] == "1"
    assert rows["Install Time"]

    r = run_cli(["operator", "rotate"], home, addr, token=root)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Success! Rotated key\n\n")
    assert table(r.stdout)["Key Term"] == "2"

    r = run_cli(["operator", "key-status", "-format=json"], home, addr, token=root)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["term"] == 2

    # Without a token: a remote error in the vault CLI's format, exit 2.
    r = run_cli(["operator", "seal"], home, addr)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("Error sealing: Error making API request.\n\nURL: PUT %s/v1/sys/seal\n"
                               "Code: 403. Errors:\n\n* " % addr), r.stderr

    r = run_cli(["operator", "seal"], home, addr, token=root)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Success! Vault is sealed.\n"

    r = run_cli(["status"], home, addr)
    assert r.returncode == 2
    assert table(r.stdout)["Sealed"] == "true"

    # Sealed: a token command fails remotely with the server's message.
    r = run_cli(["operator", "key-status"], home, addr, token=root)
    assert r.returncode == 2
    assert "Code: 503" in r.stderr and "* Vault is sealed" in r.stderr


def test_unseal_reset_discards_progress(make_server, home):
    srv = make_server(storage="inmem")
    init = cli_init(srv, home)
    cli_unseal(srv, home, init["unseal_keys_b64"][:1])
    r = run_cli(["operator", "unseal", "-reset"], home, srv.addr)
    assert r.returncode == 0, r.stderr
    assert table(r.stdout)["Unseal Progress"] == "0/3"


def test_generate_root_flow(make_server, home):
    srv = make_server(storage="inmem")
    init = cli_init(srv, home)
    cli_unseal(srv, home, init["unseal_keys_b64"][:3])
    addr = srv.addr

    r = run_cli(["operator", "generate-root", "-status"], home, addr)
    assert r.returncode == 0, r.stderr
    assert table(r.stdout)["Started"] == "false"

    r = run_cli(["operator", "generate-root", "-init"], home, addr)
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    nonce, otp = rows["Nonce"], rows["OTP"]
    assert rows["Started"] == "true" and rows["Progress"] == "0/3"
    assert len(otp) == ROOT_TOKEN_LEN and rows["OTP Length"] == str(ROOT_TOKEN_LEN)

    # Two shares as arguments (different ones than unsealed with), the last on stdin
    # with the nonce looked up by the CLI.
    for i, key in enumerate(init["unseal_keys_b64"][2:4], start=1):
        r = run_cli(["operator", "generate-root", "-nonce=" + nonce, key], home, addr)
        assert r.returncode == 0, r.stderr
        rows = table(r.stdout)
        assert rows["Progress"] == "%d/3" % i and rows["Complete"] == "false"
    r = run_cli(["operator", "generate-root"], home, addr,
                stdin=init["unseal_keys_hex"][4] + "\n")
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert rows["Complete"] == "true"
    encoded = rows["Encoded Token"]

    r = run_cli(["operator", "generate-root", "-decode=" + encoded, "-otp=" + otp], home, None)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()
    assert len(token) == ROOT_TOKEN_LEN and token != init["root_token"]

    r = run_cli(["operator", "key-status"], home, addr, token=token)
    assert r.returncode == 0, r.stderr
    assert table(r.stdout)["Key Term"] == "1"

    # A wrong OTP does not yield a working token.
    other = run_cli(["operator", "generate-root", "-generate-otp"], home, None).stdout.strip()
    assert len(other) == ROOT_TOKEN_LEN
    r = run_cli(["operator", "generate-root", "-decode=" + encoded, "-otp=" + other], home, None)
    assert r.returncode == 0
    assert r.stdout.strip() != token


def test_generate_root_cancel(make_server, home):
    srv = make_server(storage="inmem")
    init = cli_init(srv, home, shares=1, threshold=1)
    cli_unseal(srv, home, init["unseal_keys_b64"])
    r = run_cli(["operator", "generate-root", "-init", "-format=json"], home, srv.addr)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["started"] is True
    r = run_cli(["operator", "generate-root", "-cancel"], home, srv.addr)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Success! Root token generation canceled (if it was started)\n"
    r = run_cli(["operator", "generate-root", "-status", "-format=json"], home, srv.addr)
    assert json.loads(r.stdout)["started"] is False


def test_address_and_token_precedence(make_server, home):
    srv = make_server(storage="inmem")
    init = cli_init(srv, home, shares=1, threshold=1)
    cli_unseal(srv, home, init["unseal_keys_b64"])
    dead = "http://127.0.0.1:%d" % closed_port()

    # COFFER_ADDR beats VAULT_ADDR; -address beats both.
    r = run_cli(["status"], home, dead, extra_env={"COFFER_ADDR": srv.addr})
    assert r.returncode == 0, r.stderr
    r = run_cli(["status", "-address=" + srv.addr], home, dead, extra_env={"COFFER_ADDR": dead})
    assert r.returncode == 0, r.stderr
    r = run_cli(["status"], home, srv.addr, extra_env={"COFFER_ADDR": dead})
    assert r.returncode == 1

    # The token file is used when no token variable is set.
    with open(os.path.join(home, ".vault-token"), "w") as f:
        f.write(init["root_token"] + "\n")
    r = run_cli(["operator", "key-status"], home, srv.addr)
    assert r.returncode == 0, r.stderr
    r = run_cli(["operator", "key-status"], home, srv.addr, token="hvs.notarealtoken0000000000")
    assert r.returncode == 2
    assert "Code: 403" in r.stderr


def test_status_against_closed_port_exits_1(home):
    addr = "http://127.0.0.1:%d" % closed_port()
    r = run_cli(["status"], home, addr)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr.startswith("Error checking seal status: GET %s/v1/sys/seal-status: " % addr)
    assert r.stdout == ""


def test_local_errors_exit_1(home):
    r = run_cli(["status", "-no-such-flag"], home, "http://127.0.0.1:1")
    assert r.returncode == 1
    assert "flag provided but not defined: -no-such-flag" in r.stderr
    assert "Usage: coffer status" in r.stderr
    r = run_cli(["operator", "init", "-key-shares=five"], home, "http://127.0.0.1:1")
    assert r.returncode == 1
    r = run_cli(["status"], home, "127.0.0.1:8200")
    assert r.returncode == 1
    assert "invalid address" in r.stderr


def test_help_and_version(home):
    r = run_cli(["-h"], home)
    assert r.returncode == 0
    for cmd in ("status", "operator init", "operator unseal", "operator generate-root", "server"):
        assert cmd in r.stdout
    r = run_cli(["help"], home)
    assert r.returncode == 0 and "operator rotate" in r.stdout
    r = run_cli([], home)
    assert r.returncode != 0 and "Usage: coffer" in r.stderr
    r = run_cli(["version"], home)
    assert r.returncode == 0 and r.stdout.startswith("Coffer v")
    r = run_cli(["operator", "seal", "-h"], home)
    assert r.returncode == 0 and "-address" in r.stdout


def test_tls_ca_cert_and_skip_verify(make_server, tls_cert, home):
    srv = make_server(storage="inmem", tls=tls_cert)
    assert srv.addr.startswith("https://")
    # Unknown CA: the request fails before reaching the server.
    r = run_cli(["status"], home, srv.addr)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stderr.startswith("Error checking seal status: GET %s/v1/sys/seal-status: " % srv.addr)
    # Trusted through the flag, the environment, or not verified at all.
    r = run_cli(["status", "-ca-cert=" + tls_cert[0]], home, srv.addr)
    assert r.returncode == 2, r.stderr  # reachable, uninitialised and sealed
    r = run_cli(["status"], home, srv.addr, extra_env={"VAULT_CACERT": tls_cert[0]})
    assert r.returncode == 2, r.stderr
    r = run_cli(["status"], home, srv.addr, extra_env={"VAULT_SKIP_VERIFY": "true"})
    assert r.returncode == 2, r.stderr
    r = run_cli(["status", "-tls-skip-verify=false"], home, srv.addr,
                extra_env={"VAULT_SKIP_VERIFY": "true"})
    assert r.returncode == 1
