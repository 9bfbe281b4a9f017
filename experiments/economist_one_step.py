"""AI Economist, one-step economy with 4 agents (spec §1, §6 L3/L4; Foundation defaults with the
spec's non-degenerate labor cost kappa = 0.012, delta = 2, inverse-income-weighted utility, US-2018
brackets, the 5% rate grid, seed-0 Pareto skills).

Two learned planners, each trained together with the agents by two-level PPO (3 seeds): one rate
per bracket (7 brackets) and a flat tax (brackets tied). The report scores free market, US federal,
the Saez schedule, the best flat tax, the best schedule found by search and the learned schedules
exactly (agents best-respond), and plots the learned schedule against the optimum.
"""
from __future__ import annotations

from experiments.economist_one_step_common import experiment, report
from rlkit import ExperimentConfig

__all__ = ["config", "report"]


def config() -> ExperimentConfig:
    return experiment("economist_one_step", n_agents=4, iterations=1200, num_envs=256, seeds=3,
                      description=__doc__)
