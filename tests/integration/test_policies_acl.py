"""Policies and the ACL over HTTP against a dev server: sys/policy,
sys/policies/acl, sys/capabilities{,-self,-accessor}; every capability
denied without and granted with the rule; deny precedence; + and * globs;
priority between matching patterns; allowed/denied/required parameters;
sudo-protected paths; policy changes applying on the next request.
Facts: vault-core-api.md §2.8, §2.9, §3.

Rules target a KV v1 mount "acl/" (create vs update by existence) and the
KV v2 mount secret/ (patch)."""

import base64
import itertools
import json

import pytest

from coffer_harness import Api, assert_envelope, assert_error, wait_until

_names = itertools.count()


@pytest.fixture(scope="module")
def api(dev_api):
    dev_api.mount("acl", "kv")
    return dev_api


def user_with(api, *policy_texts):
    """An Api whose token carries one fresh policy per text (plus default)."""
    names = []
    for text in policy_texts:
        name = "acl-p%d" % next(_names)
        api.write_policy(name, text)
        names.append(name)
    auth = api.create_token(policies=names)
    return Api(api.server, auth["client_token"]), names


def rule(path, *caps, extra=""):
    return 'path "%s" {\n  capabilities = [%s]\n%s}\n' % (
        path, ", ".join('"%s"' % c for c in caps), extra)


def denied(resp):
    assert_error(resp, 403, "permission denied")


# ---- policy CRUD -----------------------------------------------------------------

def test_policy_crud_modern(api):
    text = rule("acl/crud/*", "read")
    assert api.put("sys/policies/acl/crud-modern", {"policy": text}).status_code == 204
    d = assert_envelope(api.ok(api.get("sys/policies/acl/crud-modern"), 200))
    assert d == {"name": "crud-modern", "policy": text}
    keys = api.ok(api.list("sys/policies/acl"), 200)["data"]["keys"]
    assert {"crud-modern", "default", "root"} <= set(keys)
    assert api.get("sys/policies/acl?list=true").json()["data"]["keys"] == keys
    assert api.delete("sys/policies/acl/crud-modern").status_code == 204
    assert api.get("sys/policies/acl/crud-modern").status_code == 404
    assert api.delete("sys/policies/acl/crud-modern").status_code == 204


def test_policy_crud_legacy(api):
    text = rule("acl/legacy/*", "read")
    assert api.put("sys/policy/crud-legacy", {"policy": text}).status_code == 204
    body = api.ok(api.get("sys/policy/crud-legacy"), 200)
    d = assert_envelope(body)
    assert d["name"] == "crud-legacy" and d["rules"] == text
    assert body["rules"] == text  # injected at top level
    body = api.ok(api.get("sys/policy"), 200)
    assert "crud-legacy" in body["data"]["policies"] and "root" in body["data"]["policies"]
    assert body["data"]["keys"] == body["data"]["policies"]
    assert body["policies"] == body["data"]["policies"]
    # The deprecated "rules" key works on the legacy path, with a warning.
    r = api.put("sys/policy/crud-legacy2", {"rules": text})
    assert r.status_code == 200, r.text
    assert any("'rules' is deprecated" in w for w in r.json()["warnings"]), r.text
    assert api.ok(api.get("sys/policy/crud-legacy2"), 200)["data"]["rules"] == text
    assert api.delete("sys/policy/crud-legacy").status_code == 204
    assert api.get("sys/policy/crud-legacy").status_code == 404


def test_policy_json_base64_and_name_case(api):
    doc = {"path": {"acl/json/*": {"capabilities": ["read"]}}}
    assert api.put("sys/policies/acl/json-pol", {"policy": json.dumps(doc)}).status_code == 204
    user = Api(api.server, api.create_token(policies=["json-pol"])["client_token"])
    api.ok(api.put("acl/json/a", {"v": 1}), 204)
    assert user.get("acl/json/a").status_code == 200
    b64 = base64.b64encode(rule("acl/b64/*", "read").encode()).decode()
    assert api.put("sys/policies/acl/b64-pol", {"policy": b64}).status_code == 204
    assert 'path "acl/b64/*"' in api.ok(api.get("sys/policies/acl/b64-pol"), 200)["data"]["policy"]
    r = api.put("sys/policies/acl/MixedCase", {"policy": rule("acl/mc", "read")})
    assert r.status_code in (200, 204), r.text
    if r.status_code == 200:
        assert any("mixedcase" in w for w in r.json()["warnings"]), r.text
    assert api.get("sys/policies/acl/mixedcase").status_code == 200


def test_builtin_policies(api):
    assert_error(api.put("sys/policies/acl/root", {"policy": rule("x", "read")}), 400,
                 'cannot update "root" policy')
    assert api.delete("sys/policies/acl/root").status_code == 400
    assert api.delete("sys/policies/acl/default").status_code == 400
    default = api.ok(api.get("sys/policies/acl/default"), 200)["data"]["policy"]
    assert 'path "auth/token/lookup-self"' in default
    # default is editable (and restored afterwards).
    api.write_policy("default", default + rule("acl/by-default", "read"))
    tok = api.create_token(policies=["acl-none"])["client_token"]
    api.ok(api.put("acl/by-default", {"v": 1}), 204)
    assert api.get("acl/by-default", token=tok).status_code == 200
    api.write_policy("default", default)
    assert api.get("acl/by-default", token=tok).status_code == 403
    assert_error(api.put("sys/policies/acl/empty", {"policy": ""}), 400,
                 "'policy' parameter not supplied or empty")
    assert_error(api.delete("sys/policies/acl/default"), 400, "cannot delete default policy")
    assert_error(api.delete("sys/policy/default"), 400, "cannot delete default policy")


# ---- capabilities endpoints -------------------------------------------------------------

def test_capabilities_endpoints(api):
    user, _ = user_with(api, rule("acl/cap/*", "read", "list") + rule("acl/cap/w", "update"))
    r = user.post("sys/capabilities-self", {"paths": ["acl/cap/x"]})
    body = user.ok(r, 200)
    d = assert_envelope(body)
    assert d["acl/cap/x"] == ["list", "read"]
    assert d["capabilities"] == ["list", "read"]
    assert body["capabilities"] == ["list", "read"]  # injected
    d = user.ok(user.post("sys/capabilities-self", {"paths": ["acl/cap/w", "acl/other"]}),
                200)["data"]
    assert d["acl/cap/w"] == ["update"]
    assert d["acl/other"] == ["deny"]
    assert "capabilities" not in d
    d = api.ok(api.post("sys/capabilities", {"token": user.token, "paths": "acl/cap/y"}),
               200)["data"]
    assert d["acl/cap/y"] == ["list", "read"]
    accessor = api.lookup(user.token).json()["data"]["accessor"]
    d = api.ok(api.post("sys/capabilities-accessor", {"accessor": accessor,
                                                      "paths": ["acl/cap/w"]}), 200)["data"]
    assert d["acl/cap/w"] == ["update"]
    d = api.ok(api.post("sys/capabilities-self", {"paths": ["anything/at/all"]}), 200)["data"]
    assert d["anything/at/all"] == ["root"]
    assert_error(api.post("sys/capabilities", {"token": "hvs.NoSuchTokenXXXXXXXXXXXXX",
                                               "paths": ["a"]}), 400, "invalid token")


# ---- each capability: lacking -> 403, granted -> success ---------------------------------

def test_create_capability(api):
    lacking, _ = user_with(api, rule("acl/c/*", "read", "update", "list", "delete"))
    granting, _ = user_with(api, rule("acl/c/*", "create"))
    denied(lacking.put("acl/c/new1", {"v": 1}))
    assert api.get("acl/c/new1").status_code == 404  # nothing written
    assert granting.put("acl/c/new1", {"v": 1}).status_code == 204
    assert api.ok(api.get("acl/c/new1"), 200)["data"] == {"v": 1}


def test_update_capability(api):
    api.ok(api.put("acl/u/existing", {"v": "old"}), 204)
    lacking, _ = user_with(api, rule("acl/u/*", "create", "read", "list", "delete"))
    granting, _ = user_with(api, rule("acl/u/*", "update"))
    denied(lacking.put("acl/u/existing", {"v": "lacking"}))
    assert api.ok(api.get("acl/u/existing"), 200)["data"] == {"v": "old"}
    assert granting.put("acl/u/existing", {"v": "new"}).status_code == 204
    assert api.ok(api.get("acl/u/existing"), 200)["data"] == {"v": "new"}
    # update alone does not allow creating.
    denied(granting.put("acl/u/absent", {"v": 1}))


def test_read_capability(api):
    api.ok(api.put("acl/r/x", {"v": 1}), 204)
    lacking, _ = user_with(api, rule("acl/r/*", "create", "update", "list", "delete", "patch"))
    granting, _ = user_with(api, rule("acl/r/*", "read"))
    denied(lacking.get("acl/r/x"))
    assert granting.ok(granting.get("acl/r/x"), 200)["data"] == {"v": 1}


def test_patch_capability(api):
    api.ok(api.post("secret/data/acl-patch", {"data": {"a": "1", "b": "2"}}), 200)
    lacking, _ = user_with(api, rule("secret/data/acl-patch", "create", "read", "update",
                                     "delete", "list"))
    granting, _ = user_with(api, rule("secret/data/acl-patch", "patch"))
    denied(lacking.patch("secret/data/acl-patch", {"data": {"a": "lacking"}}))
    assert api.ok(api.get("secret/data/acl-patch"), 200)["data"]["metadata"]["version"] == 1
    r = granting.patch("secret/data/acl-patch", {"data": {"a": "patched"}})
    assert r.status_code == 200, r.text
    d = api.ok(api.get("secret/data/acl-patch"), 200)["data"]
    assert d["data"] == {"a": "patched", "b": "2"} and d["metadata"]["version"] == 2


def test_delete_capability(api):
    api.ok(api.put("acl/d/x", {"v": 1}), 204)
    lacking, _ = user_with(api, rule("acl/d/*", "create", "read", "update", "list", "patch"))
    granting, _ = user_with(api, rule("acl/d/*", "delete"))
    denied(lacking.delete("acl/d/x"))
    assert api.get("acl/d/x").status_code == 200
    assert granting.delete("acl/d/x").status_code == 204
    assert api.get("acl/d/x").status_code == 404


def test_list_capability(api):
    api.ok(api.put("acl/l/a", {"v": 1}), 204)
    api.ok(api.put("acl/l/b/c", {"v": 1}), 204)
    lacking, _ = user_with(api, rule("acl/l/*", "create", "read", "update", "delete"))
    granting, _ = user_with(api, rule("acl/l/", "list"))
    denied(lacking.list("acl/l/"))
    assert granting.ok(granting.list("acl/l/"), 200)["data"]["keys"] == ["a", "b/"]
    # GET ?list=true is the same operation.
    assert granting.get("acl/l/", params={"list": "true"}).status_code == 200
    denied(lacking.get("acl/l/", params={"list": "true"}))
    # A rule without the trailing slash also covers a LIST of "<path>/".
    noslash, _ = user_with(api, rule("acl/l", "list"))
    assert noslash.list("acl/l/").status_code == 200


def test_sudo_capability_token_accessors(api):
    lacking, _ = user_with(api, rule("auth/token/accessors", "list", "read"))
    lacking_too, _ = user_with(api, rule("auth/token/accessors/", "list"))
    granting, _ = user_with(api, rule("auth/token/accessors", "list", "sudo") +
                            rule("auth/token/accessors/", "list", "sudo"))
    denied(lacking.list("auth/token/accessors"))
    denied(lacking_too.list("auth/token/accessors"))
    assert granting.ok(granting.list("auth/token/accessors"), 200)["data"]["keys"]
    # sudo alone grants no operation.
    sudo_only, _ = user_with(api, rule("auth/token/accessors", "sudo") +
                             rule("auth/token/accessors/", "sudo"))
    denied(sudo_only.list("auth/token/accessors"))


def test_sudo_capability_remount(api):
    api.mount("acl-rm-a", "kv")
    api.ok(api.put("acl-rm-a/k", {"v": 1}), 204)
    lacking, _ = user_with(api, rule("sys/remount", "create", "update", "read"))
    granting, _ = user_with(api, rule("sys/remount", "update", "sudo") +
                            rule("sys/remount/status/*", "read"))
    denied(lacking.post("sys/remount", {"from": "acl-rm-a", "to": "acl-rm-b"}))
    assert "acl-rm-a/" in api.ok(api.get("sys/mounts"), 200)["data"]
    r = granting.post("sys/remount", {"from": "acl-rm-a", "to": "acl-rm-b"})
    assert r.status_code in (200, 204), r.text
    assert wait_until(lambda: api.get("acl-rm-b/k").status_code == 200, 15.0)


def test_sudo_capability_rotate(api):
    term = api.server.key_status(token=api.token)["term"]
    lacking, _ = user_with(api, rule("sys/rotate", "update", "create", "read"))
    granting, _ = user_with(api, rule("sys/rotate", "update", "sudo"))
    denied(lacking.post("sys/rotate"))
    assert api.server.key_status(token=api.token)["term"] == term
    assert granting.post("sys/rotate").status_code == 204
    assert api.server.key_status(token=api.token)["term"] == term + 1


def test_sudo_capability_auth_enable(api):
    lacking, _ = user_with(api, rule("sys/auth/*", "create", "update", "read", "delete"))
    granting, _ = user_with(api, rule("sys/auth/*", "create", "update", "sudo"))
    denied(lacking.post("sys/auth/acl-up", {"type": "userpass"}))
    assert "acl-up/" not in api.ok(api.get("sys/auth"), 200)["data"]
    assert granting.post("sys/auth/acl-up", {"type": "userpass"}).status_code == 204


# ---- precedence ---------------------------------------------------------------------

def test_deny_in_another_policy_wins(api):
    api.ok(api.put("acl/deny/x", {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/deny/x", "read", "update"), rule("acl/deny/x", "deny"))
    denied(user.get("acl/deny/x"))
    denied(user.put("acl/deny/x", {"v": 2}))
    # Deny also beats sudo.
    user, _ = user_with(api, rule("auth/token/accessors", "list", "sudo"),
                        rule("auth/token/accessors", "deny"))
    denied(user.list("auth/token/accessors"))
    d = api.ok(api.post("sys/capabilities", {"token": user.token,
                                             "paths": ["auth/token/accessors"]}), 200)["data"]
    assert d["auth/token/accessors"] == ["deny"]


def test_same_pattern_in_two_policies_unions(api):
    api.ok(api.put("acl/union/x", {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/union/*", "read"), rule("acl/union/*", "update"))
    assert user.get("acl/union/x").status_code == 200
    assert user.put("acl/union/x", {"v": 2}).status_code == 204


def test_star_glob_is_a_prefix(api):
    for p in ("acl/foo", "acl/food", "acl/foo/bar/baz", "acl/fo"):
        api.ok(api.put(p, {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/foo*", "read"))
    for p in ("acl/foo", "acl/food", "acl/foo/bar/baz"):
        assert user.get(p).status_code == 200, p
    denied(user.get("acl/fo"))


def test_plus_matches_one_segment(api):
    for p in ("acl/team1/cfg", "acl/team2/cfg", "acl/team1/x/cfg", "acl/team1/cfgx"):
        api.ok(api.put(p, {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/+/cfg", "read"))
    assert user.get("acl/team1/cfg").status_code == 200
    assert user.get("acl/team2/cfg").status_code == 200
    denied(user.get("acl/team1/x/cfg"))
    denied(user.get("acl/team1/cfgx"))
    both, _ = user_with(api, rule("acl/+/x/*", "read"))
    assert both.get("acl/team1/x/cfg").status_code == 200
    denied(both.get("acl/team1/cfg"))


def test_exact_beats_glob(api):
    api.ok(api.put("acl/ex/secret", {"v": 1}), 204)
    api.ok(api.put("acl/ex/other", {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/ex/*", "read") + rule("acl/ex/secret", "deny"))
    denied(user.get("acl/ex/secret"))
    assert user.get("acl/ex/other").status_code == 200
    # An exact rule without read beats a glob that has it: no merging.
    user, _ = user_with(api, rule("acl/ex/*", "read"), rule("acl/ex/secret", "update"))
    denied(user.get("acl/ex/secret"))


def test_longest_prefix_wins_without_merging(api):
    api.ok(api.put("acl/lp/a/x", {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/lp/*", "read", "list"), rule("acl/lp/a/*", "update"))
    denied(user.get("acl/lp/a/x"))
    assert user.put("acl/lp/a/x", {"v": 2}).status_code == 204
    api.ok(api.put("acl/lp/b", {"v": 1}), 204)
    assert user.get("acl/lp/b").status_code == 200


def test_later_wildcard_wins(api):
    # For acl/t/data: "acl/+/data" has its first wildcard earlier than
    # "acl/t/*", so the glob wins (rule 1 of the priority order).
    api.ok(api.put("acl/t/data", {"v": 1}), 204)
    api.ok(api.put("acl/u/data", {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/+/data", "read"), rule("acl/t/*", "create"))
    denied(user.get("acl/t/data"))
    assert user.get("acl/u/data").status_code == 200


def test_segment_wildcard_beats_trailing_glob_at_same_position(api):
    # "acl/w/+" and "acl/w/*" both start their wildcard at the same place;
    # the one ending in * is lower priority (rule 2).
    api.ok(api.put("acl/w/x", {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/w/+", "read"), rule("acl/w/*", "read", "update"))
    assert user.get("acl/w/x").status_code == 200
    denied(user.put("acl/w/x", {"v": 2}))


def test_fewer_plus_segments_win(api):
    # Same first wildcard position, neither ends in *: more + loses (rule 3).
    api.ok(api.put("acl/m/a/b", {"v": 1}), 204)
    user, _ = user_with(api, rule("acl/m/+/+", "read"), rule("acl/m/+/b", "update"))
    denied(user.get("acl/m/a/b"))
    assert user.put("acl/m/a/b", {"v": 2}).status_code == 204


# ---- parameters ----------------------------------------------------------------------

def test_allowed_parameters(api):
    user, _ = user_with(api, rule("acl/ap/*", "create", "update", "read",
                                  extra='  allowed_parameters = {\n    "a" = []\n'
                                        '    "env" = ["dev", "stage*"]\n  }\n'))
    assert user.put("acl/ap/1", {"a": "anything"}).status_code == 204
    assert user.put("acl/ap/2", {"a": "x", "env": "dev"}).status_code == 204
    assert user.put("acl/ap/3", {"env": "stage-7"}).status_code == 204
    denied(user.put("acl/ap/4", {"env": "prod"}))
    denied(user.put("acl/ap/5", {"a": "x", "b": "not allowed"}))
    assert api.get("acl/ap/4").status_code == 404
    assert api.get("acl/ap/5").status_code == 404


def test_denied_parameters(api):
    user, _ = user_with(api, rule("acl/dp/*", "create", "update",
                                  extra='  denied_parameters = {\n    "secret" = []\n'
                                        '    "mode" = ["*-unsafe"]\n  }\n'))
    assert user.put("acl/dp/1", {"a": 1}).status_code == 204
    denied(user.put("acl/dp/2", {"a": 1, "secret": "x"}))
    denied(user.put("acl/dp/3", {"mode": "very-unsafe"}))
    assert user.put("acl/dp/4", {"mode": "safe"}).status_code == 204
    assert api.get("acl/dp/2").status_code == 404
    assert api.get("acl/dp/3").status_code == 404


def test_required_parameters(api):
    user, _ = user_with(api, rule("acl/rp/*", "create", "update",
                                  extra='  required_parameters = ["owner"]\n'))
    denied(user.put("acl/rp/1", {"a": 1}))
    assert api.get("acl/rp/1").status_code == 404
    assert user.put("acl/rp/2", {"owner": "me", "a": 1}).status_code == 204


# ---- changes apply from the next request ------------------------------------------------

def test_policy_change_applies_next_request(api):
    api.ok(api.put("acl/live/x", {"v": 1}), 204)
    user, (name,) = user_with(api, rule("acl/live/*", "read"))
    assert user.get("acl/live/x").status_code == 200
    api.write_policy(name, rule("acl/live/*", "deny"))
    denied(user.get("acl/live/x"))
    api.write_policy(name, rule("acl/live/*", "read"))
    assert user.get("acl/live/x").status_code == 200
    assert api.delete("sys/policies/acl/" + name).status_code == 204
    denied(user.get("acl/live/x"))
    # Re-creating the deleted name restores access for tokens that carry it.
    api.write_policy(name, rule("acl/live/*", "read"))
    assert user.get("acl/live/x").status_code == 200


def test_policy_management_needs_permission(api):
    user, _ = user_with(api, rule("sys/policies/acl/*", "read"))
    assert user.get("sys/policies/acl/default").status_code == 200
    denied(user.put("sys/policies/acl/acl-escalate", {"policy": rule("*", "sudo", "read")}))
    assert api.get("sys/policies/acl/acl-escalate").status_code == 404
