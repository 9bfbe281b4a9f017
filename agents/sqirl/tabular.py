"""Tabular SQIRL (Laidlaw, Zhu, Russell & Dragan, ICLR 2024, "Algorithm 1"; sqirl spec §1.1, §1.4).

One iteration per timestep ``i = 0..H-1``. The trainer collects ``m`` episodes of exactly ``H``
steps (``TrainConfig(num_iterations=H, num_envs=m, rollout_len=H)``): the learned policy ``pi_t``
for ``t < i``, uniformly random actions from ``i`` on. Then, with ``L = min(i + k - 1, H - 1)``:

1. leaf: ``Q_L(s, a)`` = regression of the Monte-Carlo return-to-go ``sum_{t >= L} gamma^(t-L) r_t``
   at step ``L`` (an unbiased sample of the random policy's Q);
2. ``k - 1`` fitted-Q backups ``Q_t(s, a)`` = regression of ``r_t + gamma max_a Q_{t+1}(s_{t+1}, a)``
   for ``t = L - 1 .. i``;
3. ``pi_i(s) = argmax_a Q_i(s, a)`` (ties: lowest index).

The regression oracle is tabular least squares: the mean target per observed ``(s, a)``, 0 for
unseen pairs [design, spec §1.4]. All ``k`` regressions use the same ``m`` episodes [design; the
paper's choice is unconfirmed]; ``m`` is fixed (no doubling) [design].

``planning_depth`` (k) and ``episodes_per_timestep`` (m) are integer pytree leaves, so one compiled
program serves every k and every ``m <= num_envs`` (episodes beyond ``m`` are ignored), and a
sweep over them is one vmapped call. Observations are ``[h, s]``.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from agents.sqirl.common import exact_policy_value
from rlkit.agent import Agent, HParams, hparams
from rlkit.config import ConfigError


@struct.dataclass
class SQIRLState:
    actions: jax.Array    # [H, S] greedy actions pi_t (valid for t < timestep)
    timestep: jax.Array   # i: number of timesteps learned so far
    num_actions: int = struct.field(pytree_node=False)


def returns_to_go(rewards: jax.Array, gamma) -> jax.Array:
    """``G_t = sum_{t' >= t} gamma^(t'-t) r_t'`` along the last axis (episodes of fixed length)."""
    def body(carry, r):
        g = r + gamma * carry
        return g, g

    _, g = jax.lax.scan(body, jnp.zeros(rewards.shape[:-1], jnp.float64),
                        jnp.moveaxis(rewards.astype(jnp.float64), -1, 0), reverse=True)
    return jnp.moveaxis(g, 0, -1)


def tabular_regression(states: jax.Array, actions: jax.Array, targets: jax.Array, weights: jax.Array,
                       S: int, A: int) -> jax.Array:
    """Least squares with one-hot features: the weighted mean target per ``(s, a)``, 0 if unseen."""
    idx = states * A + actions
    sums = jnp.zeros(S * A, jnp.float64).at[idx].add(weights * targets)
    counts = jnp.zeros(S * A, jnp.float64).at[idx].add(weights)
    return jnp.where(counts > 0, sums / jnp.maximum(counts, 1e-300), 0.0).reshape(S, A)


def sqirl_iteration(obs: jax.Array, action: jax.Array, reward: jax.Array, weights: jax.Array,
                    i: jax.Array, k: jax.Array, gamma, S: int, A: int) -> jax.Array:
    """``Q_i`` of one SQIRL iteration from episodes ``obs[N, H, 2]``, ``action``, ``reward[N, H]``
    (leaf at ``L = min(i + k - 1, H - 1)``, then ``L - i`` fitted-Q backups; spec §1.1)."""
    H = reward.shape[1]
    s = obs[..., 1]
    G = returns_to_go(reward, gamma)
    L = jnp.minimum(i + k - 1, H - 1)
    Q_leaf = tabular_regression(s[:, L], action[:, L], G[:, L], weights, S, A)

    def backup(j, Q_next):
        t = L - 1 - j
        target = reward[:, t] + gamma * Q_next[s[:, t + 1]].max(-1)
        return tabular_regression(s[:, t], action[:, t], target, weights, S, A)

    return jax.lax.fori_loop(0, L - i, backup, Q_leaf)


class TabularSQIRL(Agent):
    """See the module docstring."""

    name = "sqirl"

    def init(self, key, spec, hp):
        H, S, A = spec.sizes["H"], spec.sizes["S"], spec.sizes["A"]
        return SQIRLState(jnp.zeros((H, S), jnp.int32), jnp.int32(0), A)

    def act(self, key, state, carry, obs, hp):
        h, s = obs[0], obs[1]
        H = state.actions.shape[0]
        learned = state.actions[jnp.minimum(h, H - 1), s]
        random = jax.random.randint(key, (), 0, state.num_actions, jnp.int32)
        return jnp.where(h < state.timestep, learned, random), carry, {}

    def update(self, key, state, batch, hp):
        H, S = state.actions.shape
        N = batch.reward.shape[0]
        m = jnp.where(hp.episodes_per_timestep > 0, hp.episodes_per_timestep, N)
        weights = (jnp.arange(N) < m).astype(jnp.float64)
        i = jnp.minimum(state.timestep, H - 1)
        Q = sqirl_iteration(batch.obs, batch.action, batch.reward, weights, i,
                            jnp.maximum(hp.planning_depth, 1), hp.gamma, S, state.num_actions)
        active = state.timestep < H
        actions = jnp.where(active, state.actions.at[i].set(jnp.argmax(Q, -1).astype(jnp.int32)),
                            state.actions)
        new = state.replace(actions=actions, timestep=state.timestep + active.astype(jnp.int32))
        return new, {"timestep": new.timestep, "episodes_used": m * active}

    def evaluate(self, state, hp, model):
        """Exact value of the policy deployed now: ``pi_t`` for learned steps, uniform after."""
        H, S = state.actions.shape
        learned = jax.nn.one_hot(state.actions, state.num_actions, dtype=jnp.float64)
        uniform = jnp.full_like(learned, 1.0 / state.num_actions)
        pi = jnp.where((jnp.arange(H) < state.timestep)[:, None, None], learned, uniform)
        return {"value": exact_policy_value(model, pi)}


@hparams
class SQIRLParams(HParams):
    """``planning_depth`` k >= 1; ``episodes_per_timestep`` m (0 = all ``num_envs``); ``gamma``."""

    planning_depth: int = 1
    episodes_per_timestep: int = 0
    gamma: float = 1.0

    def make_agent(self):
        return TabularSQIRL()

    def validate(self):
        if int(self.planning_depth) < 1:
            raise ConfigError(f"planning_depth (k) must be an integer >= 1, got {self.planning_depth}")
        if int(self.episodes_per_timestep) < 0:
            raise ConfigError(f"episodes_per_timestep (m) must be >= 0 (0 = all num_envs), got "
                              f"{self.episodes_per_timestep}")
        if not 0.0 < float(self.gamma) <= 1.0:
            raise ConfigError(f"gamma must be in (0, 1], got {self.gamma}")
