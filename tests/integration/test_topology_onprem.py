"""onprem end to end through the CLI: prod DC A (primary + DR), prod DC B
(performance replica + DR), QA and sandbox independent of production (no
data, no tokens shared); both production sites drilled (DC B planned)."""

from topology_harness import run_topology_checks


def test_onprem_topology():
    reports = run_topology_checks("onprem", planned_sites=("prod-b",))
    assert set(reports) == {"prod-a", "prod-b"}
