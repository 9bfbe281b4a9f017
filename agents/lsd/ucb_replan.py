"""Optimistic re-planning: a UCB variant of the online adaptation of spec §3.4 [design].

One pass of the exploration schedule (every (arm, state) pair sampled once; the joint state then
lies in the graph reachable from the rested state), then at rounds ``t0, 2 t0, 4 t0, ...``
(``t0`` = the pass length): re-plan with the exact DP on optimistic payoffs

    mu~_i(tau) = min(1, mean_i(tau) + sqrt(c ln T / n_i(tau)))   (1 for unvisited pairs)

for the remaining ``T - t`` rounds, and follow that plan. Doubling epochs keep the number of DPs
logarithmic in ``T`` (and equal across seeds, so the seed ``vmap`` plans all seeds at once).
``exploration = 0`` gives certainty-equivalent re-planning (no optimism).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.agent import Agent, HParams, hparams
from rlkit.config import ConfigError
from agents.lsd.common import (PullStats, add_batch, exploration_schedule, lsd_sizes, plan_table,
                               policy_action, rested_graph, run_if, zero_stats)


@struct.dataclass
class ReplanState:
    stats: PullStats
    policy: jax.Array      # [T_max + 1, S] int8
    planned: jax.Array     # bool: a plan exists
    rounds: jax.Array
    next_plan: jax.Array   # round of the next re-plan
    horizon: jax.Array


def optimistic_means(stats: PullStats, horizon: jax.Array, exploration: jax.Array) -> jax.Array:
    """``min(1, mean + sqrt(c ln T / n))``, 1 where ``n = 0`` (rewards in [0, 1])."""
    n = stats.counts
    log_t = jnp.log(jnp.maximum(jnp.asarray(horizon, jnp.float64), 2.0))
    bonus = jnp.sqrt(exploration * log_t / jnp.maximum(n, 1.0))
    return jnp.where(n > 0, jnp.minimum(stats.means + bonus, 1.0), 1.0)


class OptimisticReplan(Agent):
    name = "ucb_replan"

    def init(self, key, spec, hp):
        k, m, T_max = lsd_sizes(spec)
        burn_in = exploration_schedule(k, m).shape[0]
        policy = jnp.zeros((T_max + 1, rested_graph(k, m).size), jnp.int8)
        return ReplanState(zero_stats(k, m), policy, jnp.asarray(False), jnp.int32(0),
                           jnp.int32(burn_in), jnp.asarray(spec.known["horizon"], jnp.int32))

    def act(self, key, state, carry, obs, hp):
        k, m = state.stats.counts.shape[0], state.stats.counts.shape[1] // 2
        schedule = jnp.asarray(exploration_schedule(k, m))
        t = obs["round"]
        explore = schedule[t % schedule.shape[0]]
        exploit = policy_action(state.policy, obs["state"], state.horizon - t, k, m)
        return jnp.where(state.planned, exploit, explore), carry, {}

    def update(self, key, state, batch, hp):
        m = state.stats.counts.shape[1] // 2
        stats = add_batch(state.stats, batch, m)
        rounds = state.rounds + batch.action.shape[1]
        replan = rounds >= state.next_plan
        T_max = state.policy.shape[0] - 1
        optimistic = optimistic_means(stats, state.horizon, hp.exploration)
        _, policy = run_if(replan, lambda op: (op[0], plan_table(op[0], T_max)), (optimistic, state.policy))
        next_plan = jnp.where(replan, 2 * rounds, state.next_plan)
        state = state.replace(stats=stats, policy=policy, planned=state.planned | replan,
                              rounds=rounds, next_plan=next_plan)
        return state, {"replanned": replan.astype(jnp.float64)}


@hparams
class ReplanParams(HParams):
    """``exploration`` c of the optimistic bonus ``sqrt(c ln T / n)`` (0 = certainty equivalence)."""

    exploration: float = 1.0
    label = "UCB re-plan (exact DP)"

    def make_agent(self):
        return OptimisticReplan()

    def validate(self):
        if not self.exploration >= 0:
            raise ConfigError(f"exploration must be >= 0, got {self.exploration}")
