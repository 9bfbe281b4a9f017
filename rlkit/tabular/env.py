"""``TabularMDP``: a finite-horizon, time-inhomogeneous tabular MDP as an rlkit env.

Observation ``[h, s]`` (int32; ``h`` is the 0-based step), action ``a`` in ``0..A-1``, reward
``r[h, s, a]``; the episode terminates after ``H`` steps. Next states are drawn by inverse CDF on
cumulative tables precomputed in the params; when the start distribution is a concrete point
mass, the params record its state statically and auto-resets draw nothing. The env exposes its
exact model, so trainers and checks compute exact values and pseudo-regret.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit import spaces
from rlkit.env import Env, EnvSpec
from rlkit.distributions import inverse_cdf
from rlkit.tabular.model import TabularModel, cumulative, sample_cdf
from rlkit.tree import tree_where


@struct.dataclass
class TabularParams:
    model: TabularModel
    P_cdf: jax.Array   # [Hp, S, A, S] float32 cumulative rows
    mu_cdf: jax.Array  # [S]
    # the start state when mu is a known point mass (static: resets then draw nothing), else None
    start_state: int | None = struct.field(pytree_node=False, default=None)


@struct.dataclass
class TabularState:
    s: jax.Array
    h: jax.Array


def point_mass_state(mu) -> int | None:
    """The state of a concrete point-mass distribution ``mu``; ``None`` when ``mu`` has more than
    one state in its support or is traced (e.g. instances generated under ``vmap``)."""
    try:
        mu = np.asarray(mu)
    except jax.errors.TracerArrayConversionError:
        return None
    support = np.flatnonzero(mu)
    return int(support[0]) if support.size == 1 else None


def tabular_params(model: TabularModel) -> TabularParams:
    """Params of :class:`TabularMDP` for a model (precomputes the sampling tables)."""
    return TabularParams(model, cumulative(model.P).astype(jnp.float32),
                         cumulative(model.mu).astype(jnp.float32), point_mass_state(model.mu))


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

    def _transition(self, u, state: TabularState, action, params: TabularParams):
        """Next state by inverse CDF of the uniform ``u``; reward ``r[h, s, a]``."""
        model = params.model
        row = params.P_cdf[0 if model.stationary else state.h, state.s, action]
        s_next = inverse_cdf(u, row)
        h_next = state.h + 1
        new_state = TabularState(s_next, h_next)
        return jnp.stack([h_next, s_next]), new_state, model.r[state.h, state.s, action], h_next >= model.H

    def step_env(self, key, state: TabularState, action, params: TabularParams):
        u = jax.random.uniform(key, (), jnp.float32)
        obs, new_state, reward, terminated = self._transition(u, state, action, params)
        return obs, new_state, reward, terminated, {}

    def step(self, key, state: TabularState, action, params: TabularParams | None = None):
        """Auto-resetting step with both uniforms (transition, reset) from one draw: one
        threefry block per step instead of four (key splitting dominates tabular rollouts)."""
        params = self.default_params() if params is None else params
        u = jax.random.uniform(key, (2,), jnp.float32)
        obs, new_state, reward, terminated = self._transition(u[0], state, action, params)
        # with a point-mass start the draw is dropped (the same state inverse_cdf would give)
        s0 = (inverse_cdf(u[1], params.mu_cdf) if params.start_state is None
              else jnp.int32(params.start_state))
        reset_state = TabularState(s0, jnp.int32(0))
        reset_obs = jnp.stack([reset_state.h, reset_state.s])
        truncated = jnp.asarray(False)
        return (jnp.where(terminated, reset_obs, obs), tree_where(terminated, reset_state, new_state),
                reward, terminated, truncated, {"final_observation": obs})

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
