"""Secrets and access through the Debian python3-hvac 0.11.2 client: only
hvac's own methods (client.secrets.*, client.auth.*, client.sys.* and the
generic client.read/write/list/delete), never raw HTTP.

Each test runs against its own `coffer server -dev -dev-root-token-id=root`
(in memory, KV v2 at secret/, port 0) and checks the values that come back,
not only that no exception was raised. Covers secrets engines, KV v1, KV v2,
tokens (service, orphan, role, batch), policies and capabilities, userpass,
AppRole, auth methods and cubbyhole."""

import hvac
import hvac.exceptions
import pytest
import requests

ROOT = "root"

READ_ONLY_POLICY = """
path "secret/data/ro/*" {
  capabilities = ["read", "list"]
}

path "secret/metadata/ro/*" {
  capabilities = ["list"]
}
"""


@pytest.fixture
def dev(make_server):
    return make_server(dev=True, dev_root_token_id=ROOT)


def _client(srv, token=ROOT):
    # token="" (not None) keeps hvac from reading VAULT_TOKEN/~/.vault-token.
    session = requests.Session()
    session.trust_env = False
    return hvac.Client(url=srv.addr, token=token, session=session, timeout=10)


def _status(resp):
    """hvac's JSONAdapter returns a dict for 200 and the Response otherwise."""
    assert isinstance(resp, requests.Response), resp
    return resp.status_code


# ---- secrets engines -------------------------------------------------------

def test_secrets_engines_enable_tune_move_disable(dev):
    c = _client(dev)
    assert _status(c.sys.enable_secrets_engine(
        "kv", path="kv1", description="version one", options={"version": "1"})) == 204
    assert _status(c.sys.enable_secrets_engine("kv", path="kv2", options={"version": "2"})) == 204

    mounts = c.sys.list_mounted_secrets_engines()
    data = mounts["data"]
    assert data["kv1/"]["type"] == "kv"
    assert data["kv1/"]["description"] == "version one"
    assert data["kv1/"]["options"]["version"] == "1"
    assert data["kv2/"]["options"]["version"] == "2"
    assert data["secret/"]["type"] == "kv" and data["secret/"]["options"]["version"] == "2"
    assert data["cubbyhole/"]["type"] == "cubbyhole"
    assert "kv1/" in mounts  # legacy top-level copy of data
    assert c.sys.retrieve_mount_option("kv2", "version") == "2"

    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.sys.enable_secrets_engine("kv", path="kv1")

    assert _status(c.sys.tune_mount_configuration(
        "kv1", default_lease_ttl="1h", max_lease_ttl="2h", description="tuned")) == 204
    tune = c.sys.read_mount_configuration("kv1")
    assert tune["data"]["default_lease_ttl"] == 3600
    assert tune["data"]["max_lease_ttl"] == 7200
    assert tune["data"]["description"] == "tuned"
    assert c.sys.list_mounted_secrets_engines()["data"]["kv1/"]["description"] == "tuned"

    c.secrets.kv.v1.create_or_update_secret("moved/item", {"v": "kept"}, mount_point="kv1")
    c.sys.move_backend("kv1", "kv1-new")
    data = c.sys.list_mounted_secrets_engines()["data"]
    assert "kv1/" not in data and data["kv1-new/"]["type"] == "kv"
    assert c.secrets.kv.v1.read_secret("moved/item", mount_point="kv1-new")["data"] == {"v": "kept"}

    assert _status(c.sys.disable_secrets_engine("kv1-new")) == 204
    assert _status(c.sys.disable_secrets_engine("kv2")) == 204
    data = c.sys.list_mounted_secrets_engines()["data"]
    assert "kv1-new/" not in data and "kv2/" not in data
    with pytest.raises(hvac.exceptions.VaultError):
        c.secrets.kv.v1.read_secret("moved/item", mount_point="kv1-new")


# ---- KV v1 -------------------------------------------------------------------

def test_kv_v1_crud_and_list(dev):
    c = _client(dev)
    c.sys.enable_secrets_engine("kv", path="kv1", options={"version": "1"})
    kv = c.secrets.kv.v1

    # hvac reads first: 404 -> POST (create), then PUT (update).
    assert _status(kv.create_or_update_secret("app/db", {"user": "u1", "n": 1},
                                              mount_point="kv1")) == 204
    got = kv.read_secret("app/db", mount_point="kv1")
    assert got["data"] == {"user": "u1", "n": 1}
    assert got["lease_duration"] > 0 and got["renewable"] is False

    kv.create_or_update_secret("app/db", {"user": "u2"}, mount_point="kv1")
    assert kv.read_secret("app/db", mount_point="kv1")["data"] == {"user": "u2"}
    kv.create_or_update_secret("app/cache", {"x": "y"}, method="POST", mount_point="kv1")
    kv.create_or_update_secret("top", {"t": "1"}, method="PUT", mount_point="kv1")

    assert sorted(kv.list_secrets("app", mount_point="kv1")["data"]["keys"]) == ["cache", "db"]
    assert sorted(kv.list_secrets("", mount_point="kv1")["data"]["keys"]) == ["app/", "top"]

    assert _status(kv.delete_secret("app/db", mount_point="kv1")) == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret("app/db", mount_point="kv1")
    assert kv.list_secrets("app", mount_point="kv1")["data"]["keys"] == ["cache"]
    kv.delete_secret("app/cache", mount_point="kv1")
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.list_secrets("app", mount_point="kv1")


# ---- KV v2 -------------------------------------------------------------------

def test_kv_v2_config_versions_and_cas(dev):
    c = _client(dev)
    kv = c.secrets.kv.v2
    assert _status(kv.configure(max_versions=7, cas_required=False, mount_point="secret")) == 204
    conf = kv.read_configuration(mount_point="secret")["data"]
    assert conf["max_versions"] == 7 and conf["cas_required"] is False
    assert conf["delete_version_after"] == "0s"

    w1 = kv.create_or_update_secret("app/cfg", {"a": "1"})
    assert w1["data"]["version"] == 1 and w1["data"]["destroyed"] is False
    with pytest.raises(hvac.exceptions.InvalidRequest):
        kv.create_or_update_secret("app/cfg", {"a": "x"}, cas=0)  # exists already
    with pytest.raises(hvac.exceptions.InvalidRequest):
        kv.create_or_update_secret("app/cfg", {"a": "x"}, cas=5)  # wrong version
    assert kv.create_or_update_secret("app/cfg", {"a": "2"}, cas=1)["data"]["version"] == 2

    # hvac's patch is read + write with cas = current version.
    assert kv.patch("app/cfg", {"b": "3"})["data"]["version"] == 3
    latest = kv.read_secret_version("app/cfg")["data"]
    assert latest["data"] == {"a": "2", "b": "3"} and latest["metadata"]["version"] == 3
    assert kv.read_secret_version("app/cfg", version=1)["data"]["data"] == {"a": "1"}
    assert kv.read_secret("app/cfg")["data"]["metadata"]["version"] == 3
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.patch("app/absent", {"b": "3"})

    kv.create_or_update_secret("app/other", {"o": "1"})
    kv.create_or_update_secret("top", {"t": "1"})
    assert sorted(kv.list_secrets("app")["data"]["keys"]) == ["cfg", "other"]
    assert sorted(kv.list_secrets("")["data"]["keys"]) == ["app/", "top"]

    # cas_required on the mount: a write without cas is refused.
    kv.configure(max_versions=7, cas_required=True, mount_point="secret")
    assert kv.read_configuration()["data"]["cas_required"] is True
    with pytest.raises(hvac.exceptions.InvalidRequest):
        kv.create_or_update_secret("top", {"t": "2"})
    assert kv.create_or_update_secret("top", {"t": "2"}, cas=1)["data"]["version"] == 2


def test_kv_v2_delete_undelete_destroy_metadata(dev):
    c = _client(dev)
    kv = c.secrets.kv.v2
    for i in range(1, 4):
        assert kv.create_or_update_secret("doc", {"v": str(i)})["data"]["version"] == i

    assert _status(kv.delete_latest_version_of_secret("doc")) == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_version("doc")
    assert kv.read_secret_version("doc", version=2)["data"]["data"] == {"v": "2"}

    assert _status(kv.delete_secret_versions("doc", [1])) == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_version("doc", version=1)
    meta = kv.read_secret_metadata("doc")["data"]
    assert meta["versions"]["1"]["deletion_time"] != ""
    assert meta["versions"]["3"]["deletion_time"] != ""
    assert meta["versions"]["2"]["deletion_time"] == ""

    assert _status(kv.undelete_secret_versions("doc", [1, 3])) == 204
    assert kv.read_secret_version("doc")["data"]["data"] == {"v": "3"}
    assert kv.read_secret_version("doc", version=1)["data"]["data"] == {"v": "1"}

    assert _status(kv.destroy_secret_versions("doc", [2])) == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_version("doc", version=2)
    kv.undelete_secret_versions("doc", [2])  # no effect on a destroyed version
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_version("doc", version=2)

    meta = kv.read_secret_metadata("doc")["data"]
    assert meta["current_version"] == 3 and meta["oldest_version"] == 0
    assert meta["versions"]["2"]["destroyed"] is True
    assert meta["versions"]["1"]["destroyed"] is False
    assert sorted(meta["versions"]) == ["1", "2", "3"]
    assert meta["max_versions"] == 0 and meta["cas_required"] is False

    assert _status(kv.update_metadata("doc", max_versions=5, cas_required=True,
                                      delete_version_after="1h")) == 204
    meta = kv.read_secret_metadata("doc")["data"]
    assert meta["max_versions"] == 5 and meta["cas_required"] is True
    assert meta["delete_version_after"] == "1h0m0s"
    with pytest.raises(hvac.exceptions.InvalidRequest):  # key-level cas_required
        kv.create_or_update_secret("doc", {"v": "4"})
    assert kv.create_or_update_secret("doc", {"v": "4"}, cas=3)["data"]["version"] == 4

    assert _status(kv.delete_metadata_and_all_versions("doc")) == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_metadata("doc")
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.read_secret_version("doc", version=1)
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.list_secrets("")


# ---- tokens --------------------------------------------------------------------

def test_token_create_lookup_renew_revoke(dev):
    c = _client(dev)
    t = c.auth.token.create(policies=["app"], ttl="1h", num_uses=5, meta={"team": "blue"},
                            display_name="ci")["auth"]
    token, accessor = t["client_token"], t["accessor"]
    assert token.startswith("hvs.") and accessor
    assert sorted(t["policies"]) == ["app", "default"]
    assert t["lease_duration"] == 3600 and t["renewable"] is True
    assert t["metadata"] == {"team": "blue"} and t["orphan"] is False
    assert t["token_type"] == "service" and t["num_uses"] == 5

    info = c.auth.token.lookup(token)["data"]
    assert info["id"] == token and info["accessor"] == accessor
    assert info["policies"] == ["app", "default"]
    assert info["num_uses"] == 5 and info["meta"] == {"team": "blue"}
    assert info["display_name"] == "token-ci" and info["path"] == "auth/token/create"
    assert 3500 <= info["ttl"] <= 3600 and info["creation_ttl"] == 3600
    assert info["orphan"] is False and info["type"] == "service"

    by_accessor = c.auth.token.lookup_accessor(accessor)["data"]
    assert by_accessor["id"] == "" and by_accessor["accessor"] == accessor
    assert by_accessor["meta"] == {"team": "blue"}

    # The child looks itself up: that use is counted.
    child = _client(dev, token)
    own = child.auth.token.lookup_self()["data"]
    assert own["id"] == token and own["num_uses"] == 4

    renewed = c.auth.token.renew(token, increment="2h")["auth"]
    assert renewed["client_token"] == token and renewed["lease_duration"] == 7200
    assert 7100 <= c.auth.token.lookup(token)["data"]["ttl"] <= 7200

    # hvac 0.11.2 has no auth.token.create_orphan: its create_token(orphan=True)
    # posts to auth/token/create-orphan; no_parent=True is the other route.
    with pytest.deprecated_call():
        orphan = c.create_token(policies=["app"], ttl="30m", orphan=True)["auth"]
    assert orphan["orphan"] is True
    assert c.auth.token.create(policies=["app"], ttl="1m", no_parent=True)["auth"]["orphan"] \
        is True
    assert c.auth.token.lookup(orphan["client_token"])["data"]["orphan"] is True
    assert c.auth.token.lookup(orphan["client_token"])["data"]["path"] == \
        "auth/token/create-orphan"

    self_renewer = _client(dev, orphan["client_token"])
    r = self_renewer.auth.token.renew_self(increment="10m")["auth"]
    assert r["client_token"] == orphan["client_token"] and r["lease_duration"] == 600

    accessors = c.auth.token.list_accessors()["data"]["keys"]
    assert accessor in accessors and orphan["accessor"] in accessors

    assert _status(c.auth.token.revoke(token)) == 204
    with pytest.raises(hvac.exceptions.Forbidden):
        c.auth.token.lookup(token)
    with pytest.raises(hvac.exceptions.Forbidden):
        child.auth.token.lookup_self()
    assert accessor not in c.auth.token.list_accessors()["data"]["keys"]

    assert _status(self_renewer.auth.token.revoke_self()) == 204
    with pytest.raises(hvac.exceptions.Forbidden):
        c.auth.token.lookup(orphan["client_token"])

    third = c.auth.token.create(policies=["app"], ttl="5m")["auth"]
    assert _status(c.auth.token.revoke_accessor(third["accessor"])) == 204
    with pytest.raises(hvac.exceptions.Forbidden):
        c.auth.token.lookup(third["client_token"])


def test_token_revoke_cascades_to_children(dev):
    c = _client(dev)
    c.sys.create_or_update_policy(
        "minter", 'path "auth/token/create" { capabilities = ["create", "update"] }')
    app = c.auth.token.create(policies=["app"], ttl="1h")["auth"]["client_token"]
    with pytest.raises(hvac.exceptions.Forbidden):  # "app" may not create tokens
        _client(dev, app).auth.token.create(policies=["app"], ttl="10m")
    parent = c.auth.token.create(policies=["minter"], ttl="1h")["auth"]["client_token"]
    kid = _client(dev, parent).auth.token.create(policies=["minter"], ttl="10m")["auth"]
    assert kid["policies"] == ["default", "minter"]
    with pytest.raises(hvac.exceptions.InvalidRequest):  # not a subset of the parent's
        _client(dev, parent).auth.token.create(policies=["admin"], ttl="10m")
    assert kid["orphan"] is False
    c.auth.token.revoke(parent)
    with pytest.raises(hvac.exceptions.Forbidden):
        c.auth.token.lookup(kid["client_token"])


def test_token_roles_and_batch_tokens(dev):
    c = _client(dev)
    assert _status(c.auth.token.create_or_update_role(
        "deploy", allowed_policies=["app", "ops"], orphan=True, renewable=False)) == 204
    role = c.auth.token.read_role("deploy")["data"]
    assert role["name"] == "deploy" and sorted(role["allowed_policies"]) == ["app", "ops"]
    assert role["orphan"] is True and role["renewable"] is False
    c.auth.token.create_or_update_role("other")
    assert sorted(c.auth.token.list_roles()["data"]["keys"]) == ["deploy", "other"]

    t = c.auth.token.create(role_name="deploy", policies=["ops"], ttl="15m")["auth"]
    assert t["orphan"] is True and t["renewable"] is False
    assert sorted(t["policies"]) == ["default", "ops"]
    info = c.auth.token.lookup(t["client_token"])["data"]
    assert info["role"] == "deploy" and info["path"] == "auth/token/create/deploy"
    with pytest.raises(hvac.exceptions.InvalidRequest):  # not in allowed_policies
        c.auth.token.create(role_name="deploy", policies=["admin"])

    assert _status(c.auth.token.delete_role("deploy")) == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        c.auth.token.read_role("deploy")
    assert c.auth.token.list_roles()["data"]["keys"] == ["other"]

    b = c.auth.token.create(type="batch", policies=["app"], ttl="10m")["auth"]
    assert b["client_token"].startswith("hvb.") and b["accessor"] == ""
    assert b["token_type"] == "batch" and b["renewable"] is False
    binfo = c.auth.token.lookup(b["client_token"])["data"]
    assert binfo["type"] == "batch" and binfo["policies"] == ["app", "default"]
    assert 500 <= binfo["ttl"] <= 600
    batch = _client(dev, b["client_token"])
    assert batch.auth.token.lookup_self()["data"]["type"] == "batch"
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.auth.token.renew(b["client_token"])
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.auth.token.create(type="batch", num_uses=3)


# ---- policies and capabilities -------------------------------------------------

def test_policies_enforced_and_capabilities(dev):
    c = _client(dev)
    assert _status(c.sys.create_or_update_policy("ro", READ_ONLY_POLICY)) == 204
    assert c.sys.read_policy("ro")["data"]["rules"] == READ_ONLY_POLICY
    assert c.get_policy("ro") == READ_ONLY_POLICY  # legacy helper reads data.rules
    # A dict policy is sent as JSON text by hvac.
    c.sys.create_or_update_policy(
        "json-pol", {"path": {"secret/data/j/*": {"capabilities": ["create", "update"]}}})
    assert '"secret/data/j/*"' in c.sys.read_policy("json-pol")["data"]["rules"]
    policies = c.sys.list_policies()["data"]["policies"]
    assert {"ro", "json-pol", "default", "root"} <= set(policies)

    c.secrets.kv.v2.create_or_update_secret("ro/item", {"k": "v"})
    c.secrets.kv.v2.create_or_update_secret("private", {"k": "p"})
    tok = c.auth.token.create(policies=["ro"], ttl="10m")["auth"]
    ro = _client(dev, tok["client_token"])
    assert ro.secrets.kv.v2.read_secret_version("ro/item")["data"]["data"] == {"k": "v"}
    assert ro.secrets.kv.v2.list_secrets("ro")["data"]["keys"] == ["item"]
    with pytest.raises(hvac.exceptions.Forbidden):
        ro.secrets.kv.v2.read_secret_metadata("ro/item")  # list only, no read
    with pytest.raises(hvac.exceptions.Forbidden):
        ro.secrets.kv.v2.create_or_update_secret("ro/item", {"k": "w"})
    with pytest.raises(hvac.exceptions.Forbidden):
        ro.secrets.kv.v2.create_or_update_secret("ro/new", {"k": "w"})
    with pytest.raises(hvac.exceptions.Forbidden):
        ro.secrets.kv.v2.read_secret_version("private")
    with pytest.raises(hvac.exceptions.Forbidden):
        ro.secrets.kv.v2.delete_latest_version_of_secret("ro/item")
    with pytest.raises(hvac.exceptions.Forbidden):
        ro.sys.create_or_update_policy("ro", 'path "*" { capabilities = ["sudo"] }')
    assert c.secrets.kv.v2.read_secret_version("ro/item")["data"]["data"] == {"k": "v"}

    caps = ro.sys.get_capabilities(["secret/data/ro/item"])
    assert caps["data"]["capabilities"] == ["list", "read"]
    assert caps["data"]["secret/data/ro/item"] == ["list", "read"]
    caps = c.sys.get_capabilities(["secret/data/ro/x", "secret/data/other"],
                                  token=tok["client_token"])
    assert caps["data"]["secret/data/ro/x"] == ["list", "read"]
    assert caps["data"]["secret/data/other"] == ["deny"]
    caps = c.sys.get_capabilities(["secret/data/ro/x"], accessor=tok["accessor"])
    assert caps["data"]["capabilities"] == ["list", "read"]
    assert c.sys.get_capabilities(["anything/at/all"])["data"]["capabilities"] == ["root"]

    assert _status(c.sys.delete_policy("ro")) == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        c.sys.read_policy("ro")
    assert "ro" not in c.sys.list_policies()["data"]["policies"]
    with pytest.raises(hvac.exceptions.Forbidden):  # the policy is gone
        ro.secrets.kv.v2.read_secret_version("ro/item")


# ---- auth methods ------------------------------------------------------------

def test_auth_methods_enable_list_tune_disable(dev):
    c = _client(dev)
    assert _status(c.sys.enable_auth_method("userpass", path="people",
                                            description="humans")) == 204
    c.sys.enable_auth_method("approle")
    data = c.sys.list_auth_methods()["data"]
    assert data["people/"]["type"] == "userpass" and data["people/"]["description"] == "humans"
    assert data["approle/"]["type"] == "approle"
    assert data["token/"]["type"] == "token"
    assert data["people/"]["accessor"].startswith("auth_userpass_")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        c.sys.enable_auth_method("userpass", path="people")

    assert _status(c.sys.tune_auth_method("people", default_lease_ttl="30m",
                                          max_lease_ttl="1h", description="tuned")) == 204
    tune = c.sys.read_auth_method_tuning("people")["data"]
    assert tune["default_lease_ttl"] == 1800 and tune["max_lease_ttl"] == 3600
    assert tune["description"] == "tuned"

    # The tuned default TTL applies to logins on that mount.
    c.auth.userpass.create_or_update_user("bob", password="pw-bob", mount_point="people")
    login = _client(dev, "").auth.userpass.login("bob", "pw-bob", mount_point="people")
    assert login["auth"]["lease_duration"] == 1800

    assert _status(c.sys.disable_auth_method("people")) == 204
    data = c.sys.list_auth_methods()["data"]
    assert "people/" not in data and "approle/" in data
    with pytest.raises(hvac.exceptions.VaultError):
        _client(dev, "").auth.userpass.login("bob", "pw-bob", mount_point="people")
    # Tokens issued by a disabled mount are revoked with it.
    with pytest.raises(hvac.exceptions.Forbidden):
        c.auth.token.lookup(login["auth"]["client_token"])


def test_userpass_users_and_login(dev):
    c = _client(dev)
    c.sys.enable_auth_method("userpass")
    c.sys.create_or_update_policy("ro", READ_ONLY_POLICY)
    up = c.auth.userpass
    assert _status(up.create_or_update_user("alice", password="pw-one", policies=["ro"],
                                            token_ttl="20m")) == 204
    up.create_or_update_user("carol", password="pw-carol")
    user = up.read_user("alice")["data"]
    assert "password" not in user and "password_hash" not in user
    assert user["token_policies"] == ["ro"] and user["token_ttl"] == 1200
    assert sorted(up.list_user()["data"]["keys"]) == ["alice", "carol"]

    anon = _client(dev, "")
    auth = anon.auth.userpass.login("alice", "pw-one")["auth"]
    assert anon.token == auth["client_token"]  # use_token=True stored it
    assert sorted(auth["policies"]) == ["default", "ro"]
    assert auth["metadata"] == {"username": "alice"} and auth["orphan"] is True
    assert auth["lease_duration"] == 1200
    info = c.auth.token.lookup(auth["client_token"])["data"]
    assert info["path"] == "auth/userpass/login/alice"
    assert info["display_name"] == "userpass-alice"
    c.secrets.kv.v2.create_or_update_secret("ro/x", {"a": "b"})
    assert anon.secrets.kv.v2.read_secret_version("ro/x")["data"]["data"] == {"a": "b"}
    with pytest.raises(hvac.exceptions.Forbidden):
        anon.secrets.kv.v2.create_or_update_secret("ro/x", {"a": "c"})

    with pytest.raises(hvac.exceptions.InvalidRequest):
        _client(dev, "").auth.userpass.login("alice", "wrong")
    assert _status(up.update_password_on_user("alice", "pw-two")) == 204
    with pytest.raises(hvac.exceptions.InvalidRequest):
        _client(dev, "").auth.userpass.login("alice", "pw-one")
    again = _client(dev, "").auth.userpass.login("alice", "pw-two", use_token=False)
    assert again["auth"]["client_token"] != auth["client_token"]

    assert _status(up.delete_user("alice")) == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        up.read_user("alice")
    assert up.list_user()["data"]["keys"] == ["carol"]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        _client(dev, "").auth.userpass.login("alice", "pw-two")


def test_approle_secret_ids_and_login(dev):
    c = _client(dev)
    c.sys.enable_auth_method("approle")
    ar = c.auth.approle
    assert _status(ar.create_or_update_approle("web", token_policies=["app"], token_ttl="10m",
                                               secret_id_num_uses=3)) == 204
    role = ar.read_role("web")["data"]
    assert role["token_policies"] == ["app"] and role["token_ttl"] == 600
    assert role["secret_id_num_uses"] == 3 and role["bind_secret_id"] is True
    assert ar.list_roles()["data"]["keys"] == ["web"]

    role_id = ar.read_role_id("web")["data"]["role_id"]
    assert role_id
    gen = ar.generate_secret_id("web", metadata={"host": "h1"})["data"]
    secret_id, sid_accessor = gen["secret_id"], gen["secret_id_accessor"]
    assert secret_id and sid_accessor and gen["secret_id_num_uses"] == 3
    plain = ar.generate_secret_id("web")["data"]  # hvac sends "metadata": null

    looked = ar.read_secret_id("web", secret_id)["data"]
    assert looked["metadata"] == {"host": "h1"}
    assert looked["secret_id_accessor"] == sid_accessor and looked["secret_id_num_uses"] == 3
    assert sorted(ar.list_secret_id_accessors("web")["data"]["keys"]) == \
        sorted([sid_accessor, plain["secret_id_accessor"]])

    anon = _client(dev, "")
    auth = anon.auth.approle.login(role_id, secret_id)["auth"]
    assert anon.token == auth["client_token"]
    assert sorted(auth["policies"]) == ["app", "default"]
    # Login metadata: the secret ID's metadata plus role_name.
    assert auth["metadata"] == {"host": "h1", "role_name": "web"}
    assert auth["lease_duration"] == 600
    assert c.auth.token.lookup(auth["client_token"])["data"]["path"] == "auth/approle/login"
    assert ar.read_secret_id("web", secret_id)["data"]["secret_id_num_uses"] == 2

    with pytest.raises(hvac.exceptions.InvalidRequest):
        _client(dev, "").auth.approle.login(role_id, "not-a-secret-id")
    with pytest.raises(hvac.exceptions.InvalidRequest):
        _client(dev, "").auth.approle.login("not-a-role-id", secret_id)

    assert _status(ar.destroy_secret_id("web", secret_id)) == 204
    assert ar.list_secret_id_accessors("web")["data"]["keys"] == [plain["secret_id_accessor"]]
    with pytest.raises(hvac.exceptions.InvalidRequest):
        _client(dev, "").auth.approle.login(role_id, secret_id)
    assert _client(dev, "").auth.approle.login(role_id, plain["secret_id"])["auth"]["client_token"]


# ---- cubbyhole ---------------------------------------------------------------

def test_cubbyhole_is_per_token(dev):
    c = _client(dev)
    other_token = c.auth.token.create(policies=["default"], ttl="10m")["auth"]["client_token"]
    other = _client(dev, other_token)

    assert _status(c.write("cubbyhole/notes/a", note="mine", n=2)) == 204
    assert c.read("cubbyhole/notes/a")["data"] == {"note": "mine", "n": 2}
    c.write("cubbyhole/top", v="1")
    assert c.list("cubbyhole/notes")["data"]["keys"] == ["a"]
    assert sorted(c.list("cubbyhole/")["data"]["keys"]) == ["notes/", "top"]

    # Another token has its own, empty cubbyhole.
    assert other.read("cubbyhole/notes/a") is None
    assert other.list("cubbyhole/") is None
    other.write("cubbyhole/notes/a", note="theirs")
    assert other.read("cubbyhole/notes/a")["data"] == {"note": "theirs"}
    assert c.read("cubbyhole/notes/a")["data"] == {"note": "mine", "n": 2}

    c.delete("cubbyhole/notes/a")
    assert c.read("cubbyhole/notes/a") is None
    assert other.read("cubbyhole/notes/a")["data"] == {"note": "theirs"}

    # A revoked token can no longer reach its cubbyhole.
    c.auth.token.revoke(other_token)
    with pytest.raises(hvac.exceptions.Forbidden):
        other.read("cubbyhole/notes/a")
