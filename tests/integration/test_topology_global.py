"""global end to end through the CLI, with -regions 2 to keep it lean: a hub
primary + DR and two regions of performance replica + DR; every site drilled."""

from topology_harness import run_topology_checks


def test_global_topology():
    reports = run_topology_checks("global", "-regions", "2")
    assert set(reports) == {"hub", "region-1", "region-2"}
