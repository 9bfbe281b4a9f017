"""UCB1 vs greedy vs uniform on a 4-armed Bernoulli bandit (Auer et al. 2002), with its bound."""
from __future__ import annotations

from agents.baselines import UniformRandomParams
from agents.ucb1 import UCB1Params
from envs.bandits import BanditConfig, ucb1_bound
from rlkit import ExperimentConfig, RunConfig, TrainConfig


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="ucb1_bandit",
        env=BanditConfig(means=(0.9, 0.8, 0.7, 0.5)),
        agent=UCB1Params(exploration=2.0),
        baselines={"greedy (c=0)": UCB1Params(exploration=0.0), "uniform": UniformRandomParams()},
        train=TrainConfig(num_iterations=10_000),
        run=RunConfig(seeds=64, chunks=5),
        description=__doc__,
    )


def report(result) -> None:
    """Add the Auer et al. (2002, Thm 1) bound at the horizon to the summary."""
    cfg = result.config
    bound = ucb1_bound(cfg.env.means, cfg.train.num_iterations)
    result.extra["ucb1_bound_at_T"] = bound
    print(f"Auer et al. (2002) Thm 1 bound at T={cfg.train.num_iterations}: {bound:.1f}")
