"""KV version 1, KV version 2 (config, data, delete, undelete, destroy,
metadata, subkeys) and cubbyhole over HTTP against a dev server. Facts:
vault-core-api.md §1.8, §6.1, §6.2, §6.6. Each test uses its own keys;
tests that change a mount's config get their own mount."""

import re

import pytest

from coffer_harness import Api, assert_envelope, assert_error

SYSTEM_TTL = 2764800
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


@pytest.fixture(scope="module")
def api(dev_api):
    dev_api.mount("kv1", "kv")
    return dev_api


def check_version_meta(meta, version):
    assert meta["version"] == version, meta
    assert TIME_RE.fullmatch(meta["created_time"]), meta
    assert isinstance(meta["deletion_time"], str), meta
    assert isinstance(meta["destroyed"], bool), meta
    assert "custom_metadata" in meta, meta


def put2(api, path, data, **options):
    body = {"data": data}
    if options:
        body["options"] = options
    return api.post("secret/data/" + path, body)


def write2(api, path, data, **options):
    return api.ok(put2(api, path, data, **options), 200)["data"]


# ---- KV v1 ------------------------------------------------------------------------

def test_v1_write_read_shape(api):
    assert api.put("kv1/app/db", {"user": "u", "n": 3, "nested": {"a": [1, 2]}}).status_code == 204
    body = api.ok(api.get("kv1/app/db"), 200)
    d = assert_envelope(body)
    assert d == {"user": "u", "n": 3, "nested": {"a": [1, 2]}}
    assert body["lease_id"] == "" and body["renewable"] is False
    assert body["lease_duration"] == SYSTEM_TTL
    assert body["auth"] is None and body["wrap_info"] is None


def test_v1_ttl_key_sets_lease_duration(api):
    api.ok(api.put("kv1/ttl", {"ttl": "1h", "v": 1}), 204)
    assert api.ok(api.get("kv1/ttl"), 200)["lease_duration"] == 3600


def test_v1_write_replaces(api):
    api.ok(api.put("kv1/replace", {"a": 1, "b": 2}), 204)
    api.ok(api.post("kv1/replace", {"c": 3}), 204)
    assert api.ok(api.get("kv1/replace"), 200)["data"] == {"c": 3}


def test_v1_list(api):
    for p in ("kv1/ls/b", "kv1/ls/a", "kv1/ls/dir/x", "kv1/ls/dir"):
        api.ok(api.put(p, {"v": 1}), 204)
    body = api.ok(api.list("kv1/ls/"), 200)
    assert body["data"]["keys"] == ["a", "b", "dir", "dir/"]
    # Without the trailing slash, and through GET ?list=true.
    assert api.ok(api.list("kv1/ls"), 200)["data"]["keys"] == ["a", "b", "dir", "dir/"]
    assert api.ok(api.get("kv1/ls/", params={"list": "true"}), 200)["data"]["keys"] == \
        ["a", "b", "dir", "dir/"]
    assert_error(api.list("kv1/ls-empty/"), 404)


def test_v1_delete_and_missing(api):
    api.ok(api.put("kv1/gone", {"v": 1}), 204)
    assert api.delete("kv1/gone").status_code == 204
    r = api.get("kv1/gone")
    assert_error(r, 404)
    assert r.json() == {"errors": []}
    assert api.delete("kv1/gone").status_code == 204


def test_v1_empty_write_rejected(api):
    assert_error(api.put("kv1/empty", {}), 400, "missing data fields")
    assert api.get("kv1/empty").status_code == 404


# ---- KV v2: data ----------------------------------------------------------------------

def test_v2_write_read_versions(api):
    w1 = write2(api, "app/cfg", {"a": "1"})
    check_version_meta(w1, 1)
    assert w1["deletion_time"] == "" and w1["destroyed"] is False
    assert w1["custom_metadata"] is None
    w2 = write2(api, "app/cfg", {"a": "2", "b": "x"})
    assert w2["version"] == 2
    body = api.ok(api.get("secret/data/app/cfg"), 200)
    d = assert_envelope(body)
    assert d["data"] == {"a": "2", "b": "x"}
    check_version_meta(d["metadata"], 2)
    assert body["lease_duration"] == 0
    old = api.ok(api.get("secret/data/app/cfg", params={"version": 1}), 200)["data"]
    assert old["data"] == {"a": "1"} and old["metadata"]["version"] == 1
    # version=0 means current.
    assert api.ok(api.get("secret/data/app/cfg?version=0"), 200)["data"]["metadata"]["version"] == 2


def test_v2_missing_key_and_version(api):
    r = api.get("secret/data/nope/never")
    assert_error(r, 404)
    assert r.json() == {"errors": []}
    write2(api, "onev", {"a": "1"})
    assert_error(api.get("secret/data/onev?version=7"), 404)


def test_v2_patch(api):
    write2(api, "patchme", {"a": "1", "b": "2", "c": {"d": "e"}})
    r = api.patch("secret/data/patchme", {"data": {"a": "10", "b": None, "c": {"f": "g"}}})
    meta = api.ok(r, 200)["data"]
    assert meta["version"] == 2
    d = api.ok(api.get("secret/data/patchme"), 200)["data"]
    assert d["data"] == {"a": "10", "c": {"d": "e", "f": "g"}}
    # Wrong content type.
    r = api.server.request("PATCH", "/v1/secret/data/patchme", token=api.token,
                           json={"data": {"a": "x"}})
    assert_error(r, 415, "PATCH requires Content-Type of application/merge-patch+json")
    # Missing key.
    assert api.patch("secret/data/patch-none", {"data": {"a": "1"}}).status_code == 404
    # CAS on patch.
    assert_error(api.patch("secret/data/patchme", {"data": {"a": "y"}, "options": {"cas": 1}}),
                 400, "check-and-set parameter did not match the current version")
    assert api.patch("secret/data/patchme", {"data": {"a": "y"}, "options": {"cas": 2}}) \
        .status_code == 200


def test_v2_cas(api):
    write2(api, "cas", {"a": "1"}, cas=0)
    assert_error(put2(api, "cas", {"a": "2"}, cas=0), 400,
                 "check-and-set parameter did not match the current version")
    write2(api, "cas", {"a": "2"}, cas=1)
    assert api.ok(api.get("secret/data/cas"), 200)["data"]["data"] == {"a": "2"}


def test_v2_soft_delete_and_undelete(api):
    write2(api, "del", {"v": "1"})
    write2(api, "del", {"v": "2"})
    assert api.delete("secret/data/del").status_code == 204  # current version
    r = api.get("secret/data/del")
    assert r.status_code == 404
    body = r.json()
    assert body["data"]["data"] is None
    assert TIME_RE.fullmatch(body["data"]["metadata"]["deletion_time"]), body
    assert body["data"]["metadata"]["version"] == 2
    assert api.ok(api.get("secret/data/del?version=1"), 200)["data"]["data"] == {"v": "1"}
    assert api.post("secret/delete/del", {"versions": [1]}).status_code == 204
    assert api.get("secret/data/del?version=1").status_code == 404
    assert api.post("secret/undelete/del", {"versions": [1, 2]}).status_code == 204
    assert api.ok(api.get("secret/data/del"), 200)["data"]["data"] == {"v": "2"}
    assert api.ok(api.get("secret/data/del?version=1"), 200)["data"]["metadata"]["deletion_time"] \
        == ""


def test_v2_destroy(api):
    write2(api, "destroy", {"v": "1"})
    write2(api, "destroy", {"v": "2"})
    assert api.post("secret/destroy/destroy", {"versions": [1]}).status_code == 204
    r = api.get("secret/data/destroy?version=1")
    assert r.status_code == 404
    assert r.json()["data"]["metadata"]["destroyed"] is True
    assert r.json()["data"]["data"] is None
    # Destroyed versions cannot be undeleted.
    api.post("secret/undelete/destroy", {"versions": [1]})
    assert api.get("secret/data/destroy?version=1").status_code == 404
    meta = api.ok(api.get("secret/metadata/destroy"), 200)["data"]
    assert meta["versions"]["1"]["destroyed"] is True
    assert meta["versions"]["2"]["destroyed"] is False
    assert api.get("secret/data/destroy").status_code == 200


# ---- KV v2: metadata and subkeys -------------------------------------------------------

def test_v2_metadata_shape(api):
    write2(api, "meta/a", {"v": "1"})
    write2(api, "meta/a", {"v": "2"})
    body = api.ok(api.get("secret/metadata/meta/a"), 200)
    d = assert_envelope(body)
    assert d["current_version"] == 2
    assert d["oldest_version"] in (0, 1)
    assert d["max_versions"] == 0
    assert d["cas_required"] is False
    assert d["delete_version_after"] == "0s"
    assert d["custom_metadata"] is None
    assert TIME_RE.fullmatch(d["created_time"]) and TIME_RE.fullmatch(d["updated_time"])
    assert sorted(d["versions"]) == ["1", "2"]
    for v in d["versions"].values():
        assert TIME_RE.fullmatch(v["created_time"])
        assert v["deletion_time"] == "" and v["destroyed"] is False
    assert_error(api.get("secret/metadata/meta/none"), 404)


def test_v2_metadata_write_patch_and_max_versions(api):
    r = api.post("secret/metadata/mv", {"max_versions": 2, "custom_metadata": {"owner": "ops"}})
    assert r.status_code == 204, r.text
    d = api.ok(api.get("secret/metadata/mv"), 200)["data"]
    assert d["max_versions"] == 2 and d["custom_metadata"] == {"owner": "ops"}
    assert d["current_version"] == 0
    for i in range(1, 4):
        assert write2(api, "mv", {"v": str(i)})["custom_metadata"] == {"owner": "ops"}
    d = api.ok(api.get("secret/metadata/mv"), 200)["data"]
    assert d["current_version"] == 3
    assert sorted(d["versions"]) == ["2", "3"]
    assert d["oldest_version"] == 2
    assert api.get("secret/data/mv?version=1").status_code == 404
    r = api.patch("secret/metadata/mv", {"custom_metadata": {"team": "x"}})
    assert r.status_code == 204, r.text
    d = api.ok(api.get("secret/metadata/mv"), 200)["data"]
    assert d["custom_metadata"] == {"owner": "ops", "team": "x"}
    assert d["max_versions"] == 2


def test_v2_metadata_list_and_delete(api):
    for p in ("lst/b", "lst/a", "lst/sub/c"):
        write2(api, p, {"v": "1"})
    assert api.ok(api.list("secret/metadata/lst/"), 200)["data"]["keys"] == ["a", "b", "sub/"]
    assert api.ok(api.list("secret/metadata/lst"), 200)["data"]["keys"] == ["a", "b", "sub/"]
    assert_error(api.list("secret/metadata/lst-none/"), 404)
    assert api.delete("secret/metadata/lst/a").status_code == 204
    assert api.get("secret/metadata/lst/a").status_code == 404
    r = api.get("secret/data/lst/a")
    assert r.status_code == 404 and r.json() == {"errors": []}
    assert api.ok(api.list("secret/metadata/lst/"), 200)["data"]["keys"] == ["b", "sub/"]


def test_v2_subkeys(api):
    write2(api, "sk", {"a": "1", "b": {"c": "2", "d": {"e": "3"}}})
    body = api.ok(api.get("secret/subkeys/sk"), 200)
    d = assert_envelope(body)
    assert d["subkeys"] == {"a": None, "b": {"c": None, "d": {"e": None}}}
    check_version_meta(d["metadata"], 1)
    d = api.ok(api.get("secret/subkeys/sk?depth=1"), 200)["data"]
    assert d["subkeys"] == {"a": None, "b": None}
    write2(api, "sk", {"z": "9"})
    d = api.ok(api.get("secret/subkeys/sk?version=1"), 200)["data"]
    assert d["subkeys"]["a"] is None and d["metadata"]["version"] == 1
    assert api.get("secret/subkeys/sk-none").status_code == 404


def test_v2_invalid_path_warning(api):
    r = api.get("secret/not-a-v2-route")
    assert r.status_code == 404, r.text
    warnings = r.json().get("warnings") or []
    assert any("Invalid path for a versioned K/V secrets engine" in w for w in warnings), r.text


def test_v2_config(api):
    api.mount("kv2cfg", "kv-v2")
    body = api.ok(api.get("kv2cfg/config"), 200)
    d = assert_envelope(body)
    assert d == {"max_versions": 0, "cas_required": False, "delete_version_after": "0s"}
    r = api.post("kv2cfg/config", {"max_versions": 5, "cas_required": True,
                                   "delete_version_after": "1h"})
    assert r.status_code == 204, r.text
    d = api.ok(api.get("kv2cfg/config"), 200)["data"]
    assert d == {"max_versions": 5, "cas_required": True, "delete_version_after": "1h0m0s"}
    # cas_required on the mount: writes without cas are refused.
    assert_error(api.post("kv2cfg/data/k", {"data": {"a": "1"}}), 400,
                 "check-and-set parameter required for this call")
    assert api.get("kv2cfg/data/k").status_code == 404
    assert api.post("kv2cfg/data/k", {"data": {"a": "1"}, "options": {"cas": 0}}) \
        .status_code == 200
    # delete_version_after gives new versions a deletion_time.
    meta = api.ok(api.get("kv2cfg/data/k"), 200)["data"]["metadata"]
    assert TIME_RE.fullmatch(meta["deletion_time"]), meta


def test_v2_key_level_cas_required(api):
    api.ok(api.post("secret/metadata/kcas", {"cas_required": True}), 204)
    assert_error(put2(api, "kcas", {"a": "1"}), 400, "check-and-set parameter required")
    write2(api, "kcas", {"a": "1"}, cas=0)


# ---- cubbyhole -------------------------------------------------------------------------

def test_cubbyhole_private_per_token(api):
    a = Api(api.server, api.create_token(policies=["kv-cubby"])["client_token"])
    b = Api(api.server, api.create_token(policies=["kv-cubby"])["client_token"])
    assert a.put("cubbyhole/note", {"msg": "for a"}).status_code == 204
    body = a.ok(a.get("cubbyhole/note"), 200)
    assert body["data"] == {"msg": "for a"}
    assert a.ok(a.list("cubbyhole/"), 200)["data"]["keys"] == ["note"]
    assert b.get("cubbyhole/note").status_code == 404
    assert_error(b.list("cubbyhole/"), 404)
    assert b.put("cubbyhole/note", {"msg": "for b"}).status_code == 204
    assert a.ok(a.get("cubbyhole/note"), 200)["data"] == {"msg": "for a"}
    assert a.delete("cubbyhole/note").status_code == 204
    assert a.get("cubbyhole/note").status_code == 404
    assert b.ok(b.get("cubbyhole/note"), 200)["data"] == {"msg": "for b"}


def test_cubbyhole_destroyed_with_token(api):
    tok_a = api.create_token(policies=["kv-cubby"])["client_token"]
    a = Api(api.server, tok_a)
    assert a.put("cubbyhole/keep", {"v": "secret-of-a"}).status_code == 204
    assert api.post("auth/token/revoke", {"token": tok_a}).status_code == 204
    # A is gone ...
    assert_error(a.get("cubbyhole/keep"), 403)
    # ... and a new token cannot see A's data.
    c = Api(api.server, api.create_token(policies=["kv-cubby"])["client_token"])
    assert c.get("cubbyhole/keep").status_code == 404
    assert_error(c.list("cubbyhole/"), 404)


def test_cubbyhole_root_token_has_its_own(api):
    tok = api.create_token(policies=["kv-cubby"])["client_token"]
    Api(api.server, tok).ok(Api(api.server, tok).put("cubbyhole/mine", {"v": 1}), 204)
    assert api.get("cubbyhole/mine").status_code == 404


def test_cubbyhole_rejects_batch_tokens(api):
    tok = api.create_token(type="batch", policies=["kv-cubby"])["client_token"]
    r = api.put("cubbyhole/x", {"v": 1}, token=tok)
    assert r.status_code == 400, r.text


def nested(depth):
    value = "bottom"
    for _ in range(depth):
        value = {"n": value}
    return value


def test_deeply_nested_secrets_are_stored_and_read_back(api):
    # kv writes run as fibers on smaller stacks than a thread's: a secret
    # nested as deep as a request body may be (512 levels of brackets in all)
    # is stored, read back whole, and the server keeps serving.
    deep = nested(500)
    write2(api, "deep", deep)
    assert api.ok(api.get("secret/data/deep"), 200)["data"]["data"] == deep
    api.ok(api.post("kv1/deep", {"v": deep}), 204)
    assert api.ok(api.get("kv1/deep"), 200)["data"]["v"] == deep
    # Past the limit: refused, nothing stored.
    assert_error(put2(api, "too-deep", nested(600)), 400)
    assert_error(api.get("secret/data/too-deep"), 404)
    assert api.get("sys/health").status_code == 200
