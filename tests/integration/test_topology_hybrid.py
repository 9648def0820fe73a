"""hybrid end to end through the CLI: on-prem primary + DR, cloud performance
replica + DR, a separate non-production cluster; both sites drilled."""

from topology_harness import run_topology_checks


def test_hybrid_topology():
    reports = run_topology_checks("hybrid")
    assert set(reports) == {"onprem", "cloud"}
