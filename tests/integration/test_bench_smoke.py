"""Smoke test of the benchmark harness (bench/run.py, `make bench`).

Runs every Coffer scenario for about a second against the binary under test
(few connections, few keys, no peers; a private PostgreSQL for the database
credentials scenarios) and checks that the harness produced a
figure for each and that the server answered every request without an error.
No timing assertions: the machine may be busy.
"""

import json
import os
import subprocess
import sys
import time

from coffer_harness import coffer_bin

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.normpath(os.path.join(HERE, "..", "..", "bench"))
sys.path.insert(0, BENCH)

import scenarios  # noqa: E402
import targets  # noqa: E402
import wrk_runner  # noqa: E402


def test_each_peer_runs_right_before_the_first_scenario_compared_with_it():
    import run  # noqa: E402  (bench/run.py)
    chosen = scenarios.SCENARIOS
    names = [s["name"] for s in chosen]
    order = [names[i] for i in run.run_order(chosen)]
    assert sorted(order) == sorted(names)
    for s in chosen:
        for key in ("peer", "peer2"):
            peer = s.get(key)
            if peer:
                first_user = min(order.index(u["name"]) for u in chosen
                                 if peer in (u.get("peer"), u.get("peer2")))
                assert order.index(peer) < first_user, (peer, order)
                # nothing but other peers of that scenario between them
                between = order[order.index(peer) + 1:first_user]
                assert all(b in names and not scenarios.by_name()[b]["target"] == "coffer"
                           for b in between), (peer, order)
    # Without peers, the table order.
    coffer_only = [s for s in chosen if s["target"] == "coffer"]
    assert run.run_order(coffer_only) == list(range(len(coffer_only)))


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
    # Database credentials were issued from a real PostgreSQL, and in the
    # issue-and-revoke scenario their leases revoked (204 answers counted by
    # bench/issue_revoke.lua); a revoke that failed would be an error above.
    revoke = got["postgresql_secret_revoke"]
    assert 0 < revoke["revoked"] <= revoke["requests"] / 2 + 1, revoke


def test_rounds_report_the_median_round_and_the_median_of_per_round_ratios(tmp_path):
    import run  # bench/run.py

    def res(name, rps, p99, ratio=None):
        r = {"name": name, "rps": rps, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": p99,
             "ratios": {}}
        if ratio is not None:
            r["ratios"]["nginx_json"] = ratio
        return r

    # The machine drifts: the peer is fastest in round 2, Coffer in round 3.
    rounds = [[res("kvv2_read", 50.0, 4.0, 0.50), res("nginx_json", 100.0, 1.0)],
              [res("kvv2_read", 60.0, 6.0, 0.40), res("nginx_json", 150.0, 1.0)],
              [res("kvv2_read", 70.0, 5.0, 0.70), res("nginx_json", 100.0, 1.0)]]
    [kv, nginx] = run.combine_rounds(rounds)
    assert kv["rps"] == 60.0 and kv["rounds_rps"] == [50.0, 60.0, 70.0]
    assert kv["p99_ms"] == 5.0
    assert kv["ratios"] == {"nginx_json": 0.5}  # not 60/100 of the median rounds
    assert {g["goal"]: g["met"] for g in kv["goals"]} == {"req/s >= 0.5x nginx_json": True,
                                                          "p99 < 5 ms": False}
    assert nginx["rps"] == 100.0

    # And a real two-round run writes one result per scenario with both rounds.
    out = tmp_path / "rounds.json"
    p = subprocess.run(
        ["/usr/bin/python3", os.path.join(BENCH, "run.py"), "--coffer", coffer_bin(),
         "--only", "kvv1_read", "--rounds", "2", "--duration", "0.5", "--connections", "2",
         "--threads", "1", "--numkvs", "5", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-4000:]
    report = json.loads(out.read_text())
    [r] = report["results"]
    assert r["name"] == "kvv1_read" and len(r["rounds_rps"]) == 2 and r["errors"] == 0, r
    assert report["settings"]["rounds"] == 2


def test_sustained_bench_reports_every_window(tmp_path):
    out = tmp_path / "sustained.json"
    p = subprocess.run(
        ["/usr/bin/python3", os.path.join(BENCH, "sustained.py"), "--coffer", coffer_bin(),
         "--only", "kvv2_write,token_create_service", "--windows", "2", "--duration", "0.5",
         "--connections", "2", "--threads", "1", "--numkvs", "5", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-4000:]
    windows = json.loads(out.read_text())["windows"]
    assert [w["window"] for w in windows] == [0, 1]
    for w in windows:
        assert [r["name"] for r in w["results"]] == ["kvv2_write", "token_create_service"], w
        for r in w["results"]:
            assert r["rps"] > 0 and r["errors"] == 0 and r["cpu_s_per_1k"] is not None, r
    assert "window 1" in p.stdout, p.stdout


def test_replication_bench_runs_and_reports_every_figure(tmp_path):
    """bench/replication.py with tiny parameters: one secondary, 100 catch-up
    keys, a 2 s lag run at 200 writes/s, 1 s throughput runs."""
    out = tmp_path / "replication.json"
    p = subprocess.run(
        ["/usr/bin/python3", os.path.join(BENCH, "replication.py"), "--coffer", coffer_bin(),
         "--secondaries", "1", "--catchup-keys", "100", "--lag-duration", "2",
         "--lag-rate", "200", "--lag-writers", "4", "--sample-every", "5", "--duration", "1",
         "--connections", "4", "--threads", "1", "--numkvs", "20", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert p.returncode == 0, p.stdout[-4000:]
    report = json.loads(out.read_text())
    assert "error" not in report, report["error"]
    lag = report["lag"]
    assert lag["writes"] == 400 and lag["write_errors"] == 0, lag
    assert lag["entries_streamed"] >= 400, lag
    assert lag["apply_lag_samples"] >= 400, lag
    for key in ("apply_lag_p50_ms", "apply_lag_p99_ms", "visible_p50_ms", "visible_p99_ms"):
        assert lag[key] is not None and lag[key] >= 0, (key, lag)
    assert lag["visible_samples"] == 80 and lag["visible_unseen_30s"] == 0, lag
    [catchup] = report["catchup"]
    # The 100 written keys plus the setup's (mounts, auth, the keyring) arrived.
    assert catchup["keys_fetched"] >= 100 and catchup["keys_per_s"] > 0, catchup
    assert catchup["end_to_end_s"] > 0, catchup
    got = {r["label"]: r for r in report["throughput"]}
    assert sorted(got) == ["0", "1"], got
    for r in got.values():
        assert r["requests"] > 0 and r["errors"] == 0, r
    assert "lag_p99_ms" in report["goals"] and "catchup_keys_per_s" in report["goals"]
    assert "visible on secondary" in p.stdout, p.stdout


def test_dr_bench_smoke_promotes_and_reports_every_figure(tmp_path):
    """bench/dr.py --smoke: 200 token leases, a promotion after a SIGKILL,
    2 s of writes at 100/s, another SIGKILL and promotion. Every request
    before the kills answered 2xx, the promoted cluster holds the leases and
    the sample tokens work; no timing or loss assertions."""
    out = tmp_path / "dr.json"
    p = subprocess.run(
        ["/usr/bin/python3", os.path.join(BENCH, "dr.py"), "--coffer", coffer_bin(), "--smoke",
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    assert p.returncode == 0, p.stdout[-4000:]
    report = json.loads(out.read_text())
    assert "error" not in report and report["failures"] == [], report
    pr = report["promotion"]
    assert pr["create_errors"] == 0 and pr["leases_wanted"] == 200, pr
    assert pr["primary_leases_listed"] >= 200, pr
    assert pr["promoted_leases_listed"] == pr["primary_leases_listed"], pr
    assert pr["promotion"]["log_leases_restored"] >= 200, pr
    assert pr["token_sample"] == 20 and pr["token_sample_working"] == 20, pr
    assert pr["lease_sample"] > 0 and pr["lease_sample_live"] == pr["lease_sample"], pr
    for key in ("answer_s", "first_write_s", "status_primary_s"):
        assert pr["promotion"][key] >= 0, (key, pr)
    loss = report["loss"]
    [run] = loss["runs"]
    assert run["acknowledged"] > 0 and run["refused_before_kill"] == 0, run
    assert 0 <= run["missing"] <= run["acknowledged"] == loss["acknowledged"], loss
    at_kill = run["secondary_before_kill"]
    for key in ("lag_ms", "lag_entries", "promotion_data_loss", "apply_lag_p99_ms"):
        assert at_kill[key] is not None, (key, at_kill)
    assert run["promotion"]["first_write_s"] >= 0, run
    assert "promotion_to_write_s" in report["goals"]
    assert "first successful write" in p.stdout and "acknowledged" in p.stdout, p.stdout


def test_wait_idle_waits_until_the_target_stops_using_cpu():
    # A target that answers its health path at once but is still busy (as
    # Coffer is while it works through logins wrk gave up on) is not idle yet.
    t = targets.Target()
    t.port = targets.free_port()  # nothing listens: every health poll returns at once
    burn = "import time\nt = time.time()\nwhile time.time() - t < 1.5: pass\ntime.sleep(60)\n"
    t.procs.append(targets.Process("burner", ["/usr/bin/python3", "-c", burn], t.tmp))
    try:
        started = time.monotonic()
        t.wait_idle(timeout=30)
        waited = time.monotonic() - started
        assert waited >= 1.0, waited  # the burn lasts 1.5 s from the start
        pids = t.pids()
        assert pids  # the burner still runs (sleeping)
        c0 = wrk_runner.cpu_seconds(pids)
        time.sleep(0.3)  # a measuring window, not a wait for readiness
        assert wrk_runner.cpu_seconds(pids) - c0 < 0.05
    finally:
        t.stop()
