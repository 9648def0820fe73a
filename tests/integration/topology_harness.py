"""Helpers for the topology end-to-end tests: bring a topology up through the
CLI (`coffer topology up NAME -detach -dir TMP`), read its state and secrets
files, check the replication rules on it, run the failover drills, and bring
it down.

    with Topology("two-dc") as topo:
        check_replication(topo)
        ...

Every wait polls against a deadline. Nothing here prints a token or key.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

import requests

from coffer_harness import coffer_bin, wait_until

CLI_TIMEOUT_S = 240
WAIT_S = 60
DISABLED = "path disabled in replication DR secondary mode"


def cli(*args, timeout=CLI_TIMEOUT_S):
    proc = subprocess.run([coffer_bin(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, text=True)
    return proc


class Cluster:
    def __init__(self, state, secrets):
        self.name = state["name"]
        self.site = state["site"]
        self.role = state["role"]
        self.of = state["of"]
        self.addr = state["api_addr"]
        self.condition = state["condition"]
        self.root_token = secrets["root_token"]

    def request(self, method, path, token=None, **kw):
        headers = {"X-Vault-Token": token} if token else {}
        return requests.request(method, self.addr + path, headers=headers, timeout=10, **kw)

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token, **kw)

    def put(self, path, token=None, **kw):
        return self.request("PUT", path, token, **kw)

    def status(self, kind):
        r = self.get("/v1/sys/replication/%s/status" % kind)
        assert r.status_code == 200, (self.name, r.status_code, r.text)
        return r.json()["data"]


class Topology:
    """A topology brought up with -detach in a temp dir; down + removal on exit."""

    def __init__(self, name, *extra):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="coffer-topo-it-")
        up = cli("topology", "up", name, *extra, "-detach", "-dir", self.dir)
        if up.returncode != 0:
            self.down()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise AssertionError("topology up %s failed (%d):\n%s\n%s" % (
                name, up.returncode, up.stdout[-3000:], up.stderr[-3000:]))
        self.up_output = up.stdout
        self.reload()

    def reload(self):
        with open(os.path.join(self.dir, "state.json")) as f:
            state = json.load(f)
        with open(os.path.join(self.dir, "secrets.json")) as f:
            secrets = json.load(f)["clusters"]
        self.clusters = {c["name"]: Cluster(c, secrets[c["name"]]) for c in state["clusters"]}

    def __getitem__(self, name):
        return self.clusters[name]

    def running(self):
        return [c for c in self.clusters.values() if c.condition == "running"]

    def with_role(self, role):
        return [c for c in self.running() if c.role == role]

    def primary(self):
        (p,) = self.with_role("primary")
        return p

    def dr_of(self, name):
        found = [c for c in self.with_role("dr") if c.of == name]
        return found[0] if found else None

    def active(self, site):
        (a,) = [c for c in self.running() if c.site == site and c.role != "dr"]
        return a

    def failover(self, site, planned=False):
        args = ["topology", "failover", site, "-dir", self.dir, "-format=json"]
        if planned:
            args.append("-planned")
        r = cli(*args)
        assert r.returncode == 0, "failover %s failed (%d):\n%s\n%s" % (
            site, r.returncode, r.stdout[-3000:], r.stderr[-3000:])
        report = json.loads(r.stdout[r.stdout.index("{"):])
        self.reload()
        return report

    def down(self):
        cli("topology", "down", "-dir", self.dir, timeout=120)

    def logs(self):
        out = []
        for name in sorted(os.listdir(self.dir)):
            log = os.path.join(self.dir, name, "server.log")
            if os.path.isfile(log):
                with open(log, errors="replace") as f:
                    out.append("===== %s =====\n%s" % (name, f.read()[-3000:]))
        return "\n".join(out)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            print(self.logs())
        self.down()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False


def wait_for(predicate, what, timeout=WAIT_S):
    assert wait_until(predicate, timeout), "timed out after %ss waiting for %s" % (timeout, what)


def kv_put(c, token, path, data):
    r = c.put("/v1/secret/data/" + path, token=token, json={"data": data})
    assert r.status_code == 200, (c.name, r.status_code, r.text)


def kv_reads(c, token, path, data):
    r = c.get("/v1/secret/data/" + path, token=token)
    return r.status_code == 200 and r.json()["data"]["data"] == data


def create_token(c, ttl="1h"):
    r = c.request("POST", "/v1/auth/token/create", token=c.root_token,
                  json={"policies": ["default"], "ttl": ttl})
    assert r.status_code == 200, (c.name, r.status_code, r.text)
    return r.json()["auth"]["client_token"]


def token_valid(c, token):
    """True (200), False (403), or the DR-secondary refusal as 'disabled'."""
    r = c.get("/v1/auth/token/lookup-self", token=token)
    if r.status_code == 200:
        data = r.json()["data"]
        # A root token has no TTL; every other token here was made with one.
        assert data["ttl"] > 0 or data["policies"] == ["root"], (c.name, data["ttl"])
        return True
    if r.status_code == 400 and DISABLED in r.text:
        return "disabled"
    assert r.status_code == 403, (c.name, r.status_code, r.text)
    return False


def token_leases(c):
    r = c.request("LIST", "/v1/sys/leases/lookup/auth/token/create/", token=c.root_token)
    if r.status_code == 404:
        return set()
    assert r.status_code == 200, (c.name, r.status_code, r.text)
    return set(r.json()["data"]["keys"])


def lease_ttl(c, lease_key):
    r = c.put("/v1/sys/leases/lookup", token=c.root_token,
              json={"lease_id": "auth/token/create/" + lease_key})
    assert r.status_code == 200, (c.name, r.status_code, r.text)
    return r.json()["data"]["ttl"]


def dr_caught_up(topo, dr):
    """A DR replica applied everything its upstream logged, with equal merkle roots."""
    up = topo[dr.of]

    def check():
        u, d = up.status("dr"), dr.status("dr")
        return (d.get("state") == "stream-wals" and
                d.get("last_remote_wal", -1) >= u.get("last_wal", 0) and
                d.get("merkle_root") == u.get("merkle_root"))
    wait_for(check, "%s to catch up with %s" % (dr.name, up.name))


def check_replication(topo, tag):
    """Data written on the primary reaches every performance replica (readable)
    and every DR replica (position and merkle root); standalones stay apart."""
    p = topo.primary()
    value = {"tag": tag}
    kv_put(p, p.root_token, "topology/" + tag, value)
    for s in topo.with_role("performance"):
        wait_for(lambda: kv_reads(s, s.root_token, "topology/" + tag, value),
                 "%s to read what %s wrote" % (s.name, p.name))
    for d in topo.with_role("dr"):
        dr_caught_up(topo, d)
        r = d.get("/v1/secret/data/topology/" + tag, token=p.root_token)
        assert r.status_code == 400 and DISABLED in r.text, (d.name, r.status_code, r.text)
    for q in topo.with_role("standalone"):
        assert q.get("/v1/secret/data/topology/" + tag, token=q.root_token).status_code == 404
        assert token_valid(q, p.root_token) is False


def make_tokens(topo):
    """A 1h service token on the primary and on each performance replica."""
    return {c.name: create_token(c) for c in topo.running() if c.role in ("primary", "performance")}


def check_tokens_where_they_belong(topo, tokens):
    """A token is valid on the cluster that made it (the promoted one after a
    failover), refused on every other serving cluster, and a DR replica serves
    no client at all."""
    for owner, token in tokens.items():
        home = owner_now(topo, owner)
        for c in topo.running():
            got = token_valid(c, token)
            if c.role == "dr":
                assert got == "disabled", (owner, c.name, got)
            elif c.name == home.name:
                assert got is True, (owner, c.name, got)
            else:
                assert got is False, (owner, c.name, got)


def owner_now(topo, name):
    """The cluster serving what `name` made: itself, or whoever took its site."""
    c = topo[name]
    if c.condition == "running" and c.role != "dr":
        return c
    return topo.active(c.site)


def drill(topo, site, tokens, planned=False):
    """Fails `site` over through the CLI and checks service came back with the
    same tokens and leases; returns the drill's report."""
    old = topo.active(site)
    promoted_name = topo.dr_of(old.name).name
    leases = token_leases(old)
    assert leases, "no token leases on %s before the drill" % old.name
    report = topo.failover(site, planned=planned)
    assert report["promoted"] == promoted_name, report
    assert report["restore_seconds"] < 30, report
    assert report["acknowledged"] > report["acknowledged_before"] > 0, report
    if old.role == "performance":
        # A performance site's writes were acknowledged by the primary, which lives
        # on: the promoted replica must get every one of them.
        assert report["missing_writes"] == 0, report
    elif planned:
        # A planned failover loses nothing: the demotion refuses writes, then
        # waits until its DR replica has been sent the last entry.
        assert report["missing_writes"] == 0, report
    new = topo.active(site)
    assert new.name == promoted_name and new.role == old.role, (new.name, new.role)
    assert topo[old.name].condition == ("demoted" if planned else "killed")
    # The same tokens (root, and the 1h service token) and their leases serve on.
    assert token_valid(new, old.root_token) is True
    assert token_valid(new, tokens[old.name]) is True
    after = token_leases(new)
    assert leases <= after, "token leases lost in the drill of %s" % site
    for key in sorted(leases)[:3]:
        assert lease_ttl(new, key) > 0
    # Writes through the promoted cluster work.
    kv_put(new, new.root_token, "after-drill/" + site, {"site": site})
    return report


def run_topology_checks(name, *extra, planned_sites=()):
    """The whole check for one topology: up, replication, tokens, a drill of
    every site that has a DR replica (performance sites first, then the
    primary's), tokens and replication again, down."""
    with Topology(name, *extra) as topo:
        assert "export VAULT_ADDR=" in topo.up_output
        check_replication(topo, "before")
        tokens = make_tokens(topo)
        check_tokens_where_they_belong(topo, tokens)
        sites = [c.site for c in topo.with_role("performance") if topo.dr_of(c.name)]
        sites += [c.site for c in topo.with_role("primary") if topo.dr_of(c.name)]
        reports = {}
        for site in sites:
            reports[site] = drill(topo, site, tokens, planned=site in planned_sites)
            check_tokens_where_they_belong(topo, tokens)
        check_replication(topo, "after")
        # status answers for every cluster, and shows no DR replica left behind.
        st = cli("topology", "status", "-dir", topo.dir, "-format=json")
        assert st.returncode == 0, st.stderr
        doc = json.loads(st.stdout)
        assert {c["name"] for c in doc["clusters"]} == set(topo.clusters)
        for c in doc["clusters"]:
            assert c["running"] == (c["condition"] in ("running", "demoted")), c
        for site, r in reports.items():
            print("drill %s: restore %.3fs promote %.3fs acked %d lost %d token %s" % (
                site, r["restore_seconds"], r["promote_seconds"], r["acknowledged"],
                r["missing_writes"], r["token_used"]))
        return reports
