"""LSD: Laforgue et al.'s experiment 1 (k = 5, spike + late-recharging arm) at T = 3600 and 5112.

Every LSD algorithm against the exact optimum: ISI-CombUCB1 (blocks of 4), CombUCB1 (blocks of
3), Oracle Greedy, the LP + mirrored-rounding planner, explore-then-commit and optimistic
re-planning with the exact DP. ``rlkit run lsd_laforgue1`` writes one run folder per horizon with
``lsd_table.txt`` (expected total reward next to OPT_T) and cumulative pseudo-regret plots.
"""
from __future__ import annotations

from experiments.lsd_common import laforgue_config, report, run_both_horizons

__all__ = ["config", "main", "report"]


def config():
    return laforgue_config("laforgue1", __doc__)


def main(cfg, overrides=None, resume=None, quiet=False, **_):
    return run_both_horizons("laforgue1", cfg, overrides, resume, quiet)
