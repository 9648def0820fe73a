"""TLS listener with a generated self-signed certificate."""

import socket
import ssl

import pytest
import requests

from coffer_harness import CofferServer, RawReader, StartupError, raw_connect


def test_tls_listener_serves_with_ca_verification(make_server, tls_cert):
    srv = make_server(tls=tls_cert)
    assert srv.scheme == "https" and srv.addr.startswith("https://127.0.0.1:")
    r = srv.get("/v1/sys/health")  # verify=cert.pem
    assert r.status_code == 501, r.text
    assert r.json()["initialized"] is False
    srv.init_and_unseal(5, 3)
    assert srv.key_status()["term"] == 1
    # The DNS SAN works too.
    with requests.Session() as s:
        s.trust_env = False
        r = s.get("https://localhost:%d/v1/sys/health" % srv.port, verify=tls_cert[0], timeout=10)
    assert r.status_code == 200, r.text


def test_tls_rejects_unverified_trust(make_server, tls_cert):
    srv = make_server(tls=tls_cert)
    with requests.Session() as s:
        s.trust_env = False
        with pytest.raises(requests.exceptions.SSLError):
            s.get(srv.url("/v1/sys/health"), verify=True, timeout=10)
    srv.assert_alive()


def test_tls_handshake_uses_modern_protocol(make_server, tls_cert):
    srv = make_server(tls=tls_cert)
    ctx = ssl.create_default_context(cafile=tls_cert[0])
    with socket.create_connection((srv.host, srv.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.version() in ("TLSv1.2", "TLSv1.3")
            s.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            resp = RawReader(s).read_response()
            assert resp.status == 501


def test_tls_refuses_tls_1_1(make_server, tls_cert):
    srv = make_server(tls=tls_cert)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tls_cert[0])
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with socket.create_connection((srv.host, srv.port), timeout=10) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                raise AssertionError("TLS 1.1 handshake accepted: %s" % s.version())
        except ssl.SSLError as e:
            if "NO_PROTOCOLS_AVAILABLE" in str(e) or "NO_CIPHERS_AVAILABLE" in str(e):
                pytest.skip("this client OpenSSL cannot offer TLS 1.1")
        except (ConnectionResetError, BrokenPipeError):
            pass
    srv.assert_alive()


def test_plain_http_to_tls_port_fails_cleanly(make_server, tls_cert):
    srv = make_server(tls=tls_cert)
    # requests: an error or an HTTP 400-ish answer, never a hang.
    with requests.Session() as s:
        s.trust_env = False
        try:
            r = s.get("http://127.0.0.1:%d/v1/sys/health" % srv.port, timeout=10)
            assert r.status_code == 400, (r.status_code, r.text[:200])
        except requests.exceptions.Timeout:
            raise AssertionError("plain HTTP on the TLS port hung")
        except requests.exceptions.ConnectionError:
            pass
    # Raw: the server answers or closes promptly.
    s = raw_connect(srv, timeout=10)
    try:
        s.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            RawReader(s).read_all_until_close()
        except socket.timeout:
            raise AssertionError("server neither answered nor closed plain HTTP on TLS port")
    finally:
        s.close()
    srv.assert_alive()
    assert srv.get("/v1/sys/health").status_code == 501


def test_missing_cert_file_fails_startup_cleanly(tls_cert):
    srv = CofferServer(tls=(tls_cert[0] + ".missing", tls_cert[1]))
    try:
        with pytest.raises(StartupError):
            srv.start(timeout=15)
        rc = srv.proc.wait(15)
        assert rc > 0, "expected a clean non-zero exit, got %s" % rc
    finally:
        srv.cleanup()
