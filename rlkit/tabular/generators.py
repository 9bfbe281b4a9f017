"""Tabular MDP generators: the StepMix paper's random MDPs, RiverSwim, a combination lock."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.config import ConfigError
from rlkit.tabular.model import TabularModel, make_model


def random_mdp(key: jax.Array, S: int, A: int, H: int) -> TabularModel:
    """The StepMix paper's instance family (spec stepmix.md §6, §8): for every ``(h, s, a)``,
    ``P_h(.|s, a) ~ Dirichlet(1, ..., 1)`` (uniform on the simplex), ``r_h(s, a) ~ U[0, 1]``,
    start state 0. Jittable: vmap over keys for many instances."""
    k_p, k_r = jax.random.split(key)
    P = jax.random.dirichlet(k_p, jnp.ones((S,), jnp.float64), shape=(H, S, A))
    r = jax.random.uniform(k_r, (H, S, A), jnp.float64)
    return make_model(P, r, s1=0)


def river_swim(S: int = 6, H: int = 20, small_reward: float = 0.005) -> TabularModel:
    """RiverSwim (Strehl & Littman 2008), stationary, rewards scaled to [0, 1].

    Action 0 (swim left) moves left deterministically; action 1 (swim right) moves right with
    probability 0.35, stays with 0.6, drifts left with 0.05 (at the left bank: right 0.4, stay
    0.6; at the right bank: stay 0.95, left 0.05). Reward ``small_reward`` for action 0 in state 0
    and 1 for action 1 in state ``S - 1``. Start in state 0.
    """
    if S < 2:
        raise ConfigError(f"river_swim needs S >= 2 states, got S={S}")
    P = np.zeros((S, 2, S))
    for s in range(S):
        P[s, 0, max(s - 1, 0)] = 1.0
        if s == 0:
            P[s, 1, 1] += 0.4
            P[s, 1, 0] += 0.6
        elif s == S - 1:
            P[s, 1, s] += 0.95
            P[s, 1, s - 1] += 0.05
        else:
            P[s, 1, s + 1] += 0.35
            P[s, 1, s] += 0.6
            P[s, 1, s - 1] += 0.05
    r = np.zeros((H, S, 2))
    r[:, 0, 0] = small_reward
    r[:, S - 1, 1] = 1.0
    return make_model(P[None], r, s1=0)


def combination_lock(H: int, A: int, combination=None, key: jax.Array | None = None) -> TabularModel:
    """A combination lock: state 0 = "on the path", state 1 = "fell off" (absorbing).

    At step ``h`` only action ``combination[h]`` keeps the agent on the path; the last correct
    action pays 1. A uniformly random policy succeeds with probability ``A ** -H``, so undirected
    exploration needs about ``A ** H`` episodes. ``combination`` defaults to a draw from ``key``
    (or all zeros without a key).
    """
    if A < 2 or H < 1:
        raise ConfigError(f"combination_lock needs A >= 2 and H >= 1, got A={A}, H={H}")
    if combination is None:
        combination = (jax.random.randint(key, (H,), 0, A) if key is not None else jnp.zeros((H,), jnp.int32))
    combination = jnp.asarray(combination, jnp.int32)
    correct = jax.nn.one_hot(combination, A, dtype=jnp.float64)             # [H, A]
    P = jnp.zeros((H, 2, A, 2), jnp.float64)
    P = P.at[:, 0, :, 0].set(correct).at[:, 0, :, 1].set(1.0 - correct).at[:, 1, :, 1].set(1.0)
    r = jnp.zeros((H, 2, A), jnp.float64).at[H - 1, 0, :].set(correct[H - 1])
    return make_model(P, r, s1=0)
