"""two-dc end to end through the CLI: DC A (primary + DR), DC B (performance
replica + DR). Checks replication to every replica, where tokens are valid,
and the failover drill of both sites (DC A planned) with tokens and leases."""

from topology_harness import run_topology_checks


def test_two_dc_topology():
    reports = run_topology_checks("two-dc", planned_sites=("dc-a",))
    assert set(reports) == {"dc-a", "dc-b"}
    assert reports["dc-a"]["planned"] is True


def test_foreground_up_stops_every_cluster_on_ctrl_c(tmp_path):
    """What `make run` does: `up two-dc` in the foreground prints each site's
    VAULT_ADDR/VAULT_TOKEN, serves until SIGINT, then stops every cluster."""
    import json
    import os
    import signal
    import subprocess

    from coffer_harness import coffer_bin, wait_until

    d = str(tmp_path / "fg")
    proc = subprocess.Popen([coffer_bin(), "topology", "up", "two-dc", "-dir", d],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl-C" in line:
                break
        out = "".join(lines)
        assert "Press Ctrl-C" in out, out + proc.stderr.read()
        exports = [l for l in lines if l.startswith("export VAULT_ADDR=")]
        assert len(exports) == 2 and "site dc-a" in exports[0] and "site dc-b" in exports[1]
        assert all(" VAULT_TOKEN=hvs." in l for l in exports)
        with open(os.path.join(d, "state.json")) as f:
            pids = [c["pid"] for c in json.load(f)["clusters"]]
        assert all(os.path.exists("/proc/%d" % p) for p in pids)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, rest
        assert "Stopped." in rest
        # Children of the foreground process: reaped by it, so gone from /proc.
        assert wait_until(lambda: not any(os.path.exists("/proc/%d" % p) for p in pids), 10)
        assert oct(os.stat(os.path.join(d, "secrets.json")).st_mode & 0o777) == "0o600"
        assert oct(os.stat(os.path.join(d, "state.json")).st_mode & 0o777) == "0o600"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        subprocess.run([coffer_bin(), "topology", "down", "-dir", d], capture_output=True)


def test_bad_topology_file_is_a_clear_error(tmp_path):
    """A user's own file with a mistake: exit 1 and the field named, nothing started."""
    import subprocess

    from coffer_harness import coffer_bin

    bad = tmp_path / "mine.json"
    bad.write_text('{"name": "mine", "clusters": [{"name": "a", "site": "s", "role": "dr", '
                   '"of": "nope"}]}')
    d = tmp_path / "d"
    r = subprocess.run([coffer_bin(), "topology", "up", "-file", str(bad), "-dir", str(d)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'a.of: no cluster is named "nope"' in r.stderr, r.stderr
    assert not d.exists()
    r = subprocess.run([coffer_bin(), "topology", "up", "nonesuch"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and 'unknown topology "nonesuch"' in r.stderr, r.stderr
