"""Pieces shared by the LSD agents: spec reading, (arm, state) statistics, the exploration
schedule, state look-up in the reachable graph, and a vmap-friendly conditional.

All LSD agents treat one episode of the env (``T = spec.known["horizon"]`` rounds) as the bandit
game and play it with ``num_envs = 1`` (statistics are pooled over envs when there are more).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit.config import ConfigError
from rlkit.env import EnvSpec
from rlkit.lsd import encode, policy_table, reachable_graph, state_index, state_rewards


class Sizes(NamedTuple):
    k: int
    m: int
    T_max: int


def lsd_sizes(spec: EnvSpec) -> Sizes:
    """``(k, m, T_max)`` of an LSD env spec; :class:`ConfigError` for another kind of env."""
    missing = [key for key in ("k", "m", "T_max") if key not in spec.sizes]
    if missing or "horizon" not in spec.known:
        raise ConfigError(f"LSD agents need an LSD env (spec.sizes k, m, T_max and "
                          f"spec.known['horizon']); this env's spec lacks {missing or ['horizon']}")
    return Sizes(int(spec.sizes["k"]), int(spec.sizes["m"]), int(spec.sizes["T_max"]))


def known_mu(spec: EnvSpec, agent: str) -> jax.Array:
    """The true payoffs revealed by a full-information env (planners and Oracle Greedy)."""
    if "mu" not in spec.known:
        raise ConfigError(f"{agent} is a full-information planner: it needs the env to reveal mu "
                          f"(LSDConfig(full_information=True))")
    return jnp.asarray(spec.known["mu"], jnp.float64)


def run_if(pred: jax.Array, fn: Callable[[Any], Any], operand: Any) -> Any:
    """``fn(operand)`` if ``pred`` else ``operand``, computing ``fn`` only when needed.

    A ``while_loop`` of at most one iteration: unlike ``lax.cond``, which ``vmap`` turns into a
    select that evaluates both branches every time, a batched ``while_loop`` runs its body only
    while some batch member needs it. Re-planning (a DP over the horizon) at a few rounds of a
    long run therefore costs a few DPs, not one per round, even under the seed ``vmap``.

    ``fn`` must compute from ``operand`` only (pass its inputs through it, return them
    unchanged): a value it closes over is invariant in the loop, and XLA's loop-invariant code
    motion would hoist the work out of the loop, computing it every time. The optimisation
    barrier ties the operand to the loop's flag for the same reason.
    """
    def body(carry):
        flag, op = jax.lax.optimization_barrier(carry)
        return jnp.logical_and(flag, False), fn(op)

    return jax.lax.while_loop(lambda carry: carry[0], body, (jnp.asarray(pred), operand))[1]


# ---------------------------------------------------------------------------------------------
# (arm, state) statistics
# ---------------------------------------------------------------------------------------------
@struct.dataclass
class PullStats:
    counts: jax.Array   # [k, 2m] pulls of each (arm, state)
    sums: jax.Array     # [k, 2m] reward sums

    @property
    def means(self) -> jax.Array:
        return self.sums / jnp.maximum(self.counts, 1.0)


def zero_stats(k: int, m: int) -> PullStats:
    return PullStats(jnp.zeros((k, 2 * m), jnp.float64), jnp.zeros((k, 2 * m), jnp.float64))


def add_pulls(stats: PullStats, arms: jax.Array, columns: jax.Array, rewards: jax.Array,
              weight: jax.Array | float = 1.0) -> PullStats:
    """Add pulls of ``(arms, columns)`` with ``rewards`` (any matching shapes; ``weight`` 0 skips)."""
    arms, columns = arms.ravel(), columns.ravel()
    w = jnp.broadcast_to(jnp.asarray(weight, jnp.float64), arms.shape)
    counts = stats.counts.at[arms, columns].add(w)
    sums = stats.sums.at[arms, columns].add(w * jnp.asarray(rewards, jnp.float64).ravel())
    return PullStats(counts, sums)


def played_columns(states: jax.Array, arms: jax.Array, m: int) -> jax.Array:
    """Column of the played arm's state: ``state_index(tau[arm])`` for ``states[..., k]``."""
    tau = jnp.take_along_axis(states, arms[..., None].astype(jnp.int32), axis=-1)[..., 0]
    return state_index(tau, m)


def add_batch(stats: PullStats, batch, m: int) -> PullStats:
    """Add every pull of a trajectory batch ``[num_envs, R]`` (the state before each pull)."""
    cols = played_columns(batch.obs["state"], batch.action, m)
    return add_pulls(stats, batch.action, cols, batch.reward)


# ---------------------------------------------------------------------------------------------
# Exploration schedule (spec test 9)
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def exploration_schedule(k: int, m: int) -> np.ndarray:
    """One pass of the schedule that samples every (arm, state) pair (spec §7, test 9).

    For each arm ``i`` and each ``g = 1..m``: ``[i] + [j] * g + [i] * (m + 1)`` with ``j != i``.
    The leading ``[i]`` makes ``i`` satiated before the ``g`` pulls of ``j``, so that its next
    pull is at state ``+g`` (without it ``+1`` is never sampled); the ``m + 1`` pulls then sample
    ``+g, -1, ..., -m``. Every arm is switched out at least once, so after one pass the joint
    state no longer depends on the initial state (it lies in the graph reachable from ``+m``).
    """
    if k == 1:
        return np.zeros(m + 1, np.int32)
    seq: list[int] = []
    for i in range(k):
        j = (i + 1) % k
        for g in range(1, m + 1):
            seq += [i] + [j] * g + [i] * (m + 1)
    out = np.asarray(seq, np.int32)
    out.setflags(write=False)
    return out


# ---------------------------------------------------------------------------------------------
# Exact DP planning on estimated payoffs (rlkit.lsd.dp over the graph reachable from +m)
# ---------------------------------------------------------------------------------------------
def rested_graph(k: int, m: int):
    """The graph reachable from the rested state; it contains every state reached after one pass
    of :func:`exploration_schedule`, whatever the initial state."""
    return reachable_graph(k, m)


def plan_table(mu: jax.Array, T_max: int) -> jax.Array:
    """Optimal closed-loop policy ``pol[h, s]`` for payoffs ``mu`` (``h`` rounds to go)."""
    k, m = mu.shape[0], mu.shape[1] // 2
    graph = rested_graph(k, m)
    return policy_table(state_rewards(mu, graph.layout), graph.nxt, T_max)


def state_lookup(tau: jax.Array, k: int, m: int) -> jax.Array:
    """Index of joint state ``tau[k]`` in the rested graph (binary search over the codes)."""
    graph = rested_graph(k, m)
    codes = jnp.asarray(graph.codes)
    i = jnp.searchsorted(codes, encode(tau, m))
    return jnp.minimum(i, graph.size - 1).astype(jnp.int32)


def policy_action(pol: jax.Array, tau: jax.Array, steps_to_go: jax.Array, k: int, m: int) -> jax.Array:
    """The planned action in state ``tau`` with ``steps_to_go`` rounds left."""
    h = jnp.clip(steps_to_go, 1, pol.shape[0] - 1)
    return pol[h, state_lookup(tau, k, m)].astype(jnp.int32)


def tie_break_argmax(key: jax.Array, values: jax.Array, mask: jax.Array | None = None) -> jax.Array:
    """Index of a maximum of ``values`` (over ``mask``), ties broken uniformly at random."""
    values = jnp.where(mask, values, -jnp.inf) if mask is not None else values
    best = values >= jnp.max(values)
    noise = jax.random.uniform(key, values.shape)
    return jnp.argmax(jnp.where(best, noise, -1.0)).astype(jnp.int32)
