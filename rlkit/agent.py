"""The agent interface and hyper-parameter dataclasses.

An agent is a stateless object whose methods are pure functions of a pytree ``AgentState``:

- ``init(key, spec, hp) -> state``
- ``start_episode(key, state, hp) -> carry``: per-env actor state at the start of each episode
  (a recurrent cell, an episode-level coin); ``None`` when the agent needs none.
- ``act(key, state, carry, obs, hp) -> (action, carry, info)`` for **one** env's observation (the
  rollout vmaps it over envs; a multi-agent env's observation holds every agent);
- ``update(key, state, batch, hp) -> (state, metrics)`` with a :class:`Trajectory` batch of shape
  ``[num_envs, rollout_len]``;
- ``evaluate(state, hp, model) -> metrics`` (optional): exact metrics of the policy the agent will
  deploy next, given the env's exact model; it must contain ``"value"`` (its expected return).

Deviation from DESIGN.md: ``act`` takes and returns a per-env ``carry``. The economist's LSTM
policies and EpsMix's per-episode coin need actor state that lives per env, not in the shared
learner state.

Hyper-parameters are ``@hparams`` dataclasses: float fields are pytree leaves (one ``vmap``
trains a population), fields declared with :func:`static` fix shapes or loop lengths. The
dataclass is also the agent's config: ``make_agent()`` returns the agent, ``validate()`` raises
:class:`rlkit.config.ConfigError` on a bad value.
"""
from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple

import jax
from flax import struct

from rlkit.env import EnvSpec


class Trajectory(NamedTuple):
    """A rollout batch; every leaf is ``[num_envs, rollout_len, ...]``.

    ``next_obs`` is the observation after the step, before any auto-reset (the bootstrap target);
    ``info`` holds the env's info (without ``final_observation``), ``agent_info`` what ``act``
    returned (log-probabilities, values...).
    """

    obs: Any
    action: Any
    reward: Any
    terminated: jax.Array
    truncated: jax.Array
    next_obs: Any
    info: dict
    agent_info: dict

    @property
    def done(self) -> jax.Array:
        return self.terminated | self.truncated


class Agent:
    """Base class with the defaults of the optional methods (see the module docstring)."""

    name: str = "agent"

    def init(self, key: jax.Array, spec: EnvSpec, hp: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement init()")

    def start_episode(self, key: jax.Array, state: Any, hp: Any) -> Any:
        return None

    def act(self, key: jax.Array, state: Any, carry: Any, obs: Any, hp: Any) -> tuple[Any, Any, dict]:
        raise NotImplementedError(f"{type(self).__name__} must implement act()")

    def update(self, key: jax.Array, state: Any, batch: Trajectory, hp: Any) -> tuple[Any, dict]:
        return state, {}

    evaluate = None  # optional: (state, hp, model) -> dict with "value"


def hparams(cls):
    """Decorator: a frozen pytree dataclass whose non-static fields are leaves (rejax pattern)."""
    return struct.dataclass(cls)


def static(default: Any = dataclasses.MISSING, **kwargs) -> Any:
    """A hyper-parameter field that is not a pytree leaf (it fixes a shape or a loop length)."""
    return struct.field(pytree_node=False, default=default, **kwargs)


class HParams:
    """Mixin for hyper-parameter dataclasses; subclasses override ``make_agent`` and ``validate``."""

    def make_agent(self) -> Agent:
        raise NotImplementedError(f"{type(self).__name__} must implement make_agent()")

    def validate(self) -> None:
        """Raise :class:`rlkit.config.ConfigError` naming a bad field and what is allowed."""


def leaf_fields(hp: Any) -> tuple[str, ...]:
    """Names of the fields of an ``@hparams`` dataclass that are pytree leaves (vmappable)."""
    return tuple(f.name for f in dataclasses.fields(hp) if f.metadata.get("pytree_node", True))
