"""Running mean and variance of observation features (Chan et al.'s parallel update), for input
normalisation in deep RL agents: ``normalize(stats, x) = clip((x - mean) / sqrt(var + eps), +-clip)``.

The statistics are part of the agent state; an agent acts and computes its losses with the same
statistics and refreshes them after its update, so PPO's stored log-probabilities stay consistent.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass
class RunningStats:
    mean: jax.Array
    var: jax.Array
    count: jax.Array

    @classmethod
    def create(cls, size: int) -> "RunningStats":
        return cls(jnp.zeros(size, jnp.float32), jnp.ones(size, jnp.float32), jnp.float32(1e-4))


def update(stats: RunningStats, x: jax.Array, weight: jax.Array | None = None) -> RunningStats:
    """Merge a batch ``x [..., F]`` (rows weighted 0/1 by ``weight``) into the statistics."""
    x = jnp.asarray(x, jnp.float32).reshape(-1, stats.mean.shape[0])
    w = jnp.ones(x.shape[0], jnp.float32) if weight is None else jnp.asarray(weight, jnp.float32).reshape(-1)
    n = jnp.sum(w)
    batch_mean = jnp.sum(w[:, None] * x, 0) / jnp.maximum(n, 1.0)
    batch_var = jnp.sum(w[:, None] * (x - batch_mean) ** 2, 0) / jnp.maximum(n, 1.0)
    total = stats.count + n
    delta = batch_mean - stats.mean
    mean = stats.mean + delta * n / total
    m2 = stats.var * stats.count + batch_var * n + delta ** 2 * stats.count * n / total
    return RunningStats(mean, m2 / total, total)


def normalize(stats: RunningStats, x: jax.Array, clip: float = 10.0, eps: float = 1e-8) -> jax.Array:
    return jnp.clip((jnp.asarray(x, jnp.float32) - stats.mean) / jnp.sqrt(stats.var + eps), -clip, clip)
