"""Explore-then-commit with a planner: the online adaptation of spec §3.4 [design].

Foussoul et al. (ICML 2023) give "an online learning adaptation ... with sublinear regret
guarantees against its full-information counterpart"; its mechanism is [unconfirmed], so this is
the spec's first learner (§3.4, test 9):

1. explore: repeat the schedule of :func:`agents.lsd.common.exploration_schedule` (every (arm,
   state) pair once per pass) ``N = ceil(c T^{2/3} / (k m))`` times, recording the empirical mean
   of every (arm, state) pair;
2. commit: plan on the estimates and follow the plan for the remaining rounds, with
   ``planner = "dp"``: the exact DP over reachable joint states (closed loop, ``pol[T - t, s]``);
   its full-information counterpart is the DP on the true payoffs, so the benchmark is ``OPT_T``
   (the env's ``dp`` benchmark);
   ``planner = "mirrored"``: the LP + mirrored-rounding planner of :mod:`agents.lsd.mirrored`
   (Foussoul et al.'s planner as reconstructed in spec §3.3) on the estimates; its
   full-information counterpart is that planner on the true payoffs. At the commit every arm's
   virtual process restarts in its stationary regime.

``explore_scale = 0`` commits before the first round on empty estimates (the DP then ties
everywhere and always plays arm 0): the no-exploration negative control, whose regret grows
linearly.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from agents.lsd.common import (PullStats, add_batch, exploration_schedule, lsd_sizes, plan_table,
                               policy_action, rested_graph, run_if, zero_stats)
from agents.lsd.mirrored import advance, choose, start_virtual, virtual_plan

PLANNERS = ("dp", "mirrored")


@struct.dataclass
class ETCState:
    stats: PullStats
    policy: jax.Array      # dp: [T_max + 1, S] int8 plan on the estimates (valid once committed)
    plan: object           # mirrored: (estimates at the commit, their VirtualPlan); None for dp
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
        explore = exploration_rounds(horizon, hp.explore_scale, k, m, len(schedule))
        stats = zero_stats(k, m)
        if hp.planner == "mirrored":
            plan = (stats.means, virtual_plan(stats.means, "none"))
            return ETCState(stats, jnp.zeros((1, 1), jnp.int8), plan, explore <= 0, jnp.int32(0),
                            horizon, explore)
        # the DP on all-zero estimates ties everywhere and picks action 0: the initial table
        policy = jnp.zeros((T_max + 1, rested_graph(k, m).size), jnp.int8)
        return ETCState(stats, policy, None, explore <= 0, jnp.int32(0), horizon, explore)

    def start_episode(self, key, state, hp):
        if hp.planner != "mirrored":
            return None
        m = state.stats.counts.shape[1] // 2
        return (start_virtual(key, state.plan[1], m), state.committed)

    def act(self, key, state, carry, obs, hp):
        k, m = state.stats.counts.shape[0], state.stats.counts.shape[1] // 2
        schedule = jnp.asarray(exploration_schedule(k, m))
        t = obs["round"]
        explore = schedule[t % schedule.shape[0]]
        if hp.planner == "mirrored":
            return self._act_mirrored(key, state, carry, obs, explore, m)
        exploit = policy_action(state.policy, obs["state"], state.horizon - t, k, m)
        return jnp.where(state.committed, exploit, explore), carry, {}

    def _act_mirrored(self, key, state, carry, obs, explore, m):
        """Virtual processes (re)started in their stationary regime at the commit, then the
        mirrored rounding on the estimates (:func:`agents.lsd.mirrored.choose`)."""
        k_start, k_choose, k_advance = jax.random.split(key, 3)
        virtual, synced = carry
        mu_hat, plan = state.plan
        fresh = start_virtual(k_start, plan, m)
        restart = state.committed & ~synced
        virtual = jax.tree_util.tree_map(lambda a, b: jnp.where(restart, a, b), fresh, virtual)
        exploit = choose(k_choose, mu_hat, obs["state"], virtual, m, "greedy", "net")
        moved = advance(k_advance, virtual, plan, m)
        virtual = jax.tree_util.tree_map(lambda a, b: jnp.where(state.committed, a, b), moved, virtual)
        action = jnp.where(state.committed, exploit, explore)
        return action, (virtual, synced | state.committed), {}

    def update(self, key, state, batch, hp):
        m = state.stats.counts.shape[1] // 2
        stats = add_batch(state.stats, batch, m)
        rounds = state.rounds + batch.action.shape[1]
        commit = (~state.committed) & (rounds >= state.explore_rounds)   # never when N = 0
        if hp.planner == "mirrored":
            _, plan = run_if(commit, lambda op: (op[0], (op[0], virtual_plan(op[0], "none"))),
                             (stats.means, state.plan))
            state = state.replace(plan=plan)
        else:
            T_max = state.policy.shape[0] - 1
            _, policy = run_if(commit, lambda op: (op[0], plan_table(op[0], T_max)), (stats.means, state.policy))
            state = state.replace(policy=policy)
        state = state.replace(stats=stats, committed=state.committed | commit, rounds=rounds)
        return state, {"committed": state.committed.astype(jnp.float64)}


@hparams
class ETCParams(HParams):
    """``explore_scale`` c: ``N = ceil(c T^{2/3} / (k m))`` exploration passes (0 = none);
    ``planner`` (static): ``dp`` (exact) or ``mirrored`` (LP + mirrored rounding)."""

    explore_scale: float = 1.0
    planner: str = static("dp")

    @property
    def label(self) -> str:
        return "ETC (exact DP)" if self.planner == "dp" else "ETC (LP + mirrored rounding)"

    def make_agent(self):
        return ExploreThenCommit()

    def validate(self):
        if not self.explore_scale >= 0:
            raise ConfigError(f"explore_scale must be >= 0, got {self.explore_scale}")
        if self.planner not in PLANNERS:
            raise ConfigError(f"planner must be one of {list(PLANNERS)}, got {self.planner!r}")
