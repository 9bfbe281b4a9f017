"""Batched episodes of a fixed policy in a tabular model, without the env/agent interfaces.

One uniform draw per (episode, step) serves both the action and the transition (two float32
from one threefry block), so this is the fastest way to generate Monte-Carlo estimates or
offline datasets (e.g. the behaviour data of StepMix's offline variant).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from rlkit.distributions import inverse_cdf
from rlkit.tabular.model import TabularModel, cumulative


class Episodes(NamedTuple):
    states: jax.Array    # [N, H + 1] int32 (states[:, 0] ~ mu)
    actions: jax.Array   # [N, H] int32
    rewards: jax.Array   # [N, H] float64 (expected reward r[h, s, a])

    @property
    def returns(self) -> jax.Array:
        return self.rewards.sum(-1)


def sample_episodes(key: jax.Array, model: TabularModel, pi: jax.Array, num_episodes: int) -> Episodes:
    """``num_episodes`` episodes of policy ``pi[H, S, A]`` from ``model`` (jittable; the episode
    count is static)."""
    H = model.H
    P_cdf = cumulative(model.P).astype(jnp.float32)
    pi_cdf = cumulative(jnp.asarray(pi)).astype(jnp.float32)
    k0, key = jax.random.split(key)
    s0 = inverse_cdf(jax.random.uniform(k0, (num_episodes,), jnp.float32),
                      jnp.broadcast_to(cumulative(model.mu).astype(jnp.float32), (num_episodes, model.S)))

    def step(s, xs):
        h, k = xs
        u = jax.random.uniform(k, (num_episodes, 2), jnp.float32)
        a = inverse_cdf(u[:, 0], pi_cdf[h, s])
        row = P_cdf[0, s, a] if model.stationary else P_cdf[h, s, a]
        s_next = inverse_cdf(u[:, 1], row)
        return s_next, (s_next, a, model.r[h, s, a])

    _, (states, actions, rewards) = jax.lax.scan(step, s0, (jnp.arange(H), jax.random.split(key, H)))
    states = jnp.concatenate([s0[None], states], axis=0)
    return Episodes(states.T, actions.T, rewards.T)
