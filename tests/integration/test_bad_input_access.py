"""Bad input and refused access over HTTP against a dev server: unknown,
expired, used-up and revoked tokens; malformed policies; path traversal;
CAS mismatches; missing versions; wrong field types; mount conflicts and
unknown engine types; malformed bodies. After every rejected request the
test reads back to prove nothing was (partially) written.
Facts: vault-core-api.md §1.2, §1.3, §1.7, §2.6, §2.8, §4, §6.2."""

import json
import re

import pytest

from coffer_harness import (Api, RawReader, assert_error, raw_connect, raw_request_bytes,
                            wait_until)

EXPIRY_DEADLINE_S = 15.0


@pytest.fixture(scope="module")
def api(dev_api):
    dev_api.mount("bi", "kv")
    dev_api.mount("bi-other", "kv")
    return dev_api


def raw_put(srv, target, body, token="root"):
    """PUT with the request target sent exactly as given (no client-side
    normalisation of dot segments or escapes)."""
    s = raw_connect(srv)
    try:
        payload = json.dumps(body).encode()
        s.sendall(raw_request_bytes("PUT", target, headers={
            "X-Vault-Token": token, "Content-Type": "application/json",
            "Connection": "close"}, body=payload))
        return RawReader(s).read_response()
    finally:
        s.close()


def list_keys(api, path):
    r = api.list(path)
    if r.status_code == 404:
        return []
    return api.ok(r, 200)["data"]["keys"]


def accessor_count(api):
    return len(api.ok(api.list("auth/token/accessors"), 200)["data"]["keys"])


def policy_names(api):
    return set(api.ok(api.list("sys/policies/acl"), 200)["data"]["keys"])


# ---- tokens ---------------------------------------------------------------------

def test_unknown_and_missing_token(api):
    for token in ("hvs.ThisTokenDoesNotExist0000", "not-even-a-token", None):
        assert_error(api.get("secret/data/x", token=token), 403, "permission denied")
        assert_error(api.put("bi/unknown-tok", {"v": 1}, token=token), 403)
    assert api.get("bi/unknown-tok").status_code == 404


def test_expired_token(api):
    tok = api.create_token(policies=["bi-any"], ttl="2s")["client_token"]
    assert api.get("auth/token/lookup-self", token=tok).status_code == 200

    def expired():
        return api.get("auth/token/lookup-self", token=tok).status_code == 403

    assert wait_until(expired, EXPIRY_DEADLINE_S), "token still valid after its 2s TTL"
    assert_error(api.get("auth/token/lookup-self", token=tok), 403, "permission denied")
    assert_error(api.lookup(tok), 403, "bad token")
    assert_error(api.put("cubbyhole/x", {"v": 1}, token=tok), 403)


def test_used_up_token(api):
    api.write_policy("bi-writer", 'path "bi/used/*" { capabilities = ["create", "read"] }')
    tok = api.create_token(policies=["bi-writer"], num_uses=2)["client_token"]
    user = Api(api.server, tok)
    assert user.put("bi/used/one", {"v": 1}).status_code == 204
    assert user.get("bi/used/one").status_code == 200
    assert_error(user.put("bi/used/two", {"v": 2}), 403, "permission denied")
    assert api.get("bi/used/two").status_code == 404
    assert_error(user.get("bi/used/one"), 403)


def test_revoked_token(api):
    tok = api.create_token(policies=["bi-any"])["client_token"]
    api.ok(api.post("auth/token/revoke", {"token": tok}), 204)
    assert_error(api.get("auth/token/lookup-self", token=tok), 403, "permission denied")


def test_denied_write_leaves_nothing(api):
    api.write_policy("bi-ro", 'path "bi/ro/*" { capabilities = ["read"] }')
    user = Api(api.server, api.create_token(policies=["bi-ro"])["client_token"])
    assert_error(user.put("bi/ro/new", {"v": 1}), 403, "permission denied")
    assert_error(user.post("secret/data/bi-ro", {"data": {"v": 1}}), 403)
    assert api.get("bi/ro/new").status_code == 404
    assert api.get("secret/metadata/bi-ro").status_code == 404


# ---- malformed policies ---------------------------------------------------------------

def assert_names_line(resp, line):
    body = assert_error(resp, 400, "failed to parse policy")
    msg = " ".join(body["errors"])
    assert re.search(r"(line %d\b|:%d:\d+)" % (line, line), msg), msg


def test_policy_syntax_error_names_line(api):
    text = 'path "a/*" {\n  capabilities = ["read"]\n}\n\npath "b" {\n  capabilities = ["read"\n}\n'
    assert_names_line(api.put("sys/policies/acl/bi-bad1", {"policy": text}), 7)
    assert api.get("sys/policies/acl/bi-bad1").status_code == 404


def test_policy_unknown_key_names_line(api):
    text = 'path "a" {\n  capabilities = ["read"]\n}\nbogus "x" {}\n'
    assert_names_line(api.put("sys/policies/acl/bi-bad2", {"policy": text}), 4)
    text = 'path "a" {\n  capabilities = ["read"]\n  colour = "red"\n}\n'
    assert_names_line(api.put("sys/policies/acl/bi-bad3", {"policy": text}), 3)
    assert not {"bi-bad2", "bi-bad3"} & policy_names(api)


def test_policy_bad_capability_and_json(api):
    before = policy_names(api)
    assert_error(api.put("sys/policies/acl/bi-bad4",
                         {"policy": 'path "a" { capabilities = ["read", "fly"] }'}), 400,
                 'invalid capability "fly"')
    assert_error(api.put("sys/policies/acl/bi-bad5",
                         {"policy": '{"path": {"a": {"capabilities": ["read"]}}'}), 400,
                 "failed to parse policy")
    assert policy_names(api) == before


def test_failed_policy_update_keeps_old_text(api):
    good = 'path "bi/keep/*" { capabilities = ["read"] }'
    api.write_policy("bi-keep", good)
    tok = api.create_token(policies=["bi-keep"])["client_token"]
    api.ok(api.put("bi/keep/x", {"v": 1}), 204)
    r = api.put("sys/policies/acl/bi-keep", {"policy": 'path "bi/keep/*" { capabilities = '})
    assert r.status_code == 400, r.text
    assert api.ok(api.get("sys/policies/acl/bi-keep"), 200)["data"]["policy"] == good
    assert api.get("bi/keep/x", token=tok).status_code == 200


# ---- path traversal -------------------------------------------------------------------

TRAVERSALS = [
    "/v1/bi/a/../b",
    "/v1/bi/a/%2e%2e/b",
    "/v1/bi/a/%2E%2E/b",
    "/v1/bi/a%2F..%2Fb",
    "/v1/bi/a%2f%2e%2e%2fb",
    "/v1/bi/./b",
    "/v1/bi/../bi-other/b",
    "/v1/bi/%2e%2e/bi-other/b",
    "/v1/bi/..%2Fbi-other%2Fb",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_path_traversal_in_data_path(api, target):
    resp = raw_put(api.server, target, {"v": "traversal"})
    assert resp.status in (400, 404), (target, resp.status, resp.body[:200])
    assert resp.headers.get("content-type") == "application/json"
    for path in ("bi/b", "bi/a", "bi/a/b", "bi-other/b"):
        assert api.get(path).status_code == 404, (target, path)
    assert not any("b" == k or k.startswith("a") for k in list_keys(api, "bi/")), target
    assert list_keys(api, "bi-other/") == [], target


@pytest.mark.parametrize("target", [
    "/v1/bi/../sys/policies/acl/bi-evil",
    "/v1/bi/%2e%2e/sys/policies/acl/bi-evil",
    "/v1/bi%2F..%2Fsys%2Fpolicies%2Facl%2Fbi-evil",
    "/v1/secret/data/../../sys/policies/acl/bi-evil",
])
def test_path_traversal_out_of_mount(api, target):
    body = {"policy": 'path "*" { capabilities = ["sudo", "read"] }', "v": 1}
    resp = raw_put(api.server, target, body)
    assert resp.status in (400, 404), (target, resp.status, resp.body[:200])
    assert api.get("sys/policies/acl/bi-evil").status_code == 404


def test_traversal_cannot_escape_acl(api):
    api.write_policy("bi-jail", 'path "bi/jail/*" { capabilities = ["create", "update", "read"] }')
    tok = api.create_token(policies=["bi-jail"])["client_token"]
    for target in ("/v1/bi/jail/../free", "/v1/bi/jail/%2e%2e/free", "/v1/bi/jail%2F..%2Ffree"):
        resp = raw_put(api.server, target, {"v": 1}, token=tok)
        assert resp.status in (400, 403, 404), (target, resp.status)
    assert api.get("bi/free").status_code == 404
    assert api.get("bi/jail/free").status_code == 404


# ---- KV v2 ----------------------------------------------------------------------------

def test_cas_mismatch(api):
    api.ok(api.post("secret/data/bi-cas", {"data": {"v": "1"}}), 200)
    api.ok(api.post("secret/data/bi-cas", {"data": {"v": "2"}}), 200)
    for cas in (0, 1, 5):
        assert_error(api.post("secret/data/bi-cas", {"data": {"v": "x"}, "options": {"cas": cas}}),
                     400, "check-and-set parameter did not match the current version")
    d = api.ok(api.get("secret/data/bi-cas"), 200)["data"]
    assert d["data"] == {"v": "2"} and d["metadata"]["version"] == 2
    assert api.ok(api.get("secret/metadata/bi-cas"), 200)["data"]["current_version"] == 2
    assert_error(api.post("secret/data/bi-cas", {"data": {"v": "x"}, "options": {"cas": "abc"}}),
                 400, "error parsing check-and-set parameter")
    assert api.ok(api.get("secret/metadata/bi-cas"), 200)["data"]["current_version"] == 2


def test_nonexistent_versions(api):
    api.ok(api.post("secret/data/bi-ver", {"data": {"v": "1"}}), 200)
    for v in (2, 99):
        assert_error(api.get("secret/data/bi-ver", params={"version": v}), 404)
        assert api.get("secret/subkeys/bi-ver", params={"version": v}).status_code == 404
    # Operations on versions that do not exist change nothing.
    for op in ("delete", "undelete", "destroy"):
        r = api.post("secret/%s/bi-ver" % op, {"versions": [42]})
        assert r.status_code in (204, 400), (op, r.status_code, r.text)
    meta = api.ok(api.get("secret/metadata/bi-ver"), 200)["data"]
    assert sorted(meta["versions"]) == ["1"] and meta["current_version"] == 1
    assert api.ok(api.get("secret/data/bi-ver"), 200)["data"]["data"] == {"v": "1"}
    assert_error(api.get("secret/data/bi-never"), 404)


def test_kv2_wrong_types(api):
    for body in ({"data": "a string"}, {"data": [1, 2]}, {"data": {"v": 1}, "options": "x"}):
        r = api.post("secret/data/bi-types", body)
        assert r.status_code == 400, (body, r.status_code, r.text)
    assert_error(api.post("secret/data/bi-types", {}), 400, "no data provided")
    assert api.get("secret/metadata/bi-types").status_code == 404
    for body in ({"versions": "one"}, {"versions": ["x"]}):
        api.ok(api.post("secret/data/bi-types2", {"data": {"v": "1"}}), 200)
        assert api.post("secret/delete/bi-types2", body).status_code == 400, body
        assert api.get("secret/data/bi-types2").status_code == 200
    r = api.post("secret/metadata/bi-types3", {"max_versions": "many"})
    assert r.status_code == 400, r.text
    assert api.get("secret/metadata/bi-types3").status_code == 404
    r = api.post("secret/metadata/bi-types3", {"custom_metadata": "not a map"})
    assert r.status_code == 400, r.text
    assert api.get("secret/metadata/bi-types3").status_code == 404


# ---- wrong field types elsewhere --------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"ttl": "banana"}, {"num_uses": "x"}, {"meta": "x"}, {"renewable": "maybe"},
    {"explicit_max_ttl": [1]}, {"no_parent": {"a": 1}},
])
def test_token_create_wrong_types(api, body):
    before = accessor_count(api)
    r = api.post("auth/token/create", dict(body, policies=["bi-any"]))
    assert r.status_code == 400, (body, r.status_code, r.text)
    assert accessor_count(api) == before


def test_userpass_wrong_types(api):
    api.enable_auth("bi-up", "userpass")
    for body in ({"password": "pw", "token_ttl": "soon"},
                 {"password": "pw", "token_num_uses": "lots"},
                 {"password": "pw", "token_no_default_policy": "perhaps"}):
        r = api.post("auth/bi-up/users/zed", body)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert api.get("auth/bi-up/users/zed").status_code == 404
        assert api.post("auth/bi-up/login/zed", {"password": "pw"}, token=None).status_code == 400


@pytest.mark.parametrize("body", [
    {"type": "kv", "config": "x"},
    {"type": "kv", "config": {"max_lease_ttl": "soon"}},
    {"type": "kv", "options": "x"},
    {"type": 5},
])
def test_mount_wrong_types(api, body):
    r = api.post("sys/mounts/bi-wt", body)
    assert r.status_code == 400, (body, r.status_code, r.text)
    assert "bi-wt/" not in api.ok(api.get("sys/mounts"), 200)["data"]


# ---- mounts --------------------------------------------------------------------------------

def test_mount_over_existing_path(api):
    before = api.ok(api.get("sys/mounts"), 200)["data"]
    api.ok(api.put("bi/keep-me", {"v": 1}), 204)
    for path, body in (("bi", {"type": "kv"}),
                       ("secret", {"type": "kv", "options": {"version": "1"}}),
                       ("bi/nested", {"type": "kv"}),
                       ("cubbyhole", {"type": "kv"})):
        assert_error(api.post("sys/mounts/" + path, body), 400)
    after = api.ok(api.get("sys/mounts"), 200)["data"]
    assert after == before
    assert api.ok(api.get("bi/keep-me"), 200)["data"] == {"v": 1}
    # Parent of an existing mount.
    api.mount("bi-deep/inner", "kv")
    assert_error(api.post("sys/mounts/bi-deep", {"type": "kv"}), 400)
    assert "bi-deep/" not in api.ok(api.get("sys/mounts"), 200)["data"]
    # Same for auth methods.
    api.enable_auth("bi-auth", "userpass")
    assert_error(api.post("sys/auth/bi-auth", {"type": "approle"}), 400)
    assert_error(api.post("sys/auth/token", {"type": "userpass"}), 400)
    assert api.ok(api.get("sys/auth"), 200)["data"]["bi-auth/"]["type"] == "userpass"


def test_mount_reserved_paths(api):
    for path in ("sys/bi", "auth/bi", "identity"):
        r = api.post("sys/mounts/" + path, {"type": "kv"})
        assert r.status_code == 400, (path, r.status_code, r.text)
    data = api.ok(api.get("sys/mounts"), 200)["data"]
    assert not {"sys/bi/", "auth/bi/"} & set(data)


def test_unknown_engine_type(api):
    assert_error(api.post("sys/mounts/bi-unknown", {"type": "no-such-engine"}), 400)
    assert "bi-unknown/" not in api.ok(api.get("sys/mounts"), 200)["data"]
    assert_error(api.post("sys/auth/bi-unknown", {"type": "no-such-method"}), 400)
    assert "bi-unknown/" not in api.ok(api.get("sys/auth"), 200)["data"]
    # An auth method type as a secrets engine and vice versa.
    assert_error(api.post("sys/mounts/bi-cross", {"type": "userpass"}), 400)
    assert_error(api.post("sys/auth/bi-cross", {"type": "kv"}), 400)
    assert api.put("bi-unknown/x", {"v": 1}).status_code == 404


def test_invalid_kv_version_option(api):
    assert_error(api.post("sys/mounts/bi-ver", {"type": "kv", "options": {"version": "7"}}), 400)
    assert "bi-ver/" not in api.ok(api.get("sys/mounts"), 200)["data"]


def test_version_option_rejected_for_auth_methods(api):
    assert_error(api.post("sys/auth/bi-ver", {"type": "userpass", "options": {"version": "2"}}),
                 400)
    assert "bi-ver/" not in api.ok(api.get("sys/auth"), 200)["data"]


# ---- malformed requests --------------------------------------------------------------------

@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"str"', b"{\"a\": 1,}"])
def test_malformed_json(api, raw):
    before = accessor_count(api)
    r = api.server.request("POST", "/v1/auth/token/create", token=api.token, data=raw,
                           headers={"Content-Type": "application/json"})
    assert_error(r, 400, "error parsing JSON")
    assert accessor_count(api) == before
    r = api.server.request("PUT", "/v1/bi/malformed", token=api.token, data=raw,
                           headers={"Content-Type": "application/json"})
    assert_error(r, 400)
    assert api.get("bi/malformed").status_code == 404


def test_bad_list_bool_and_method(api):
    assert_error(api.get("bi/", params={"list": "maybe"}), 400)
    assert_error(api.server.request("FROB", "/v1/bi/x", token=api.token), 405)


def test_patch_rejections(api):
    api.ok(api.post("secret/data/bi-patch", {"data": {"a": "1"}}), 200)
    r = api.server.request("PATCH", "/v1/secret/data/bi-patch", token=api.token,
                           data=json.dumps({"data": {"a": "2"}}),
                           headers={"Content-Type": "application/json"})
    assert_error(r, 415, "PATCH requires Content-Type of application/merge-patch+json")
    assert_error(api.patch("secret/data/bi-patch", {"data": "x"}), 400)
    d = api.ok(api.get("secret/data/bi-patch"), 200)["data"]
    assert d["data"] == {"a": "1"} and d["metadata"]["version"] == 1
