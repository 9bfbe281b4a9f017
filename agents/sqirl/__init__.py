"""The SQIRL family (Laidlaw et al., NeurIPS 2023 / ICLR 2024): tabular SQIRL, deep SQIRL (a flax
network with k heads), GORP, DQN, and PPO with exact greedy evaluation for the comparison."""
from __future__ import annotations

from rlkit.trainer import TrainConfig


def episodic_train_config(horizon: int, episodes_per_iteration: int, iterations: int | None = None,
                          evaluate: bool = True) -> TrainConfig:
    """The trainer shape of SQIRL: one iteration per timestep (``H`` by default), each a rollout
    of ``episodes_per_iteration`` parallel episodes of exactly ``H`` steps (so every rollout starts
    at the beginning of an episode)."""
    return TrainConfig(num_iterations=iterations or horizon, num_envs=episodes_per_iteration,
                       rollout_len=horizon, evaluate=evaluate)
