"""Batched rollouts: ``lax.scan`` over steps, ``vmap`` over envs (PureJaxRL's ``_env_step``)."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from rlkit.agent import Agent, Trajectory
from rlkit.env import Env
from rlkit.tree import tree_where


def _select_per_env(done: jax.Array, fresh: Any, old: Any) -> Any:
    """Per env ``i``: ``fresh[i]`` where ``done[i]`` else ``old[i]`` (leaves have a leading env axis)."""
    return jax.vmap(tree_where)(done, fresh, old)


def rollout(env: Env, agent: Agent, env_params: Any, hp: Any, agent_state: Any,
            env_state: Any, obs: Any, carry: Any, key: jax.Array, num_steps: int
            ) -> tuple[Any, Any, Any, Trajectory]:
    """Run ``num_steps`` steps in every env of the batch.

    ``env_state``, ``obs`` and ``carry`` have a leading env axis; the agent state, hyper-parameters
    and env params are shared by all envs. Returns the new ``(env_state, obs, carry)`` and a
    :class:`Trajectory` with leaves ``[num_envs, num_steps, ...]``.
    """
    num_envs = jax.tree_util.tree_leaves(env_state)[0].shape[0]
    act = jax.vmap(agent.act, in_axes=(0, None, 0, 0, None))
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))
    start = jax.vmap(agent.start_episode, in_axes=(0, None, None))

    def one_step(loop, step_key):
        env_state, obs, carry = loop
        k_act, k_env, k_start = jax.random.split(step_key, 3)
        action, carry, agent_info = act(jax.random.split(k_act, num_envs), agent_state, carry, obs, hp)
        next_obs, env_state, reward, terminated, truncated, info = step(
            jax.random.split(k_env, num_envs), env_state, action, env_params)
        final_obs = info.pop("final_observation")
        done = terminated | truncated
        if carry is not None:
            carry = _select_per_env(done, start(jax.random.split(k_start, num_envs), agent_state, hp), carry)
        transition = Trajectory(obs, action, reward, terminated, truncated, final_obs, info, agent_info)
        return (env_state, next_obs, carry), transition

    (env_state, obs, carry), traj = jax.lax.scan(
        one_step, (env_state, obs, carry), jax.random.split(key, num_steps))
    traj = jax.tree_util.tree_map(lambda x: jnp.swapaxes(x, 0, 1), traj)
    return env_state, obs, carry, traj
