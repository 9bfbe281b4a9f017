"""LSD: learners and planners on a random strongly-monotone instance (k = m = 3, T = 5000).

Explore-then-commit with the exact DP (the main agent, swept over k and m by
``experiments/sweeps/lsd_k_m.yaml``) against optimistic re-planning, the LP + mirrored-rounding
planner and Oracle Greedy; ``regret`` is the pseudo-regret against the exact optimum OPT_T.
"""
from __future__ import annotations

from agents.lsd.etc import ETCParams
from agents.lsd.greedy import OracleGreedyParams
from agents.lsd.mirrored import MirroredPlannerParams
from agents.lsd.ucb_replan import ReplanParams
from envs.lsd import LSDConfig
from experiments.lsd_common import report
from rlkit import ExperimentConfig, RunConfig, TrainConfig

__all__ = ["config", "report"]


def config() -> ExperimentConfig:
    T = 5000
    return ExperimentConfig(
        name="lsd_random",
        env=LSDConfig(instance="random_monotone", k=3, m=3, horizon=T, instance_seed=0),
        agent=ETCParams(explore_scale=1.0),
        baselines={"ETC (LP + mirrored rounding)": ETCParams(explore_scale=1.0, planner="mirrored"),
                   "UCB re-plan (exact DP)": ReplanParams(exploration=0.5),
                   "LP + mirrored rounding": MirroredPlannerParams(),
                   "Oracle Greedy": OracleGreedyParams()},
        train=TrainConfig(num_iterations=T),
        run=RunConfig(seeds=16, chunks=5, plot_metrics=("regret",)),
        description=__doc__,
    )
