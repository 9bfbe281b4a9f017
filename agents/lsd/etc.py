"""Explore-then-commit with an exact planner: the online adaptation of spec §3.4 [design].

Foussoul et al. (ICML 2023) give "an online learning adaptation ... with sublinear regret
guarantees against its full-information counterpart"; its mechanism is [unconfirmed], so this is
the spec's first learner (§3.4, test 9):

1. explore: repeat the schedule of :func:`agents.lsd.common.exploration_schedule` (every (arm,
   state) pair once per pass) ``N = ceil(c T^{2/3} / (k m))`` times, recording the empirical mean
   of every (arm, state) pair;
2. commit: plan on the estimates with the exact DP over reachable joint states and follow the
   plan (closed loop, ``pol[T - t, s]``) for the remaining rounds.

The full-information counterpart is the same DP on the true payoffs, so the benchmark is
``OPT_T`` (the env's ``dp`` benchmark). ``explore_scale = 0`` commits before the first round on
empty estimates (the DP then ties everywhere and always plays arm 0): the no-exploration
negative control, whose regret grows linearly.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.agent import Agent, HParams, hparams
from rlkit.config import ConfigError
from agents.lsd.common import (PullStats, add_batch, exploration_schedule, lsd_sizes, plan_table,
                               policy_action, run_if, zero_stats)


@struct.dataclass
class ETCState:
    stats: PullStats
    policy: jax.Array      # [T_max + 1, S] int8 plan on the estimates (valid once committed)
    committed: jax.Array   # bool
    rounds: jax.Array      # rounds played so far
    horizon: jax.Array     # T of this game
    explore_rounds: jax.Array  # N * len(schedule)


def exploration_rounds(horizon: jax.Array, scale: jax.Array, k: int, m: int, schedule_len: int) -> jax.Array:
    """``N * len(schedule)`` with ``N = ceil(scale * T^{2/3} / (k m))`` passes (spec test 9)."""
    passes = jnp.ceil(scale * jnp.asarray(horizon, jnp.float64) ** (2.0 / 3.0) / (k * m))
    return (passes * schedule_len).astype(jnp.int32)


class ExploreThenCommit(Agent):
    name = "etc"

    def init(self, key, spec, hp):
        k, m, T_max = lsd_sizes(spec)
        schedule = exploration_schedule(k, m)
        horizon = jnp.asarray(spec.known["horizon"], jnp.int32)
        # the DP on all-zero estimates ties everywhere and picks action 0: the initial table
        policy = jnp.zeros((T_max + 1, _graph_size(k, m)), jnp.int8)
        explore = exploration_rounds(horizon, hp.explore_scale, k, m, len(schedule))
        return ETCState(zero_stats(k, m), policy, explore <= 0, jnp.int32(0), horizon, explore)

    def act(self, key, state, carry, obs, hp):
        k, m = state.stats.counts.shape[0], state.stats.counts.shape[1] // 2
        schedule = jnp.asarray(exploration_schedule(k, m))
        t = obs["round"]
        explore = schedule[t % schedule.shape[0]]
        exploit = policy_action(state.policy, obs["state"], state.horizon - t, k, m)
        action = jnp.where(state.committed, exploit, explore)
        return action, carry, {}

    def update(self, key, state, batch, hp):
        m = state.stats.counts.shape[1] // 2
        stats = add_batch(state.stats, batch, m)
        rounds = state.rounds + batch.action.shape[1]
        commit = (~state.committed) & (rounds >= state.explore_rounds)   # never when N = 0
        T_max = state.policy.shape[0] - 1
        _, policy = run_if(commit, lambda op: (op[0], plan_table(op[0], T_max)), (stats.means, state.policy))
        state = state.replace(stats=stats, policy=policy, committed=state.committed | commit,
                              rounds=rounds)
        return state, {"committed": state.committed.astype(jnp.float64)}


def _graph_size(k: int, m: int) -> int:
    from agents.lsd.common import rested_graph
    return rested_graph(k, m).size


@hparams
class ETCParams(HParams):
    """``explore_scale`` c: ``N = ceil(c T^{2/3} / (k m))`` exploration passes (0 = none)."""

    explore_scale: float = 1.0
    label = "ETC (exact DP)"

    def make_agent(self):
        return ExploreThenCommit()

    def validate(self):
        if not self.explore_scale >= 0:
            raise ConfigError(f"explore_scale must be >= 0, got {self.explore_scale}")
