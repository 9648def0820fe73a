"""hybrid end to end through the CLI: on-prem primary + DR, cloud performance
replica + DR, a separate non-production cluster; both sites drilled."""

from topology_harness import run_topology_checks


def test_hybrid_topology():
    reports = run_topology_checks("hybrid")
    assert set(reports) == {"onprem", "cloud"}


def test_a_users_own_topology_file(tmp_path):
    """`up -file`: a design of one's own (here a primary + DR with a performance
    replica that has no DR of its own) comes up and fails over the same way."""
    from topology_harness import (Topology, check_replication, check_tokens_where_they_belong,
                                  drill, make_tokens)

    mine = tmp_path / "mine.json"
    mine.write_text('{"name": "mine", "clusters": ['
                    '{"name": "main", "site": "hq", "role": "primary"},'
                    '{"name": "main-dr", "site": "hq", "role": "dr", "of": "main"},'
                    '{"name": "branch", "site": "branch", "role": "performance", "of": "main"}]}')
    with Topology("-file", str(mine)) as topo:
        check_replication(topo, "mine")
        tokens = make_tokens(topo)
        check_tokens_where_they_belong(topo, tokens)
        report = drill(topo, "hq", tokens)
        assert report["repointed"] == ["branch: streaming from main-dr"], report
        check_tokens_where_they_belong(topo, tokens)
        check_replication(topo, "mine-after")
