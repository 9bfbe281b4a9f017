"""Learning beats the baselines (spec ospo.md §7.6): OSPO on a toy grid city, deployed greedily,
against random matching and the Hungarian minimum-pickup baseline on common episodes.

The default test is the theory check's fast mode (6x6 city, 20 vehicles, 2 seeds); the spec's
10x10 city with 50 vehicles, 4 seeds and the OSPO >= GRPO - tol row is marked slow.
"""
from __future__ import annotations

import pytest

from theory_checks.ridesharing import learning_rows


def _assert_rows(rows):
    for row in rows:
        assert row.ok, row
    assert any(not row.expect for row in rows) and any(row.expect for row in rows)


def test_ospo_beats_random_matching_and_nears_hungarian():
    _assert_rows(learning_rows(full=False))


@pytest.mark.slow
def test_paper_scale_toy_city_and_grpo_comparison():
    _assert_rows(learning_rows(full=True))
