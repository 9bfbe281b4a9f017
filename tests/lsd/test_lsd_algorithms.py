"""LSD algorithms against exact answers (spec tests 7-10), through the rlkit trainer.

Each test runs the fast version of a registered theory check and requires every row to match
its expectation: the guarantees hold and the negative controls (Oracle Greedy, the
no-exploration learner) fail them. Paper-scale versions: ``rlkit verify lsd --full`` or
``pytest -m slow tests/lsd``.
"""
from __future__ import annotations

import pytest

from theory_checks.lsd_algorithms import isi_replication, planner_ratio, regret_growth


def assert_rows(rows):
    bad = [row for row in rows if not row.ok]
    assert not bad, "\n".join(f"{r.check} | {r.instance} | {r.target} | {r.measured} | expect {r.expect}"
                              for r in bad)
    assert any(not row.expect for row in rows), "every check carries a negative control"


def test_planner_ratio_and_greedy_control():          # spec tests 7 and 8
    rows = planner_ratio(full=False)
    assert_rows(rows)
    assert any("0.12 exactly" in r.target and r.passed for r in rows)


def test_regret_growth_exponent_with_linear_controls():   # spec test 9
    assert_rows(regret_growth(full=False))


def test_isi_combucb1_replication():                   # spec test 10
    assert_rows(isi_replication(full=False))


@pytest.mark.slow
@pytest.mark.parametrize("check", [planner_ratio, regret_growth, isi_replication])
def test_paper_scale(check):
    assert_rows(check(full=True))
