"""PPO with a flax MLP on the JAX CartPole (PureJaxRL's defaults), 4 envs x 128 steps per update."""
from __future__ import annotations

from agents.ppo import PPOParams
from envs.cartpole import CartPoleConfig
from rlkit import ExperimentConfig, RunConfig, TrainConfig


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="ppo_cartpole",
        env=CartPoleConfig(),
        agent=PPOParams(learning_rate=2.5e-3),
        train=TrainConfig(num_iterations=400, num_envs=4, rollout_len=128),
        run=RunConfig(seeds=4, chunks=8, plot_metrics=("return", "entropy", "approx_kl")),
        description=__doc__,
    )
