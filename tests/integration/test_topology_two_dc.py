"""two-dc end to end through the CLI: DC A (primary + DR), DC B (performance
replica + DR). Checks replication to every replica, where tokens are valid,
and the failover drill of both sites (DC A planned) with tokens and leases."""

from topology_harness import run_topology_checks


def test_two_dc_topology():
    reports = run_topology_checks("two-dc", planned_sites=("dc-a",))
    assert set(reports) == {"dc-a", "dc-b"}
    assert reports["dc-a"]["planned"] is True
