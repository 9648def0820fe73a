"""sys/health status codes, query overrides, HEAD, and sys/leader."""

import time

from coffer_harness import RawReader, assert_error, raw_connect, raw_request_bytes


def _health(srv, method="GET", **params):
    return srv.request(method, "/v1/sys/health", params=params or None)


def test_health_uninitialised_is_501(server):
    r = _health(server)
    assert r.status_code == 501, r.text
    assert r.headers.get("Content-Type") == "application/json"
    body = r.json()
    assert body["initialized"] is False and body["sealed"] is True
    assert body["standby"] is False


def test_health_sealed_is_503(server):
    server.initialize(5, 3)
    r = _health(server)
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["initialized"] is True and body["sealed"] is True
    assert "cluster_name" not in body and "cluster_id" not in body


def test_health_active_is_200_with_fields(unsealed):
    r = _health(unsealed)
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == "application/json"
    b = r.json()
    assert b["initialized"] is True and b["sealed"] is False
    assert b["standby"] is False and b["performance_standby"] is False
    assert b["replication_performance_mode"] == "disabled"
    assert b["replication_dr_mode"] == "disabled"
    assert isinstance(b["version"], str) and b["version"]
    assert b["cluster_name"] and b["cluster_id"]
    assert abs(b["server_time_utc"] - time.time()) < 120


def test_health_code_overrides(server):
    # Uninitialised: only uninitcode applies.
    r = _health(server, uninitcode="299")
    assert r.status_code == 299 and r.json()["initialized"] is False
    assert _health(server, sealedcode="299").status_code == 501
    server.initialize(5, 3)
    # Sealed: sealedcode applies; uninitcode no longer does.
    r = _health(server, sealedcode="299")
    assert r.status_code == 299 and r.json()["sealed"] is True
    assert _health(server, uninitcode="299").status_code == 503
    server.unseal()
    # Active: activecode applies; standby/sealed codes do not.
    assert _health(server, activecode="204").status_code == 204
    r = _health(server, activecode="299")
    assert r.status_code == 299 and r.json()["sealed"] is False
    assert _health(server, standbycode="299", sealedcode="299").status_code == 200
    assert _health(server, standbyok="true", activecode="299").status_code == 299


def test_health_invalid_code_is_400(unsealed):
    assert_error(_health(unsealed, activecode="abc"), 400)
    assert_error(_health(unsealed, activecode="1.5"), 400)
    assert_error(_health(unsealed, standbycode="nope"), 400)
    assert _health(unsealed).status_code == 200


def test_health_invalid_code_uninitialised_is_400(server):
    assert_error(_health(server, uninitcode="x"), 400)


def test_health_head_status_and_empty_body(server):
    r = _health(server, "HEAD")
    assert r.status_code == 501 and r.content == b""
    server.initialize(5, 3)
    r = _health(server, "HEAD")
    assert r.status_code == 503 and r.content == b""
    server.unseal()
    r = _health(server, "HEAD")
    assert r.status_code == 200 and r.content == b""


def test_health_head_sends_no_body_bytes_on_the_wire(unsealed):
    # HEAD then GET on one connection: if HEAD leaked body bytes the second
    # status line would not parse.
    s = raw_connect(unsealed)
    try:
        s.sendall(raw_request_bytes("HEAD", "/v1/sys/health") +
                  raw_request_bytes("GET", "/v1/sys/health"))
        rd = RawReader(s)
        head = rd.read_response(head=True)
        assert head.status == 200
        get = rd.read_response()
        assert get.status == 200
        assert b'"initialized"' in get.body
    finally:
        s.close()


def test_leader_fields(unsealed):
    r = unsealed.get("/v1/sys/leader")
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == "application/json"
    b = r.json()
    assert isinstance(b["ha_enabled"], bool)
    assert isinstance(b["is_self"], bool)
    assert isinstance(b["leader_address"], str)
    assert isinstance(b["leader_cluster_address"], str)
    assert b["performance_standby"] is False
    assert isinstance(b["performance_standby_last_remote_wal"], int)
    assert isinstance(b["active_time"], str)
    if b["ha_enabled"]:
        assert b["is_self"] is True


def test_leader_while_sealed(server):
    server.initialize(5, 3)
    r = server.get("/v1/sys/leader")
    if r.status_code == 503:
        assert_error(r, 503, contains="Vault is sealed")
    else:
        assert r.status_code == 200, r.text
        assert r.json()["ha_enabled"] is False


def test_server_starts_with_api_addr(make_server):
    srv = make_server(storage="inmem", extra_config='api_addr = "http://127.0.0.1:8200"\n')
    srv.init_and_unseal(1, 1)
    r = srv.get("/v1/sys/leader")
    assert r.status_code == 200, r.text
    b = r.json()
    if b["ha_enabled"]:
        assert b["leader_address"] == "http://127.0.0.1:8200"


def test_the_server_allocates_with_tcmalloc(server):
    # The build links tcmalloc into the server (CMakeLists.txt): glibc's
    # malloc cost about a fifth of the CPU of a durable write.
    with open("/proc/%d/maps" % server.proc.pid) as f:
        maps = f.read()
    assert "libtcmalloc" in maps
