"""AI Economist, one-step economy with 100 agents (spec §6 L5: the large-N Saez comparison;
kappa = 0.012, delta = 2 so e = 1, inverse-income weights, US-2018 brackets, 5% grid, the seed-0
Pareto skill ladder of 100 agents).

With many agents the finite-N own-share correction vanishes: the optimal flat tax approaches the
Sheshinski/Saez linear tax ``(1 - g)/(1 - g + e)`` (0.2467 here; grid optimum 0.25). The learned
bracket planner and the learned flat tax (two-level PPO, 3 seeds) are compared exactly with free
market, US federal, the Saez schedule and the best schedule found by coordinate search.
"""
from __future__ import annotations

from experiments.economist_one_step_common import experiment, report
from rlkit import ExperimentConfig

__all__ = ["config", "report"]


def config() -> ExperimentConfig:
    return experiment("economist_one_step_many", n_agents=100, iterations=800, num_envs=32, seeds=3,
                      description=__doc__)
