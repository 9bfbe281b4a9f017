"""Stochastic multi-armed bandits as one-step episodic envs (gymnax-style bandit envs).

Params carry the arm means, so many problem instances run in one ``vmap``. ``info["regret"]``
is the pseudo-regret ``max_j mu_j - mu_a`` of the pulled arm (declared in ``spec.metric_keys``,
so the trainer sums it per iteration).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit import spaces
from rlkit.config import ConfigError, EnvConfig
from rlkit.env import Env, EnvSpec

NOISE = ("bernoulli", "gaussian")


@struct.dataclass
class BanditParams:
    means: jax.Array        # [K]
    sigma: float = 1.0      # Gaussian noise scale
    noise: str = struct.field(pytree_node=False, default="bernoulli")


@struct.dataclass
class BanditState:
    t: jax.Array


class Bandit(Env):
    """``K``-armed bandit: observation ``0``, action an arm, reward Bernoulli(mu_a) or N(mu_a, sigma^2)."""

    def __init__(self, means=(0.9, 0.8, 0.7, 0.5), noise: str = "bernoulli", sigma: float = 1.0):
        self.means = tuple(float(m) for m in means)
        self.noise = noise
        self.sigma = sigma

    def default_params(self):
        return BanditParams(jnp.asarray(self.means, jnp.float64), self.sigma, self.noise)

    def reset_env(self, key, params):
        return jnp.int32(0), BanditState(jnp.int32(0))

    def step_env(self, key, state, action, params):
        mean = params.means[action]
        if params.noise == "bernoulli":
            reward = (jax.random.uniform(key, (), jnp.float64) < mean).astype(jnp.float64)
        else:
            reward = mean + params.sigma * jax.random.normal(key, (), jnp.float64)
        info = {"regret": jnp.max(params.means) - mean}
        return jnp.int32(0), BanditState(state.t + 1), reward, jnp.asarray(True), info

    def spec(self, params):
        K = params.means.shape[0]
        return EnvSpec(spaces.Discrete(1), spaces.Discrete(K), horizon=1, sizes={"K": K},
                       metric_keys=("regret",))


def ucb1_bound(means, T) -> float:
    """Auer, Cesa-Bianchi & Fischer (2002), Thm 1: for rewards in [0, 1],
    ``E[R_T] <= 8 sum_{i: D_i > 0} ln T / D_i + (1 + pi^2 / 3) sum_i D_i``."""
    means = np.asarray(means, np.float64)
    gaps = means.max() - means
    positive = gaps[gaps > 0]
    return float(8.0 * np.log(T) * np.sum(1.0 / positive) + (1.0 + np.pi ** 2 / 3.0) * np.sum(positive))


@dataclass(frozen=True)
class BanditConfig(EnvConfig):
    """A fixed bandit instance: ``means`` in [0, 1] for Bernoulli arms."""

    means: tuple[float, ...] = (0.9, 0.8, 0.7, 0.5)
    noise: str = "bernoulli"
    sigma: float = 1.0

    def make_env(self):
        return Bandit(self.means, self.noise, self.sigma)

    def validate(self):
        if len(self.means) < 2:
            raise ConfigError(f"means must list at least 2 arms, got {self.means}")
        if self.noise not in NOISE:
            raise ConfigError(f"noise must be one of {list(NOISE)}, got {self.noise!r}")
        if self.noise == "bernoulli" and not all(0.0 <= m <= 1.0 for m in self.means):
            raise ConfigError(f"Bernoulli arm means must lie in [0, 1], got {self.means}")
