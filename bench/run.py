#!/usr/bin/python3
"""Coffer benchmarks, side by side with their peers, in one run.

Starts Coffer (initialised, unsealed, RocksDB in a temp dir), nginx and etcd
as children on loopback, runs every scenario of bench/scenarios.py for a
fixed duration at a fixed concurrency with wrk, prints a table (each Coffer
figure with its ratio to the matching peer, goals marked) and writes JSON.

  bench/run.py --coffer build-release/coffer                # everything
  bench/run.py --coffer build/coffer --duration 1 --no-peers  # smoke run
  bench/run.py --only kvv2_read,nginx_json --duration 5
  bench/run.py --markdown bench/results/latest.json   # a results file as a Markdown table

Exit status: 0 when every scenario ran and no request failed; 1 otherwise
(missed goals are reported, not failed: the machine may be busy).
"""

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import disk_floor  # noqa: E402
import scenarios as sc  # noqa: E402
import targets as tg  # noqa: E402
import wrk_runner  # noqa: E402


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Coffer benchmarks with peers")
    ap.add_argument("--coffer", default=os.path.join(HERE, "..", "build-release", "coffer"),
                    help="coffer binary (default: build-release/coffer)")
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    ap.add_argument("--connections", type=int, default=64, help="concurrent connections")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--numkvs", type=int, default=sc.NUMKVS, help="pre-written keys")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds of unrecorded load before each scenario "
                         "(default: 1 when duration >= 5, else 0)")
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run every chosen scenario this many times, round-robin, and report "
                         "per scenario the median round (ratios: the median of the per-round "
                         "ratios)")
    ap.add_argument("--no-peers", action="store_true", help="Coffer scenarios only")
    ap.add_argument("--log-level", default="info", help="coffer log_level")
    ap.add_argument("--profile", default="",
                    help="directory: record `perf record -g` of the Coffer server during "
                         "each Coffer scenario into <dir>/<scenario>.perf.data")
    ap.add_argument("--profile-call-graph", default="fp",
                    help="perf's --call-graph mode for --profile: fp (default) or dwarf "
                         "(walks through libraries built without frame pointers)")
    ap.add_argument("--callgrind", default="",
                    help="directory: run the Coffer server under valgrind --tool=callgrind "
                         "and dump one profile per Coffer scenario (instructions per request "
                         "are added to the results); use few connections and keys")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    a = ap.parse_args(argv)
    if a.warmup is None:
        a.warmup = 1.0 if a.duration >= 5 else 0.0
    return a


def selected(args):
    names = [n for n in args.only.split(",") if n]
    table = sc.by_name()
    for n in names:
        if n not in table:
            raise SystemExit("unknown scenario %r (known: %s)" % (n, ", ".join(table)))
    out = []
    for s in sc.SCENARIOS:
        if names and s["name"] not in names:
            continue
        if args.no_peers and s["target"] not in sc.COFFER_TARGETS:
            continue
        out.append(s)
    return out


def requests_for(scenario, target, numkvs):
    keyed = any("{k}" in (scenario.get(f) or "") or "{b64key}" in (scenario.get(f) or "")
                for f in ("path", "body"))
    keys = range(numkvs) if keyed else range(1)
    paths = [tg.expand(scenario["path"], k, target.vars) for k in keys]
    bodies = None
    if scenario.get("body"):
        bodies = [tg.expand(scenario["body"], k, target.vars) for k in keys]
    return paths, bodies


def run_scenario(s, target, args, tmp_for_disk):
    conns = s.get("connections", args.connections)
    duration = max(args.duration, s.get("min_duration_s", 0))
    if s["target"] == "disk":
        r = disk_floor.measure(tmp_for_disk, duration, conns)
    else:
        paths, bodies = requests_for(s, target, args.numkvs)
        headers = target.headers(s)
        if args.warmup > 0:
            wrk_runner.run_wrk(target.base_url, s["method"], headers, paths, bodies,
                               args.warmup, conns, args.threads, [], script=s.get("script"),
                               extra=s.get("extra"))
            target.wait_idle()  # what the warm-up left queued must not count
        if args.callgrind and s["target"] in sc.COFFER_TARGETS:
            subprocess.run(["callgrind_control", "-z", str(target.server_pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        perf = None
        if args.profile and s["target"] in sc.COFFER_TARGETS:
            os.makedirs(args.profile, exist_ok=True)
            perf = subprocess.Popen(
                ["perf", "record", "-F", "499", "--call-graph", args.profile_call_graph, "-o",
                 os.path.join(args.profile, s["name"] + ".perf.data"),
                 "-p", ",".join(map(str, target.pids()))],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            r = wrk_runner.run_wrk(target.base_url, s["method"], headers, paths, bodies,
                                   duration, conns, args.threads, target.pids(),
                                   timeout_s=s.get("timeout_s", 10), script=s.get("script"),
                                   extra=s.get("extra"))
        finally:
            if perf is not None:
                perf.send_signal(signal.SIGINT)
                perf.wait(60)
        target.wait_idle()
        if args.callgrind and s["target"] in sc.COFFER_TARGETS:
            r["instructions_per_request"] = callgrind_dump(args.callgrind, target, s["name"],
                                                           r["requests"])
    r["name"] = s["name"]
    r["target"] = s["target"]
    r["connections"] = conns
    r["load1"] = round(os.getloadavg()[0], 2)
    return r


def callgrind_dump(directory, target, name, requests):
    """Dumps the profile collected since the last zeroing; returns the
    instructions executed per request (the callgrind 'Ir' total / requests)."""
    before = set(os.listdir(directory))
    subprocess.run(["callgrind_control", "-d", name, str(target.server_pid)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    new = sorted(set(os.listdir(directory)) - before)
    total = 0
    for f in new:
        with open(os.path.join(directory, f), errors="replace") as fh:
            for line in fh:
                if line.startswith("summary:") or line.startswith("totals:"):
                    total = max(total, int(line.split()[1]))
    return round(total / requests) if requests else None


def add_ratios(results):
    by = {r["name"]: r for r in results}
    table = sc.by_name()
    for r in results:
        s = table[r["name"]]
        r["ratios"] = {}
        for key in ("peer", "peer2"):
            peer = s.get(key)
            if peer in by and by[peer]["rps"] > 0:
                r["ratios"][peer] = round(r["rps"] / by[peer]["rps"], 3)
    add_goals(results)


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def run_order(chosen):
    """Indices into `chosen` in the order to run them: each peer right before
    the first chosen scenario compared with it (peer or peer2), the rest in
    table order. The machine drifts by tens of percent over minutes, so a
    ratio is fairer when its two figures are measured next to each other."""
    names = [s["name"] for s in chosen]
    peers = set()
    for s in chosen:
        for key in ("peer", "peer2"):
            if s.get(key) in names:
                peers.add(s[key])
    order = []
    for i, s in enumerate(chosen):
        if s["name"] in peers:
            continue  # placed before its first user (or at the end if unused)
        for key in ("peer", "peer2"):
            p = s.get(key)
            if p in peers and names.index(p) not in order:
                order.append(names.index(p))
        order.append(i)
    order += [i for i, n in enumerate(names) if n in peers and i not in order]
    return order


def combine_rounds(rounds):
    """One result per scenario from several rounds (each already with its
    own ratios): the figures of the round with the median req/s, the median
    latencies, and each ratio as the median of the per-round ratios, so that a
    drift of the machine between rounds moves a scenario and its peer
    together instead of skewing their quotient."""
    out = []
    for i, first in enumerate(rounds[0]):
        runs = [rnd[i] for rnd in rounds]
        by_rps = sorted(runs, key=lambda r: r["rps"])
        r = dict(by_rps[len(by_rps) // 2])
        r["rounds_rps"] = [x["rps"] for x in runs]
        r["rounds_p99_ms"] = [x["p99_ms"] for x in runs]
        for q in ("p50_ms", "p95_ms", "p99_ms"):
            r[q] = median([x[q] for x in runs])
        r["ratios"] = {}
        for peer in first["ratios"]:
            got = [x["ratios"][peer] for x in runs if peer in x["ratios"]]
            r["ratios"][peer] = round(median(got), 3)
            r.setdefault("rounds_ratios", {})[peer] = got
        out.append(r)
    add_goals(out)
    return out


def add_goals(results):
    table = sc.by_name()
    for r in results:
        s = table[r["name"]]
        r["goals"] = []
        for g in s.get("goals", []):
            if g[0] == "ratio":
                got = r["ratios"].get(g[1])
                if got is None:
                    continue
                r["goals"].append({"goal": "req/s >= %gx %s" % (g[2], g[1]), "value": got,
                                   "met": got >= g[2]})
            elif g[0] == "p99_ms":
                r["goals"].append({"goal": "p99 < %g ms" % g[1], "value": r["p99_ms"],
                                   "met": r["p99_ms"] < g[1]})


def fmt_table(results):
    head = ["scenario", "conns", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "cpu s/1k",
            "vs peer", "goals"]
    rows = []
    for r in results:
        ratios = ", ".join("%.2fx %s" % (v, k) for k, v in r["ratios"].items())
        goals = ", ".join(("ok " if g["met"] else "MISS ") + g["goal"] for g in r["goals"])
        cpu = "-" if r["cpu_s_per_1k"] is None else "%.3f" % r["cpu_s_per_1k"]
        rows.append([r["name"], str(r["connections"]), "%.1f" % r["rps"] if r["rps"] < 10
                     else "%.0f" % r["rps"], "%.2f" % r["p50_ms"],
                     "%.2f" % r["p95_ms"], "%.2f" % r["p99_ms"], str(r["errors"]), cpu, ratios,
                     goals])
    widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
    line = lambda cols: "  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip()  # noqa
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(results):
    out = ["| scenario | req/s | p50 ms | p99 ms | errors | CPU s / 1k req | vs peer |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for r in results:
        ratios = ", ".join("%.2f× %s" % (v, k) for k, v in r.get("ratios", {}).items())
        cpu = "–" if r["cpu_s_per_1k"] is None else "%.3f" % r["cpu_s_per_1k"]
        out.append("| %s | %s | %.2f | %.2f | %d | %s | %s |" % (
            r["name"], "{:,.0f}".format(r["rps"]), r["p50_ms"], r["p99_ms"], r["errors"], cpu,
            ratios))
    return "\n".join(out)


def git_rev():
    try:
        return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def uptime_text():
    try:
        return subprocess.run(["uptime"], stdout=subprocess.PIPE, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def start_postgres():
    """A private PostgreSQL on loopback for the database scenarios: the one
    the integration tests use (tests/integration/pg_harness.py; fsync off,
    so what is measured is Coffer, not PostgreSQL's disk)."""
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
    from pg_harness import PostgresServer
    return PostgresServer().start()


def main(argv):
    if argv[:1] == ["--markdown"]:  # bench/run.py --markdown FILE: a results file as a table
        with open(argv[1]) as f:
            print(markdown_table(json.load(f)["results"]))
        return 0
    args = parse_args(argv)
    chosen = selected(args)
    kinds = {s["target"] for s in chosen}
    stopper = tg.Stopper()

    def on_signal(signum, frame):
        stopper.stop_all()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started = time.time()
    load_before = uptime_text()
    results = []
    try:
        live = {}
        if "coffer" in kinds or "nginx" in kinds:
            wrap = []
            if args.callgrind:
                os.makedirs(args.callgrind, exist_ok=True)
                wrap = ["valgrind", "--tool=callgrind", "--collect-atstart=yes",
                        "--callgrind-out-file=" + os.path.join(
                            os.path.abspath(args.callgrind), "callgrind.out.%p")]
            live["coffer"] = stopper.add(tg.CofferTarget(os.path.abspath(args.coffer),
                                                         args.numkvs, args.log_level, wrap))
        if any(s.get("postgres") for s in chosen):
            live["postgres"] = stopper.add(start_postgres())
            live["coffer"].setup_database(live["postgres"])
        if "nginx" in kinds:
            live["nginx"] = stopper.add(tg.NginxTarget(live["coffer"].sample_read_body))
        if "etcd" in kinds:
            live["etcd"] = stopper.add(tg.EtcdTarget(args.numkvs))
        disk_dir = live["coffer"].tmp if "coffer" in live else HERE
        rounds = []
        for n in range(args.rounds):
            got = [None] * len(chosen)  # in table order, whatever the run order
            for i in run_order(chosen):
                s = chosen[i]
                print("running %s%s ..." % (s["name"], " (round %d of %d)" % (n + 1, args.rounds)
                                            if args.rounds > 1 else ""),
                      file=sys.stderr, flush=True)
                got[i] = run_scenario(s, live.get(s["target"]), args, disk_dir)
            add_ratios(got)
            rounds.append(got)
        results = rounds[0] if args.rounds == 1 else combine_rounds(rounds)
        if "coffer" in live and "coffer" in kinds:
            live["coffer"].check()
    finally:
        stopper.stop_all()
    report = {
        "when": datetime.datetime.utcfromtimestamp(started).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git": git_rev(),
        "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                 "uptime_before": load_before, "uptime_after": uptime_text()},
        "settings": {"duration_s": args.duration, "connections": args.connections,
                     "wrk_threads": args.threads, "numkvs": args.numkvs,
                     "warmup_s": args.warmup, "rounds": args.rounds,
                     "coffer": os.path.abspath(args.coffer),
                     "storage": "rocksdb", "log_level": args.log_level},
        "command": "bench/run.py " + " ".join(argv),
        "results": results,
    }
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    print("load before: %s" % load_before)
    print("load after:  %s" % report["host"]["uptime_after"])
    print(fmt_table(results))
    if args.out:
        print("wrote %s" % args.out)
    return 0 if all(r["errors"] == 0 and r["requests"] > 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
