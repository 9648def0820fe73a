#!/usr/bin/python3
"""Disaster-recovery replication benchmarks (issue #6): promotion time, data loss.

Starts real `coffer server` processes (RocksDB, durable writes) on loopback,
a DR primary and its DR secondary each time, activated with Vault's API
(dr/primary/enable, dr/primary/secondary-token, dr/secondary/enable), and a
batch DR operation token prepared on the primary (a policy granting update
on sys/replication/dr/secondary/promote, a batch token role, a batch token:
it replicates to the secondary and authorises the promotion there).

  1. Promotion with --leases live leases: that many service tokens created on
     the primary with auth/token/create {"policies":["default"],"ttl":"1h"}
     by --lease-writers keep-alive threads (each such token has a lease,
     auth/token/create/<hash>, that the expiration manager revokes after 1 h;
     a promoted cluster must restore every one). The secondary catches up
     (its last_remote_wal reaches the primary's last_wal; Merkle roots of
     both classes compared), the primary is killed (SIGKILL), and the
     secondary promoted with the batch token (without force: while it has
     not noticed the kill, up to 3 s, it refuses with "still reachable", and
     the call is repeated every 50 ms). Measured from the first promote
     call: its accepted answer, the first successful write on the promoted cluster
     (a kv v1 write with the replicated root token, polled every 5 ms), and
     dr/status saying mode "primary" (no longer reconfiguring). Then the
     leases it holds (LIST sys/leases/lookup/auth/token/create/), what its
     expiration manager logged as restored, a sample of the lease ids looked
     up (sys/leases/lookup: ttl left), and a sample of the tokens used
     (auth/token/lookup-self answers 200 with ttl left).
  2. The data-loss window: kv v1 writes paced at --loss-rate writes/s from
     --loss-writers keep-alive threads, every acknowledged write (2xx
     answer) recorded; after --loss-duration s the primary is killed
     (SIGKILL) while the writers go on, the secondary's dr/status read just
     before and just after the kill (lag_ms, lag_entries,
     promotion_data_loss, apply_lag_ms: its ring of applied entries' commit
     -> apply delays), then it is promoted and its kv v1 keys listed:
     acknowledged writes missing there are the data lost. --loss-kills runs
     (3), each with a fresh pair, since one kill lands at one random moment.

  bench/dr.py --coffer build-release/coffer
  bench/dr.py --coffer build/coffer --smoke          # tiny sizes, seconds

Results go to --out (JSON) and a table is printed. Exit status 0 when every
step ran and no request failed (writes refused or cut off by the kill are
counted apart; a missed goal is reported, not failed). Nothing here prints a
token or key.
"""

import argparse
import http.client
import json
import os
import re
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import replication as rp  # noqa: E402
import targets as tg  # noqa: E402

DR = "dr"
GOALS = {"promotion_to_write_s": 5.0}
# What a batch DR operation token may do (the runbook's dr-ops policy).
DR_OPS_POLICY = "".join(
    'path "sys/replication/dr/secondary/%s" { capabilities = ["update"] }\n' % op
    for op in ("promote", "update-primary"))
TOKEN_LEASES = "auth/token/create/"
PROBE_EVERY_S = 0.005
RETRY_PROMOTE_S = 0.05
PROMOTION_TIMEOUT_S = 300.0
SMOKE = {"leases": 200, "lease_writers": 4, "sample_tokens": 20, "loss_rate": 100.0,
         "loss_duration": 2.0, "loss_writers": 4, "loss_kills": 1}


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Coffer DR replication benchmarks")
    rp.add_common_args(ap, "dr.json")
    ap.add_argument("--leases", type=int, default=100000,
                    help="service tokens (ttl 1h, one lease each) before the promotion")
    ap.add_argument("--lease-writers", type=int, default=16, help="token-creating threads")
    ap.add_argument("--sample-tokens", type=int, default=1000,
                    help="tokens kept and checked after the promotion")
    rp.add_paced_args(ap, "loss", "of the loss run (until the kill)")
    ap.add_argument("--loss-kills", type=int, default=3,
                    help="loss runs, each with a fresh primary and DR secondary")
    ap.add_argument("--force", action="store_true", help="promote with force=true")
    ap.add_argument("--only", choices=("promotion", "loss"), help="run one part")
    ap.add_argument("--smoke", action="store_true",
                    help="tiny sizes: %s" % ", ".join("%s=%s" % kv for kv in SMOKE.items()))
    a = ap.parse_args(argv)
    if a.smoke:
        for k, v in SMOKE.items():
            setattr(a, k, v)
    return a


# ---- cluster setup -----------------------------------------------------------

def call(node, method, path, body=None, token=None, expect=(200, 204)):
    c = tg.Client(node.host, node.port)
    try:
        return c.call(method, path, body, token, expect)
    finally:
        c.close()


def batch_dr_token(primary):
    """A batch token (orphan, not renewable, 8 h) allowed to promote."""
    root = primary.vars["token"]
    call(primary, "PUT", "/v1/sys/policies/acl/dr-ops", {"policy": DR_OPS_POLICY}, root)
    call(primary, "PUT", "/v1/auth/token/roles/dr-batch",
         {"allowed_policies": ["dr-ops"], "orphan": True, "renewable": False,
          "token_type": "batch"}, root)
    _, r = call(primary, "PUT", "/v1/auth/token/create/dr-batch",
                {"policies": ["dr-ops"], "ttl": "8h"}, root)
    if r["auth"].get("token_type") != "batch":
        raise RuntimeError("the DR operation token is not a batch token")
    return r["auth"]["client_token"]


def dr_pair(args, stopper):
    """A DR primary (with a batch DR operation token) and its streaming DR
    secondary, which holds the primary's tokens (its root token too)."""
    primary = rp.start_node(args, stopper, 1)
    rp.enable_primary(primary, DR)
    dr_token = batch_dr_token(primary)
    secondary = rp.start_node(args, stopper, 1)
    activation = rp.secondary_token(primary, "dr1", DR)
    call(secondary, "PUT", "/v1/sys/replication/dr/secondary/enable", {"token": activation},
         secondary.vars["token"])
    rp.wait_status(secondary,
                   lambda s: s.get("mode") == "secondary" and s.get("state") == "stream-wals",
                   "the DR secondary to stream", kind=DR)
    secondary.vars = dict(primary.vars)
    return primary, secondary, dr_token


def wait_caught_up(primary, secondary, timeout=rp.SYNC_TIMEOUT_S):
    """Until the secondary applied all the primary had, then (for up to 30 s)
    until both Merkle roots (replicated, local) agree; returns seconds waited,
    whether they agreed, the primary's last_wal, and how far behind the
    secondary was when called (entries; its apply_lag_ms p99)."""
    t0 = time.monotonic()
    target = rp.status(primary, DR)["last_wal"]
    behind = rp.status(secondary, DR)
    behind = {"entries": target - behind.get("last_remote_wal", 0),
              "apply_lag_p99_ms": (behind.get("apply_lag_ms") or {}).get("p99")}
    rp.wait_status(secondary, lambda st: st.get("last_remote_wal", 0) >= target,
                   "the DR secondary to reach wal %d" % target, timeout, DR)
    caught_up = time.monotonic() - t0
    roots = ("merkle_root", "merkle_root_local")
    deadline = time.monotonic() + 30.0
    while True:
        p, s = rp.status(primary, DR), rp.status(secondary, DR)
        same = all(p.get(k) == s.get(k) for k in roots)
        if same or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # poll interval, bounded by the deadline
    return round(caught_up, 3), same, target, behind


def kill(node):
    """SIGKILL, as a crash: no shutdown, nothing flushed."""
    os.kill(node.server_pid, signal.SIGKILL)
    node.procs[0].proc.wait(30)


RESTORED = re.compile(
    r"restored (\d+) lease\(s\) \((\d+) overdue, (\d+) unreadable\) in (\d+) ms")


def log_size(node):
    return os.path.getsize(node.procs[0].log_path)


def log_since(node, offset):
    with open(node.procs[0].log_path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def promote(args, node, dr_token, leases=0):
    """Promotes `node`; returns seconds from the call to its answer, to the
    first successful write (a kv v1 write with the root token, probed every
    5 ms on its own connection), to dr/status mode "primary" and, when it
    holds `leases`, to its log saying the expiration manager restored them
    (it restores in the background: writes may be served before)."""
    body = {"dr_operation_token": dr_token}
    if args.force:
        body["force"] = True
    root = node.vars["token"]
    out = {"probe_codes": {}}
    done = threading.Event()

    def probe_write(t_call):
        c = rp.Conn(node)
        n = 0
        while not done.is_set() and time.monotonic() - t_call < PROMOTION_TIMEOUT_S:
            n += 1
            try:
                code, _ = c.request("POST", "/v1/kvv1/promoted-probe", '{"v":"%d"}' % n, root)
            except (OSError, http.client.HTTPException):
                code = "conn"
            if code in (200, 204):
                out["first_write_s"] = round(time.monotonic() - t_call, 3)
                out["write_attempts"] = n
                break
            out["probe_codes"][str(code)] = out["probe_codes"].get(str(code), 0) + 1
            time.sleep(PROBE_EVERY_S)
        c.close()

    def probe_status(t_call):
        c = rp.Conn(node)
        while not done.is_set() and time.monotonic() - t_call < PROMOTION_TIMEOUT_S:
            try:
                code, raw = c.request("GET", rp.STATUS % DR)
                st = json.loads(raw)["data"] if code == 200 else {}
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                st = {}
            if st.get("mode") == "primary" and not st.get("reconfiguring"):
                out["status_primary_s"] = round(time.monotonic() - t_call, 3)
                out["generation"] = st.get("generation")
                break
            time.sleep(PROBE_EVERY_S)
        c.close()

    def probe_restore(t_call):
        while not done.is_set() and time.monotonic() - t_call < PROMOTION_TIMEOUT_S:
            m = RESTORED.search(log_since(node, offset))
            if m:
                out["leases_restored_s"] = round(time.monotonic() - t_call, 3)
                break
            time.sleep(PROBE_EVERY_S)

    probes = [probe_write, probe_status] + ([probe_restore] if leases else [])
    offset = log_size(node)
    c = rp.Conn(node)
    t_call = time.monotonic()
    out["refused"] = 0
    while True:
        code, raw = c.request("PUT", "/v1/sys/replication/dr/secondary/promote",
                              json.dumps(body))
        # Until it notices its primary is gone (the stream breaks or the last
        # heartbeat is 3 s old), a secondary refuses an unforced promotion: an
        # operator tries again, so the time counts from the first call.
        if (code == 400 and b"still reachable" in raw and
                time.monotonic() - t_call < PROMOTION_TIMEOUT_S):
            out["refused"] += 1
            time.sleep(RETRY_PROMOTE_S)
            continue
        break
    out["answer_s"] = round(time.monotonic() - t_call, 3)
    c.close()
    if code != 200:
        raise RuntimeError("promote -> %d %s" % (code, raw[:300]))
    ts = [threading.Thread(target=f, args=(t_call,)) for f in probes]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    done.set()
    wanted = ["first_write_s", "status_primary_s"] + (["leases_restored_s"] if leases else [])
    for k in wanted:
        if k not in out:
            raise RuntimeError("promotion: no %s within %ss (%r)" % (k, PROMOTION_TIMEOUT_S, out))
    log = log_since(node, offset)
    m = re.findall(r"DR promotion done in (\d+) ms", log)
    out["server_promotion_ms"] = int(m[-1]) if m else None
    m = RESTORED.findall(log)
    if m:
        restored, overdue, unreadable, ms = (int(x) for x in m[-1])
        out["log_leases_restored"] = restored
        out["log_leases_overdue"] = overdue
        out["log_leases_unreadable"] = unreadable
        out["log_restore_ms"] = ms
    # What the node said about it (replication and expiration lines: no secrets).
    out["log"] = [l[:300] for l in log.splitlines()
                  if "replication" in l or "expiration" in l][:20]
    return out


# ---- 1. promotion with many leases ----------------------------------------------

def create_tokens(node, n, writers, keep):
    """n service tokens (ttl 1h) from `writers` keep-alive threads; returns
    (seconds, errors, up to `keep` of the tokens spread over the run)."""
    root = node.vars["token"]
    body = '{"policies":["default"],"ttl":"1h"}'
    every = max(1, n // keep) if keep else n + 1
    kept, errors = [], []
    lock = threading.Lock()

    def create(c, i):
        try:
            code, raw = c.request("POST", "/v1/auth/token/create", body, root)
        except (OSError, http.client.HTTPException):
            code = "conn"
        with lock:
            if code != 200:
                errors.append(code)
            elif i % every == 0:
                kept.append(json.loads(raw)["auth"]["client_token"])

    seconds = rp.spread(node, n, writers, create)
    return seconds, errors, kept[:keep]


def list_leases(node, prefix=TOKEN_LEASES):
    code, r = call(node, "LIST", "/v1/sys/leases/lookup/" + prefix, token=node.vars["token"],
                   expect=(200, 404))
    return r["data"]["keys"] if code == 200 else []


def live_ttls(node, requests):
    """The ttl of each (method, path, body, token) answered 200 with ttl left."""
    c = rp.Conn(node)
    ttls = []
    for method, path, body, token in requests:
        code, raw = c.request(method, path, body, token)
        ttl = json.loads(raw)["data"].get("ttl", 0) if code == 200 else 0
        if ttl > 0:
            ttls.append(ttl)
    c.close()
    return ttls


def check_tokens(node, tokens):
    """ttls of the `tokens` that look themselves up (200, ttl left)."""
    return live_ttls(node, [("GET", "/v1/auth/token/lookup-self", None, t) for t in tokens])


def check_leases(node, ids):
    """ttls of the token lease ids that look up (200, ttl left)."""
    return live_ttls(node, [("PUT", "/v1/sys/leases/lookup",
                             json.dumps({"lease_id": TOKEN_LEASES + i}), node.vars["token"])
                            for i in ids])


def promotion_run(args, stopper):
    primary, secondary, dr_token = dr_pair(args, stopper)
    out = {"leases_wanted": args.leases, "lease_writers": args.lease_writers,
           "lease_kind": "service tokens, auth/token/create ttl=1h policies=[default]"}
    seconds, errors, kept = create_tokens(primary, args.leases, args.lease_writers,
                                          args.sample_tokens)
    out["create_s"] = round(seconds, 3)
    out["create_per_s"] = round((args.leases - len(errors)) / seconds, 1) if seconds else None
    out["create_errors"] = len(errors)
    if errors:
        out["create_error_codes"] = sorted({str(e) for e in errors})
    print("created %d tokens in %.1f s (%d errors)" % (args.leases - len(errors), seconds,
                                                       len(errors)), flush=True)
    (out["catch_up_wait_s"], out["merkle_roots_equal"], out["primary_last_wal"],
     out["secondary_behind_after_create"]) = wait_caught_up(primary, secondary)
    behind = out["secondary_behind_after_create"]["entries"]
    # How fast the secondary applied its backlog once the primary was idle.
    out["catch_up_entries_per_s"] = (round(behind / out["catch_up_wait_s"])
                                     if behind > 0 and out["catch_up_wait_s"] > 0 else None)
    out["primary_leases_listed"] = len(list_leases(primary))
    before = rp.status(secondary, DR)
    out["secondary_at_kill"] = {k: before.get(k) for k in
                                ("last_remote_wal", "lag_entries", "lag_ms",
                                 "promotion_data_loss")}
    kill(primary)
    out["load1_at_kill"] = round(os.getloadavg()[0], 2)
    out["promotion"] = promote(args, secondary, dr_token, args.leases)
    print("promotion: %s" % out["promotion"], flush=True)
    ids = list_leases(secondary)
    out["promoted_leases_listed"] = len(ids)
    sample = ids[:: max(1, len(ids) // max(1, args.sample_tokens))][:args.sample_tokens]
    lease_ttls, token_ttls = check_leases(secondary, sample), check_tokens(secondary, kept)
    out["lease_sample"] = len(sample)
    out["lease_sample_live"] = len(lease_ttls)
    out["token_sample"] = len(kept)
    out["token_sample_working"] = len(token_ttls)
    # Expirations kept, not restarted: the ttl left is under the hour.
    out["sample_ttl_left_s"] = [min(lease_ttls + token_ttls, default=None),
                                max(lease_ttls + token_ttls, default=None)]
    return out


# ---- 2. data loss when the primary dies under load ------------------------------

def lag_fields(st):
    apply = st.get("apply_lag_ms") or {}
    return {"last_remote_wal": st.get("last_remote_wal"), "lag_entries": st.get("lag_entries"),
            "lag_ms": st.get("lag_ms"), "promotion_data_loss": st.get("promotion_data_loss"),
            "apply_lag_p50_ms": apply.get("p50"), "apply_lag_p99_ms": apply.get("p99"),
            "apply_lag_max_ms": apply.get("max"), "apply_lag_samples": apply.get("samples")}


def loss_run(args, stopper):
    primary, secondary, dr_token = dr_pair(args, stopper)
    wait_caught_up(primary, secondary)
    n = int(args.loss_rate * (args.loss_duration + 30))  # the writers outlive the kill
    acked, refused, cut, write_ms = set(), [], [], []
    lock = threading.Lock()
    stop = threading.Event()
    t_kill = [float("inf")]

    def on_write(i, code, t0, t1):
        with lock:
            if code in (200, 204):
                acked.add(i)
                write_ms.append((t1 - t0) * 1000.0)
            elif t1 >= t_kill[0]:
                cut.append(i)  # cut off or refused by the kill: not acknowledged
            else:
                refused.append(code)

    samples = []

    def sampler():
        while not stop.is_set():
            st = rp.status(secondary, DR)
            samples.append((st.get("lag_ms") or 0, st.get("lag_entries") or 0))
            stop.wait(0.1)

    start = time.monotonic() + 0.2
    ws = rp.paced_writes(primary, primary.vars["token"], "loss", n, args.loss_rate,
                         args.loss_writers, start, on_write, stop)
    mon = threading.Thread(target=sampler)
    mon.start()
    time.sleep(max(0.0, start + args.loss_duration - time.monotonic()))
    before = rp.status(secondary, DR)
    t_kill[0] = time.monotonic()
    kill(primary)
    after = rp.status(secondary, DR)
    load1 = round(os.getloadavg()[0], 2)
    stop.set()
    for t in ws + [mon]:
        t.join()
    with lock:
        acked_at_kill = set(acked)
        seconds = t_kill[0] - start
    promotion = promote(args, secondary, dr_token)
    code, r = call(secondary, "LIST", "/v1/kvv1/", token=secondary.vars["token"],
                   expect=(200, 404))
    present = {int(k[5:]) for k in (r["data"]["keys"] if code == 200 else [])
               if k.startswith("loss-")}
    missing = sorted(acked_at_kill - present)
    write_ms.sort()
    lag_ms = sorted(s[0] for s in samples)
    lag_entries = sorted(s[1] for s in samples)
    return {
        "seconds_to_kill": round(seconds, 3),
        "acknowledged": len(acked_at_kill),
        "achieved_rate": round(len(acked_at_kill) / seconds, 1) if seconds > 0 else None,
        "write_p50_ms": round(rp.percentile(write_ms, 0.5) or 0, 2),
        "write_p99_ms": round(rp.percentile(write_ms, 0.99) or 0, 2),
        "refused_before_kill": len(refused),
        "cut_by_kill": len(cut),
        "load1_at_kill": load1,
        "present_on_promoted": len(present),
        "unacknowledged_present": len(present - acked_at_kill),
        "missing": len(missing),
        "missing_pct": round(100.0 * len(missing) / len(acked_at_kill), 4) if acked_at_kill
        else None,
        "missing_first": missing[:5],
        "secondary_before_kill": lag_fields(before),
        "secondary_after_kill": lag_fields(after),
        "sampled_every_s": 0.1,
        "sampled_lag_ms_p50": rp.percentile(lag_ms, 0.5),
        "sampled_lag_ms_p99": rp.percentile(lag_ms, 0.99),
        "sampled_lag_entries_p99": rp.percentile(lag_entries, 0.99),
        "samples": len(samples),
        "promotion": promotion,
    }


# ---- report ------------------------------------------------------------------

def totals(loss):
    runs = loss["runs"]
    for k in ("acknowledged", "missing", "refused_before_kill", "cut_by_kill"):
        loss[k] = sum(r[k] for r in runs)
    loss["missing_pct"] = (round(100.0 * loss["missing"] / loss["acknowledged"], 4)
                           if loss["acknowledged"] else None)
    loss["apply_lag_p99_ms_at_kills"] = [r["secondary_before_kill"]["apply_lag_p99_ms"]
                                         for r in runs]


def verdicts(report):
    p = (report.get("promotion") or {}).get("promotion") or {}
    if "first_write_s" not in p:
        return {}
    v = p["first_write_s"]
    return {"promotion_to_write_s": {"goal": GOALS["promotion_to_write_s"], "value": v,
                                     "met": v <= GOALS["promotion_to_write_s"]}}


def failures(report):
    """What makes the run fail: steps that did not run, requests that failed."""
    out = []
    if "error" in report:
        out.append("error")
    p = report.get("promotion")
    if p:
        if p["create_errors"]:
            out.append("token creations failed")
        if p["token_sample_working"] != p["token_sample"]:
            out.append("sample tokens failed after the promotion")
        if p["lease_sample_live"] != p["lease_sample"]:
            out.append("sample leases failed after the promotion")
    loss = report.get("loss")
    if loss and loss["refused_before_kill"]:
        out.append("writes refused before a kill")
    return out


def print_table(report):
    print()
    print("DR benchmarks (%s, load1 at start %.2f, at end %.2f)" % (
        report["binary"], report["machine"]["load1_start"], report["load1_end"]))
    p = report.get("promotion")
    if p:
        pr = p["promotion"]
        print("promotion with %d leases (%s; created at %s/s):" % (
            p["leases_wanted"] - p["create_errors"], p["lease_kind"], p["create_per_s"]))
        print("  promote call accepted          %8.3f s   (%d refused: 'primary still "
              "reachable')" % (pr["answer_s"], pr["refused"]))
        print("  first successful write         %8.3f s   (goal <= %.0f s)" % (
            pr["first_write_s"], GOALS["promotion_to_write_s"]))
        print("  dr/status mode primary         %8.3f s   (server log: promotion done in %s ms)"
              % (pr["status_primary_s"], pr.get("server_promotion_ms")))
        print("  leases restored (log line)     %8.3f s   (%s restored, %s overdue, in %s ms)" % (
            pr["leases_restored_s"], pr.get("log_leases_restored"),
            pr.get("log_leases_overdue"), pr.get("log_restore_ms")))
        print("  before the kill: secondary %s entries behind after the last create (apply "
              "lag p99 %s ms), caught up %.1f s later (%s entries/s), Merkle roots equal: %s" % (
                  p["secondary_behind_after_create"]["entries"],
                  p["secondary_behind_after_create"]["apply_lag_p99_ms"], p["catch_up_wait_s"],
                  p.get("catch_up_entries_per_s"), p["merkle_roots_equal"]))
        print("  leases listed: primary %d, promoted %d; sample %d/%d live, ttl left %s s" % (
            p["primary_leases_listed"], p["promoted_leases_listed"], p["lease_sample_live"],
            p["lease_sample"], p["sample_ttl_left_s"]))
        print("  tokens working after promotion %d/%d sampled" % (p["token_sample_working"],
                                                                 p["token_sample"]))
    loss = report.get("loss")
    if loss:
        print("data loss: primary killed at %.0f writes/s (%d writers), then the DR secondary "
              "promoted; %d runs:" % (loss["target_rate"], loss["writers"], len(loss["runs"])))
        for r in loss["runs"]:
            b = r["secondary_before_kill"]
            print("  kill after %.1f s (%.1f writes/s achieved, load1 %.2f): acknowledged %d, "
                  "missing %d (%s%%), cut by the kill %d" % (
                      r["seconds_to_kill"], r["achieved_rate"] or 0, r["load1_at_kill"],
                      r["acknowledged"], r["missing"], r["missing_pct"], r["cut_by_kill"]))
            print("    at the kill: lag_ms %s, lag_entries %s, promotion_data_loss %s" % (
                b["lag_ms"], b["lag_entries"], b["promotion_data_loss"]))
            print("    apply_lag_ms p50 %s p99 %s max %s (%s entries); lag_ms sampled every "
                  "0.1 s: p99 %s" % (b["apply_lag_p50_ms"], b["apply_lag_p99_ms"],
                                     b["apply_lag_max_ms"], b["apply_lag_samples"],
                                     r["sampled_lag_ms_p99"]))
            print("    promoted: first write %.3f s, status primary %.3f s after the first "
                  "call (%d refused)" % (r["promotion"]["first_write_s"],
                                         r["promotion"]["status_primary_s"],
                                         r["promotion"]["refused"]))
        print("  total: %d acknowledged, %d missing (%s%%); apply_lag_ms p99 at the kills: %s" % (
            loss["acknowledged"], loss["missing"], loss["missing_pct"],
            loss["apply_lag_p99_ms_at_kills"]))
    rp.print_goals(report)


def main(argv):
    args = parse_args(argv)
    report = rp.new_report(args)
    stopper = tg.Stopper()
    try:
        if args.only in (None, "promotion"):
            report["promotion"] = promotion_run(args, stopper)
            stopper.stop_all()
        if args.only in (None, "loss"):
            report["loss"] = loss = {"target_rate": args.loss_rate, "writers": args.loss_writers,
                                     "runs": []}
            for _ in range(args.loss_kills):
                loss["runs"].append(loss_run(args, stopper))
                stopper.stop_all()
                print("loss: %s" % loss["runs"][-1], flush=True)
            totals(loss)
    except Exception as e:  # report what ran, then fail
        report["error"] = str(e)[:3000]
        print("error: %s" % report["error"], file=sys.stderr)
    stopper.stop_all()
    report["load1_end"] = round(os.getloadavg()[0], 2)
    report["goals"] = verdicts(report)
    report["failures"] = failures(report)
    rp.save_report(args, report)
    print_table(report)
    print("results: %s" % args.out)
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
