"""LSD: Laforgue et al.'s experiment 2 (k = 2, greedy trap) at T = 3300 and 5060.

Alternating the arms pays 0.5 per round; Oracle Greedy replays the 0.06 arm. Every LSD algorithm
against the exact optimum: ISI-CombUCB1 (blocks of 11), CombUCB1 (blocks of 10), Oracle Greedy,
the LP + mirrored-rounding planner, explore-then-commit and optimistic re-planning with the exact
DP. ``rlkit run lsd_laforgue2`` writes one run folder per horizon with ``lsd_table.txt`` and
cumulative pseudo-regret plots.
"""
from __future__ import annotations

from experiments.lsd_common import laforgue_config, report, run_both_horizons

__all__ = ["config", "main", "report"]


def config():
    return laforgue_config("laforgue2", __doc__)


def main(cfg, overrides=None, resume=None, quiet=False, **_):
    return run_both_horizons("laforgue2", cfg, overrides, resume, quiet)
