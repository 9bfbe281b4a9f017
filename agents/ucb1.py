"""UCB1 (Auer, Cesa-Bianchi & Fischer 2002, "Finite-time analysis of the multiarmed bandit
problem", Fig. 1): play each arm once, then the arm maximising
``mean_j + sqrt(c ln t / n_j)`` with ``c = 2`` in the paper. ``c = 0`` is the greedy negative
control used by the regret checks.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.agent import Agent, HParams, hparams
from rlkit.config import ConfigError


@struct.dataclass
class UCB1State:
    pulls: jax.Array   # [K]
    sums: jax.Array    # [K]


def ucb1_index(pulls: jax.Array, sums: jax.Array, exploration) -> jax.Array:
    """``mean_j + sqrt(c ln t / n_j)``, ``+inf`` for arms never pulled (Auer et al. 2002, Fig. 1)."""
    t = jnp.maximum(jnp.sum(pulls), 1.0)
    means = sums / jnp.maximum(pulls, 1.0)
    index = means + jnp.sqrt(exploration * jnp.log(t) / jnp.maximum(pulls, 1.0))
    return jnp.where(pulls > 0, index, jnp.inf)


class UCB1(Agent):
    name = "ucb1"

    def init(self, key, spec, hp):
        K = spec.action_space.n
        return UCB1State(jnp.zeros((K,), jnp.float64), jnp.zeros((K,), jnp.float64))

    def act(self, key, state, carry, obs, hp):
        return jnp.argmax(ucb1_index(state.pulls, state.sums, hp.exploration)).astype(jnp.int32), carry, {}

    def update(self, key, state, batch, hp):
        K = state.pulls.shape[0]
        onehot = jax.nn.one_hot(batch.action.ravel(), K, dtype=jnp.float64)
        rewards = jnp.asarray(batch.reward, jnp.float64).ravel()
        return UCB1State(state.pulls + onehot.sum(0), state.sums + rewards @ onehot), {}


@hparams
class UCB1Params(HParams):
    """``exploration``: the constant ``c`` of the index (2 in Auer et al.; 0 gives greedy)."""

    exploration: float = 2.0

    def make_agent(self):
        return UCB1()

    def validate(self):
        if not self.exploration >= 0:
            raise ConfigError(f"exploration must be >= 0, got {self.exploration}")
