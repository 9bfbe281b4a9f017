"""UCBVI vs no-bonus greedy vs a uniform policy on the StepMix paper's random MDPs (S=A=5, H=3)."""
from __future__ import annotations

from agents.baselines import UniformRandomParams
from agents.ucbvi import UCBVIParams
from envs.tabular import RandomMDPConfig
from rlkit import ExperimentConfig, RunConfig, TrainConfig


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="ucbvi_random_mdp",
        env=RandomMDPConfig(S=5, A=5, H=3),
        agent=UCBVIParams(bonus_scale=0.2),
        baselines={"greedy (no bonus)": UCBVIParams(bonus_scale=0.0), "uniform": UniformRandomParams()},
        train=TrainConfig(num_iterations=3000, num_envs=1, rollout_len=3),
        run=RunConfig(seeds=8, chunks=5),
        description=__doc__,
    )
