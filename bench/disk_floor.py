#!/usr/bin/python3
"""The disk floor: synced 1 KiB appends per second on a given directory.

`writers` threads append 1 KiB records to one shared file (O_APPEND, like a
write-ahead log) and call fdatasync after each append; an fdatasync covers
every append before it, so concurrent writers share flushes the way a group
committing store can. Prints one JSON line with the same figures wrk runs
report (requests/s, p50/p95/p99 in ms, errors).

  disk_floor.py DIR [--seconds S] [--writers N]
"""

import argparse
import json
import os
import threading
import time

RECORD = b"x" * 1023 + b"\n"


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values))) - 1))
    return sorted_values[i]


def measure(directory, seconds, writers):
    path = os.path.join(directory, "disk-floor-%d.log" % os.getpid())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    latencies = [[] for _ in range(writers)]
    errors = [0] * writers
    stop_at = time.monotonic() + seconds

    def writer(i):
        lat = latencies[i]
        while True:
            t0 = time.monotonic()
            if t0 >= stop_at:
                return
            try:
                os.write(fd, RECORD)
                os.fdatasync(fd)
            except OSError:
                errors[i] += 1
                continue
            lat.append(time.monotonic() - t0)

    start = time.monotonic()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    os.close(fd)
    os.unlink(path)
    all_lat = sorted(x for lat in latencies for x in lat)
    n = len(all_lat)
    return {
        "requests": n,
        "seconds": round(elapsed, 3),
        "rps": round(n / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(all_lat, 50) * 1000, 3),
        "p95_ms": round(percentile(all_lat, 95) * 1000, 3),
        "p99_ms": round(percentile(all_lat, 99) * 1000, 3),
        "max_ms": round((all_lat[-1] if all_lat else 0) * 1000, 3),
        "errors": sum(errors),
        "error_kinds": {},
        "cpu_s_per_1k": None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--writers", type=int, default=1)
    a = ap.parse_args()
    print(json.dumps(measure(a.dir, a.seconds, a.writers)))


if __name__ == "__main__":
    main()
