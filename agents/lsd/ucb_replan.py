"""Optimistic re-planning: a UCB variant of the online adaptation of spec §3.4 [design].

One pass of the exploration schedule (every (arm, state) pair sampled once; the joint state then
lies in the graph reachable from the rested state), then re-plan with the exact DP on optimistic
payoffs

    mu~_i(tau) = min(1, mean_i(tau) + sqrt(c ln T / n_i(tau)))   (1 for unvisited pairs)

and follow the plan (closed loop) until the next re-plan:

- ``replan_every = P > 0``: every ``P`` rounds; ``0``: at doubling epochs ``t0, 2 t0, 4 t0...``
  (``t0`` = the pass length), so the number of DPs is logarithmic in ``T``. Either way the
  re-planning rounds are the same for every seed, so the seed ``vmap`` plans all seeds at once.
- ``lookahead = W > 0``: the DP looks ``W`` rounds ahead (a ``[W + 1, S]`` table; with more
  than ``W`` rounds left the agent plays the ``W``-round optimal first action, a receding
  horizon); ``0``: the DP runs to the end of the game (a ``[T_max + 1, S]`` table).

``exploration = 0`` gives certainty-equivalent re-planning (no optimism).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from agents.lsd.common import (PullStats, add_batch, exploration_schedule, lsd_sizes, plan_table,
                               policy_action, rested_graph, run_if, zero_stats)


@struct.dataclass
class ReplanState:
    stats: PullStats
    policy: jax.Array      # [W + 1, S] int8 (W = lookahead, or T_max)
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
        window = T_max if hp.lookahead == 0 else min(hp.lookahead, T_max)
        policy = jnp.zeros((window + 1, rested_graph(k, m).size), jnp.int8)
        return ReplanState(zero_stats(k, m), policy, jnp.asarray(False), jnp.int32(0),
                           jnp.int32(burn_in), jnp.asarray(spec.known["horizon"], jnp.int32))

    def act(self, key, state, carry, obs, hp):
        k, m = state.stats.counts.shape[0], state.stats.counts.shape[1] // 2
        schedule = jnp.asarray(exploration_schedule(k, m))
        t = obs["round"]
        explore = schedule[t % schedule.shape[0]]
        steps_to_go = jnp.minimum(state.horizon - t, state.policy.shape[0] - 1)
        exploit = policy_action(state.policy, obs["state"], steps_to_go, k, m)
        return jnp.where(state.planned, exploit, explore), carry, {}

    def update(self, key, state, batch, hp):
        m = state.stats.counts.shape[1] // 2
        stats = add_batch(state.stats, batch, m)
        rounds = state.rounds + batch.action.shape[1]
        replan = rounds >= state.next_plan
        window = state.policy.shape[0] - 1
        optimistic = optimistic_means(stats, state.horizon, hp.exploration)
        _, policy = run_if(replan, lambda op: (op[0], plan_table(op[0], window)), (optimistic, state.policy))
        step = 2 * rounds if hp.replan_every == 0 else rounds + hp.replan_every
        next_plan = jnp.where(replan, step, state.next_plan)
        state = state.replace(stats=stats, policy=policy, planned=state.planned | replan,
                              rounds=rounds, next_plan=next_plan)
        return state, {"replanned": replan.astype(jnp.float64)}


@hparams
class ReplanParams(HParams):
    """``exploration`` c of the optimistic bonus ``sqrt(c ln T / n)`` (0 = certainty equivalence);
    ``replan_every`` P (static; 0 = doubling epochs) and ``lookahead`` W (static; 0 = to the end
    of the game), see the module docstring."""

    exploration: float = 0.5
    replan_every: int = static(128)
    lookahead: int = static(1024)
    label = "UCB re-plan (exact DP)"

    def make_agent(self):
        return OptimisticReplan()

    def validate(self):
        if not self.exploration >= 0:
            raise ConfigError(f"exploration must be >= 0, got {self.exploration}")
        for name in ("replan_every", "lookahead"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be an integer >= 0 (0 = {'doubling epochs' if name == 'replan_every' else 'to the end of the game'}), got {value!r}")
