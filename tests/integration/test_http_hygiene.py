"""Bad input at the HTTP layer: malformed JSON, oversized bodies, garbage
and truncated requests, unknown methods and paths; plus keep-alive, LIST,
?list=true and the Authorization: Bearer header. After every bad input the
server must still answer sys/health."""

import socket
import threading

from coffer_harness import (RawReader, assert_error, assert_raw_error, raw_connect,
                            raw_request_bytes)

FORTY_MIB = 40 * 1024 * 1024


def test_malformed_json_is_400(server):
    for body in (b"{not json", b'{"secret_shares": 5,', b"[1, 2, 3]", b'"a string"'):
        r = server.put("/v1/sys/init", data=body, headers={"Content-Type": "application/json"})
        assert_error(r, 400)
    assert server.get("/v1/sys/init").json() == {"initialized": False}
    server.assert_alive()


def test_malformed_json_on_authenticated_path_is_400(unsealed):
    r = unsealed.put("/v1/sys/rotate", token=unsealed.root_token, data=b"{oops",
                     headers={"Content-Type": "application/json"})
    assert_error(r, 400)
    assert unsealed.key_status()["term"] == 1
    unsealed.assert_alive()


def test_oversized_body_is_413_without_reading_it(server):
    s = raw_connect(server, timeout=10)
    try:
        s.sendall(raw_request_bytes(
            "PUT", "/v1/sys/init",
            headers={"Content-Type": "application/json", "Content-Length": str(FORTY_MIB)},
            body=b'{"secret_shares": 5'))
        try:
            resp = RawReader(s).read_response()
        except socket.timeout:
            raise AssertionError("no answer: the server waited for the 40 MiB body")
        assert_raw_error(resp, 413)
    finally:
        s.close()
    server.assert_alive()
    assert server.get("/v1/sys/init").json() == {"initialized": False}


def _answer_is_4xx_or_close(server, payload, allowed):
    """Sends payload on a fresh connection; the server must answer with a
    status in `allowed` or close the connection, and must not hang."""
    s = raw_connect(server, timeout=10)
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            return None  # closed on us mid-send: acceptable
        try:
            resp = RawReader(s).read_response()
        except (EOFError, ConnectionResetError):
            return None  # closed without an answer: acceptable
        except socket.timeout:
            raise AssertionError("server neither answered nor closed for %r" % payload[:60])
        assert resp.status in allowed, (payload[:60], resp.status, resp.body[:200])
        assert_raw_error(resp, resp.status)
        return resp
    finally:
        s.close()


def test_garbage_request_line_is_400_or_closed(server):
    for junk in (b"\x00\x01\x02garbage \xff\xfe\r\n\r\n",
                 b"this is not http\r\n\r\n",
                 b"GET\r\n\r\n",
                 b"GET /v1/sys/health HTTP/1.1\r\nHost x no colon\r\n\r\n"):
        _answer_is_4xx_or_close(server, junk, (400,))
        server.assert_alive()


def test_truncated_requests_then_close(server):
    for partial in (b"GET /v1/sys/he",
                    b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n",
                    b"PUT /v1/sys/init HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"secret"):
        s = raw_connect(server)
        s.sendall(partial)
        s.close()
        server.assert_alive()
    assert server.get("/v1/sys/init").json() == {"initialized": False}


def test_idle_partial_connections_do_not_block_others(server):
    socks = []
    try:
        for _ in range(8):
            s = raw_connect(server)
            s.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        server.assert_alive()
    finally:
        for s in socks:
            s.close()
    server.assert_alive()


def test_unknown_method_is_405(unsealed):
    for method in ("BREW", "FOO"):
        r = unsealed.request(method, "/v1/sys/health", token=unsealed.root_token)
        assert_error(r, 405)
    unsealed.assert_alive()


def test_non_v1_paths_are_404(unsealed):
    for path in ("/", "/foo", "/v2/sys/health", "/v1", "/sys/health"):
        r = unsealed.get(path, token=unsealed.root_token)
        assert_error(r, 404)
    unsealed.assert_alive()


def test_unknown_v1_path_is_404(unsealed):
    for path in ("/v1/sys/no-such-endpoint", "/v1/nosuchmount/foo"):
        r = unsealed.get(path, token=unsealed.root_token)
        assert_error(r, 404)


def test_missing_or_invalid_token_is_403(unsealed):
    assert_error(unsealed.get("/v1/sys/key-status"), 403)
    assert_error(unsealed.get("/v1/sys/key-status", token="hvs.AAAAAAAAAAAAAAAAAAAAAAAA"), 403)
    assert_error(unsealed.get("/v1/sys/key-status", token=""), 403)
    assert_error(unsealed.put("/v1/sys/rotate", token="root"), 403)
    assert unsealed.key_status()["term"] == 1


def test_authorization_bearer_works_like_x_vault_token(unsealed):
    r = unsealed.get("/v1/sys/key-status",
                     headers={"Authorization": "Bearer " + unsealed.root_token})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["term"] == 1
    r = unsealed.get("/v1/sys/key-status", headers={"Authorization": "Bearer hvs.wrongwrongwrongwrong0000"})
    assert_error(r, 403)
    r = unsealed.get("/v1/sys/key-status", headers={"Authorization": "Basic " + unsealed.root_token})
    assert_error(r, 403)
    # X-Vault-Token takes precedence over Authorization.
    r = unsealed.get("/v1/sys/key-status", token=unsealed.root_token,
                     headers={"Authorization": "Bearer hvs.wrongwrongwrongwrong0000"})
    assert r.status_code == 200, r.text


def test_keep_alive_two_requests_on_one_connection(unsealed):
    s = raw_connect(unsealed)
    try:
        rd = RawReader(s)
        s.sendall(raw_request_bytes("GET", "/v1/sys/health"))
        first = rd.read_response()
        assert first.status == 200, first.body
        s.sendall(raw_request_bytes("GET", "/v1/sys/key-status",
                                    headers={"X-Vault-Token": unsealed.root_token}))
        second = rd.read_response()
        assert second.status == 200, second.body
        assert b'"term"' in second.body
    finally:
        s.close()


def test_list_verb_and_list_query_are_accepted(unsealed):
    tok = unsealed.root_token
    for method, path, params in (("LIST", "/v1/sys/no-such-list/", None),
                                 ("LIST", "/v1/nosuchmount/dir", None),
                                 ("GET", "/v1/nosuchmount/dir", {"list": "true"}),
                                 ("GET", "/v1/nosuchmount/dir", {"list": "1"})):
        r = unsealed.request(method, path, token=tok, params=params)
        assert r.status_code in (200, 404), (method, path, r.status_code, r.text)
        assert r.headers.get("Content-Type") == "application/json"
    r = unsealed.get("/v1/nosuchmount/dir", token=tok, params={"list": "maybe"})
    assert_error(r, 400)
    unsealed.assert_alive()


def test_error_bodies_are_exact_json(unsealed):
    r = unsealed.get("/v1/sys/key-status")
    body = assert_error(r, 403)
    assert set(body) == {"errors"}
    assert "charset" not in r.headers.get("Content-Type", "")


def test_oversized_header_block_is_rejected(server):
    junk = b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 200000 + b"\r\n\r\n"
    _answer_is_4xx_or_close(server, junk, (400, 413, 431))
    server.assert_alive()


def test_concurrent_requests_all_succeed(unsealed):
    results = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            r = unsealed.get("/v1/sys/key-status", token=unsealed.root_token)
            with lock:
                results.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 80
    assert set(results) == {200}, results
