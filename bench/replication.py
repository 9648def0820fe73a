#!/usr/bin/python3
"""Performance replication benchmarks (issue #5): lag, catch-up, throughput.

Starts real `coffer server` processes (RocksDB, durable writes) on loopback
with free API and cluster ports: one primary and up to three performance
secondaries, activated with Vault's API (primary/enable, secondary-token,
secondary/enable). Then, in this order:

  1. throughput, 0 secondaries: wrk's kv write scenario (run.py's settings)
     against the primary;
  2. catch-up: --catchup-keys kv v1 keys written on the primary, then a fresh
     secondary enabled: keys/s from its status `bootstrap` (keys fetched by
     the Merkle sync / its duration) and end to end (secondary/enable call
     until the status says mode "secondary", state "stream-wals");
  3. lag at --lag-rate writes/s for --lag-duration s (kv v1 writes, several
     keep-alive writer threads, paced): the secondary's server-side apply lag
     (apply time minus the primary's commit time of each streamed entry, its
     status `apply_lag_ms`) and, for a sample of the writes, the time from
     the write's response on the primary until a GET on the secondary returns
     the value (polled every --poll-ms): the lag a client sees;
  4. throughput, 1 secondary streaming;
  5. two more secondaries enabled (two more catch-up figures), throughput
     with 3 secondaries streaming;
  6. the secondaries stopped, throughput with 0 again (the primary now holds
     more data: the baseline is the mean of 1 and 6).

  bench/replication.py --coffer build-release/coffer
  bench/replication.py --coffer build/coffer --lag-duration 2 --catchup-keys 100 \\
      --secondaries 1 --duration 1          # smoke run

Results go to --out (JSON) and a table is printed. Exit status 0 when every
step ran and no request failed (missed goals are reported, not failed).
Nothing here prints a token or key.
"""

import argparse
import base64
import datetime
import collections
import http.client
import json
import os
import platform
import queue
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import scenarios as sc  # noqa: E402
import targets as tg  # noqa: E402
import wrk_runner  # noqa: E402

STATUS = "/v1/sys/replication/%s/status"  # % "performance" or "dr"
SYNC_TIMEOUT_S = 600.0

GOALS = {"lag_p99_ms": 50.0, "catchup_keys_per_s": 20000.0, "throughput_drop_3": 0.10}


def add_common_args(ap, out_name):
    """--coffer, --log-level and --out (bench/results/<out_name>)."""
    ap.add_argument("--coffer", default=os.path.join(HERE, "..", "build-release", "coffer"))
    ap.add_argument("--log-level", default="info", help="coffer log_level")
    ap.add_argument("--out", default=os.path.join(HERE, "results", out_name))


def add_paced_args(ap, run, what):
    """--<run>-rate (1,000 writes/s), --<run>-duration (20 s), --<run>-writers
    (16): a paced_writes run."""
    ap.add_argument("--%s-rate" % run, type=float, default=1000.0, help="writes/s " + what)
    ap.add_argument("--%s-duration" % run, type=float, default=20.0, help="seconds " + what)
    ap.add_argument("--%s-writers" % run, type=int, default=16,
                    help="writer threads (keep-alive) " + what)


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Coffer replication benchmarks")
    add_common_args(ap, "replication.json")
    add_paced_args(ap, "lag", "of the lag run")
    ap.add_argument("--sample-every", type=int, default=20,
                    help="check visibility on the secondary for every Nth write")
    ap.add_argument("--poll-ms", type=float, default=1.0, help="visibility poll interval")
    ap.add_argument("--catchup-keys", type=int, default=50000,
                    help="keys written before a fresh secondary is enabled")
    ap.add_argument("--secondaries", type=int, default=3, choices=(1, 3),
                    help="secondaries for the last throughput step")
    ap.add_argument("--scenario", default="kvv2_write", help="run.py scenario of the throughput steps")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per throughput run")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--numkvs", type=int, default=sc.NUMKVS, help="keys of the wrk scenario")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds of unrecorded load before each throughput run "
                         "(default: 1 when duration >= 5, else 0)")
    ap.add_argument("--no-throughput", action="store_true",
                    help="only catch-up and lag (one secondary)")
    a = ap.parse_args(argv)
    if a.warmup is None:
        a.warmup = 1.0 if a.duration >= 5 else 0.0
    return a


# ---- cluster setup -----------------------------------------------------------

def start_node(args, stopper, numkvs):
    return stopper.add(tg.CofferTarget(args.coffer, numkvs, log_level=args.log_level,
                                       cluster_port=tg.free_port()))


def status(node, kind="performance"):
    c = tg.Client(node.host, node.port)
    try:
        return c.call("GET", STATUS % kind)[1]["data"]
    finally:
        c.close()


def wait_status(node, pred, what, timeout=SYNC_TIMEOUT_S, kind="performance"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = status(node, kind)
        if pred(s):
            return s
        time.sleep(0.01)  # poll interval, bounded by the deadline
    raise RuntimeError("timed out after %ss waiting for %s: %r" % (timeout, what, s))


def enable_primary(primary, kind="performance"):
    c = tg.Client(primary.host, primary.port)
    c.call("PUT", "/v1/sys/replication/%s/primary/enable" % kind, {}, primary.vars["token"])
    c.close()
    wait_status(primary, lambda s: s.get("mode") == "primary", "%s primary mode" % kind, 30,
                kind)


def secondary_token(primary, sid, kind="performance"):
    """The activation token (wrapped, single use) for secondary `sid`."""
    c = tg.Client(primary.host, primary.port)
    _, r = c.call("PUT", "/v1/sys/replication/%s/primary/secondary-token" % kind,
                  {"id": sid}, primary.vars["token"])
    c.close()
    return r["wrap_info"]["token"]


def generate_root(node, keys):
    """A local root token on a secondary from the primary's unseal keys."""
    c = tg.Client(node.host, node.port)
    _, st = c.call("PUT", "/v1/sys/generate-root/attempt", {})
    otp, nonce = st["otp"], st["nonce"]
    body = None
    for k in keys:
        _, body = c.call("PUT", "/v1/sys/generate-root/update", {"key": k, "nonce": nonce})
        if body["complete"]:
            break
    c.close()
    if not body or not body["complete"]:
        raise RuntimeError("generate-root did not complete")
    enc = body["encoded_token"]
    raw = base64.b64decode(enc + "=" * (-len(enc) % 4))
    return bytes(a ^ b for a, b in zip(raw, otp.encode())).decode("ascii")


def activate(primary, secondary, sid):
    """Enables `secondary` against `primary`; returns its catch-up figures.
    The secondary gets a local root token (vars["token"]) afterwards."""
    activation = secondary_token(primary, sid)
    primary_wal = status(primary)["last_wal"]
    c = tg.Client(secondary.host, secondary.port)
    t0 = time.monotonic()
    c.call("PUT", "/v1/sys/replication/performance/secondary/enable", {"token": activation},
           secondary.vars["token"])
    c.close()
    st = wait_status(secondary,
                     lambda s: s.get("mode") == "secondary" and s.get("state") == "stream-wals",
                     "secondary %s to stream" % sid)
    end_to_end_s = time.monotonic() - t0
    secondary.vars = dict(secondary.vars)
    secondary.vars["token"] = generate_root(secondary, primary.unseal_keys)
    boot = st.get("bootstrap") or {}
    keys, ms = boot.get("keys_fetched", 0), boot.get("duration_ms", 0)
    return {
        "secondary": sid,
        "primary_last_wal": primary_wal,
        "keys_fetched": keys,
        "bootstrap_ms": ms,
        "keys_per_s": round(keys * 1000.0 / ms, 1) if ms else None,
        "end_to_end_s": round(end_to_end_s, 3),
        "end_to_end_keys_per_s": round(keys / end_to_end_s, 1) if end_to_end_s else None,
    }


# ---- writes ------------------------------------------------------------------

class Conn:
    """One keep-alive connection; reconnects once after a dropped one."""

    def __init__(self, node):
        self.node = node
        self.c = http.client.HTTPConnection(node.host, node.port, timeout=30)

    def request(self, method, path, body=None, token=None):
        headers = {"X-Vault-Token": token} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            try:
                self.c.request(method, path, body=body, headers=headers)
                r = self.c.getresponse()
                return r.status, r.read()
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = http.client.HTTPConnection(self.node.host, self.node.port, timeout=30)
                if attempt:
                    raise

    def close(self):
        self.c.close()


def spread(node, n, writers, work):
    """Runs work(conn, i) for i in 0..n-1 on `writers` threads, each with its
    own keep-alive connection to `node`; returns the seconds it took."""

    def worker(w):
        c = Conn(node)
        for i in range(w, n, writers):
            work(c, i)
        c.close()

    ts = [threading.Thread(target=worker, args=(w,)) for w in range(writers)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.monotonic() - t0


def write_keys(node, n, prefix, writers=8):
    """Writes n kv v1 keys prefix-0..n-1 with several keep-alive writers."""
    token = node.vars["token"]
    errors = []

    def write(c, i):
        code, _ = c.request("POST", "/v1/kvv1/%s-%d" % (prefix, i), '{"v":"%d"}' % i, token)
        if code not in (200, 204):
            errors.append(code)

    seconds = spread(node, n, writers, write)
    if errors:
        raise RuntimeError("%d of %d writes failed (e.g. %s)" % (len(errors), n, errors[0]))
    return seconds


def paced_writes(node, token, prefix, n, rate, writers, start, on_result, stop=None):
    """Writes kv v1 keys prefix-0..n-1 (value {"v": i}), key i due at
    start + i/rate (monotonic clock), spread over `writers` keep-alive
    threads; calls on_result(i, code, t_sent, t_answered) after each write,
    with code None when the connection failed (the thread then stops, as it
    does once `stop` is set). Returns the started threads."""
    interval = 1.0 / rate

    def writer(w):
        c = Conn(node)
        for i in range(w, n, writers):
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if stop is not None and stop.is_set():
                break
            t0 = time.monotonic()
            try:
                code, _ = c.request("POST", "/v1/kvv1/%s-%d" % (prefix, i), '{"v":"%d"}' % i,
                                    token)
            except (http.client.HTTPException, OSError):
                code = None
            on_result(i, code, t0, time.monotonic())
            if code is None:
                break
        c.close()

    ts = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in ts:
        t.start()
    return ts


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(q * (len(sorted_values) - 1)))]


def lag_run(args, primary, secondary):
    """Paced kv v1 writes on the primary; visibility of a sample on the secondary."""
    n = int(args.lag_rate * args.lag_duration)
    ptoken, stoken = primary.vars["token"], secondary.vars["token"]
    samples = queue.Queue()
    visible_ms, get_ms, unseen, write_ms, errors = [], [], [], [], []
    lock = threading.Lock()
    start = time.monotonic() + 0.2
    sent_done = threading.Event()

    def on_write(i, code, t0, t1):
        with lock:
            if code in (200, 204):
                write_ms.append((t1 - t0) * 1000.0)
            else:
                errors.append(code)
        if code in (200, 204) and i % args.sample_every == 0:
            samples.put((i, t1))

    def prober():
        """Polls the oldest pending sample (every --poll-ms) until its value
        reads back, then the next: entries apply in commit order, so one GET
        at a time measures each sample within about one GET's time and keeps
        the probe load on the secondary bounded (polling every pending key
        would slow the secondary it measures)."""
        c = Conn(secondary)
        poll = args.poll_ms / 1000.0
        pending = collections.deque()  # (i, t_written)
        while True:
            try:
                while True:
                    pending.append(samples.get(timeout=0 if pending else 0.05))
            except queue.Empty:
                pass
            if not pending:
                if sent_done.is_set():
                    break
                continue
            i, t_written = pending[0]
            t0 = time.monotonic()
            code, body = c.request("GET", "/v1/kvv1/lag-%d" % i, token=stoken)
            seen = time.monotonic()
            with lock:
                get_ms.append((seen - t0) * 1000.0)
                if code == 200 and b'"v":"%d"' % i in body:
                    visible_ms.append((seen - t_written) * 1000.0)
                    pending.popleft()
                    continue
                if seen - t_written > 30.0:
                    unseen.append(i)
                    pending.popleft()
            time.sleep(poll)
        c.close()

    behind = []  # primary's last_wal minus the secondary's last_remote_wal, sampled

    def monitor():
        while not sent_done.is_set():
            p = status(primary).get("last_wal", 0)
            behind.append(max(0, p - status(secondary).get("last_remote_wal", 0)))
            sent_done.wait(0.25)

    before = status(secondary)
    mon = threading.Thread(target=monitor)
    mon.start()
    ws = paced_writes(primary, ptoken, "lag", n, args.lag_rate, args.lag_writers, start,
                      on_write)
    ps = [threading.Thread(target=prober)]
    for t in ps:
        t.start()
    for t in ws:
        t.join()
    elapsed = time.monotonic() - start
    sent_done.set()
    for t in ps + [mon]:
        t.join()
    target = status(primary)["last_wal"]
    after = wait_status(secondary, lambda s: s.get("last_remote_wal", 0) >= target,
                        "the secondary to reach wal %d" % target, 60)
    visible_ms.sort()
    get_ms.sort()
    write_ms.sort()
    apply_lag = after.get("apply_lag_ms") or {}
    return {
        "writes": len(write_ms),
        "write_errors": len(errors),
        "target_rate": args.lag_rate,
        "achieved_rate": round(len(write_ms) / elapsed, 1) if elapsed > 0 else 0.0,
        "seconds": round(elapsed, 3),
        "write_p50_ms": round(percentile(write_ms, 0.5) or 0, 2),
        "write_p99_ms": round(percentile(write_ms, 0.99) or 0, 2),
        # Server side: the secondary's ring of its last 20,000 applied entries.
        "entries_streamed": after.get("last_remote_wal", 0) - before.get("last_remote_wal", 0),
        "apply_lag_p50_ms": apply_lag.get("p50"),
        "apply_lag_p99_ms": apply_lag.get("p99"),
        "apply_lag_max_ms": apply_lag.get("max"),
        "apply_lag_samples": apply_lag.get("samples"),
        # Client side: write response on the primary -> value readable on the secondary.
        "visible_samples": len(visible_ms),
        "visible_unseen_30s": len(unseen),
        "visible_p50_ms": round(percentile(visible_ms, 0.5), 2) if visible_ms else None,
        "visible_p99_ms": round(percentile(visible_ms, 0.99), 2) if visible_ms else None,
        "visible_max_ms": round(visible_ms[-1], 2) if visible_ms else None,
        "poll_ms": args.poll_ms,
        "secondary_get_p50_ms": round(percentile(get_ms, 0.5), 2) if get_ms else None,
        "secondary_get_p99_ms": round(percentile(get_ms, 0.99), 2) if get_ms else None,
        "secondary_gets": len(get_ms),
        # Sampled every 0.25 s during the run: entries committed on the
        # primary that the secondary had not applied yet.
        "behind_entries_p50": percentile(sorted(behind), 0.5),
        "behind_entries_max": max(behind) if behind else None,
    }


def throughput(args, primary, nodes, attached):
    s = sc.by_name()[args.scenario]
    keys = range(args.numkvs)
    paths = [tg.expand(s["path"], k, primary.vars) for k in keys]
    bodies = [tg.expand(s["body"], k, primary.vars) for k in keys] if s.get("body") else None
    headers = primary.headers(s)
    if args.warmup > 0:
        wrk_runner.run_wrk(primary.base_url, s["method"], headers, paths, bodies, args.warmup,
                           args.connections, args.threads, [])
        primary.wait_idle()
    others = [p for n in nodes if n is not primary for p in n.pids()]
    cpu0 = wrk_runner.cpu_seconds(others)
    r = wrk_runner.run_wrk(primary.base_url, s["method"], headers, paths, bodies, args.duration,
                           args.connections, args.threads, primary.pids())
    cpu1 = wrk_runner.cpu_seconds(others)
    primary.wait_idle()
    r["scenario"] = args.scenario
    r["secondaries"] = attached
    r["secondaries_cpu_s_per_1k"] = (round((cpu1 - cpu0) * 1000.0 / r["requests"], 4)
                                     if r["requests"] else None)
    r["load1"] = round(os.getloadavg()[0], 2)
    return r


def wait_all_caught_up(primary, secondaries):
    target = status(primary)["last_wal"]
    for s in secondaries:
        wait_status(s, lambda st: st.get("last_remote_wal", 0) >= target,
                    "a secondary to reach wal %d" % target, 120)


# ---- report ------------------------------------------------------------------

def verdicts(report):
    out = {}
    lag = report.get("lag") or {}
    p99 = [v for v in (lag.get("apply_lag_p99_ms"), lag.get("visible_p99_ms")) if v is not None]
    if p99:
        out["lag_p99_ms"] = {"goal": GOALS["lag_p99_ms"], "value": max(p99),
                             "met": max(p99) <= GOALS["lag_p99_ms"]}
    rates = [c["keys_per_s"] for c in report.get("catchup", []) if c.get("keys_per_s")]
    if rates:
        out["catchup_keys_per_s"] = {"goal": GOALS["catchup_keys_per_s"], "value": rates[0],
                                     "met": rates[0] >= GOALS["catchup_keys_per_s"]}
    tp = {r["label"]: r["rps"] for r in report.get("throughput", [])}
    base = [tp[k] for k in ("0", "0-after") if k in tp]
    if base and "3" in tp:
        b = sum(base) / len(base)
        drop = 1.0 - tp["3"] / b if b else None
        out["throughput_drop_3"] = {"goal": GOALS["throughput_drop_3"],
                                    "value": round(drop, 3) if drop is not None else None,
                                    "met": drop is not None and drop <= GOALS["throughput_drop_3"]}
    return out


def print_table(report):
    lag = report.get("lag")
    print()
    print("Replication benchmarks (%s, load1 at end %.2f)" % (report["binary"],
                                                            report["load1_end"]))
    if lag:
        print("lag at %.0f writes/s target (%.1f achieved, %d writes, write p99 %.1f ms):" % (
            lag["target_rate"], lag["achieved_rate"], lag["writes"], lag["write_p99_ms"]))
        print("  server-side apply lag   p50 %s ms  p99 %s ms  max %s ms  (%s samples)" % (
            lag["apply_lag_p50_ms"], lag["apply_lag_p99_ms"], lag["apply_lag_max_ms"],
            lag["apply_lag_samples"]))
        print("  visible on secondary    p50 %s ms  p99 %s ms  max %s ms  (%d samples, %d unseen)"
              % (lag["visible_p50_ms"], lag["visible_p99_ms"], lag["visible_max_ms"],
                 lag["visible_samples"], lag["visible_unseen_30s"]))
        print("  secondary behind by     p50 %s entries, max %s (sampled every 0.25 s)"
              % (lag["behind_entries_p50"], lag["behind_entries_max"]))
    for c in report.get("catchup", []):
        print("catch-up %-4s %7d keys in %6d ms: %9s keys/s (end to end %.2f s: %s keys/s)" % (
            c["secondary"], c["keys_fetched"], c["bootstrap_ms"], c["keys_per_s"],
            c["end_to_end_s"], c["end_to_end_keys_per_s"]))
    for r in report.get("throughput", []):
        print("throughput %-8s secondaries=%-7s %9.1f req/s  p99 %7.2f ms  errors %d  "
              "load1 %.2f" % (r["scenario"], r["label"], r["rps"], r["p99_ms"], r["errors"],
                              r["load1"]))
    print_goals(report)


def print_goals(report):
    for name, v in report.get("goals", {}).items():
        print("goal %-22s value %-10s goal %-8s %s" % (name, v["value"], v["goal"],
                                                       "met" if v["met"] else "MISSED"))


def new_report(args):
    """The report's header (when, binary, machine, settings); exits when
    --coffer names no executable."""
    args.coffer = os.path.abspath(args.coffer)
    if not os.access(args.coffer, os.X_OK):
        raise SystemExit("no coffer binary at %s (build it first)" % args.coffer)
    return {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "binary": args.coffer,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load1_start": round(os.getloadavg()[0], 2)},
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "coffer")},
    }


def save_report(args, report):
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


def main(argv):
    args = parse_args(argv)
    report = new_report(args)
    report.update({"catchup": [], "throughput": []})
    stopper = tg.Stopper()
    ok = True
    try:
        primary = start_node(args, stopper, args.numkvs)
        enable_primary(primary)
        nodes = [primary]

        if not args.no_throughput:
            r = throughput(args, primary, nodes, 0)
            r["label"] = "0"
            report["throughput"].append(r)
            print("throughput, 0 secondaries: %.1f req/s" % r["rps"], flush=True)

        report["catchup_write_s"] = round(write_keys(primary, args.catchup_keys, "catchup"), 3)
        secondaries = [start_node(args, stopper, 1)]
        nodes.append(secondaries[0])
        report["catchup"].append(activate(primary, secondaries[0], "s1"))
        print("catch-up s1: %s" % report["catchup"][-1], flush=True)

        report["lag"] = lag_run(args, primary, secondaries[0])
        print("lag: %s" % report["lag"], flush=True)

        if args.no_throughput:
            return finish(args, report, stopper, True)
        wait_all_caught_up(primary, secondaries)
        r = throughput(args, primary, nodes, 1)
        r["label"] = "1"
        report["throughput"].append(r)
        print("throughput, 1 secondary: %.1f req/s" % r["rps"], flush=True)

        if args.secondaries == 3:
            for sid in ("s2", "s3"):
                s = start_node(args, stopper, 1)
                secondaries.append(s)
                nodes.append(s)
                report["catchup"].append(activate(primary, s, sid))
                print("catch-up %s: %s" % (sid, report["catchup"][-1]), flush=True)
            wait_all_caught_up(primary, secondaries)
            r = throughput(args, primary, nodes, 3)
            r["label"] = "3"
            report["throughput"].append(r)
            print("throughput, 3 secondaries: %.1f req/s" % r["rps"], flush=True)
            for s in secondaries:
                s.stop()
                stopper.targets.remove(s)
            nodes = [primary]
            r = throughput(args, primary, nodes, 0)
            r["label"] = "0-after"
            report["throughput"].append(r)
            print("throughput, 0 secondaries again: %.1f req/s" % r["rps"], flush=True)
    except Exception as e:  # report what ran, then fail
        report["error"] = str(e)[:3000]
        print("error: %s" % report["error"], file=sys.stderr)
        ok = False
    return finish(args, report, stopper, ok)


def finish(args, report, stopper, ok):
    stopper.stop_all()
    report["load1_end"] = round(os.getloadavg()[0], 2)
    report["goals"] = verdicts(report)
    lag = report.get("lag") or {}
    if lag.get("write_errors") or lag.get("visible_unseen_30s"):
        ok = False
    if any(r["errors"] for r in report["throughput"]):
        ok = False
    save_report(args, report)
    print_table(report)
    print("results: %s" % args.out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
