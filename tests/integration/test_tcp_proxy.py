"""tcp_proxy.TcpProxy: bytes pass through, cut() severs open and new
connections, heal() restores them, close() frees the port."""

import socket
import threading
import time

import pytest

from tcp_proxy import TcpProxy


class EchoServer:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn):
        with conn:
            try:
                while True:
                    data = conn.recv(4096)
                    if not data:
                        return
                    conn.sendall(data)
            except OSError:
                return

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


@pytest.fixture
def proxy():
    echo = EchoServer()
    p = TcpProxy("127.0.0.1", echo.port)
    yield p
    p.close()
    echo.close()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=1.0)
    return s


def echo_ok(sock, payload=b"ping"):
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(4096)
        if not chunk:
            return False
        got += chunk
    return got == payload


def is_severed(sock):
    """True when the connection is dead: EOF or reset within the timeout."""
    try:
        sock.sendall(b"x")
        return sock.recv(4096) == b""
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        return True
    except socket.timeout:
        return False


def new_connection_severed(port):
    try:
        s = connect(port)
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        return True
    with s:
        return is_severed(s)


def wait_until(pred, timeout=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def test_round_trips_count_the_client_speaking_after_the_server(proxy):
    s = connect(proxy.port)
    assert proxy.round_trips == 0
    assert echo_ok(s, b"one")
    assert echo_ok(s, b"two")
    assert proxy.round_trips == 2
    other = connect(proxy.port)  # counted per connection, summed
    assert echo_ok(other)
    assert echo_ok(s, b"three")
    assert proxy.round_trips == 4
    s.close()
    other.close()

def test_forwards_and_counts(proxy):
    with connect(proxy.port) as s:
        assert echo_ok(s, b"hello")
        assert echo_ok(s, b"world!")
    assert proxy.bytes_forwarded == 2 * (5 + 6)
    assert proxy.connections_accepted == 1


def test_cut_severs_open_and_new_connections_and_heal_restores(proxy):
    s = connect(proxy.port)
    assert echo_ok(s)
    assert proxy.open_connections == 1
    before = proxy.bytes_forwarded

    proxy.cut()
    assert proxy.is_cut
    assert proxy.open_connections == 0
    assert is_severed(s)
    s.close()
    # New connections are accepted by the kernel but reset by the proxy (the
    # reset may already arrive while connect() returns).
    assert new_connection_severed(proxy.port)
    assert proxy.bytes_forwarded == before

    proxy.heal()
    assert not proxy.is_cut
    with connect(proxy.port) as s3:
        assert echo_ok(s3, b"again")
    assert proxy.bytes_forwarded == before + 10


def test_a_side_closing_ends_the_whole_connection(proxy):
    s = connect(proxy.port)
    assert echo_ok(s)
    s.shutdown(socket.SHUT_WR)
    assert s.recv(10) == b""
    s.close()
    assert wait_until(lambda: proxy.open_connections == 0)


def test_close_releases_the_port():
    echo = EchoServer()
    p = TcpProxy("127.0.0.1", echo.port)
    port = p.port
    p.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
    echo.close()


def test_unreachable_target_resets_the_client():
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()  # nothing listens there now
    with TcpProxy("127.0.0.1", port) as p:
        assert new_connection_severed(p.port)
