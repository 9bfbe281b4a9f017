"""Env wrappers. ``EpisodeStatistics`` records returns and lengths of finished episodes."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.env import Env, EnvSpec
from rlkit.tree import tree_where


class Wrapper(Env):
    """Delegates everything to ``self.env``; subclasses override what they change."""

    def __init__(self, env: Env):
        self.env = env

    def default_params(self):
        return self.env.default_params()

    def spec(self, params) -> EnvSpec:
        return self.env.spec(params)

    def reset(self, key, params=None):
        return self.env.reset(key, params)

    def step(self, key, state, action, params=None):
        return self.env.step(key, state, action, params)

    def exact_model(self, params):
        return self.env.exact_model(params)

    @property
    def name(self) -> str:
        return self.env.name

    @property
    def unwrapped(self) -> Env:
        inner = self.env
        return inner.unwrapped if isinstance(inner, Wrapper) else inner


@struct.dataclass
class EpisodeStatisticsState:
    env_state: Any
    episode_return: Any          # running return of the current episode (same pytree as reward)
    episode_length: jax.Array
    returned_episode_return: Any  # return of the last finished episode
    returned_episode_length: jax.Array


class EpisodeStatistics(Wrapper):
    """Adds ``info["episode_return"]``, ``info["episode_length"]`` (of the last finished episode,
    carried forward) and ``info["episode_done"]`` (an episode ended at this step)."""

    def reset(self, key, params=None):
        obs, env_state = self.env.reset(key, params)
        zero_return = self._zero_reward(key, env_state, params)
        state = EpisodeStatisticsState(env_state, zero_return, jnp.int32(0), zero_return, jnp.int32(0))
        return obs, state

    def _zero_reward(self, key, env_state, params):
        """A zero pytree shaped like the reward (found by abstract evaluation of one step)."""
        params = self.env.default_params() if params is None else params
        action = self.env.spec(params).action_space.sample(key)
        out = jax.eval_shape(lambda: self.env.step(key, env_state, action, params))
        return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), out[2])

    def step(self, key, state, action, params=None):
        obs, env_state, reward, terminated, truncated, info = self.env.step(
            key, state.env_state, action, params)
        done = terminated | truncated
        ret = jax.tree_util.tree_map(lambda a, r: a + r, state.episode_return, reward)
        length = state.episode_length + 1
        new_state = EpisodeStatisticsState(
            env_state=env_state,
            episode_return=jax.tree_util.tree_map(lambda x: jnp.where(done, jnp.zeros_like(x), x), ret),
            episode_length=jnp.where(done, 0, length),
            returned_episode_return=tree_where(done, ret, state.returned_episode_return),
            returned_episode_length=jnp.where(done, length, state.returned_episode_length),
        )
        info = dict(info)
        info["episode_return"] = new_state.returned_episode_return
        info["episode_length"] = new_state.returned_episode_length
        info["episode_done"] = done
        return obs, new_state, reward, terminated, truncated, info
