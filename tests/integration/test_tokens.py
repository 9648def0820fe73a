"""The token store (auth/token/*) over HTTP against a dev server: create,
create-orphan, create/:role, lookup*, renew*, revoke*, roles, accessors,
tidy; service and batch tokens, num_uses, the parent/child tree and the TTL
rules (explicit max, mount and system max). Facts: vault-core-api.md §4.

Most tests share one module server (root token "root"); tests that tune
auth/token get a server of their own."""

import re

import pytest

from coffer_harness import Api, assert_envelope, assert_error, start_dev_server

SYSTEM_MAX = 2764800  # 768h
TOKEN_RE = re.compile(r"hvs\.[A-Za-z0-9]{24,}")


@pytest.fixture
def own_api():
    """A dev server for one test (for tests that tune auth/token)."""
    srv = start_dev_server()
    yield Api(srv)
    srv.cleanup()


def check_auth_block(auth, token_type="service"):
    """Field names and types of the auth block (§4.3)."""
    assert isinstance(auth["client_token"], str) and auth["client_token"], auth
    assert isinstance(auth["accessor"], str), auth
    assert isinstance(auth["policies"], list) and all(isinstance(p, str) for p in auth["policies"])
    assert isinstance(auth["metadata"], (dict, type(None))), auth
    assert isinstance(auth["lease_duration"], int), auth
    assert isinstance(auth["renewable"], bool), auth
    assert isinstance(auth["entity_id"], str), auth
    assert auth["token_type"] == token_type, auth
    assert isinstance(auth["orphan"], bool), auth
    assert isinstance(auth["num_uses"], int), auth


def create(api, expect=200, **params):
    r = api.post("auth/token/create", params)
    assert r.status_code == expect, (params, r.status_code, r.text)
    return r.json()


def lookup_data(api, token):
    r = api.lookup(token)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def token_alive(api, token):
    """Whether `token` authenticates (lookup-self with itself; spends a use)."""
    r = api.get("auth/token/lookup-self", token=token)
    assert r.status_code in (200, 403), r.text
    return r.status_code == 200


# ---- create / lookup -----------------------------------------------------------

def test_create_response_shape(dev_api):
    body = create(dev_api, policies=["tok-a"], ttl="1h", meta={"team": "x"})
    assert_envelope(body)
    assert body["data"] is None
    assert body["lease_id"] == "" and body["lease_duration"] == 0
    auth = body["auth"]
    check_auth_block(auth)
    assert TOKEN_RE.fullmatch(auth["client_token"]), auth["client_token"]
    assert re.fullmatch(r"[A-Za-z0-9]{24}", auth["accessor"]), auth["accessor"]
    assert auth["policies"] == ["default", "tok-a"]
    assert auth["token_policies"] == ["default", "tok-a"]
    assert auth["metadata"] == {"team": "x"}
    assert auth["lease_duration"] == 3600
    assert auth["renewable"] is True
    assert auth["orphan"] is False
    assert auth["num_uses"] == 0
    # A policy that does not exist is allowed, with a warning.
    assert any('Policy "tok-a" does not exist' in w for w in body["warnings"] or []), body


def test_lookup_self_fields(dev_api):
    auth = create(dev_api, policies=["tok-b"], ttl="2h", explicit_max_ttl="3h",
                  display_name="web app!", meta={"k": "v"})["auth"]
    body = dev_api.ok(dev_api.get("auth/token/lookup-self", token=auth["client_token"]), 200)
    d = assert_envelope(body)
    assert d["id"] == auth["client_token"]
    assert d["accessor"] == auth["accessor"]
    assert d["policies"] == ["default", "tok-b"]
    assert d["path"] == "auth/token/create"
    assert d["meta"] == {"k": "v"}
    assert d["display_name"] == "token-web-app"
    assert d["num_uses"] == 0
    assert d["orphan"] is False
    assert isinstance(d["creation_time"], int)
    assert d["creation_ttl"] == 7200
    assert isinstance(d["expire_time"], str) and d["expire_time"].endswith("Z"), d
    assert isinstance(d["issue_time"], str)
    assert 7190 <= d["ttl"] <= 7200
    assert d["explicit_max_ttl"] == 10800
    assert d["renewable"] is True
    assert d["entity_id"] == ""
    assert d["type"] == "service"


def test_root_token_lookup(dev_api):
    d = dev_api.ok(dev_api.get("auth/token/lookup-self"), 200)["data"]
    assert d["policies"] == ["root"]
    assert d["ttl"] == 0 and d["expire_time"] is None
    assert d["orphan"] is True
    assert d["renewable"] is False


def test_lookup_other_and_accessor(dev_api):
    auth = create(dev_api, policies=["tok-c"])["auth"]
    d = lookup_data(dev_api, auth["client_token"])
    assert d["id"] == auth["client_token"] and d["accessor"] == auth["accessor"]
    r = dev_api.post("auth/token/lookup-accessor", {"accessor": auth["accessor"]})
    d = dev_api.ok(r, 200)["data"]
    assert d["id"] == ""
    assert d["accessor"] == auth["accessor"]
    assert d["policies"] == ["default", "tok-c"]
    # Legacy URL forms.
    assert dev_api.get("auth/token/lookup/" + auth["client_token"]).status_code == 200
    assert dev_api.post("auth/token/lookup-accessor/" + auth["accessor"]).status_code == 200
    # Errors.
    assert_error(dev_api.lookup("hvs.NoSuchTokenAtAllXXXXXXXX"), 403, "bad token")
    assert_error(dev_api.post("auth/token/lookup", {}), 400, "missing token ID")
    assert dev_api.post("auth/token/lookup-accessor",
                        {"accessor": "NoSuchAccessorXXXXXXXXXX"}).status_code == 400


def test_bearer_header_authenticates(dev_api):
    auth = create(dev_api)["auth"]
    r = dev_api.server.request("GET", "/v1/auth/token/lookup-self",
                               headers={"Authorization": "Bearer " + auth["client_token"]})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["accessor"] == auth["accessor"]


def test_child_policies_must_be_subset(dev_api):
    dev_api.write_policy("tok-creator", 'path "auth/token/create" { capabilities = ["update"] }')
    parent = create(dev_api, policies=["tok-creator", "tok-p1"])["auth"]["client_token"]
    user = dev_api.as_token(parent)
    ok = create(user, policies=["tok-p1"])["auth"]
    assert ok["policies"] == ["default", "tok-p1"]
    assert_error(user.post("auth/token/create", {"policies": ["tok-p2"]}), 400,
                 "child policies must be subset of parent")
    assert_error(user.post("auth/token/create", {"policies": ["root"]}), 400)
    # Without policies the child inherits the parent's.
    inherited = create(user)["auth"]
    assert inherited["policies"] == ["default", "tok-creator", "tok-p1"]
    # Non-sudo callers cannot pick an id, orphan, or period.
    assert_error(user.post("auth/token/create", {"id": "customid"}), 400,
                 "root or sudo privileges required to specify token id")
    assert_error(user.post("auth/token/create", {"no_parent": True}), 400,
                 "root or sudo privileges required to create orphan token")
    assert_error(user.post("auth/token/create", {"period": "1h"}), 400,
                 "root or sudo privileges required to create periodic token")


def test_create_orphan_and_no_parent(dev_api):
    dev_api.write_policy("tok-orphaner",
                         'path "auth/token/create-orphan" { capabilities = ["update"] }')
    creator = create(dev_api, policies=["tok-orphaner"])["auth"]["client_token"]
    # create-orphan needs only update on its own path (no sudo).
    assert dev_api.post("auth/token/create", {}, token=creator).status_code == 403
    r = dev_api.post("auth/token/create-orphan", {"policies": ["tok-orphaner"]}, token=creator)
    orphan = dev_api.ok(r, 200)["auth"]
    assert orphan["orphan"] is True
    d = lookup_data(dev_api, orphan["client_token"])
    assert d["orphan"] is True and d["path"] == "auth/token/create-orphan"
    # The orphan survives its creator's revocation.
    dev_api.ok(dev_api.post("auth/token/revoke", {"token": creator}), 204)
    assert token_alive(dev_api, orphan["client_token"])
    # Root may use no_parent on the normal create path.
    auth = create(dev_api, no_parent=True)["auth"]
    assert auth["orphan"] is True


def test_custom_id_by_root(dev_api):
    auth = create(dev_api, id="my-custom-token-id")["auth"]
    assert auth["client_token"] == "my-custom-token-id"
    assert lookup_data(dev_api, "my-custom-token-id")["accessor"] == auth["accessor"]
    # Same id again is refused.
    assert dev_api.post("auth/token/create", {"id": "my-custom-token-id"}).status_code == 400


def test_no_default_policy(dev_api):
    auth = create(dev_api, policies=["tok-nd"], no_default_policy=True)["auth"]
    assert auth["policies"] == ["tok-nd"]


# ---- TTL rules -----------------------------------------------------------------

def test_ttl_capped_by_explicit_max(dev_api):
    auth = create(dev_api, ttl="1h", explicit_max_ttl="30m")["auth"]
    assert auth["lease_duration"] == 1800
    d = lookup_data(dev_api, auth["client_token"])
    assert d["explicit_max_ttl"] == 1800
    assert d["ttl"] <= 1800


def test_ttl_capped_by_system_max(dev_api):
    body = create(dev_api, policies=["tok-ttl"], ttl="10000h")
    assert body["auth"]["lease_duration"] == SYSTEM_MAX
    assert any("capped" in w for w in body["warnings"] or []), body
    # No ttl: the system default (768h).
    assert create(dev_api, policies=["tok-ttl"])["auth"]["lease_duration"] == SYSTEM_MAX


def test_root_child_without_ttl_never_expires(dev_api):
    auth = create(dev_api)["auth"]  # inherits the root policy
    assert auth["policies"] == ["root"]
    assert auth["lease_duration"] == 0 and auth["renewable"] is False
    d = lookup_data(dev_api, auth["client_token"])
    assert d["ttl"] == 0 and d["expire_time"] is None


def test_ttl_capped_by_token_mount_max(own_api):
    own_api.ok(own_api.post("sys/mounts/auth/token/tune", {"max_lease_ttl": "2h"}))
    body = create(own_api, policies=["tok-ttl"], ttl="5h")
    assert body["auth"]["lease_duration"] == 7200
    assert any("capped" in w for w in body["warnings"] or []), body
    # The default TTL (768h) is capped too.
    assert create(own_api, policies=["tok-ttl"])["auth"]["lease_duration"] == 7200
    # Renewal is capped by the mount max counted from creation.
    tok = create(own_api, policies=["tok-ttl"], ttl="1h")["auth"]["client_token"]
    r = own_api.post("auth/token/renew-self", {"increment": "10h"}, token=tok)
    assert 7100 <= own_api.ok(r, 200)["auth"]["lease_duration"] <= 7200


def test_renew_self_and_renew(dev_api):
    auth = create(dev_api, ttl="10m", explicit_max_ttl="20m")["auth"]
    tok = auth["client_token"]
    r = dev_api.post("auth/token/renew-self", {"increment": "15m"}, token=tok)
    body = dev_api.ok(r, 200)
    check_auth_block(body["auth"])
    assert body["auth"]["client_token"] == tok  # echoed for node-vault
    assert body["auth"]["accessor"] == auth["accessor"]
    assert 890 <= body["auth"]["lease_duration"] <= 900
    # Beyond the explicit max: capped to what is left of 20m.
    r = dev_api.post("auth/token/renew", {"token": tok, "increment": "5h"})
    lease = dev_api.ok(r, 200)["auth"]["lease_duration"]
    assert 1190 <= lease <= 1200, lease
    d = lookup_data(dev_api, tok)
    assert isinstance(d["last_renewal_time"], int)
    assert d["ttl"] <= 1200


def test_renew_accessor(dev_api):
    auth = create(dev_api, ttl="10m")["auth"]
    r = dev_api.post("auth/token/renew-accessor", {"accessor": auth["accessor"],
                                                   "increment": "20m"})
    body = dev_api.ok(r, 200)
    assert body["auth"]["client_token"] == ""
    assert 1190 <= body["auth"]["lease_duration"] <= 1200


def test_renew_errors(dev_api):
    assert_error(dev_api.post("auth/token/renew-self", {}), 400,
                 "lease not found or lease is not renewable")
    fixed = create(dev_api, ttl="10m", renewable=False)["auth"]
    assert fixed["renewable"] is False
    assert_error(dev_api.post("auth/token/renew", {"token": fixed["client_token"]}), 400,
                 "lease is not renewable")
    assert_error(dev_api.post("auth/token/renew", {"token": "hvs.NoSuchTokenAtAllXXXXXXXX"}),
                 400, "token not found")
    assert_error(dev_api.post("auth/token/renew", {}), 400, "missing token ID")


# ---- revocation and the token tree -----------------------------------------------------

def make_family(api):
    """parent -> child -> grandchild, all created through the parent chain."""
    api.write_policy("tok-family", 'path "auth/token/create" { capabilities = ["update"] }')
    parent = create(api, policies=["tok-family"])["auth"]["client_token"]
    child = create(api.as_token(parent))["auth"]["client_token"]
    grandchild = create(api.as_token(child))["auth"]["client_token"]
    return parent, child, grandchild


def test_revoke_parent_revokes_children(dev_api):
    parent, child, grandchild = make_family(dev_api)
    assert lookup_data(dev_api, child)["orphan"] is False
    # Used (so their entries are cached on the node), then revoked: refused
    # by the very next request.
    for tok in (parent, child, grandchild):
        assert token_alive(dev_api, tok) and token_alive(dev_api, tok)
    r = dev_api.post("auth/token/revoke", {"token": parent})
    assert r.status_code == 204, r.text
    for tok in (parent, child, grandchild):
        assert_error(dev_api.lookup(tok), 403, "bad token")
        assert not token_alive(dev_api, tok)


def test_revoke_orphan_keeps_children(dev_api):
    parent, child, grandchild = make_family(dev_api)
    r = dev_api.post("auth/token/revoke-orphan", {"token": parent})
    assert r.status_code == 204, r.text
    assert not token_alive(dev_api, parent)
    assert lookup_data(dev_api, child)["orphan"] is True
    assert token_alive(dev_api, child)
    assert token_alive(dev_api, grandchild)
    # The former child still heads its own subtree.
    dev_api.ok(dev_api.post("auth/token/revoke", {"token": child}), 204)
    assert not token_alive(dev_api, grandchild)


def test_revoke_orphan_needs_sudo(dev_api):
    dev_api.write_policy("tok-ro", 'path "auth/token/revoke-orphan" { capabilities = ["update"] }')
    caller = create(dev_api, policies=["tok-ro"])["auth"]["client_token"]
    victim = create(dev_api)["auth"]["client_token"]
    r = dev_api.post("auth/token/revoke-orphan", {"token": victim}, token=caller)
    assert r.status_code in (400, 403), r.text
    assert token_alive(dev_api, victim)
    assert_error(dev_api.post("auth/token/revoke-orphan", {"token": "hvs.NoSuchXXXXXXXXXXXXXXXXXX"}),
                 400, "token to revoke not found")


def test_revoke_self_and_accessor(dev_api):
    a = create(dev_api)["auth"]
    r = dev_api.post("auth/token/revoke-self", token=a["client_token"])
    assert r.status_code == 204, r.text
    assert not token_alive(dev_api, a["client_token"])
    b = create(dev_api)["auth"]
    assert token_alive(dev_api, b["client_token"]) and token_alive(dev_api, b["client_token"])
    r = dev_api.post("auth/token/revoke-accessor", {"accessor": b["accessor"]})
    assert r.status_code == 204, r.text
    assert not token_alive(dev_api, b["client_token"])
    # Unknown token: still 204.
    assert dev_api.post("auth/token/revoke",
                        {"token": "hvs.NoSuchTokenAtAllXXXXXXXX"}).status_code == 204


# ---- num_uses ---------------------------------------------------------------------

def test_num_uses_exhaustion(dev_api):
    auth = create(dev_api, num_uses=3)["auth"]
    tok = auth["client_token"]
    assert auth["num_uses"] == 3
    assert lookup_data(dev_api, tok)["num_uses"] == 3  # root's lookup spends none
    for _ in range(3):
        assert dev_api.get("auth/token/lookup-self", token=tok).status_code == 200
    assert_error(dev_api.get("auth/token/lookup-self", token=tok), 403, "permission denied")
    assert_error(dev_api.lookup(tok), 403, "bad token")


def test_num_uses_counts_down_and_blocks_children(dev_api):
    tok = create(dev_api, num_uses=5)["auth"]["client_token"]
    dev_api.get("auth/token/lookup-self", token=tok)
    assert lookup_data(dev_api, tok)["num_uses"] == 4
    r = dev_api.post("auth/token/create", {}, token=tok)
    assert_error(r, 400, "restricted use token cannot generate child tokens")
    assert_error(dev_api.post("auth/token/create", {"num_uses": -1}), 400,
                 "number of uses cannot be negative")


# ---- batch tokens ---------------------------------------------------------------------

def test_batch_token_shape_and_use(dev_api):
    dev_api.write_policy("tok-batch", 'path "secret/data/batch/*" { capabilities = ["read", "create"] }')
    body = create(dev_api, type="batch", policies=["tok-batch"], ttl="10m")
    auth = body["auth"]
    check_auth_block(auth, token_type="batch")
    assert auth["client_token"].startswith("hvb."), auth["client_token"][:4]
    assert auth["accessor"] == ""
    assert auth["renewable"] is False
    tok = auth["client_token"]
    d = dev_api.ok(dev_api.get("auth/token/lookup-self", token=tok), 200)["data"]
    assert d["type"] == "batch" and d["policies"] == ["default", "tok-batch"]
    assert d["accessor"] == ""
    # Its policy applies.
    user = dev_api.as_token(tok)
    assert user.post("secret/data/batch/x", {"data": {"a": "b"}}).status_code == 200
    assert user.get("secret/data/batch/x").status_code == 200
    assert user.get("secret/data/other").status_code == 403


def test_batch_token_not_renewable_or_revocable(dev_api):
    tok = create(dev_api, type="batch", policies=["tok-b2"], ttl="10m")["auth"]["client_token"]
    assert_error(dev_api.post("auth/token/renew", {"token": tok}), 400,
                 "batch tokens cannot be renewed")
    assert_error(dev_api.post("auth/token/renew-self", {}, token=tok), 400,
                 "batch tokens cannot be renewed")
    assert_error(dev_api.post("auth/token/revoke", {"token": tok}), 400,
                 "batch tokens cannot be revoked")
    assert token_alive(dev_api, tok)


def test_batch_token_restrictions(dev_api):
    for field, value in (("num_uses", 3), ("explicit_max_ttl", "1h"), ("period", "1h")):
        r = dev_api.post("auth/token/create", {"type": "batch", "policies": ["tok-b3"], field: value})
        assert_error(r, 400,
                     'batch tokens cannot have "%s" set' % field)
    assert_error(dev_api.post("auth/token/create", {"type": "batch", "policies": ["root"]}), 400,
                 "batch tokens cannot be root tokens")
    # Without policies a root caller's child would be a root token.
    assert_error(dev_api.post("auth/token/create", {"type": "batch"}), 400,
                 "batch tokens cannot be root tokens")
    assert_error(dev_api.post("auth/token/create", {"type": "weird", "policies": ["tok-b3"]}), 400)
    dev_api.write_policy("tok-bcreate", 'path "auth/token/create" { capabilities = ["update"] }')
    tok = create(dev_api, type="batch", policies=["tok-bcreate"])["auth"]["client_token"]
    assert_error(dev_api.post("auth/token/create", {}, token=tok), 400,
                 "batch tokens cannot create more tokens")


def test_batch_child_dies_with_parent(dev_api):
    dev_api.write_policy("tok-bparent", 'path "auth/token/create" { capabilities = ["update"] }')
    parent = create(dev_api, policies=["tok-bparent"])["auth"]["client_token"]
    batch = create(dev_api.as_token(parent), type="batch", policies=["tok-bparent"],
                   ttl="10m")["auth"]["client_token"]
    assert token_alive(dev_api, batch)
    dev_api.ok(dev_api.post("auth/token/revoke", {"token": parent}), 204)
    assert not token_alive(dev_api, batch)


# ---- roles ----------------------------------------------------------------------------

def test_role_crud_and_create_via_role(dev_api):
    r = dev_api.post("auth/token/roles/tok-role1", {
        "allowed_policies": "tr-a,tr-b", "orphan": True, "renewable": True,
        "token_explicit_max_ttl": "1h", "path_suffix": "v1"})
    assert r.status_code == 204, r.text
    d = dev_api.ok(dev_api.get("auth/token/roles/tok-role1"), 200)["data"]
    assert d["name"] == "tok-role1"
    assert sorted(d["allowed_policies"]) == ["tr-a", "tr-b"]
    assert d["orphan"] is True and d["renewable"] is True
    assert d["path_suffix"] == "v1"
    assert d["token_explicit_max_ttl"] == 3600
    assert d["token_type"] == "default-service"
    keys = dev_api.ok(dev_api.list("auth/token/roles"), 200)["data"]["keys"]
    assert "tok-role1" in keys

    auth = dev_api.ok(dev_api.post("auth/token/create/tok-role1", {"policies": ["tr-a"]}),
                      200)["auth"]
    assert auth["orphan"] is True
    assert "tr-a" in auth["policies"]
    d = lookup_data(dev_api, auth["client_token"])
    assert d["path"] == "auth/token/create/tok-role1/v1"
    assert d["role"] == "tok-role1"
    assert d["explicit_max_ttl"] == 3600
    assert d["ttl"] <= 3600

    assert_error(dev_api.post("auth/token/create/tok-role1", {"policies": ["tr-z"]}), 400,
                 "must be subset of the role's allowed policies")
    assert dev_api.delete("auth/token/roles/tok-role1").status_code == 204
    assert dev_api.get("auth/token/roles/tok-role1").status_code == 404
    assert dev_api.post("auth/token/create/tok-role1", {}).status_code == 400


def test_role_disallowed_policies(dev_api):
    dev_api.ok(dev_api.post("auth/token/roles/tok-role2", {"disallowed_policies": ["tr-bad"]}), 204)
    assert_error(dev_api.post("auth/token/create/tok-role2", {"policies": ["tr-bad"]}), 400,
                 'token policy "tr-bad" is disallowed by this role')
    ok = dev_api.ok(dev_api.post("auth/token/create/tok-role2", {"policies": ["tr-good"]}), 200)
    assert "tr-good" in ok["auth"]["policies"]


def test_batch_role(dev_api):
    bad = dev_api.post("auth/token/roles/tok-brole-bad", {"token_type": "batch", "orphan": False,
                                                          "renewable": False})
    assert bad.status_code == 400, bad.text
    dev_api.ok(dev_api.post("auth/token/roles/tok-brole", {"token_type": "batch", "orphan": True,
                                                           "renewable": False}), 204)
    auth = dev_api.ok(dev_api.post("auth/token/create/tok-brole", {"policies": ["tok-b4"]}),
                      200)["auth"]
    assert auth["token_type"] == "batch" and auth["client_token"].startswith("hvb.")


# ---- accessors, tidy -----------------------------------------------------------------

def test_list_accessors(dev_api):
    a = create(dev_api)["auth"]
    body = dev_api.ok(dev_api.list("auth/token/accessors"), 200)
    keys = body["data"]["keys"]
    assert a["accessor"] in keys
    assert all(isinstance(k, str) for k in keys)
    dev_api.ok(dev_api.post("auth/token/revoke-accessor", {"accessor": a["accessor"]}), 204)
    keys = dev_api.ok(dev_api.list("auth/token/accessors"), 200)["data"]["keys"]
    assert a["accessor"] not in keys


def test_tidy(dev_api):
    r = dev_api.post("auth/token/tidy")
    assert r.status_code in (200, 204), r.text
    if r.status_code == 200:
        assert r.json()["warnings"], r.text
