"""Secrets-engine and auth-method mount tables over HTTP against one dev
server: sys/mounts[/:path[/tune]], sys/auth[/:path[/tune]], sys/remount
(+ status), sys/internal/ui/mounts[/:path]. Shapes and codes follow
vault-core-api.md §2.6, §2.7, §2.15. Each test uses its own mount paths."""

import re

import pytest

from coffer_harness import Api, assert_envelope, assert_error, wait_until

SYSTEM_TTL = 2764800  # 768h
REMOUNT_DEADLINE_S = 15.0


def check_mount_info(info, type_):
    """Field names and types of one mount table entry (§2.6)."""
    assert info["type"] == type_, info
    assert isinstance(info["accessor"], str) and info["accessor"], info
    assert isinstance(info["description"], str), info
    assert isinstance(info["local"], bool), info
    assert isinstance(info["seal_wrap"], bool), info
    assert isinstance(info["external_entropy_access"], bool), info
    assert isinstance(info["uuid"], str) and len(info["uuid"]) == 36, info
    assert info["options"] is None or isinstance(info["options"], dict), info
    cfg = info["config"]
    assert isinstance(cfg["default_lease_ttl"], int), cfg
    assert isinstance(cfg["max_lease_ttl"], int), cfg
    assert isinstance(cfg["force_no_cache"], bool), cfg


def mounts(api):
    body = api.ok(api.get("sys/mounts"), 200)
    data = assert_envelope(body)
    return body, data


# ---- sys/mounts ------------------------------------------------------------

def test_list_mounts_shape_and_defaults(dev_api):
    body, data = mounts(dev_api)
    for key in ("cubbyhole/", "sys/", "secret/"):
        assert key in data, sorted(data)
        # Injected: every data key is also at the top level.
        assert body[key] == data[key], key
    assert all(k.endswith("/") for k in data), sorted(data)
    check_mount_info(data["secret/"], "kv")
    assert data["secret/"]["options"] == {"version": "2"}
    check_mount_info(data["cubbyhole/"], "cubbyhole")
    assert data["cubbyhole/"]["local"] is True
    check_mount_info(data["sys/"], "system")


def test_enable_read_disable_kv_mount(dev_api):
    r = dev_api.post("sys/mounts/m-basic", {"type": "kv", "description": "basic kv",
                                             "config": {"default_lease_ttl": "1h",
                                                        "max_lease_ttl": "2h"}})
    assert r.status_code == 204, r.text
    _, data = mounts(dev_api)
    info = data["m-basic/"]
    check_mount_info(info, "kv")
    assert info["description"] == "basic kv"
    assert info["config"]["default_lease_ttl"] == 3600
    assert info["config"]["max_lease_ttl"] == 7200

    one = dev_api.ok(dev_api.get("sys/mounts/m-basic"), 200)
    d1 = assert_envelope(one)
    check_mount_info(d1, "kv")
    assert d1["uuid"] == info["uuid"] and d1["accessor"] == info["accessor"]

    dev_api.ok(dev_api.put("m-basic/k", {"v": "1"}), 204)
    assert dev_api.delete("sys/mounts/m-basic").status_code == 204
    _, data = mounts(dev_api)
    assert "m-basic/" not in data
    # Disabling drops the data: a fresh mount at the same path is empty.
    dev_api.mount("m-basic", "kv")
    assert dev_api.get("m-basic/k").status_code == 404
    assert dev_api.delete("sys/mounts/m-basic").status_code == 204
    # Disabling a mount that does not exist is still 204.
    assert dev_api.delete("sys/mounts/m-never-was").status_code == 204


def test_kv_version_aliases(dev_api):
    dev_api.mount("m-alias-v1", "kv-v1")
    dev_api.mount("m-alias-v2", "kv-v2")
    _, data = mounts(dev_api)
    assert data["m-alias-v1/"]["type"] == "kv"
    assert data["m-alias-v2/"]["type"] == "kv"
    assert (data["m-alias-v1/"]["options"] or {}).get("version", "1") == "1"
    assert data["m-alias-v2/"]["options"] == {"version": "2"}
    dev_api.mount("m-opt-v2", "kv", options={"version": "2"})
    assert dev_api.ok(dev_api.get("sys/mounts/m-opt-v2"), 200)["data"]["options"] == {"version": "2"}


def test_enable_requires_type(dev_api):
    assert_error(dev_api.post("sys/mounts/m-notype", {"description": "x"}), 400,
                 "backend type must be specified as a string")
    assert "m-notype/" not in mounts(dev_api)[1]


def test_enable_default_ttl_over_max_rejected(dev_api):
    r = dev_api.post("sys/mounts/m-badttl", {"type": "kv", "config": {
        "default_lease_ttl": "2h", "max_lease_ttl": "1h"}})
    assert_error(r, 400, "given default lease TTL greater than given max lease TTL")
    assert "m-badttl/" not in mounts(dev_api)[1]


def test_read_unknown_mount_is_400(dev_api):
    assert_error(dev_api.get("sys/mounts/m-nosuch"), 400, "No secret engine mount at m-nosuch/")


def test_tune_read_and_write(dev_api):
    dev_api.mount("m-tune", "kv", description="before")
    body = dev_api.ok(dev_api.get("sys/mounts/m-tune/tune"), 200)
    data = assert_envelope(body)
    # Effective values: the system default is substituted for 0.
    assert data["default_lease_ttl"] == SYSTEM_TTL
    assert data["max_lease_ttl"] == SYSTEM_TTL
    assert data["force_no_cache"] is False
    assert data["description"] == "before"
    assert body["default_lease_ttl"] == SYSTEM_TTL  # injected

    r = dev_api.post("sys/mounts/m-tune/tune", {"max_lease_ttl": "3h", "default_lease_ttl": 600,
                                                "description": "after"})
    assert r.status_code in (200, 204), r.text
    data = dev_api.ok(dev_api.get("sys/mounts/m-tune/tune"), 200)["data"]
    assert data["max_lease_ttl"] == 10800
    assert data["default_lease_ttl"] == 600
    assert data["description"] == "after"
    info = mounts(dev_api)[1]["m-tune/"]
    assert info["config"]["max_lease_ttl"] == 10800
    assert info["description"] == "after"

    # Only provided fields change.
    dev_api.ok(dev_api.post("sys/mounts/m-tune/tune", {"description": "again"}))
    data = dev_api.ok(dev_api.get("sys/mounts/m-tune/tune"), 200)["data"]
    assert data["max_lease_ttl"] == 10800 and data["default_lease_ttl"] == 600

    # A default above the max is rejected and changes nothing.
    r = dev_api.post("sys/mounts/m-tune/tune", {"default_lease_ttl": "5h"})
    assert r.status_code == 400, r.text
    assert dev_api.ok(dev_api.get("sys/mounts/m-tune/tune"), 200)["data"]["default_lease_ttl"] == 600


def test_tune_upgrade_kv_v1_to_v2_and_no_downgrade(dev_api):
    dev_api.mount("m-upg", "kv")
    dev_api.ok(dev_api.put("m-upg/app", {"user": "u1"}), 204)
    r = dev_api.post("sys/mounts/m-upg/tune", {"options": {"version": "2"}})
    assert r.status_code in (200, 204), r.text

    def migrated():
        resp = dev_api.get("m-upg/data/app")
        return resp if resp.status_code == 200 else None

    resp = wait_until(migrated, REMOUNT_DEADLINE_S)
    assert resp, "v1 data not readable through the v2 API after upgrade"
    assert resp.json()["data"]["data"] == {"user": "u1"}
    assert resp.json()["data"]["metadata"]["version"] == 1
    assert dev_api.ok(dev_api.get("sys/mounts/m-upg"), 200)["data"]["options"]["version"] == "2"
    assert_error(dev_api.post("sys/mounts/m-upg/tune", {"options": {"version": "1"}}), 400,
                 "cannot downgrade mount from version 2")


# ---- sys/remount -------------------------------------------------------------

def remount(api, src, dst):
    """POST sys/remount; waits for the migration when it is asynchronous."""
    r = api.post("sys/remount", {"from": src, "to": dst})
    assert r.status_code in (200, 204), r.text
    if r.status_code == 204:
        return None
    body = r.json()
    mid = body["data"]["migration_id"]
    assert isinstance(mid, str) and mid
    assert body["migration_id"] == mid  # injected

    def done():
        st = api.ok(api.get("sys/remount/status/" + mid), 200)["data"]
        return st if st["migration_info"]["status"] != "in-progress" else None

    st = wait_until(done, REMOUNT_DEADLINE_S)
    assert st, "remount still in progress after %ss" % REMOUNT_DEADLINE_S
    assert st["migration_id"] == mid
    info = st["migration_info"]
    assert info["status"] == "success", st
    assert info["source_mount"] == src.rstrip("/") + "/"
    assert info["target_mount"] == dst.rstrip("/") + "/"
    return mid


def test_remount_keeps_data(dev_api):
    dev_api.mount("m-from", "kv", description="moving")
    dev_api.ok(dev_api.put("m-from/a/b", {"k": "v1"}), 204)
    dev_api.ok(dev_api.put("m-from/c", {"k": "v2"}), 204)
    uuid_before = dev_api.ok(dev_api.get("sys/mounts/m-from"), 200)["data"]["uuid"]
    remount(dev_api, "m-from", "m-to")
    data = mounts(dev_api)[1]
    assert "m-from/" not in data
    assert data["m-to/"]["description"] == "moving"
    assert data["m-to/"]["uuid"] == uuid_before
    assert dev_api.ok(dev_api.get("m-to/a/b"), 200)["data"] == {"k": "v1"}
    assert dev_api.ok(dev_api.get("m-to/c"), 200)["data"] == {"k": "v2"}
    assert dev_api.get("m-from/c").status_code == 404


def test_remount_kv_v2_keeps_versions(dev_api):
    dev_api.mount("m-v2from", "kv-v2")
    for v in ("one", "two"):
        dev_api.ok(dev_api.post("m-v2from/data/x", {"data": {"v": v}}), 200)
    remount(dev_api, "m-v2from/", "m-v2to/")
    body = dev_api.ok(dev_api.get("m-v2to/data/x?version=1"), 200)
    assert body["data"]["data"] == {"v": "one"}
    meta = dev_api.ok(dev_api.get("m-v2to/metadata/x"), 200)["data"]
    assert meta["current_version"] == 2


def test_remount_auth_method_keeps_users(dev_api):
    dev_api.enable_auth("up-from", "userpass")
    dev_api.ok(dev_api.post("auth/up-from/users/carol", {"password": "pw-carol"}), 204)
    remount(dev_api, "auth/up-from", "auth/up-to")
    auths = dev_api.ok(dev_api.get("sys/auth"), 200)["data"]
    assert "up-to/" in auths and "up-from/" not in auths
    r = dev_api.post("auth/up-to/login/carol", {"password": "pw-carol"}, token=None)
    assert r.status_code == 200, r.text
    assert r.json()["auth"]["client_token"]


def test_remount_errors(dev_api):
    dev_api.mount("m-rm-a", "kv")
    dev_api.mount("m-rm-b", "kv")
    # Target in use.
    assert dev_api.post("sys/remount", {"from": "m-rm-a", "to": "m-rm-b"}).status_code == 400
    # Built-in mounts cannot move.
    for src in ("sys", "cubbyhole", "auth/token"):
        r = dev_api.post("sys/remount", {"from": src, "to": "m-rm-new-" + src.replace("/", "-")})
        assert r.status_code == 400, (src, r.text)
    # Source missing.
    assert dev_api.post("sys/remount", {"from": "m-rm-none", "to": "m-rm-c"}).status_code == 400
    data = mounts(dev_api)[1]
    assert {"m-rm-a/", "m-rm-b/", "sys/", "cubbyhole/"} <= set(data)
    assert "m-rm-c/" not in data


def test_remount_status_unknown_id(dev_api):
    r = dev_api.get("sys/remount/status/00000000-0000-0000-0000-000000000000")
    assert r.status_code in (400, 404), r.text


# ---- sys/auth ----------------------------------------------------------------

def test_list_auth_default_token(dev_api):
    body = dev_api.ok(dev_api.get("sys/auth"), 200)
    data = assert_envelope(body)
    assert "token/" in data
    assert body["token/"] == data["token/"]
    check_mount_info(data["token/"], "token")
    assert data["token/"]["config"].get("token_type") == "default-service", data["token/"]


def test_accessor_formats(dev_api):
    """<type>_<8 hex> for secrets engines, auth_<type>_<8 hex> for auth
    methods, built-in mounts included."""
    dev_api.mount("m-acc", "kv")
    dev_api.enable_auth("up-acc", "userpass")
    secrets = mounts(dev_api)[1]
    auths = dev_api.ok(dev_api.get("sys/auth"), 200)["data"]
    got = {k: v["accessor"] for k, v in secrets.items()}
    got.update({"auth/" + k: v["accessor"] for k, v in auths.items()})
    bad = {}
    for path, acc in got.items():
        info = auths[path[5:]] if path.startswith("auth/") else secrets[path]
        prefix = ("auth_" if path.startswith("auth/") else "") + info["type"] + "_"
        if not re.fullmatch(re.escape(prefix) + r"[0-9a-f]{8}", acc):
            bad[path] = acc
    assert not bad, bad


def test_enable_read_tune_disable_auth(dev_api):
    r = dev_api.post("sys/auth/up-life", {"type": "userpass", "description": "people"})
    assert r.status_code == 204, r.text
    data = dev_api.ok(dev_api.get("sys/auth"), 200)["data"]
    check_mount_info(data["up-life/"], "userpass")
    assert data["up-life/"]["description"] == "people"
    assert re.fullmatch(r"auth_userpass_[0-9a-f]{8}", data["up-life/"]["accessor"])

    one = dev_api.ok(dev_api.get("sys/auth/up-life"), 200)["data"]
    assert one["uuid"] == data["up-life/"]["uuid"]

    tune = dev_api.ok(dev_api.get("sys/auth/up-life/tune"), 200)["data"]
    assert tune["default_lease_ttl"] == SYSTEM_TTL and tune["max_lease_ttl"] == SYSTEM_TTL
    assert tune["description"] == "people"
    dev_api.ok(dev_api.post("sys/auth/up-life/tune", {"max_lease_ttl": "4h"}))
    tune = dev_api.ok(dev_api.get("sys/auth/up-life/tune"), 200)["data"]
    assert tune["max_lease_ttl"] == 14400, tune
    # Same data through the non-sudo alias.
    alias = dev_api.ok(dev_api.get("sys/mounts/auth/up-life/tune"), 200)["data"]
    assert alias["max_lease_ttl"] == 14400
    dev_api.ok(dev_api.post("sys/mounts/auth/up-life/tune", {"default_lease_ttl": "1h"}))
    assert dev_api.ok(dev_api.get("sys/auth/up-life/tune"), 200)["data"]["default_lease_ttl"] == 3600
    assert dev_api.delete("sys/auth/up-life").status_code == 204
    assert "up-life/" not in dev_api.ok(dev_api.get("sys/auth"), 200)["data"]
    assert_error(dev_api.get("sys/auth/up-life"), 400, "No auth engine at up-life/")
    assert dev_api.delete("sys/auth/up-life").status_code == 204


def test_auth_tune_token_type(dev_api):
    dev_api.enable_auth("up-tt", "userpass")
    tune = dev_api.ok(dev_api.get("sys/auth/up-tt/tune"), 200)["data"]
    assert tune.get("token_type") == "default-service", tune
    dev_api.ok(dev_api.post("sys/auth/up-tt/tune", {"token_type": "default-batch"}))
    tune = dev_api.ok(dev_api.get("sys/auth/up-tt/tune"), 200)["data"]
    assert tune.get("token_type") == "default-batch", tune
    info = dev_api.ok(dev_api.get("sys/auth"), 200)["data"]["up-tt/"]
    assert info["config"].get("token_type") == "default-batch", info
    assert dev_api.post("sys/auth/up-tt/tune", {"token_type": "nonsense"}).status_code == 400
    # token_type is not tunable on auth/token.
    assert dev_api.post("sys/auth/token/tune", {"token_type": "batch"}).status_code == 400


def test_disable_auth_revokes_its_tokens(dev_api):
    dev_api.enable_auth("up-gone", "userpass")
    dev_api.ok(dev_api.post("auth/up-gone/users/dan", {"password": "pw-dan"}), 204)
    login = dev_api.ok(dev_api.post("auth/up-gone/login/dan", {"password": "pw-dan"}, token=None),
                       200)
    tok = login["auth"]["client_token"]
    assert dev_api.get("auth/token/lookup-self", token=tok).status_code == 200
    assert dev_api.delete("sys/auth/up-gone").status_code == 204
    assert dev_api.get("auth/token/lookup-self", token=tok).status_code == 403


def test_builtin_mounts_cannot_be_disabled(dev_api):
    for path in ("sys/mounts/sys", "sys/mounts/cubbyhole", "sys/auth/token"):
        r = dev_api.delete(path)
        assert r.status_code == 400, (path, r.status_code, r.text)
    data = mounts(dev_api)[1]
    assert "sys/" in data and "cubbyhole/" in data
    assert "token/" in dev_api.ok(dev_api.get("sys/auth"), 200)["data"]


# ---- sys/internal/ui/mounts -----------------------------------------------------

def test_ui_mounts_with_token(dev_api):
    body = dev_api.ok(dev_api.get("sys/internal/ui/mounts"), 200)
    data = assert_envelope(body)
    assert "secret/" in data["secret"], data
    assert "token/" in data["auth"], data
    assert data["secret"]["secret/"]["type"] == "kv"
    assert data["secret"]["secret/"]["options"] == {"version": "2"}


def test_ui_mounts_without_token_lists_only_unauth(dev_api):
    dev_api.mount("m-ui-pub", "kv", description="public listing")
    dev_api.ok(dev_api.post("sys/mounts/m-ui-pub/tune", {"listing_visibility": "unauth"}))
    r = dev_api.get("sys/internal/ui/mounts", token=None)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert "m-ui-pub/" in data["secret"], data
    assert "secret/" not in data["secret"], data
    entry = data["secret"]["m-ui-pub/"]
    assert entry["type"] == "kv" and entry["description"] == "public listing"
    assert "options" in entry


def test_ui_mount_for_path(dev_api):
    body = dev_api.ok(dev_api.get("sys/internal/ui/mounts/secret/foo/bar"), 200)
    data = assert_envelope(body)
    assert data["path"] == "secret/"
    assert data["type"] == "kv"
    assert data["options"]["version"] == "2"
    for k in ("accessor", "uuid", "config", "description", "local", "seal_wrap"):
        assert k in data, (k, data)
    dev_api.mount("m-ui-v1", "kv")
    data = dev_api.ok(dev_api.get("sys/internal/ui/mounts/m-ui-v1/x"), 200)["data"]
    assert data["path"] == "m-ui-v1/"
    assert (data["options"] or {}).get("version", "1") == "1"


def test_ui_mount_preflight_403(dev_api):
    assert_error(dev_api.get("sys/internal/ui/mounts/m-ui-none/x"), 403,
                 "preflight capability check returned 403")
    dev_api.write_policy("ui-only-secret", 'path "secret/data/app/*" { capabilities = ["read"] }')
    tok = dev_api.create_token(policies=["ui-only-secret"])["client_token"]
    user = dev_api.as_token(tok)
    assert user.get("sys/internal/ui/mounts/secret/app/x").status_code == 200
    dev_api.mount("m-ui-private", "kv")
    # Vault names the requested path, sanitised with a trailing slash.
    assert_error(user.get("sys/internal/ui/mounts/m-ui-private/x"), 403,
                 'please ensure client\'s policies grant access to path "m-ui-private/x/"')
    # The listing with this token only shows mounts it can reach.
    listed = user.ok(user.get("sys/internal/ui/mounts"), 200)["data"]["secret"]
    assert "secret/" in listed and "m-ui-private/" not in listed


@pytest.mark.parametrize("verb", ["mount", "auth"])
def test_mount_ops_need_permissions(dev_api, verb):
    dev_api.write_policy("mounts-read-only", 'path "sys/mounts" { capabilities = ["read"] }\n'
                                             'path "sys/auth" { capabilities = ["read"] }')
    tok = dev_api.create_token(policies=["mounts-read-only"])["client_token"]
    user = Api(dev_api.server, tok)
    if verb == "mount":
        assert user.get("sys/mounts").status_code == 200
        assert_error(user.post("sys/mounts/m-perm", {"type": "kv"}), 403, "permission denied")
        assert "m-perm/" not in mounts(dev_api)[1]
    else:
        assert user.get("sys/auth").status_code == 200
        assert_error(user.post("sys/auth/up-perm", {"type": "userpass"}), 403, "permission denied")
        assert "up-perm/" not in dev_api.ok(dev_api.get("sys/auth"), 200)["data"]
