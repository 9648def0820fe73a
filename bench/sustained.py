#!/usr/bin/env python3
"""Sustained load: one Coffer server, the chosen scenarios run again and
again in consecutive windows, one line per window (req/s and the server's
CPU seconds per 1,000 requests), to show how throughput changes as the
store grows (RocksDB flushes and compactions are charged to the server).

  bench/sustained.py --coffer build-release/coffer --only kvv2_write,token_create_service \\
      --windows 4 --duration 8

Same harness as run.py (bench/targets.py, bench/wrk_runner.py): RocksDB in a
temp dir, every write synced, wrk at the given connections. Nothing here
prints a token or key.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run as runmod  # noqa: E402
import scenarios as sc  # noqa: E402
import targets as tg  # noqa: E402
import wrk_runner  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--coffer", default=os.path.join(HERE, "..", "build-release", "coffer"))
    ap.add_argument("--only", default="kvv2_write,token_create_service",
                    help="comma-separated Coffer scenarios, run in this order in every window")
    ap.add_argument("--windows", type=int, default=4)
    ap.add_argument("--duration", type=float, default=8.0, help="seconds per scenario per window")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--numkvs", type=int, default=sc.NUMKVS)
    ap.add_argument("--out", default="", help="also write the windows as JSON")
    args = ap.parse_args(argv)
    table = sc.by_name()
    names = [n for n in args.only.split(",") if n]
    for n in names:
        if n not in table or table[n]["target"] not in sc.COFFER_TARGETS:
            raise SystemExit("not a Coffer scenario: %r" % n)
    target = tg.CofferTarget(os.path.abspath(args.coffer), args.numkvs)
    windows = []
    try:
        for w in range(args.windows):
            row = {"window": w, "results": []}
            for name in names:
                s = table[name]
                paths, bodies = runmod.requests_for(s, target, args.numkvs)
                r = wrk_runner.run_wrk(target.base_url, s["method"], target.headers(s), paths,
                                       bodies, args.duration, args.connections, args.threads,
                                       target.pids())
                target.wait_idle()
                row["results"].append({"name": name, "rps": r["rps"], "p99_ms": r["p99_ms"],
                                       "errors": r["errors"],
                                       "cpu_s_per_1k": r["cpu_s_per_1k"]})
            windows.append(row)
            print("window %d  " % w + "  |  ".join(
                "%s %.0f req/s, %s s CPU/1k, %d errors" % (
                    x["name"], x["rps"],
                    "-" if x["cpu_s_per_1k"] is None else "%.3f" % x["cpu_s_per_1k"],
                    x["errors"]) for x in row["results"]), flush=True)
    finally:
        target.stop()
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"settings": vars(args), "windows": windows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
