"""Shared helpers for Coffer's integration tests: real `coffer` processes.

Purpose: start/stop/kill `coffer server` processes, write their HCL config,
find the address they bound (listeners use port 0, so parallel test files
never clash), and talk to them over HTTP (requests) or raw sockets.

Thread-safety: a CofferServer is used by one test at a time; its only
threads are the daemon threads draining the child's stdout/stderr pipes.

Invariants: every CofferServer owns a private temp directory (config, data,
logs) that cleanup() removes; nothing waits with fixed sleeps: readiness is
polled against a deadline. Nothing here prints tokens or unseal keys.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "build", "coffer"))
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 10.0
ROOT_TOKEN_LEN = 28

_READY_RE = re.compile(r"API listener ready on (https?)://(\S+)")


class StartupError(Exception):
    """The server exited or never became ready."""


def coffer_bin():
    """Path of the binary under test: $COFFER_BIN, else ../../build/coffer."""
    return os.environ.get("COFFER_BIN") or DEFAULT_BIN


def _clean_env(home):
    """Environment for a child: no VAULT_*/COFFER_* leakage, no proxies,
    and HOME pointed at the server's temp dir (dev mode may write a token
    file there)."""
    env = {}
    for k, v in os.environ.items():
        ku = k.upper()
        if ku.startswith("VAULT_") or ku.startswith("COFFER_") or ku.endswith("_PROXY"):
            continue
        env[k] = v
    env["HOME"] = home
    return env


class _PipeDrain(threading.Thread):
    """Reads a pipe to EOF so the child never blocks on a full pipe; keeps
    the lines in memory and appends them to a file."""

    def __init__(self, pipe, log_path):
        super().__init__(daemon=True)
        self._pipe = pipe
        self._log_path = log_path
        self._lines = []
        self._cond = threading.Condition()
        self._closed = False

    def run(self):
        with open(self._log_path, "ab") as f:
            for raw in iter(self._pipe.readline, b""):
                f.write(raw)
                f.flush()
                with self._cond:
                    self._lines.append(raw.decode("utf-8", errors="replace"))
                    self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def text(self):
        with self._cond:
            return "".join(self._lines)

    def wait_for(self, regex, deadline):
        """First match of regex in any line, or None if the pipe closed or
        the deadline passed first."""
        seen = 0
        with self._cond:
            while True:
                while seen < len(self._lines):
                    m = regex.search(self._lines[seen])
                    seen += 1
                    if m:
                        return m
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    return None
                self._cond.wait(min(remaining, 0.5))


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (for listeners that
    must keep one port across restarts, like the cluster port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_self_signed_cert(directory, cn="localhost"):
    """Self-signed EC certificate valid for IP:127.0.0.1 and DNS:localhost.
    Returns (cert_path, key_path)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=" + cn, "-keyout", key, "-out", cert,
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
    return cert, key


class CofferServer:
    """One `coffer server` process with its own temp dir.

    storage: "rocksdb" | "file" | "inmem"; tls: None or (cert, key);
    dev: run `coffer server -dev` instead of -config.
    """

    def __init__(self, storage="rocksdb", tls=None, extra_config="", dev=False,
                 dev_root_token_id=None, config_text=None, cluster_port=None):
        self.tmp = tempfile.mkdtemp(prefix="coffer-it-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.config_path = os.path.join(self.tmp, "coffer.hcl")
        self.storage = storage
        self.tls = tls
        self.dev = dev
        self.dev_root_token_id = dev_root_token_id
        # The cluster port (replication) is fixed per server, so it stays the
        # same across restarts: secondaries keep the address they were given.
        self.cluster_port = cluster_port
        self.cluster_addr = ("https://127.0.0.1:%d" % cluster_port) if cluster_port else None
        self.proc = None
        self.scheme = None
        self.host = None
        self.port = None
        self.addr = None
        self.verify = tls[0] if tls else None
        self._stderr = None
        self._stdout = None
        self._starts = 0
        # Filled by tests that initialise the server (never printed).
        self.keys = None
        self.keys_base64 = None
        self.root_token = None
        # Filled in dev mode from stdout.
        self.dev_unseal_key = None
        if not dev:
            with open(self.config_path, "w") as f:
                f.write(config_text if config_text is not None else self._config(extra_config))

    # ---- configuration -------------------------------------------------
    def _config(self, extra):
        if self.storage == "inmem":
            storage = 'storage "inmem" {}\n'
        else:
            storage = 'storage "%s" {\n  path = "%s"\n}\n' % (self.storage, self.data_dir)
        listener = ['listener "tcp" {', '  address = "127.0.0.1:0"']
        top = ""
        if self.cluster_port:
            listener.append('  cluster_address = "127.0.0.1:%d"' % self.cluster_port)
            top = 'cluster_addr = "%s"\n' % self.cluster_addr
        if self.tls:
            listener += ['  tls_disable = false',
                         '  tls_cert_file = "%s"' % self.tls[0],
                         '  tls_key_file = "%s"' % self.tls[1]]
        else:
            listener.append('  tls_disable = true')
        listener.append('}')
        return storage + "\n".join(listener) + "\n" + top + "disable_mlock = true\n" + extra

    def command(self):
        if self.dev:
            cmd = [coffer_bin(), "server", "-dev", "-dev-listen-address=127.0.0.1:0"]
            if self.dev_root_token_id is not None:
                cmd.append("-dev-root-token-id=" + self.dev_root_token_id)
            return cmd
        return [coffer_bin(), "server", "-config", self.config_path]

    # ---- process control -----------------------------------------------
    def spawn(self):
        """Starts the process without waiting for readiness."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self._starts += 1
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=_clean_env(self.tmp), cwd=self.tmp,
            start_new_session=True)
        self._stderr = _PipeDrain(self.proc.stderr,
                                  os.path.join(self.tmp, "stderr.%d.log" % self._starts))
        self._stdout = _PipeDrain(self.proc.stdout,
                                  os.path.join(self.tmp, "stdout.%d.log" % self._starts))
        self._stderr.start()
        self._stdout.start()

    def start(self, timeout=READY_TIMEOUT_S):
        """Starts the process and waits until sys/health answers."""
        self.spawn()
        deadline = time.monotonic() + timeout
        m = self._stderr.wait_for(_READY_RE, deadline)
        if not m:
            self._fail_start("no 'API listener ready on' line on stderr")
        self.scheme, hostport = m.group(1), m.group(2)
        self.host, _, port = hostport.rpartition(":")
        self.port = int(port)
        self.addr = "%s://%s" % (self.scheme, hostport)
        if self.dev:
            root = self._stdout.wait_for(re.compile(r"^Root Token: (\S+)"), deadline)
            key = self._stdout.wait_for(re.compile(r"^Unseal Key: (\S+)"), deadline)
            if not root or not key:
                self._fail_start("dev mode did not print 'Unseal Key:' and 'Root Token:'")
        self.wait_answering(deadline)
        if self.dev:
            self.root_token = re.search(r"^Root Token: (\S+)", self.stdout(), re.M).group(1)
            self.dev_unseal_key = re.search(r"^Unseal Key: (\S+)", self.stdout(), re.M).group(1)
        return self

    def wait_answering(self, deadline):
        """Polls GET sys/health until any HTTP status comes back."""
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._fail_start("process exited with %s" % self.proc.returncode)
            try:
                self.request("GET", "/v1/sys/health", timeout=2)
                return
            except requests.RequestException as e:
                last = e
                time.sleep(0.05)  # poll interval, bounded by the deadline
        self._fail_start("sys/health did not answer before the deadline: %r" % (last,))

    def _fail_start(self, why):
        if self.proc.poll() is None:
            self.kill()
        raise StartupError("%s\n--- command: %s\n--- stderr:\n%s\n--- stdout:\n%s" % (
            why, " ".join(self.command()), self.stderr()[-4000:], self.stdout()[-2000:]))

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM and wait; returns the exit code. Fails if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("coffer did not exit within %ss of SIGTERM" % timeout)
        self._join_drains()
        return rc

    def kill(self):
        """SIGKILL and wait (simulates a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_S)
        self._join_drains()

    def _join_drains(self):
        for d in (self._stderr, self._stdout):
            if d is not None:
                d.join(5)

    def restart(self):
        self.stop()
        return self.start()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        return self._stderr.text() if self._stderr else ""

    def stdout(self):
        return self._stdout.text() if self._stdout else ""

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- HTTP ------------------------------------------------------------
    def url(self, path):
        return self.addr + path

    def request(self, method, path, token=None, json=None, data=None, headers=None,
                params=None, timeout=REQUEST_TIMEOUT_S):
        """One request on a fresh connection. Returns requests.Response."""
        h = dict(headers or {})
        if token is not None:
            h["X-Vault-Token"] = token
        with requests.Session() as s:
            s.trust_env = False
            return s.request(method, self.url(path), json=json, data=data, headers=h,
                             params=params, timeout=timeout,
                             verify=self.verify if self.verify else True,
                             allow_redirects=False)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def seal_status(self):
        r = self.get("/v1/sys/seal-status")
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def key_status(self, token=None):
        r = self.get("/v1/sys/key-status", token=token or self.root_token)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()["data"]

    def assert_alive(self):
        """The process is running and sys/health answers with a known code."""
        assert self.running(), "coffer exited: rc=%s\n%s" % (
            self.proc.returncode, self.stderr()[-3000:])
        r = self.get("/v1/sys/health")
        assert r.status_code in (200, 501, 503), (r.status_code, r.text)

    # ---- sys helpers -----------------------------------------------------
    def initialize(self, shares=5, threshold=3):
        r = self.put("/v1/sys/init", json={"secret_shares": shares, "secret_threshold": threshold})
        assert r.status_code == 200, (r.status_code, r.text)
        body = r.json()
        self.keys = body["keys"]
        self.keys_base64 = body["keys_base64"]
        self.root_token = body["root_token"]
        return body

    def unseal(self, keys=None):
        """Submits keys (default: the first threshold hex keys) until unsealed."""
        status = self.seal_status()
        keys = keys if keys is not None else self.keys[:status["t"]]
        body = None
        for k in keys:
            r = self.put("/v1/sys/unseal", json={"key": k})
            assert r.status_code == 200, (r.status_code, r.text)
            body = r.json()
        assert body is not None and body["sealed"] is False, body
        return body

    def init_and_unseal(self, shares=5, threshold=3):
        self.initialize(shares, threshold)
        return self.unseal()


# ---- assertions ----------------------------------------------------------

def assert_error(resp, status, contains=None):
    """An error response: the given status, Content-Type exactly
    application/json, body {"errors": [str, ...]}."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type") == "application/json", resp.headers
    body = resp.json()
    assert isinstance(body.get("errors"), list), body
    assert all(isinstance(e, str) for e in body["errors"]), body
    if contains is not None:
        assert any(contains in e for e in body["errors"]), body
    return body


def assert_raw_error(resp, status):
    """assert_error for a RawResponse read off a socket."""
    assert resp.status == status, (resp.status, resp.body[:200])
    assert resp.headers.get("content-type") == "application/json", resp.headers
    body = json.loads(resp.body)
    assert isinstance(body.get("errors"), list), body
    return body


def assert_sealed_503(resp):
    assert_error(resp, 503, contains="Vault is sealed")


def b64decode_padded(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def decode_otp_token(encoded_token, otp):
    """Generate-root result: base64(token XOR otp) -> token string."""
    raw = b64decode_padded(encoded_token)
    otp_bytes = otp.encode()
    assert len(raw) == len(otp_bytes), (len(raw), len(otp_bytes))
    return bytes(a ^ b for a, b in zip(raw, otp_bytes)).decode("ascii")


def corrupt_share_hex(share_hex):
    """Same length and x coordinate, different y bytes: a share that cannot
    combine with genuine ones to the real key."""
    b = bytearray(bytes.fromhex(share_hex))
    for i in range(8, 16):
        b[i] ^= 0xA5
    return b.hex()


# ---- raw sockets ---------------------------------------------------------

def raw_connect(server, timeout=REQUEST_TIMEOUT_S):
    s = socket.create_connection((server.host, server.port), timeout=timeout)
    s.settimeout(timeout)
    return s


class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case name -> value
        self.body = body


class RawReader:
    """Minimal HTTP/1.1 response reader over a socket (Content-Length and
    chunked bodies), so tests can see exactly what went over the wire."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by server")
        self.buf += chunk

    def _read_until(self, sep):
        while sep not in self.buf:
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, head=False):
        head_bytes = self._read_until(b"\r\n\r\n").decode("latin-1")
        lines = head_bytes.split("\r\n")
        parts = lines[0].split(" ", 2)
        assert parts[0].startswith("HTTP/1."), lines[0]
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else ""
        headers = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        body = b""
        if head or status in (204, 304) or 100 <= status < 200:
            return RawResponse(status, reason, headers, body)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._read_until(b"\r\n").split(b";")[0].strip(), 16)
                if size == 0:
                    self._read_until(b"\r\n")
                    break
                body += self._read_exact(size)
                self._read_exact(2)
        elif "content-length" in headers:
            body = self._read_exact(int(headers["content-length"]))
        else:
            try:
                while True:
                    self._fill()
            except EOFError:
                body, self.buf = self.buf, b""
        return RawResponse(status, reason, headers, body)

    def read_all_until_close(self):
        """Everything until EOF (or reset); raises socket.timeout if the
        server neither answers nor closes."""
        try:
            while True:
                self._fill()
        except (EOFError, ConnectionResetError):
            pass
        out, self.buf = self.buf, b""
        return out


def raw_request_bytes(method, path, host="127.0.0.1", headers=None, body=b""):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    if body and not any(k.lower() == "content-length" for k in (headers or {})):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ---- API helpers for the secrets-and-access suites (appended) ------------

DEV_ROOT_TOKEN = "root"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
ENVELOPE_KEYS = ("request_id", "lease_id", "renewable", "lease_duration", "data",
                 "wrap_info", "warnings", "auth")


class Api:
    """A CofferServer plus a default token: thin verbs that return the raw
    requests.Response (tests assert on status and body themselves)."""

    def __init__(self, server, token=DEV_ROOT_TOKEN):
        self.server = server
        self.token = token

    def as_token(self, token):
        return Api(self.server, token)

    def _tok(self, kw):
        if "token" not in kw:
            kw["token"] = self.token
        return kw

    def get(self, path, **kw):
        return self.server.request("GET", "/v1/" + path, **self._tok(kw))

    def post(self, path, body=None, **kw):
        return self.server.request("POST", "/v1/" + path, json=body, **self._tok(kw))

    def put(self, path, body=None, **kw):
        return self.server.request("PUT", "/v1/" + path, json=body, **self._tok(kw))

    def delete(self, path, **kw):
        return self.server.request("DELETE", "/v1/" + path, **self._tok(kw))

    def list(self, path, **kw):
        return self.server.request("LIST", "/v1/" + path, **self._tok(kw))

    def patch(self, path, body, **kw):
        """PATCH with Content-Type application/merge-patch+json."""
        return self.server.request("PATCH", "/v1/" + path, data=json.dumps(body),
                                   headers=MERGE_PATCH, **self._tok(kw))

    # -- common operations (assert success) --
    def ok(self, resp, *codes):
        codes = codes or (200, 204)
        assert resp.status_code in codes, (resp.request.method, resp.request.url,
                                           resp.status_code, resp.text)
        return resp.json() if resp.status_code == 200 else None

    def write_policy(self, name, text):
        self.ok(self.put("sys/policies/acl/" + name, {"policy": text}))

    def create_token(self, **params):
        """POST auth/token/create with params; returns the auth block."""
        body = self.ok(self.post("auth/token/create", params), 200)
        return body["auth"]

    def lookup(self, token):
        """auth/token/lookup of another token as this Api's token."""
        return self.post("auth/token/lookup", {"token": token})

    def mount(self, path, type_, **extra):
        body = {"type": type_}
        body.update(extra)
        self.ok(self.post("sys/mounts/" + path, body), 204, 200)

    def enable_auth(self, path, type_, **extra):
        body = {"type": type_}
        body.update(extra)
        self.ok(self.post("sys/auth/" + path, body), 204, 200)


def assert_envelope(body):
    """A generic logical response carries every envelope key with Vault's
    types; returns body["data"]."""
    for k in ENVELOPE_KEYS:
        assert k in body, (k, body)
    assert isinstance(body["request_id"], str) and len(body["request_id"]) == 36, body
    assert isinstance(body["lease_id"], str), body
    assert isinstance(body["renewable"], bool), body
    assert isinstance(body["lease_duration"], int), body
    assert body["warnings"] is None or (
        isinstance(body["warnings"], list) and all(isinstance(w, str) for w in body["warnings"])), body
    return body["data"]


def wait_until(predicate, timeout, interval=0.1):
    """Polls predicate() until it returns a truthy value (returned) or the
    deadline passes (returns the last falsy value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)  # poll interval, bounded by the deadline


def start_dev_server(**kwargs):
    """A started dev server (root token "root") for module-scoped fixtures;
    the caller must cleanup()."""
    srv = CofferServer(dev=True, dev_root_token_id=DEV_ROOT_TOKEN, **kwargs)
    try:
        srv.start()
    except Exception:
        srv.cleanup()
        raise
    return srv
