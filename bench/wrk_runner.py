"""Runs one scenario with wrk and returns its figures.

The request table (one request per key) is written as a Lua prelude in front
of bench/request.lua; wrk reports through that script's done() as one JSON
line. CPU time of the serving processes is read from /proc/<pid>/stat
(utime + stime of each process and its threads) just before and after the run.
"""

import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def lua_str(s):
    out = ['"']
    for ch in s:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32:
            out.append("\\%03d" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def lua_prelude(method, headers, paths, bodies, extra=None):
    lines = ["BENCH = {", "  method = %s," % lua_str(method)]
    for k, v in sorted((extra or {}).items()):
        lines.append("  %s = %s," % (k, lua_str(v)))
    lines.append("  headers = {")
    for k, v in headers.items():
        lines.append("    [%s] = %s," % (lua_str(k), lua_str(v)))
    lines.append("  },")
    lines.append("  paths = {" + ",".join(lua_str(p) for p in paths) + "},")
    if bodies is not None:
        lines.append("  bodies = {" + ",".join(lua_str(b) for b in bodies) + "},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def cpu_seconds(pids):
    """utime + stime (seconds) of the given processes; a vanished one counts 0."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def run_wrk(base_url, method, headers, paths, bodies, duration_s, connections, threads,
            pids, timeout_s=10, script=None, extra=None):
    """Runs wrk; returns a dict of figures (see result_from). `script`: a Lua
    file in bench/ appended after request.lua (it may replace request() and
    add response()); `extra`: string fields added to the BENCH table."""
    threads = max(1, min(threads, connections))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-", delete=False) as f:
        f.write(lua_prelude(method, headers, paths, bodies, extra))
        for name in ["request.lua"] + ([script] if script else []):
            with open(os.path.join(HERE, name)) as part:
                f.write(part.read())
        script = f.name
    try:
        cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % max(1, int(duration_s)),
               "--timeout", "%ds" % timeout_s, "-s", script, base_url]
        cpu0 = cpu_seconds(pids)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=duration_s + timeout_s + 30)
        cpu1 = cpu_seconds(pids)
    finally:
        os.unlink(script)
    line = next((l for l in p.stdout.splitlines() if l.startswith("BENCH_RESULT ")), None)
    if p.returncode != 0 or line is None:
        raise RuntimeError("wrk failed (rc=%s): %s %s" % (p.returncode, p.stdout[-2000:],
                                                          p.stderr[-2000:]))
    raw = json.loads(line[len("BENCH_RESULT "):])
    return result_from(raw, cpu1 - cpu0)


def result_from(raw, cpu_s):
    seconds = raw["duration_us"] / 1e6
    n = raw["requests"]
    errors = sum(raw[k] for k in ("err_connect", "err_read", "err_write", "err_status",
                                  "err_timeout"))
    out = {
        "requests": n,
        "seconds": round(seconds, 3),
        "rps": round(n / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": raw["p50_us"] / 1000.0,
        "p95_ms": raw["p95_us"] / 1000.0,
        "p99_ms": raw["p99_us"] / 1000.0,
        "max_ms": raw["max_us"] / 1000.0,
        "errors": errors,
        "error_kinds": {k[4:]: raw[k] for k in raw if k.startswith("err_") and raw[k]},
        "cpu_s_per_1k": round(cpu_s * 1000.0 / n, 4) if n and cpu_s is not None else None,
    }
    if raw.get("revoked"):
        out["revoked"] = raw["revoked"]  # leases revoked (issue_revoke.lua)
    return out
