"""The secrets-and-access CLI commands driven as a user would: the `coffer`
binary ($COFFER_BIN) against a real dev server (`coffer server -dev
-dev-root-token-id=root`, KV v2 at secret/) on port 0.

Every test logs in with the root token first, with HOME pointed at a temp
dir, so later commands authenticate through ~/.vault-token exactly as after
`vault login`. Covers login (token, userpass), kv on v2 and v1 mounts,
read/write/list/delete/patch, token create/lookup/renew/revoke/capabilities,
policy write/read/list/delete/fmt, auth enable/list/tune/disable and secrets
enable/list/tune/move/disable."""

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time

import pytest

from coffer_harness import coffer_bin

CLI_TIMEOUT_S = 30
UPGRADE_DEADLINE_S = 15.0

DEV_POLICY = 'path "secret/data/*" {\n  capabilities = ["read", "list"]\n}\n'


@pytest.fixture
def dev(make_server):
    return make_server(dev=True, dev_root_token_id="root")


@pytest.fixture
def home():
    d = tempfile.mkdtemp(prefix="coffer-cli-secrets-home-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Cli:
    """Runs `coffer ...` against one server with one HOME; no VAULT_TOKEN
    unless a test passes token=..."""

    def __init__(self, addr, home):
        self.addr = addr
        self.home = home

    def run(self, *args, stdin=None, token=None):
        env = {k: v for k, v in os.environ.items()
               if not k.upper().startswith(("VAULT_", "COFFER_"))
               and not k.upper().endswith("_PROXY")}
        env["HOME"] = self.home
        env["VAULT_ADDR"] = self.addr
        if token is not None:
            env["VAULT_TOKEN"] = token
        return subprocess.run([coffer_bin()] + list(args), input=stdin, capture_output=True,
                              text=True, env=env, timeout=CLI_TIMEOUT_S)

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
        return r

    def fails(self, code, *args, **kw):
        r = self.run(*args, **kw)
        assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
        return r

    def token_file(self):
        with open(os.path.join(self.home, ".vault-token")) as f:
            return f.read()


def table(stdout):
    """Key/value rows of a CLI table ("key    value" lines) as a dict."""
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\S+)\s{2,}(\S.*)$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def keys_column(stdout):
    lines = stdout.splitlines()
    assert lines[:2] == ["Keys", "----"], stdout
    return lines[2:]


def columns(stdout):
    """Rows of a column table (heading, dashes, rows) as lists of cells."""
    lines = stdout.splitlines()
    assert len(lines) >= 2 and set(lines[1].replace(" ", "")) == {"-"}, stdout
    return [re.split(r"\s{2,}", line.strip()) for line in lines[2:]]


def login_root(cli):
    r = cli.ok("login", "root")
    assert r.stdout.startswith("Success! You are now authenticated."), r.stdout
    return r


def write_file(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


# ---------------------------------------------------------------------------
def test_login_stores_token_file_0600(dev, home):
    cli = Cli(dev.addr, home)
    r = login_root(cli)
    rows = table(r.stdout)
    assert rows["token"] == "root"
    assert rows["token_duration"] == "∞"
    assert rows["token_renewable"] == "false"
    assert rows["token_policies"] == '["root"]'
    assert rows["policies"] == '["root"]'
    assert cli.token_file() == "root"
    mode = stat.S_IMODE(os.stat(os.path.join(home, ".vault-token")).st_mode)
    assert mode == 0o600, oct(mode)

    # Later commands use the stored token.
    rows = table(cli.ok("token", "lookup").stdout)
    assert rows["id"] == "root"
    assert rows["policies"] == "[root]"

    assert cli.ok("login", "-token-only", "root").stdout == "root"
    r = cli.fails(2, "login", "not-a-token")
    assert "Error authenticating" in r.stderr
    assert cli.token_file() == "root"

    # The prompt path: a token on stdin (not a terminal, so no echo games).
    os.unlink(os.path.join(home, ".vault-token"))
    cli.ok("login", stdin="root\n")
    assert cli.token_file() == "root"


def test_kv_v2_lifecycle(dev, home, tmp_path):
    cli = Cli(dev.addr, home)
    login_root(cli)

    r = cli.ok("kv", "put", "secret/app", "user=alice", "pw=one")
    assert r.stdout.startswith("= Secret Path =\nsecret/data/app\n\n"), r.stdout
    assert table(r.stdout)["version"] == "1"

    r = cli.ok("kv", "get", "secret/app")
    out = r.stdout
    assert out.index("= Secret Path =") < out.index("= Metadata =") < out.index("= Data =")
    rows = table(out)
    assert rows["user"] == "alice" and rows["pw"] == "one" and rows["version"] == "1"
    assert rows["deletion_time"] == "n/a"
    assert cli.ok("kv", "get", "-field=pw", "secret/app").stdout == "one"
    assert cli.ok("kv", "get", "-mount=secret", "-field=user", "app").stdout == "alice"
    got = json.loads(cli.ok("kv", "get", "-format=json", "secret/app").stdout)
    assert got["data"]["data"] == {"user": "alice", "pw": "one"}

    # Check-and-set.
    assert table(cli.ok("kv", "put", "-cas=1", "secret/app", "user=alice",
                        "pw=two").stdout)["version"] == "2"
    r = cli.fails(2, "kv", "put", "-cas=1", "secret/app", "pw=stale")
    assert "check-and-set parameter did not match the current version" in r.stderr

    # Patch keeps the other keys.
    assert table(cli.ok("kv", "patch", "secret/app", "pw=three").stdout)["version"] == "3"
    rows = table(cli.ok("kv", "get", "secret/app").stdout)
    assert rows["user"] == "alice" and rows["pw"] == "three"
    assert table(cli.ok("kv", "get", "-version=1", "secret/app").stdout)["pw"] == "one"

    # A value from a file and one from stdin.
    f = write_file(str(tmp_path), "cert.pem", "-----BEGIN X-----\nabc\n")
    cli.ok("kv", "put", "secret/dir/file", "cert=@" + f, "note=-", stdin="from stdin")
    got = json.loads(cli.ok("kv", "get", "-format=json", "secret/dir/file").stdout)
    assert got["data"]["data"] == {"cert": "-----BEGIN X-----\nabc\n", "note": "from stdin"}

    assert keys_column(cli.ok("kv", "list", "secret/").stdout) == ["app", "dir/"]
    assert keys_column(cli.ok("kv", "list", "secret/dir").stdout) == ["file"]
    r = cli.fails(2, "kv", "list", "secret/nothing")
    assert "No value found at secret/metadata/nothing" in r.stderr

    # Soft delete, undelete, destroy.
    r = cli.ok("kv", "delete", "secret/app")
    assert r.stdout == "Success! Data deleted (if it existed) at: secret/data/app\n"
    r = cli.ok("kv", "get", "secret/app")
    assert table(r.stdout)["deletion_time"] != "n/a"
    assert "= Data =" not in r.stdout
    r = cli.ok("kv", "undelete", "-versions=3", "secret/app")
    assert r.stdout == "Success! Data written to: secret/undelete/app\n"
    assert table(cli.ok("kv", "get", "secret/app").stdout)["pw"] == "three"
    cli.ok("kv", "destroy", "-versions=3", "secret/app")
    assert table(cli.ok("kv", "get", "-version=3", "secret/app").stdout)["destroyed"] == "true"
    cli.fails(1, "kv", "undelete", "secret/app")  # -versions is required

    # Rollback to version 1 writes it as version 4.
    cli.ok("kv", "rollback", "-version=1", "secret/app")
    rows = table(cli.ok("kv", "get", "secret/app").stdout)
    assert rows["version"] == "4" and rows["pw"] == "one"

    # Metadata.
    r = cli.ok("kv", "metadata", "get", "secret/app")
    assert r.stdout.startswith("== Metadata Path ==\nsecret/metadata/app\n"), r.stdout
    assert table(r.stdout)["current_version"] == "4"
    for v in (1, 2, 3, 4):
        assert "= Version %d =" % v in r.stdout
    cli.ok("kv", "metadata", "put", "-max-versions=5", "-custom-metadata=owner=ops",
           "secret/app")
    cli.ok("kv", "metadata", "patch", "-custom-metadata=team=core", "secret/app")
    meta = json.loads(cli.ok("kv", "metadata", "get", "-format=json", "secret/app").stdout)
    assert meta["data"]["max_versions"] == 5
    assert meta["data"]["custom_metadata"] == {"owner": "ops", "team": "core"}
    r = cli.ok("kv", "metadata", "delete", "secret/app")
    assert r.stdout == "Success! Data deleted (if it existed) at: secret/metadata/app\n"
    r = cli.fails(2, "kv", "get", "secret/app")
    assert r.stderr == "No value found at secret/data/app\n"


def test_kv_v1_mount_and_upgrade(dev, home):
    cli = Cli(dev.addr, home)
    login_root(cli)
    r = cli.ok("secrets", "enable", "-path=kv1", "kv")
    assert r.stdout == "Success! Enabled the kv secrets engine at: kv1/\n"

    r = cli.ok("kv", "put", "kv1/app", "a=1")
    assert r.stdout == "Success! Data written to: kv1/app\n"
    r = cli.ok("kv", "get", "kv1/app")
    assert "Secret Path" not in r.stdout and "= Data =" in r.stdout
    assert table(r.stdout)["a"] == "1"
    assert keys_column(cli.ok("kv", "list", "kv1").stdout) == ["app"]
    r = cli.fails(2, "kv", "patch", "kv1/app", "a=2")
    assert "must be version 2" in r.stderr
    cli.fails(1, "kv", "metadata", "get", "kv1/app")
    r = cli.ok("kv", "delete", "kv1/app")
    assert r.stdout == "Success! Data deleted (if it existed) at: kv1/app\n"
    cli.fails(2, "kv", "get", "kv1/app")

    cli.ok("kv", "put", "kv1/keep", "x=1")
    r = cli.ok("kv", "enable-versioning", "kv1")
    assert r.stdout == "Success! Tuned the secrets engine at: kv1/\n"
    # The upgrade may finish asynchronously: poll until the key reads as v2.
    deadline = time.monotonic() + UPGRADE_DEADLINE_S
    while True:
        r = cli.run("kv", "get", "kv1/keep")
        if r.returncode == 0 and "secret path" in r.stdout.lower():
            break
        assert time.monotonic() < deadline, (r.returncode, r.stdout, r.stderr)
        time.sleep(0.2)
    assert "kv1/data/keep" in r.stdout
    assert table(r.stdout)["x"] == "1"


def test_read_write_list_delete_patch(dev, home):
    cli = Cli(dev.addr, home)
    login_root(cli)
    cli.ok("secrets", "enable", "-path=generic", "kv")

    r = cli.ok("write", "generic/a", "foo=bar", "n=1")
    assert r.stdout == "Success! Data written to: generic/a\n"
    r = cli.ok("read", "generic/a")
    rows = table(r.stdout)
    assert rows["refresh_interval"] == "768h"
    assert rows["foo"] == "bar" and rows["n"] == "1"
    assert cli.ok("read", "-field=foo", "generic/a").stdout == "bar"

    cli.ok("write", "generic/b", "-", stdin='{"num": 3, "flag": true}')
    got = json.loads(cli.ok("read", "-format=json", "generic/b").stdout)
    assert got["data"] == {"num": 3, "flag": True}

    assert keys_column(cli.ok("list", "generic").stdout) == ["a", "b"]
    assert json.loads(cli.ok("list", "-format=json", "generic/").stdout) == ["a", "b"]
    r = cli.fails(2, "list", "generic/none")
    assert r.stderr == "No value found at generic/none/\n"
    r = cli.fails(2, "read", "generic/none")
    assert r.stderr == "No value found at generic/none\n"
    r = cli.fails(1, "write", "generic/c")
    assert r.stderr == "Must supply data or use -force\n"

    r = cli.ok("delete", "generic/a")
    assert r.stdout == "Success! Data deleted (if it existed) at: generic/a\n"
    cli.fails(2, "read", "generic/a")

    # A merge patch through the generic command, on a KV v2 data path.
    cli.ok("kv", "put", "secret/p", "a=1")
    r = cli.ok("patch", "secret/data/p", "-", stdin='{"data": {"b": "2"}}')
    assert table(r.stdout)["version"] == "2"
    got = json.loads(cli.ok("kv", "get", "-format=json", "secret/p").stdout)
    assert got["data"]["data"] == {"a": "1", "b": "2"}

    # An API error is exit 2 with the formatted error.
    r = cli.fails(2, "write", "sys/mounts/generic", "type=kv")
    assert "Error writing data to sys/mounts/generic: Error making API request." in r.stderr
    assert "Code: 400" in r.stderr


def test_token_commands(dev, home, tmp_path):
    cli = Cli(dev.addr, home)
    login_root(cli)
    cli.ok("policy", "write", "dev", write_file(str(tmp_path), "dev.hcl", DEV_POLICY))

    created = json.loads(cli.ok("token", "create", "-policy=dev", "-ttl=1h",
                                "-metadata=team=infra", "-display-name=ci",
                                "-format=json").stdout)
    tok = created["auth"]["client_token"]
    acc = created["auth"]["accessor"]
    assert sorted(created["auth"]["policies"]) == ["default", "dev"]
    assert created["auth"]["lease_duration"] == 3600

    rows = table(cli.ok("token", "lookup", tok).stdout)
    assert rows["policies"] == "[default dev]"
    assert rows["display_name"] == "token-ci"
    assert rows["meta"] == "map[team:infra]"
    assert rows["creation_ttl"] == "1h"
    rows = table(cli.ok("token", "lookup", "-accessor", acc).stdout)
    assert rows["accessor"] == acc
    assert rows["id"] == "n/a"
    assert table(cli.ok("token", "lookup", token=tok).stdout)["id"] == tok

    r = cli.ok("token", "renew", "-increment=30m", tok)
    assert table(r.stdout)["token_duration"] == "30m"
    r = cli.ok("token", "renew", token=tok)
    assert table(r.stdout)["token"] == tok

    assert cli.ok("token", "capabilities", tok, "secret/data/x").stdout == "list, read\n"
    assert cli.ok("token", "capabilities", "secret/data/x").stdout == "root\n"
    assert cli.ok("token", "capabilities", "secret/data/x", token=tok).stdout == "list, read\n"
    assert cli.ok("token", "capabilities", tok, "sys/mounts").stdout == "deny\n"
    assert cli.ok("token", "create", "-field=token", "-orphan").stdout.startswith("hvs.")

    r = cli.ok("token", "revoke", tok)
    assert r.stdout == "Success! Revoked token (if it existed)\n"
    r = cli.fails(2, "token", "lookup", tok)
    assert r.stderr.startswith("Error looking up token: ")

    # -self revokes the token in use; -mode=orphan keeps the children.
    child = cli.ok("token", "create", "-field=token").stdout
    cli.ok("token", "revoke", "-self", token=child)
    cli.fails(2, "token", "lookup", child)
    parent = cli.ok("token", "create", "-field=token").stdout
    grandchild = cli.ok("token", "create", "-field=token", token=parent).stdout
    cli.ok("token", "revoke", "-mode=orphan", parent)
    cli.fails(2, "token", "lookup", parent)
    assert table(cli.ok("token", "lookup", grandchild).stdout)["orphan"] == "true"
    acc2 = json.loads(cli.ok("token", "lookup", "-format=json", grandchild).stdout)
    cli.ok("token", "revoke", "-accessor", acc2["data"]["accessor"])
    cli.fails(2, "token", "lookup", grandchild)


def test_policy_commands(dev, home, tmp_path):
    cli = Cli(dev.addr, home)
    login_root(cli)
    d = str(tmp_path)
    r = cli.ok("policy", "write", "dev", write_file(d, "dev.hcl", DEV_POLICY))
    assert r.stdout == "Success! Uploaded policy: dev\n"
    r = cli.ok("policy", "write", "ops", "-", stdin='path "sys/mounts" {\n  capabilities = ["read"]\n}\n')
    assert r.stdout == "Success! Uploaded policy: ops\n"
    assert cli.ok("policy", "read", "dev").stdout == DEV_POLICY
    assert json.loads(cli.ok("policy", "read", "-format=json", "dev").stdout) == {
        "policy": DEV_POLICY}
    names = cli.ok("policy", "list").stdout.splitlines()
    for n in ("default", "dev", "ops", "root"):
        assert n in names, names
    r = cli.fails(2, "policy", "write", "broken", write_file(d, "bad.hcl", 'path "x" {'))
    assert r.stderr.startswith("Error uploading policy: ")

    messy = write_file(d, "messy.hcl",
                       'path "b/*" {capabilities=["read","list"]}\npath "a" { policy = "deny" }\n')
    r = cli.ok("policy", "fmt", messy)
    assert r.stdout == "Success! Formatted policy: %s\n" % messy
    with open(messy) as f:
        assert f.read() == ('path "b/*" {\n  capabilities = ["read", "list"]\n}\n\n'
                            'path "a" {\n  policy = "deny"\n}\n')
    broken = write_file(d, "broken.hcl", 'path "x" {\n  capabilities = ["read"\n')
    r = cli.fails(1, "policy", "fmt", broken)
    assert re.match(re.escape(broken) + r":\d+:\d+: ", r.stderr), r.stderr

    r = cli.ok("policy", "delete", "dev")
    assert r.stdout == "Success! Deleted policy: dev\n"
    r = cli.fails(2, "policy", "read", "dev")
    assert r.stderr == "No policy named: dev\n"
    assert "dev" not in cli.ok("policy", "list").stdout.splitlines()


def test_userpass_login_and_auth_commands(dev, home, tmp_path):
    cli = Cli(dev.addr, home)
    login_root(cli)
    cli.ok("policy", "write", "dev", write_file(str(tmp_path), "dev.hcl", DEV_POLICY))
    r = cli.ok("auth", "enable", "userpass")
    assert r.stdout == "Success! Enabled userpass auth method at: userpass/\n"
    rows = {row[0]: row for row in columns(cli.ok("auth", "list").stdout)}
    assert rows["userpass/"][1] == "userpass"
    assert rows["token/"][1] == "token"
    cli.ok("write", "auth/userpass/users/bob", "password=s3cret", "token_policies=dev")

    bob_home = tempfile.mkdtemp(prefix="coffer-cli-bob-")
    try:
        bob = Cli(dev.addr, bob_home)
        r = bob.ok("login", "-method=userpass", "username=bob", "password=s3cret")
        rows = table(r.stdout)
        assert rows["token_meta_username"] == "bob"
        assert rows["policies"] == '["default" "dev"]'
        assert bob.token_file() == rows["token"]
        looked = table(bob.ok("token", "lookup").stdout)
        assert looked["path"] == "auth/userpass/login/bob"
        # Without password=, the password is read from stdin (prompted for,
        # without echo, on a terminal).
        os.unlink(os.path.join(bob_home, ".vault-token"))
        r = bob.ok("login", "-method=userpass", "username=bob", stdin="s3cret\n")
        assert bob.token_file() == table(r.stdout)["token"]
        r = bob.fails(2, "login", "-method=userpass", "username=bob", "password=wrong")
        assert r.stderr.startswith("Error authenticating: ")
    finally:
        shutil.rmtree(bob_home, ignore_errors=True)

    r = cli.ok("auth", "tune", "-default-lease-ttl=1h", "userpass")
    assert r.stdout == "Success! Tuned the auth method at: userpass/\n"
    assert table(cli.ok("read", "sys/auth/userpass/tune").stdout)["default_lease_ttl"] == "1h"

    r = cli.ok("auth", "disable", "userpass")
    assert r.stdout == "Success! Disabled the auth method (if it existed) at: userpass/\n"
    assert "userpass/" not in [row[0] for row in columns(cli.ok("auth", "list").stdout)]
    cli.fails(2, "login", "-method=userpass", "-no-store", "username=bob", "password=s3cret")


def test_secrets_engine_management(dev, home):
    cli = Cli(dev.addr, home)
    login_root(cli)
    r = cli.ok("secrets", "enable", "-path=apps", "-version=2", "-description=App secrets", "kv")
    assert r.stdout == "Success! Enabled the kv secrets engine at: apps/\n"
    rows = {row[0]: row for row in columns(cli.ok("secrets", "list").stdout)}
    assert rows["apps/"][1] == "kv" and rows["apps/"][3] == "App secrets"
    assert rows["secret/"][1] == "kv"
    detailed = [line for line in cli.ok("secrets", "list", "-detailed").stdout.splitlines()
                if line.startswith("apps/ ")]
    assert len(detailed) == 1 and "map[version:2]" in detailed[0], detailed
    mounts = json.loads(cli.ok("secrets", "list", "-format=json").stdout)
    assert mounts["apps/"]["options"]["version"] == "2"
    r = cli.fails(2, "secrets", "enable", "-path=apps", "kv")
    assert r.stderr.startswith("Error enabling: ")

    r = cli.ok("secrets", "tune", "-default-lease-ttl=1h", "-max-lease-ttl=2h", "apps")
    assert r.stdout == "Success! Tuned the secrets engine at: apps/\n"
    rows = table(cli.ok("read", "sys/mounts/apps/tune").stdout)
    assert rows["default_lease_ttl"] == "1h" and rows["max_lease_ttl"] == "2h"

    cli.ok("kv", "put", "apps/x", "a=1")
    r = cli.ok("secrets", "move", "apps", "moved")
    assert r.stdout.splitlines()[-1].startswith(
        "Success! Finished moving secrets engine apps/ to moved/"), r.stdout
    assert table(cli.ok("kv", "get", "moved/x").stdout)["a"] == "1"
    paths = [row[0] for row in columns(cli.ok("secrets", "list").stdout)]
    assert "moved/" in paths and "apps/" not in paths

    r = cli.ok("secrets", "disable", "moved")
    assert r.stdout == "Success! Disabled the secrets engine (if it existed) at: moved/\n"
    assert "moved/" not in [row[0] for row in columns(cli.ok("secrets", "list").stdout)]
