"""userpass and AppRole over HTTP against a dev server: user/role CRUD,
logins whose tokens carry the configured policies (and the policies
apply), login token TTLs and use limits, secret_id_num_uses, secret-id
lookup/list/destroy, bad credentials. Facts: vault-core-api.md §5.

One module server with userpass at auth/userpass/ and AppRole at
auth/approle/; each test uses its own users and roles."""

import re

import pytest

from coffer_harness import Api, assert_envelope, assert_error

SYSTEM_TTL = 2764800
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

READER_POLICY = 'path "secret/data/shared/*" { capabilities = ["read"] }\n'


@pytest.fixture(scope="module")
def api(dev_api):
    dev_api.enable_auth("userpass", "userpass")
    dev_api.enable_auth("approle", "approle")
    dev_api.write_policy("am-reader", READER_POLICY)
    dev_api.ok(dev_api.post("secret/data/shared/x", {"data": {"k": "v"}}), 200)
    dev_api.ok(dev_api.post("secret/data/private/x", {"data": {"k": "v"}}), 200)
    return dev_api


def check_login(body, mount_type, metadata):
    """The login response (§5.4); returns the auth block."""
    d = assert_envelope(body)
    assert d is None
    assert body["lease_id"] == "" and body["lease_duration"] == 0
    auth = body["auth"]
    assert isinstance(auth["client_token"], str) and auth["client_token"].startswith("hvs.")
    assert isinstance(auth["accessor"], str) and auth["accessor"]
    assert auth["metadata"] == metadata
    assert auth["orphan"] is True
    assert auth["token_type"] == "service"
    assert auth["renewable"] is True
    assert isinstance(auth["lease_duration"], int) and auth["lease_duration"] > 0
    assert isinstance(auth["entity_id"], str)
    assert auth["num_uses"] == 0
    if body.get("mount_type") is not None:
        assert body["mount_type"] == mount_type
    return auth


def assert_reader_policy_applies(api, token):
    user = Api(api.server, token)
    assert user.ok(user.get("secret/data/shared/x"), 200)["data"]["data"] == {"k": "v"}
    assert_error(user.get("secret/data/private/x"), 403, "permission denied")


def login_up(api, user, password):
    return api.post("auth/userpass/login/" + user, {"password": password}, token=None)


# ---- userpass ----------------------------------------------------------------------

def test_userpass_user_crud(api):
    r = api.post("auth/userpass/users/alice", {"password": "pw-alice",
                                               "token_policies": "am-reader,other",
                                               "token_ttl": "1h", "token_max_ttl": "2h"})
    assert r.status_code == 204, r.text
    body = api.ok(api.get("auth/userpass/users/alice"), 200)
    d = assert_envelope(body)
    assert sorted(d["token_policies"]) == ["am-reader", "other"]
    assert d["token_ttl"] == 3600 and d["token_max_ttl"] == 7200
    for k in ("token_explicit_max_ttl", "token_no_default_policy", "token_num_uses",
              "token_period", "token_type", "token_bound_cidrs"):
        assert k in d, (k, d)
    assert "password" not in d and "password_hash" not in d
    assert "pw-alice" not in body.__repr__()
    api.ok(api.post("auth/userpass/users/bob2", {"password": "pw"}), 204)
    keys = api.ok(api.list("auth/userpass/users"), 200)["data"]["keys"]
    assert "alice" in keys and "bob2" in keys
    assert api.delete("auth/userpass/users/bob2").status_code == 204
    assert api.get("auth/userpass/users/bob2").status_code == 404
    assert "bob2" not in api.ok(api.list("auth/userpass/users"), 200)["data"]["keys"]


def test_userpass_login_token_and_policy(api):
    api.ok(api.post("auth/userpass/users/carol", {"password": "pw-carol",
                                                  "token_policies": ["am-reader"],
                                                  "token_ttl": "30m"}), 204)
    r = login_up(api, "carol", "pw-carol")
    auth = check_login(api.ok(r, 200), "userpass", {"username": "carol"})
    assert auth["policies"] == ["am-reader", "default"]
    assert auth["token_policies"] == ["am-reader", "default"]
    assert auth["lease_duration"] == 1800
    d = api.ok(api.get("auth/token/lookup-self", token=auth["client_token"]), 200)["data"]
    assert d["path"] == "auth/userpass/login/carol"
    assert d["display_name"] == "userpass-carol"
    assert d["meta"] == {"username": "carol"}
    assert d["orphan"] is True
    assert_reader_policy_applies(api, auth["client_token"])


def test_userpass_bad_credentials(api):
    api.ok(api.post("auth/userpass/users/dave", {"password": "right"}), 204)
    assert_error(login_up(api, "dave", "wrong"), 400, "invalid username or password")
    assert_error(login_up(api, "nobody", "x"), 400, "invalid username or password")
    assert login_up(api, "dave", "").status_code == 400


def test_userpass_password_and_policy_updates(api):
    api.ok(api.post("auth/userpass/users/erin", {"password": "old-pw"}), 204)
    assert login_up(api, "erin", "old-pw").status_code == 200
    assert api.post("auth/userpass/users/erin/password", {"password": "new-pw"}) \
        .status_code == 204
    assert login_up(api, "erin", "old-pw").status_code == 400
    auth = api.ok(login_up(api, "erin", "new-pw"), 200)["auth"]
    assert auth["policies"] == ["default"]
    assert api.post("auth/userpass/users/erin/policies", {"token_policies": "am-reader"}) \
        .status_code == 204
    auth = api.ok(login_up(api, "erin", "new-pw"), 200)["auth"]
    assert auth["policies"] == ["am-reader", "default"]
    assert_reader_policy_applies(api, auth["client_token"])
    # Updating other fields keeps the password.
    api.ok(api.post("auth/userpass/users/erin", {"token_ttl": "10m"}), 204)
    assert api.ok(login_up(api, "erin", "new-pw"), 200)["auth"]["lease_duration"] == 600


def test_userpass_username_case_insensitive(api):
    api.ok(api.post("auth/userpass/users/Frank", {"password": "pw-frank"}), 204)
    assert "frank" in api.ok(api.list("auth/userpass/users"), 200)["data"]["keys"]
    assert api.ok(login_up(api, "frank", "pw-frank"), 200)["auth"]["metadata"] == \
        {"username": "frank"}
    assert login_up(api, "FRANK", "pw-frank").status_code == 200


def test_userpass_token_fields(api):
    api.ok(api.post("auth/userpass/users/gina", {
        "password": "pw-gina", "token_policies": ["am-reader"], "token_num_uses": 2,
        "token_no_default_policy": True, "token_explicit_max_ttl": "20m"}), 204)
    auth = api.ok(login_up(api, "gina", "pw-gina"), 200)["auth"]
    assert auth["policies"] == ["am-reader"]
    assert auth["lease_duration"] <= 1200
    tok = auth["client_token"]
    d = api.ok(api.lookup(tok), 200)["data"]
    assert d["num_uses"] == 2 and d["explicit_max_ttl"] == 1200
    user = Api(api.server, tok)
    assert user.get("secret/data/shared/x").status_code == 200
    assert user.get("secret/data/shared/x").status_code == 200
    assert user.get("secret/data/shared/x").status_code == 403


def test_userpass_login_ttl_capped_by_mount_tune(api):
    api.enable_auth("up-capped", "userpass")
    api.ok(api.post("sys/auth/up-capped/tune", {"default_lease_ttl": "5m",
                                                "max_lease_ttl": "10m"}))
    api.ok(api.post("auth/up-capped/users/hal", {"password": "pw"}), 204)
    auth = api.ok(api.post("auth/up-capped/login/hal", {"password": "pw"}, token=None),
                  200)["auth"]
    assert auth["lease_duration"] == 300
    api.ok(api.post("auth/up-capped/users/hal", {"token_ttl": "1h"}), 204)
    auth = api.ok(api.post("auth/up-capped/login/hal", {"password": "pw"}, token=None),
                  200)["auth"]
    assert auth["lease_duration"] == 600
    d = api.ok(api.get("auth/token/lookup-self", token=auth["client_token"]), 200)["data"]
    assert d["display_name"] == "up-capped-hal"


def test_userpass_management_needs_token(api):
    assert_error(api.post("auth/userpass/users/ivan", {"password": "x"}, token=None), 403)
    assert api.get("auth/userpass/users/ivan").status_code == 404


# ---- AppRole --------------------------------------------------------------------------

def make_role(api, name, **fields):
    body = {"token_policies": "am-reader"}
    body.update(fields)
    r = api.post("auth/approle/role/" + name, body)
    assert r.status_code == 204, r.text
    role_id = api.ok(api.get("auth/approle/role/%s/role-id" % name), 200)["data"]["role_id"]
    return role_id


def new_secret_id(api, name, **body):
    r = api.post("auth/approle/role/%s/secret-id" % name, body or None)
    return api.ok(r, 200)["data"]


def login_ar(api, role_id, secret_id):
    return api.post("auth/approle/login", {"role_id": role_id, "secret_id": secret_id},
                    token=None)


def test_approle_role_crud(api):
    make_role(api, "ar-crud", secret_id_ttl="10m", secret_id_num_uses=5, token_ttl="1h")
    d = api.ok(api.get("auth/approle/role/ar-crud"), 200)["data"]
    assert d["bind_secret_id"] is True
    assert d["secret_id_num_uses"] == 5 and d["secret_id_ttl"] == 600
    assert d["token_ttl"] == 3600
    assert d["token_policies"] == ["am-reader"]
    assert isinstance(d["secret_id_bound_cidrs"], (list, type(None)))
    assert isinstance(d["local_secret_ids"], bool)
    assert "ar-crud" in api.ok(api.list("auth/approle/role"), 200)["data"]["keys"]
    assert api.delete("auth/approle/role/ar-crud").status_code == 204
    assert api.get("auth/approle/role/ar-crud").status_code == 404


def test_approle_login_token_and_policy(api):
    role_id = make_role(api, "ar-login", token_ttl="20m")
    assert UUID_RE.fullmatch(role_id), role_id
    sid = new_secret_id(api, "ar-login")
    assert UUID_RE.fullmatch(sid["secret_id"]) and UUID_RE.fullmatch(sid["secret_id_accessor"])
    assert isinstance(sid["secret_id_ttl"], int) and isinstance(sid["secret_id_num_uses"], int)
    body = api.ok(login_ar(api, role_id, sid["secret_id"]), 200)
    auth = check_login(body, "approle", {"role_name": "ar-login"})
    assert auth["policies"] == ["am-reader", "default"]
    assert auth["lease_duration"] == 1200
    d = api.ok(api.get("auth/token/lookup-self", token=auth["client_token"]), 200)["data"]
    assert d["path"] == "auth/approle/login"
    assert_reader_policy_applies(api, auth["client_token"])


def test_approle_secret_id_num_uses(api):
    role_id = make_role(api, "ar-uses", secret_id_num_uses=2)
    sid = new_secret_id(api, "ar-uses")
    assert sid["secret_id_num_uses"] == 2
    assert login_ar(api, role_id, sid["secret_id"]).status_code == 200
    look = api.ok(api.post("auth/approle/role/ar-uses/secret-id/lookup",
                           {"secret_id": sid["secret_id"]}), 200)["data"]
    assert look["secret_id_num_uses"] == 1
    assert login_ar(api, role_id, sid["secret_id"]).status_code == 200
    assert login_ar(api, role_id, sid["secret_id"]).status_code == 400
    # A per-secret-id limit lower than the role's.
    sid = new_secret_id(api, "ar-uses", num_uses=1)
    assert login_ar(api, role_id, sid["secret_id"]).status_code == 200
    assert login_ar(api, role_id, sid["secret_id"]).status_code == 400


def test_approle_secret_id_lookup_list_destroy(api):
    make_role(api, "ar-sids")
    s1 = new_secret_id(api, "ar-sids", metadata='{"host": "web1"}')
    s2 = new_secret_id(api, "ar-sids")
    d = api.ok(api.post("auth/approle/role/ar-sids/secret-id/lookup",
                        {"secret_id": s1["secret_id"]}), 200)["data"]
    assert d["secret_id_accessor"] == s1["secret_id_accessor"]
    assert d["metadata"] == {"host": "web1"}
    for k in ("cidr_list", "creation_time", "expiration_time", "last_updated_time",
              "secret_id_num_uses", "secret_id_ttl", "token_bound_cidrs"):
        assert k in d, (k, d)
    assert "secret_id" not in d
    d2 = api.ok(api.post("auth/approle/role/ar-sids/secret-id-accessor/lookup",
                         {"secret_id_accessor": s2["secret_id_accessor"]}), 200)["data"]
    assert d2["secret_id_accessor"] == s2["secret_id_accessor"]
    keys = api.ok(api.list("auth/approle/role/ar-sids/secret-id"), 200)["data"]["keys"]
    assert sorted(keys) == sorted([s1["secret_id_accessor"], s2["secret_id_accessor"]])
    role_id = api.ok(api.get("auth/approle/role/ar-sids/role-id"), 200)["data"]["role_id"]
    assert api.post("auth/approle/role/ar-sids/secret-id/destroy",
                    {"secret_id": s1["secret_id"]}).status_code == 204
    assert login_ar(api, role_id, s1["secret_id"]).status_code == 400
    assert api.post("auth/approle/role/ar-sids/secret-id-accessor/destroy",
                    {"secret_id_accessor": s2["secret_id_accessor"]}).status_code == 204
    assert login_ar(api, role_id, s2["secret_id"]).status_code == 400
    r = api.list("auth/approle/role/ar-sids/secret-id")
    assert r.status_code == 404, r.text


def test_approle_custom_ids(api):
    make_role(api, "ar-custom")
    assert api.post("auth/approle/role/ar-custom/role-id",
                    {"role_id": "my-role-id"}).status_code == 204
    r = api.post("auth/approle/role/ar-custom/custom-secret-id", {"secret_id": "my-secret"})
    assert api.ok(r, 200)["data"]["secret_id"] == "my-secret"
    assert login_ar(api, "my-role-id", "my-secret").status_code == 200


def test_approle_bad_credentials(api):
    role_id = make_role(api, "ar-bad")
    sid = new_secret_id(api, "ar-bad")["secret_id"]
    assert login_ar(api, role_id, "00000000-0000-0000-0000-000000000000").status_code == 400
    assert login_ar(api, "no-such-role-id", sid).status_code == 400
    assert api.post("auth/approle/login", {"role_id": role_id}, token=None).status_code == 400
    assert api.post("auth/approle/login", {}, token=None).status_code == 400
    # The genuine pair still works (failed attempts consumed nothing).
    assert login_ar(api, role_id, sid).status_code == 200


def test_approle_role_needs_a_constraint(api):
    r = api.post("auth/approle/role/ar-open", {"bind_secret_id": False})
    assert r.status_code == 400, r.text
    assert api.get("auth/approle/role/ar-open").status_code == 404
    # With a CIDR binding instead of a secret id it is fine.
    r = api.post("auth/approle/role/ar-cidr", {"bind_secret_id": False,
                                               "secret_id_bound_cidrs": "127.0.0.1/32",
                                               "token_policies": "am-reader"})
    assert r.status_code == 204, r.text
    role_id = api.ok(api.get("auth/approle/role/ar-cidr/role-id"), 200)["data"]["role_id"]
    r = api.post("auth/approle/login", {"role_id": role_id}, token=None)
    assert r.status_code == 200, r.text


def test_approle_secret_id_ttl_enforced_at_issue(api):
    make_role(api, "ar-ttl", secret_id_ttl="10m")
    sid = new_secret_id(api, "ar-ttl")
    assert sid["secret_id_ttl"] == 600
    d = api.ok(api.post("auth/approle/role/ar-ttl/secret-id/lookup",
                        {"secret_id": sid["secret_id"]}), 200)["data"]
    assert d["secret_id_ttl"] == 600
    assert d["expiration_time"] != "0001-01-01T00:00:00Z"
    assert api.post("auth/approle/role/ar-ttl/secret-id", {"ttl": "1h"}).status_code == 400


def test_approle_field_endpoints(api):
    make_role(api, "ar-fields")
    assert api.post("auth/approle/role/ar-fields/secret-id-num-uses",
                    {"secret_id_num_uses": 7}).status_code == 204
    d = api.ok(api.get("auth/approle/role/ar-fields/secret-id-num-uses"), 200)["data"]
    assert d["secret_id_num_uses"] == 7
    assert api.ok(api.get("auth/approle/role/ar-fields"), 200)["data"]["secret_id_num_uses"] == 7
    assert api.post("auth/approle/role/ar-fields/token-ttl", {"token_ttl": "15m"}).status_code \
        == 204
    assert api.ok(api.get("auth/approle/role/ar-fields/token-ttl"), 200)["data"]["token_ttl"] \
        == 900


def test_approle_tidy(api):
    r = api.post("auth/approle/tidy/secret-id")
    assert r.status_code in (200, 202, 204), r.text


# ---- batch login tokens -------------------------------------------------------------

def assert_batch_login(api, auth):
    assert auth["token_type"] == "batch", auth["token_type"]
    assert auth["client_token"].startswith("hvb.")
    assert auth["accessor"] == "" and auth["renewable"] is False
    assert_reader_policy_applies(api, auth["client_token"])


def test_batch_login_tokens_from_user_and_role(api):
    api.ok(api.post("auth/userpass/users/batchy", {"password": "pw", "token_type": "batch",
                                                   "token_policies": "am-reader"}), 204)
    assert_batch_login(api, api.ok(login_up(api, "batchy", "pw"), 200)["auth"])
    role_id = make_role(api, "ar-batch", token_type="batch")
    sid = new_secret_id(api, "ar-batch")["secret_id"]
    assert_batch_login(api, api.ok(login_ar(api, role_id, sid), 200)["auth"])


def test_mount_default_batch_token_type(api):
    api.enable_auth("up-dbatch", "userpass")
    api.ok(api.post("sys/auth/up-dbatch/tune", {"token_type": "default-batch"}))
    api.ok(api.post("auth/up-dbatch/users/bo", {"password": "pw",
                                                "token_policies": "am-reader"}), 204)
    r = api.post("auth/up-dbatch/login/bo", {"password": "pw"}, token=None)
    assert_batch_login(api, api.ok(r, 200)["auth"])
    # A user that asks for service tokens still gets them on a default-batch mount.
    api.ok(api.post("auth/up-dbatch/users/bo", {"token_type": "service"}), 204)
    r = api.post("auth/up-dbatch/login/bo", {"password": "pw"}, token=None)
    assert api.ok(r, 200)["auth"]["token_type"] == "service"
