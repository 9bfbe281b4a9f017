"""rlkit envs as gymnasium envs: a single ``gymnasium.Env`` and a batched ``VectorEnv``.

The rlkit env's ``step`` is jitted once; keys come from the ``seed`` given to ``reset``. Unlike
the rlkit contract, gymnasium's single env does not auto-reset: ``step`` returns the observation
that ended the episode, and the caller resets. The vector env keeps rlkit's same-step auto-reset
(``AutoresetMode.SAME_STEP``: the final observation is in ``info["final_obs"]``).
"""
from __future__ import annotations

from typing import Any

import gymnasium
import jax
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from rlkit.env import Env


def _to_numpy(tree: Any, space: gymnasium.spaces.Space) -> Any:
    if isinstance(space, gymnasium.spaces.Dict):
        return {k: _to_numpy(tree[k], s) for k, s in space.spaces.items()}
    arr = np.asarray(tree)
    if isinstance(space, gymnasium.spaces.Discrete):
        return np.int64(arr) if arr.ndim == 0 else arr.astype(np.int64)
    return arr.astype(space.dtype)


class GymnasiumEnv(gymnasium.Env):
    """One rlkit env as a ``gymnasium.Env`` (passes ``gymnasium.utils.env_checker.check_env``)."""

    metadata = {"render_modes": []}

    def __init__(self, env: Env, params: Any = None):
        self.env = env
        self.params = env.default_params() if params is None else params
        spec = env.spec(self.params)
        self.observation_space = spec.observation_space.to_gymnasium()
        self.action_space = spec.action_space.to_gymnasium()
        self._reset = jax.jit(env.reset)
        self._step = jax.jit(env.step)
        self._key = None
        self._state = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None or self._key is None:
            self._key = jax.random.PRNGKey(int(self.np_random.integers(2 ** 31)))
        self._key, sub = jax.random.split(self._key)
        obs, self._state = self._reset(sub, self.params)
        return _to_numpy(obs, self.observation_space), {}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        self._key, sub = jax.random.split(self._key)
        _, self._state, reward, terminated, truncated, info = self._step(
            sub, self._state, np.asarray(action), self.params)
        obs = _to_numpy(info["final_observation"], self.observation_space)
        extra = {k: np.asarray(v) for k, v in info.items() if k != "final_observation"}
        return obs, float(np.asarray(reward)), bool(terminated), bool(truncated), extra


class GymnasiumVectorEnv(VectorEnv):
    """``num_envs`` copies of an rlkit env stepped by one jitted ``vmap`` call."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, env: Env, num_envs: int, params: Any = None):
        self.env = env
        self.num_envs = num_envs
        self.params = env.default_params() if params is None else params
        spec = env.spec(self.params)
        self.single_observation_space = spec.observation_space.to_gymnasium()
        self.single_action_space = spec.action_space.to_gymnasium()
        self.observation_space = gymnasium.vector.utils.batch_space(self.single_observation_space, num_envs)
        self.action_space = gymnasium.vector.utils.batch_space(self.single_action_space, num_envs)
        self._reset = jax.jit(jax.vmap(env.reset, in_axes=(0, None)))
        self._step = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))
        self._key = jax.random.PRNGKey(0)
        self._state = None

    def _batched(self, tree):
        return _to_numpy(tree, self.observation_space)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._key = jax.random.PRNGKey(int(seed))
        self._key, sub = jax.random.split(self._key)
        obs, self._state = self._reset(jax.random.split(sub, self.num_envs), self.params)
        return self._batched(obs), {}

    def step(self, actions):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        self._key, sub = jax.random.split(self._key)
        obs, self._state, reward, terminated, truncated, info = self._step(
            jax.random.split(sub, self.num_envs), self._state, np.asarray(actions), self.params)
        info = dict(info)
        final = info.pop("final_observation")
        done = np.asarray(terminated) | np.asarray(truncated)
        out_info = {k: np.asarray(v) for k, v in info.items()}
        out_info["final_obs"] = self._batched(final)
        out_info["_final_obs"] = done
        return (self._batched(obs), np.asarray(reward, np.float64), np.asarray(terminated),
                np.asarray(truncated), out_info)
