"""Smoke test of the benchmark harness (bench/run.py, `make bench`).

Runs every Coffer scenario for about a second against the binary under test
(few connections, few keys, no peers) and checks that the harness produced a
figure for each and that the server answered every request without an error.
No timing assertions: the machine may be busy.
"""

import json
import os
import subprocess
import sys

from coffer_harness import coffer_bin

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.normpath(os.path.join(HERE, "..", "..", "bench"))
sys.path.insert(0, BENCH)

import scenarios  # noqa: E402


def test_every_coffer_scenario_runs_without_errors(tmp_path):
    out = tmp_path / "smoke.json"
    p = subprocess.run(
        ["/usr/bin/python3", os.path.join(BENCH, "run.py"), "--coffer", coffer_bin(),
         "--no-peers", "--duration", "1", "--connections", "4", "--threads", "1",
         "--numkvs", "20", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-4000:]
    report = json.loads(out.read_text())
    got = {r["name"]: r for r in report["results"]}
    want = [s["name"] for s in scenarios.SCENARIOS if s["target"] in scenarios.COFFER_TARGETS]
    assert sorted(got) == sorted(want)
    for name in want:
        r = got[name]
        assert r["requests"] > 0, (name, r)
        assert r["errors"] == 0, (name, r)
        assert r["cpu_s_per_1k"] is not None and r["cpu_s_per_1k"] >= 0, (name, r)
        for key in ("rps", "p50_ms", "p95_ms", "p99_ms"):
            assert r[key] >= 0, (name, key, r)
    # The printed table names every scenario.
    for name in want:
        assert name in p.stdout, p.stdout
