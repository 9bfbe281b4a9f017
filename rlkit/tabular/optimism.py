"""The optimistic planning step shared by UCBVI-type agents (UCBVI, StepMix, EpsMix, ...).

``optimistic_plan`` turns counts into the empirical kernel, a confidence bonus and optimistic
values (Azar, Osband & Munos 2017, Alg. 1; StepMix spec §2.2 steps 1-2). Rewards are the known
table when the setting reveals it, else empirical means plus a Hoeffding reward bonus.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from rlkit.tabular import bonuses
from rlkit.tabular.empirical import Counts, empirical_kernel, empirical_rewards, next_value_variance
from rlkit.tabular.planning import Values, count_expectation, greedy_actions, optimistic_values

BONUS_KINDS = ("l1", "hoeffding", "bernstein")


class OptimisticPlan(NamedTuple):
    P_hat: jax.Array    # [H, S, A, S]
    rewards: jax.Array  # [H, S, A] rewards used for planning (known or empirical)
    bonus: jax.Array    # [H, S, A] transition (+ reward) bonus
    values: Values      # optimistic Q [H, S, A], V [H+1, S]
    actions: jax.Array  # [H, S] greedy optimistic actions (ties: lowest index)


def log_term(kind: str, S: int, A: int, H: int, episodes, delta) -> jax.Array:
    """Anytime confidence level: ``K`` in the union bound is replaced by ``k (k + 1)`` after ``k``
    episodes, so no total budget has to be fixed in advance."""
    K = jnp.maximum(episodes, 1.0) * (jnp.maximum(episodes, 1.0) + 1.0)
    if kind == "l1":
        return bonuses.l1_log_term(S, A, H, K, delta)
    return jnp.log(S * A * H * K / delta)


def transition_bonus(kind: str, counts: Counts, P_hat: jax.Array, V_next: jax.Array | None,
                     episodes, delta, scale) -> jax.Array:
    """The bonus of kind ``l1`` (StepMix spec §2.2), ``hoeffding`` or ``bernstein``."""
    H, S, A = counts.n.shape
    span = bonuses.steps_left_span(H)
    L = log_term(kind, S, A, H, episodes, delta)
    if kind == "l1":
        return bonuses.l1_bonus(counts.n, span, L, scale, counts.n_rsqrt)
    if kind == "hoeffding":
        return bonuses.hoeffding_bonus(counts.n, span, L, scale, counts.n_rsqrt)
    if kind == "bernstein":
        variance = next_value_variance(P_hat, V_next)
        return bonuses.bernstein_bonus(counts.n, variance, span, L, scale)
    raise ValueError(f"unknown bonus kind {kind!r}; allowed: {BONUS_KINDS}")


def optimistic_plan(counts: Counts, known_rewards: jax.Array | None, episodes, delta, scale,
                    kind: str = "l1") -> OptimisticPlan:
    """Empirical model + bonus + optimistic backward induction (see the module docstring).

    For the Bernstein bonus the variance is taken under the previous Hoeffding-optimistic values
    (a one-step fixed point, as UCBVI-BF uses the current optimistic value).
    """
    H, S, A = counts.n.shape
    P_hat = empirical_kernel(counts)
    if known_rewards is None:
        r_bonus = jnp.minimum(1.0, jnp.sqrt(jnp.log(S * A * H * jnp.maximum(episodes, 1.0) ** 2 / delta)
                                            / (2.0 * jnp.maximum(counts.n, 1.0))))
        rewards = empirical_rewards(counts)
        extra = scale * r_bonus
    else:
        rewards = known_rewards
        extra = 0.0
    if kind == "bernstein":
        pilot = optimistic_values(P_hat, rewards, extra + transition_bonus(
            "hoeffding", counts, P_hat, None, episodes, delta, scale))
        bonus = transition_bonus(kind, counts, P_hat, pilot.V[1:], episodes, delta, scale) + extra
    else:
        bonus = transition_bonus(kind, counts, P_hat, None, episodes, delta, scale) + extra
    values = optimistic_values((counts.n_next, counts.n), rewards, bonus, count_expectation)
    return OptimisticPlan(P_hat, rewards, bonus, values, greedy_actions(values.Q))
