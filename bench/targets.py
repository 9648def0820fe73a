"""The processes a benchmark run drives: Coffer, nginx, etcd, and the disk.

Each target starts as a non-daemon child on loopback with its own temp dir
and free ports, is prepared (keys written, auth methods set up), exposes the
pids whose CPU time is charged to it and the values its scenarios refer to
("{token}", "{role_id}", ...), and is stopped and its temp dir removed by
stop(). Nothing here prints a token, key or password.
"""

import base64
import http.client
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

import wrk_runner

READY_TIMEOUT_S = 30.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """pid and every process below it (nginx workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


class Client:
    """A keep-alive HTTP/1.1 client for setup requests."""

    def __init__(self, host, port):
        self.conn = http.client.HTTPConnection(host, port, timeout=30)

    def call(self, method, path, body=None, token=None, expect=(200, 204)):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Vault-Token"] = token
        data = json.dumps(body) if isinstance(body, (dict, list)) else body
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        text = r.read().decode("utf-8", "replace")
        if expect and r.status not in expect:
            raise RuntimeError("%s %s -> %d %s" % (method, path, r.status, text[:300]))
        return r.status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)

    def close(self):
        self.conn.close()


class Process:
    """A child process whose output goes to a log file in its temp dir."""

    def __init__(self, name, cmd, tmp, env=None):
        self.name = name
        self.log_path = os.path.join(tmp, name + ".log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=tmp, env=env,
                                     start_new_session=True)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def wait_for(self, what, ready, timeout=READY_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s:\n%s" % (self.name, self.proc.returncode,
                                                               self.log_text()[-3000:]))
            got = ready()
            if got:
                return got
            time.sleep(0.05)  # poll interval, bounded by the deadline
        raise RuntimeError("%s: %s not ready in %ss:\n%s" % (self.name, what, timeout,
                                                            self.log_text()[-3000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.log.close()


def _answers(host, port, path):
    try:
        c = http.client.HTTPConnection(host, port, timeout=2)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except OSError:
        return None


class Target:
    name = "?"

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="coffer-bench-%s-" % self.name)
        self.procs = []
        self.host = "127.0.0.1"
        self.port = None
        self.vars = {}

    @property
    def base_url(self):
        return "http://%s:%d" % (self.host, self.port)

    def pids(self):
        out = []
        for p in self.procs:
            if p.proc.poll() is None:
                out.extend(descendants(p.proc.pid))
        return out

    def headers(self, scenario):
        return {}

    health_path = "/"

    # Below this share of one core over IDLE_WINDOW_S (twice in a row), a
    # target counts as idle: a fifth of a core is five clock ticks in the
    # window, above the stray tick of an idle process, far below a target
    # still working (one to two cores).
    IDLE_CPU_SHARE = 0.2
    IDLE_WINDOW_S = 0.25

    def wait_idle(self, timeout=120.0):
        """After a run, waits until the target answers its health path
        quickly again and its processes stop using CPU: requests wrk left in
        flight (slow logins queued on the server) must not eat into the next
        scenario, whichever target that is. The health path alone is not
        enough: Coffer answers it on an I/O thread while its handler threads
        still work through the logins wrk gave up on (seconds of scrypt after
        userpass_auth, which ran into the next scenario at 2-3x its CPU per
        request)."""
        deadline = time.monotonic() + timeout
        quick = 0
        while time.monotonic() < deadline and quick < 2:
            t0 = time.monotonic()
            _answers(self.host, self.port, self.health_path)
            quick = quick + 1 if time.monotonic() - t0 < 0.05 else 0
            time.sleep(0.05)  # poll interval, bounded by the deadline
        quiet = 0
        while time.monotonic() < deadline and quiet < 2:
            pids = self.pids()
            c0 = wrk_runner.cpu_seconds(pids)
            time.sleep(self.IDLE_WINDOW_S)  # the measuring window, bounded by the deadline
            busy = (wrk_runner.cpu_seconds(pids) - c0) / self.IDLE_WINDOW_S
            quiet = quiet + 1 if busy < self.IDLE_CPU_SHARE else 0

    def stop(self):
        for p in reversed(self.procs):
            p.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def key_name(k):
    return "secret-%d" % k


class CofferTarget(Target):
    """An initialised, unsealed `coffer server` on RocksDB (durable writes),
    with kv v1 at kvv1/, kv v2 at kvv2/ (read) and kvv2w/ (written), numkvs
    keys in each, userpass user benchmark-user and AppRole role
    benchmark-role."""

    name = "coffer"
    health_path = "/v1/sys/health"

    def __init__(self, binary, numkvs, log_level="info", wrap=(), cluster_port=None):
        super().__init__()
        self.numkvs = numkvs
        self.cluster_port = cluster_port
        config = os.path.join(self.tmp, "coffer.hcl")
        with open(config, "w") as f:
            f.write('storage "rocksdb" {\n  path = "%s"\n}\n' % os.path.join(self.tmp, "data"))
            f.write('listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n')
            if cluster_port:  # replication: a fixed cluster port (bench/replication.py)
                f.write('  cluster_address = "127.0.0.1:%d"\n' % cluster_port)
            f.write('}\n')
            if cluster_port:
                f.write('cluster_addr = "https://127.0.0.1:%d"\n' % cluster_port)
            f.write('disable_mlock = true\nlog_level = "%s"\n' % log_level)
        env = {k: v for k, v in os.environ.items()
               if not k.upper().startswith(("VAULT_", "COFFER_")) and
               not k.upper().endswith("_PROXY")}
        env["HOME"] = self.tmp
        proc = Process("coffer", list(wrap) + [binary, "server", "-config", config], self.tmp,
                       env)
        self.procs.append(proc)
        timeout = READY_TIMEOUT_S * (10 if wrap else 1)
        ready = re.compile(r"API listener ready on http://(\S+):(\d+)")

        def listening():
            m = ready.search(proc.log_text())
            return m and (m.group(1), int(m.group(2)))

        self.host, self.port = proc.wait_for("listener", listening, timeout)
        proc.wait_for("sys/health", lambda: _answers(self.host, self.port, "/v1/sys/health"),
                      timeout)
        self.server_pid = proc.proc.pid
        self._setup()

    def pids(self):
        return [self.server_pid]

    def _setup(self):
        c = Client(self.host, self.port)
        _, init = c.call("PUT", "/v1/sys/init", {"secret_shares": 1, "secret_threshold": 1})
        token = init["root_token"]
        self.unseal_keys = init["keys"]  # replication: a secondary's generate-root
        _, st = c.call("PUT", "/v1/sys/unseal", {"key": init["keys"][0]})
        if st.get("sealed"):
            raise RuntimeError("coffer did not unseal")
        c.call("POST", "/v1/sys/mounts/kvv1", {"type": "kv", "options": {"version": "1"}},
               token)
        c.call("POST", "/v1/sys/mounts/kvv2", {"type": "kv", "options": {"version": "2"}},
               token)
        # kvv2_write has its own mount (as each vault-benchmark test does), so
        # the secrets kvv2_read reads keep one version whatever ran before.
        c.call("POST", "/v1/sys/mounts/kvv2w", {"type": "kv", "options": {"version": "2"}},
               token)
        for k in range(self.numkvs):
            c.call("POST", "/v1/kvv1/" + key_name(k), {"foo": "a"}, token)
            c.call("POST", "/v1/kvv2/data/" + key_name(k), {"data": {"foo": "a"}}, token)
            c.call("POST", "/v1/kvv2w/data/" + key_name(k), {"data": {"foo": "a"}}, token)
        _, sample = c.call("GET", "/v1/kvv2/data/" + key_name(0), token=token)
        self.sample_read_body = json.dumps(sample, separators=(",", ":"))
        password = base64.b32encode(os.urandom(15)).decode().lower()
        c.call("POST", "/v1/sys/auth/userpass", {"type": "userpass"}, token)
        c.call("POST", "/v1/auth/userpass/users/benchmark-user",
               {"password": password, "token_policies": ["default"]}, token)
        c.call("POST", "/v1/sys/auth/approle", {"type": "approle"}, token)
        c.call("POST", "/v1/auth/approle/role/benchmark-role",
               {"token_policies": ["default"], "secret_id_num_uses": 0}, token)
        _, rid = c.call("GET", "/v1/auth/approle/role/benchmark-role/role-id", token=token)
        _, sid = c.call("POST", "/v1/auth/approle/role/benchmark-role/secret-id", {}, token)
        c.close()
        self.vars = {"token": token, "password": password,
                     "role_id": rid["data"]["role_id"], "secret_id": sid["data"]["secret_id"]}

    # vault-benchmark's postgresql_secret defaults (names and statements).
    DB_CONNECTION = "benchmark-postgres"
    DB_ROLE = "benchmark-role"
    DB_CREATE = ("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' "
                 "VALID UNTIL '{{expiration}}'; "
                 "GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";")

    def setup_database(self, pg):
        """Mounts the database engine at database/ with a connection to `pg`
        (a pg_harness.PostgresServer) and the role postgresql_secret reads."""
        c = Client(self.host, self.port)
        token = self.vars["token"]
        c.call("POST", "/v1/sys/mounts/database", {"type": "database"}, token)
        c.call("POST", "/v1/database/config/" + self.DB_CONNECTION,
               pg.config_body(allowed_roles=[self.DB_ROLE]), token)
        c.call("POST", "/v1/database/roles/" + self.DB_ROLE,
               {"db_name": self.DB_CONNECTION, "creation_statements": self.DB_CREATE,
                "default_ttl": "1h", "max_ttl": "24h"}, token)
        _, creds = c.call("GET", "/v1/database/creds/" + self.DB_ROLE, token=token)
        c.call("PUT", "/v1/sys/leases/revoke", {"lease_id": creds["lease_id"]}, token)
        c.close()

    def headers(self, scenario):
        h = {}
        if scenario.get("token"):
            h["X-Vault-Token"] = self.vars["token"]
        if scenario.get("body") or scenario.get("script"):
            h["Content-Type"] = "application/json"
        return h

    def check(self):
        """Raises if a written key does not read back (the writes landed)."""
        c = Client(self.host, self.port)
        _, r = c.call("GET", "/v1/kvv2w/data/" + key_name(0), token=self.vars["token"])
        c.close()
        if "foo" not in r.get("data", {}).get("data", {}):
            raise RuntimeError("kvv2 read-back failed: %r" % (r,))


def nginx_escape(s):
    return s.replace("\\", "\\\\").replace("'", "\\'")


class NginxTarget(Target):
    """nginx answering every GET with a fixed JSON body (keep-alive)."""

    name = "nginx"

    def __init__(self, body, workers=2):
        super().__init__()
        self.port = free_port()
        t = self.tmp
        conf = os.path.join(t, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""daemon off;
master_process on;
worker_processes %(workers)d;
pid %(t)s/nginx.pid;
error_log %(t)s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(t)s/client_body;
  proxy_temp_path %(t)s/proxy;
  fastcgi_temp_path %(t)s/fastcgi;
  uwsgi_temp_path %(t)s/uwsgi;
  scgi_temp_path %(t)s/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:%(port)d;
    location / {
      default_type application/json;
      return 200 '%(body)s';
    }
  }
}
""" % {"workers": workers, "t": t, "port": self.port, "body": nginx_escape(body)})
        proc = Process("nginx", ["nginx", "-p", t, "-c", conf, "-e", os.path.join(t, "error.log")],
                       t)
        self.procs.append(proc)
        proc.wait_for("HTTP", lambda: _answers(self.host, self.port, "/") == 200)


def b64(s):
    return base64.b64encode(s.encode()).decode()


class EtcdTarget(Target):
    """One etcd member with its data dir in temp, numkvs keys pre-written."""

    name = "etcd"
    health_path = "/health"

    def __init__(self, numkvs):
        super().__init__()
        self.port = free_port()
        peer = free_port()
        client_url = "http://127.0.0.1:%d" % self.port
        peer_url = "http://127.0.0.1:%d" % peer
        cmd = ["etcd", "--name", "bench", "--data-dir", os.path.join(self.tmp, "etcd"),
               "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
               "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
               "--initial-cluster", "bench=" + peer_url, "--log-level", "warn",
               "--logger", "zap"]
        proc = Process("etcd", cmd, self.tmp, dict(os.environ))
        self.procs.append(proc)
        proc.wait_for("health", lambda: _answers(self.host, self.port, "/health") == 200)
        c = Client(self.host, self.port)
        for k in range(numkvs):
            c.call("POST", "/v3/kv/put", {"key": b64("kvv2/" + key_name(k)), "value": b64("a")})
        c.close()

    def headers(self, scenario):
        return {"Content-Type": "application/json"}


def expand(template, k, variables):
    """Fills "{k}", "{b64key}", "{b64value}" and the target's variables."""
    if template is None:
        return None
    out = template.replace("{k}", str(k))
    out = out.replace("{b64key}", b64("kvv2/" + key_name(k))).replace("{b64value}", b64("b"))
    for name, value in variables.items():
        out = out.replace("{%s}" % name, value)
    return out


class Stopper:
    """Stops every started target once, also from a signal handler."""

    def __init__(self):
        self.targets = []
        self.lock = threading.Lock()

    def add(self, t):
        self.targets.append(t)
        return t

    def stop_all(self):
        with self.lock:
            while self.targets:
                try:
                    self.targets.pop().stop()
                except Exception as e:  # keep stopping the others
                    print("stopping target: %s" % e)
