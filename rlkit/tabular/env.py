"""``TabularMDP``: a finite-horizon, time-inhomogeneous tabular MDP as an rlkit env.

Observation ``[h, s]`` (int32; ``h`` is the 0-based step), action ``a`` in ``0..A-1``, reward
``r[h, s, a]``; the episode terminates after ``H`` steps. Next states are drawn by inverse CDF on
cumulative tables precomputed in the params. The env exposes its exact model, so trainers and
checks compute exact values and pseudo-regret.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit import spaces
from rlkit.env import Env, EnvSpec
from rlkit.tabular.model import TabularModel, cumulative, sample_cdf


@struct.dataclass
class TabularParams:
    model: TabularModel
    P_cdf: jax.Array   # [Hp, S, A, S] float32 cumulative rows
    mu_cdf: jax.Array  # [S]


@struct.dataclass
class TabularState:
    s: jax.Array
    h: jax.Array


def tabular_params(model: TabularModel) -> TabularParams:
    """Params of :class:`TabularMDP` for a model (precomputes the sampling tables)."""
    return TabularParams(model, cumulative(model.P).astype(jnp.float32),
                         cumulative(model.mu).astype(jnp.float32))


class TabularMDP(Env):
    """See the module docstring. ``default_model`` is used by ``default_params()``;
    ``rewards_known`` puts the reward table in ``spec.known["r"]`` (the StepMix setting)."""

    def __init__(self, default_model: TabularModel | None = None, rewards_known: bool = True):
        self.default_model = default_model
        self.rewards_known = rewards_known

    def default_params(self) -> TabularParams:
        if self.default_model is None:
            raise ValueError("TabularMDP() has no default model: pass params built with "
                             "rlkit.tabular.tabular_params(model)")
        return tabular_params(self.default_model)

    def reset_env(self, key, params: TabularParams):
        s = sample_cdf(key, params.mu_cdf)
        state = TabularState(s, jnp.int32(0))
        return jnp.stack([state.h, state.s]), state

    def step_env(self, key, state: TabularState, action, params: TabularParams):
        model = params.model
        reward = model.r[state.h, state.s, action]
        hp = 0 if model.stationary else state.h
        s_next = sample_cdf(key, params.P_cdf[hp, state.s, action])
        h_next = state.h + 1
        terminated = h_next >= model.H
        new_state = TabularState(s_next, h_next)
        return jnp.stack([h_next, s_next]), new_state, reward, terminated, {}

    def spec(self, params: TabularParams) -> EnvSpec:
        H, S, A = params.model.r.shape
        return EnvSpec(
            observation_space=spaces.Box(0, max(H, S), (2,), jnp.int32),
            action_space=spaces.Discrete(A),
            horizon=H,
            sizes={"H": H, "S": S, "A": A},
            known={"r": params.model.r} if self.rewards_known else {},
            model=params.model,
        )
