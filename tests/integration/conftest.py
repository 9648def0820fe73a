"""pytest fixtures for Coffer integration tests.

Every server a test makes is killed and its temp dir removed at teardown;
when the test failed, the tail of each server's stderr is printed so pytest
shows it in the failure report.
"""

import os
import shutil
import tempfile

import pytest

from coffer_harness import CofferServer, coffer_bin, make_self_signed_cert


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    path = coffer_bin()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("coffer binary not found at %s (set COFFER_BIN)" % path, pytrace=False)


@pytest.fixture
def make_server(request):
    """Factory: make_server(storage=..., tls=..., dev=..., start=True)."""
    made = []

    def factory(start=True, **kwargs):
        srv = CofferServer(**kwargs)
        made.append(srv)
        if start:
            srv.start()
        return srv

    yield factory
    failed = any(getattr(request.node, "rep_" + w, None) is not None
                 and getattr(request.node, "rep_" + w).failed for w in ("setup", "call"))
    for i, srv in enumerate(made):
        if failed:
            print("\n===== coffer server #%d (%s) stderr tail =====\n%s" % (
                i, srv.addr, srv.stderr()[-4000:]))
        srv.cleanup()


@pytest.fixture
def server(make_server):
    """A fresh, uninitialised server on RocksDB."""
    return make_server()


@pytest.fixture
def unsealed(make_server):
    """A server initialised with 5 shares / threshold 3 and unsealed;
    .keys, .keys_base64 and .root_token are set."""
    srv = make_server()
    srv.init_and_unseal(5, 3)
    return srv


@pytest.fixture
def tls_cert():
    """(cert_path, key_path) of a fresh self-signed cert for 127.0.0.1/localhost."""
    d = tempfile.mkdtemp(prefix="coffer-it-tls-")
    try:
        yield make_self_signed_cert(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def dev_api():
    """One dev server per test module (root token "root", KV v2 at secret/),
    as a coffer_harness.Api authenticated with the root token. Tests that
    share it use distinct paths. Its stderr tail is printed at teardown if
    it died."""
    from coffer_harness import Api, start_dev_server
    srv = start_dev_server()
    yield Api(srv)
    if not srv.running():
        print("\n===== module dev server stderr tail =====\n%s" % srv.stderr()[-4000:])
    srv.cleanup()


@pytest.fixture(scope="module")
def postgres():
    """A private PostgreSQL server (initdb in a temp dir, free loopback
    port) per test module, as a pg_harness.PostgresServer; stopped and
    removed at teardown. Its log tail is printed if it died."""
    from pg_harness import PostgresServer
    pg = PostgresServer().start()
    yield pg
    if pg.proc is not None and pg.proc.poll() is not None:
        print("\n===== postgres log tail =====\n%s" % pg.log_tail())
    pg.stop()
