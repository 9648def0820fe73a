"""A throwaway PostgreSQL server for the database engine's integration tests.

Purpose: initdb a cluster in a private temp directory, run `postgres` on a
free loopback port (its unix socket in the temp dir too), and give tests a
superuser to configure Coffer with plus `psql` helpers to prove whether a
user can log in. Host connections use scram-sha-256, so a login with a wrong
or dropped password really fails.

PostgreSQL refuses to run as root; when the tests run as root (containers,
CI) initdb and postgres run as the `postgres` user (runuser), and the temp
dir is handed to it.

Thread-safety: one PostgresServer per fixture; not shared across threads.
Invariants: nothing waits with fixed sleeps (readiness is polled against a
deadline); stop() always removes the temp dir; passwords are never printed.
"""

import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
PSQL_TIMEOUT_S = 15.0


def pg_bin_dir():
    """The newest /usr/lib/postgresql/<version>/bin (Debian's layout)."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0)
    if not dirs:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql "
                           "(install the postgresql package: make deps)")
    return dirs[-1]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    SUPERUSER = "coffer_root"

    def __init__(self):
        self.bin = pg_bin_dir()
        self.dir = tempfile.mkdtemp(prefix="coffer-it-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "postgres.log")
        self.port = None
        self.password = secrets.token_hex(12)
        self.proc = None
        self._log = None
        self.as_root = os.geteuid() == 0

    # -- lifecycle --
    def _as_owner(self, argv):
        """argv run as the cluster owner (postgres when we are root)."""
        if self.as_root:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def start(self):
        pwfile = os.path.join(self.dir, "pw")
        with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(self.password + "\n")
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        init = subprocess.run(
            self._as_owner([os.path.join(self.bin, "initdb"), "-D", self.data,
                            "-U", self.SUPERUSER, "--pwfile=" + pwfile, "-E", "UTF8",
                            "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync"]),
            capture_output=True, text=True, timeout=120)
        os.unlink(pwfile)
        if init.returncode != 0:
            raise RuntimeError("initdb failed: " + init.stderr[-2000:])
        # A port can be taken between choosing and binding: retry a few.
        for _ in range(5):
            self.port = free_port()
            if self._spawn():
                return self
        raise RuntimeError("postgres did not start: " + self.log_tail())

    def _spawn(self):
        self._log = open(self.log_path, "ab")
        if self.as_root:
            shutil.chown(self.log_path, "postgres", "postgres")
        self.proc = subprocess.Popen(
            self._as_owner([os.path.join(self.bin, "postgres"), "-D", self.data,
                            "-p", str(self.port), "-k", self.dir,
                            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                            "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                return False
            r = subprocess.run([os.path.join(self.bin, "pg_isready"), "-h", "127.0.0.1",
                                "-p", str(self.port), "-t", "1"], capture_output=True)
            if r.returncode == 0:
                return True
            time.sleep(0.05)
        self.stop_process()
        return False

    def stop_process(self):
        """Fast shutdown of the postmaster (SIGINT), then SIGKILL."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT_S)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self):
        """Stops the postmaster and starts it again on the same port: every
        connection clients held is gone."""
        self.stop_process()
        if not self._spawn():
            raise RuntimeError("postgres did not restart: " + self.log_tail())

    def stop(self):
        try:
            self.stop_process()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-n:]
        except OSError:
            return ""

    # -- what tests configure Coffer with --
    def url(self, db="postgres"):
        """A templated connection URL for config/:name."""
        return "postgresql://{{username}}:{{password}}@127.0.0.1:%d/%s?sslmode=disable" % (
            self.port, db)

    def config_body(self, **extra):
        body = {"plugin_name": "postgresql-database-plugin",
                "connection_url": self.url(),
                "username": self.SUPERUSER,
                "password": self.password}
        body.update(extra)
        return body

    # -- psql --
    def psql(self, sql, user=None, password=None, db="postgres"):
        """Runs sql through psql over TCP; returns the CompletedProcess."""
        env = dict(os.environ)
        env["PGPASSWORD"] = self.password if user is None else (password or "")
        env["PGCONNECT_TIMEOUT"] = "5"
        env.pop("PGSERVICE", None)
        return subprocess.run(
            [os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", user or self.SUPERUSER,
             "-d", db, "-c", sql],
            capture_output=True, text=True, env=env, timeout=PSQL_TIMEOUT_S)

    def query(self, sql):
        """sql as the superuser; stdout stripped, or an AssertionError."""
        r = self.psql(sql)
        assert r.returncode == 0, "psql failed: %s" % r.stderr
        return r.stdout.strip()

    def can_login(self, user, password):
        return self.psql("SELECT current_user", user=user, password=password).returncode == 0

    def role_exists(self, name):
        return self.query("SELECT count(*) FROM pg_roles WHERE rolname = '%s'"
                          % name.replace("'", "''")) == "1"

    def roles_like(self, prefix):
        out = self.query("SELECT rolname FROM pg_roles WHERE rolname LIKE '%s%%' ORDER BY 1"
                         % prefix.replace("'", "''"))
        return [r for r in out.splitlines() if r]

