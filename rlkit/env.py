"""The environment interface: the gymnax 1.0 contract.

``reset(key, params) -> (obs, state)`` and
``step(key, state, action, params) -> (obs, state, reward, terminated, truncated, info)``
are pure functions of their arguments, so they ``jit``, ``vmap`` (over keys, states and params)
and ``lax.scan``. ``step`` resets automatically at the end of an episode; the observation that
ended the episode is kept in ``info["final_observation"]``. ``terminated`` (a true end: do not
bootstrap) and ``truncated`` (a time limit: bootstrap from the final observation) are separate.

Subclasses implement ``step_env``, ``reset_env`` and ``spec``; ``is_truncated`` defaults to a
time limit when the state has ``time`` and the params have ``max_steps_in_episode``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Mapping, TypeVar

import jax
import jax.numpy as jnp

from rlkit.spaces import Space
from rlkit.tree import tree_where

EnvState = TypeVar("EnvState")
EnvParams = TypeVar("EnvParams")


@dataclass(frozen=True)
class EnvSpec:
    """What an agent may know about an environment before it acts.

    Attributes:
      observation_space: space of one observation (unbatched).
      action_space: space of one action (for a multi-agent env, all agents' actions together).
      horizon: episode length when fixed (tabular episodic MDPs), else ``None``.
      n_agents: number of learning agents when the env is multi-agent, else ``None``.
      sizes: other static sizes an agent may need (``{"S": 5, "A": 5, "H": 3}``, ``{"m": 3}``...).
      metric_keys: keys of ``info`` that are additive per-step metrics (e.g. ``"regret"``,
        ``"served_orders"``); the trainer sums them over each rollout and averages over envs.
      known: quantities the problem setting reveals to the agent (``{"r": r[H, S, A]}`` when
        rewards are known, as in the StepMix setting); agents may learn from these.
      model: the exact model (a pytree with an ``optimal_value()`` method, such as
        :class:`rlkit.tabular.TabularModel`) when the env exposes one, else ``None``. Agents use
        it only in ``evaluate`` (exact metrics), never to learn.
    """

    observation_space: Space
    action_space: Space
    horizon: int | None = None
    n_agents: int | None = None
    sizes: Mapping[str, int] = field(default_factory=dict)
    metric_keys: tuple[str, ...] = ()
    known: Mapping[str, Any] = field(default_factory=dict)
    model: Any = None


class Env(Generic[EnvState, EnvParams]):
    """Base class of a functional environment (gymnax 1.0 contract, see the module docstring)."""

    # --- to implement -------------------------------------------------------------------------
    def default_params(self) -> EnvParams:
        raise NotImplementedError(f"{type(self).__name__} must implement default_params()")

    def reset_env(self, key: jax.Array, params: EnvParams) -> tuple[Any, EnvState]:
        raise NotImplementedError(f"{type(self).__name__} must implement reset_env()")

    def step_env(self, key: jax.Array, state: EnvState, action: Any, params: EnvParams
                 ) -> tuple[Any, EnvState, Any, jax.Array, dict]:
        """One transition without auto-reset: ``(obs, state, reward, terminated, info)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement step_env()")

    def spec(self, params: EnvParams) -> EnvSpec:
        raise NotImplementedError(f"{type(self).__name__} must implement spec()")

    # --- provided -----------------------------------------------------------------------------
    def is_truncated(self, state: EnvState, params: EnvParams) -> jax.Array:
        """Time-limit truncation: ``state.time >= params.max_steps_in_episode`` when both exist."""
        time = getattr(state, "time", None)
        limit = getattr(params, "max_steps_in_episode", None)
        if time is None or limit is None:
            return jnp.asarray(False)
        return time >= limit

    def reset(self, key: jax.Array, params: EnvParams | None = None) -> tuple[Any, EnvState]:
        params = self.default_params() if params is None else params
        return self.reset_env(key, params)

    def step(self, key: jax.Array, state: EnvState, action: Any, params: EnvParams | None = None
             ) -> tuple[Any, EnvState, Any, jax.Array, jax.Array, dict]:
        """Step with auto-reset; ``info["final_observation"]`` holds the pre-reset observation."""
        params = self.default_params() if params is None else params
        key_step, key_reset = jax.random.split(key)
        obs, next_state, reward, terminated, info = self.step_env(key_step, state, action, params)
        terminated = jnp.asarray(terminated, bool)
        truncated = jnp.logical_and(self.is_truncated(next_state, params), ~terminated)
        done = terminated | truncated
        reset_obs, reset_state = self.reset_env(key_reset, params)
        info = dict(info)
        info["final_observation"] = obs
        return (tree_where(done, reset_obs, obs), tree_where(done, reset_state, next_state),
                reward, terminated, truncated, info)

    def observation_space(self, params: EnvParams) -> Space:
        return self.spec(params).observation_space

    def action_space(self, params: EnvParams) -> Space:
        return self.spec(params).action_space

    def exact_model(self, params: EnvParams) -> Any:
        """The exact model (see :class:`EnvSpec`), or ``None``."""
        return self.spec(params).model

    @property
    def name(self) -> str:
        return type(self).__name__
