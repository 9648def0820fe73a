"""A loopback TCP proxy that integration tests cut and heal (network faults).

Purpose: put it between two coffer nodes (e.g. in front of a primary's
cluster port) and call cut() to sever the link, heal() to restore it.

    proxy = TcpProxy("127.0.0.1", primary_cluster_port)
    ... point the secondary at 127.0.0.1:proxy.port ...
    proxy.cut()    # every open connection is reset; new ones are reset on accept
    proxy.heal()   # new connections go through again
    proxy.close()

Thread-safety: every method may be called from any thread. One daemon thread
accepts; each proxied connection has two daemon threads, one per direction.
Invariants: while cut, no byte passes in either direction; the listening
port stays bound (clients see resets, not "connection refused") until close().
Counters (bytes_forwarded, connections_accepted, round_trips) only grow; a
round trip is data from the client after the server last spoke on that
connection (or the first), so a client that sends several requests before
reading the answers (pipelining) counts once.
"""

import socket
import struct
import threading

_CHUNK = 64 * 1024


def _reset(sock):
    """Closes with RST (SO_LINGER 0) so the peer notices at once."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class TcpProxy:
    def __init__(self, target_host, target_port, connect_timeout=2.0):
        self.target = (target_host, int(target_port))
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._pairs = set()  # (client_sock, upstream_sock)
        self._cut = False
        self._closed = False
        self._bytes = 0
        self._accepted = 0
        self._round_trips = 0
        self._last_from = {}  # pair -> "client" | "server": who sent last
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True,
                                          name="tcp-proxy-accept-%d" % self.port)
        self._acceptor.start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    @property
    def bytes_forwarded(self):
        """Bytes passed through so far, both directions together."""
        with self._lock:
            return self._bytes

    @property
    def round_trips(self):
        """Turns of the conversation so far, every connection together."""
        with self._lock:
            return self._round_trips

    @property
    def connections_accepted(self):
        with self._lock:
            return self._accepted

    @property
    def open_connections(self):
        with self._lock:
            return len(self._pairs)

    @property
    def is_cut(self):
        with self._lock:
            return self._cut

    def cut(self):
        """Resets every open connection; connections accepted until heal()
        are reset straight away."""
        with self._lock:
            self._cut = True
            pairs = list(self._pairs)
            self._pairs.clear()
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def heal(self):
        with self._lock:
            self._cut = False

    def close(self):
        with self._lock:
            self._closed = True
        self.cut()
        _reset(self._listener)
        self._acceptor.join(timeout=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _accept_loop(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # listener closed
            with self._lock:
                if self._closed:
                    _reset(client)
                    return
                self._accepted += 1
                refused = self._cut
            if refused:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=self.connect_timeout)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = (client, upstream)
            with self._lock:
                if self._cut or self._closed:  # cut while we were connecting
                    _reset(client)
                    _reset(upstream)
                    continue
                self._pairs.add(pair)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(pair, src, dst), daemon=True,
                                 name="tcp-proxy-pump-%d" % self.port).start()

    def _pump(self, pair, src, dst):
        try:
            while True:
                data = src.recv(_CHUNK)
                if not data:
                    break
                with self._lock:
                    if pair not in self._pairs:
                        return  # cut: drop what arrived
                    self._bytes += len(data)
                    # Counted before forwarding: the other side answers after.
                    side = "client" if src is pair[0] else "server"
                    if side == "client" and self._last_from.get(pair) != "client":
                        self._round_trips += 1
                    self._last_from[pair] = side
                dst.sendall(data)
        except OSError:
            pass
        # One side ended: end the whole connection (both directions).
        with self._lock:
            live = pair in self._pairs
            self._pairs.discard(pair)
            self._last_from.pop(pair, None)
        if live:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    s.close()
                except OSError:
                    pass
