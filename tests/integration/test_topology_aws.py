"""aws end to end through the CLI: us-east-1 (primary + DR), us-west-1
(performance replica + DR); both sites' unplanned failover drills."""

from topology_harness import run_topology_checks


def test_aws_topology():
    reports = run_topology_checks("aws")
    assert set(reports) == {"us-east-1", "us-west-1"}
