"""Evaluation of trained Gather-Trade-Build economies (spec §4 metrics): run fresh episodes with
the trained agents (sampling their policies, as in training) and the policy's planner, on common
evaluation keys, and read each episode's end-of-episode coin, equality ``1 - Gini(coin)``,
productivity ``sum(coin)`` (Foundation's ``social/productivity``) and their product.

Also a uniformly random agent population (every allowed action equally likely), the reference of
the learning test "trained agents earn more coin than random agents".
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.agent import Agent
from rlkit.rollout import rollout

EPISODE_METRICS = ("coin", "equality", "productivity", "eq_times_productivity")


class RandomEconomy(Agent):
    """Agents and planner pick uniformly among their allowed actions (masks); never learn."""

    name = "random_economy"

    def init(self, key, spec, hp):
        return None

    def act(self, key, state, carry, obs, hp):
        k_a, k_p = jax.random.split(key)
        agents = jax.random.categorical(k_a, jnp.where(obs["agents"]["action_mask"], 0.0, -jnp.inf))
        planner = jax.random.categorical(k_p, jnp.where(obs["planner"]["action_mask"], 0.0, -jnp.inf))
        return {"agents": agents.astype(jnp.int32), "planner": planner.astype(jnp.int32)}, carry, {}


def episode_metrics(env: Any, agent: Agent, agent_state: Any, hp: Any, env_params: Any,
                    key: jax.Array, episodes: int) -> dict:
    """``episodes`` parallel episodes from reset (one each): per episode the final ``coin [N]``,
    ``equality``, ``productivity`` and ``eq_times_productivity`` (the env reports them at the
    terminal step). Jittable and vmappable over states, params and keys."""
    k_reset, k_roll = jax.random.split(key)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k_reset, episodes), env_params)
    carry = jax.vmap(agent.start_episode, in_axes=(0, None, None))(
        jax.random.split(k_reset, episodes), agent_state, hp)
    length = env.spec(env_params).horizon
    _, _, _, traj = rollout(env, agent, env_params, hp, agent_state, state, obs, carry, k_roll, length)
    return {k: jnp.sum(traj.info[k], axis=1) for k in EPISODE_METRICS}


def summarize(metrics: dict) -> dict:
    """Means (and standard errors over episodes) of the episode metrics, host side."""
    out = {}
    for k, v in metrics.items():
        v = np.asarray(v, np.float64)
        per_episode = v.mean(-1) if k == "coin" else v          # coin: mean per agent
        out[k] = float(per_episode.mean())
        out[k + "_se"] = float(per_episode.std(ddof=1) / np.sqrt(per_episode.size)) if per_episode.size > 1 else 0.0
    return out
