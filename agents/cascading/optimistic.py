"""The planning step of CascadingVI (paper Algorithm 2 [per reviews]; spec §3.2 [design]).

For ``h = H..1`` and every state, with per-item estimates:

- attraction bounds ``q_low <= q_hat <= q_up`` (line 6);
- optimistic weights ``w_up(s, a) = min(r + p_hat^T V_up_{h+1} + b^{pV}, H - h + 1)`` and the
  same for ``a_bot`` without reward (line 8); pessimistic ``w_low`` with ``- b^{pV}``, floored at 0;
- ``(V_up_h(s), pi_h(s)) = oracle(q_up, w_up)`` with BestPerm (or exhaustive search for
  CascadingVI-Oracle); degenerate case ``J = 0``: rule (b) of spec §2.5, the oracle scores single
  items with ``q_low`` [design];
- ``V_low_h(s)`` = the minimum of ``f(pi_h(s), u, w_low)`` over ``u`` in ``[q_low, q_up]``
  (:func:`rlkit.cascading.cascade_value_box`). [design] The spec writes ``f(pi_h(s), q_low,
  w_low)``; for a fixed list ``f`` is not monotone in ``u`` (spec §2.5), so that is not a lower
  bound, while the box minimum is (and is never larger).

Unvisited pairs: ``q_up = 1``, ``q_low = 0``, ``w_up = H - h + 1`` (the maximum), ``w_low = 0``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from agents.cascading import confidence
from agents.cascading.statistics import ItemStats
from rlkit.cascading import cascade_value_box, get_oracle
from rlkit.tabular import empirical_kernel, empirical_rewards


class CascadingPlan(NamedTuple):
    lists: jax.Array   # [H, S, m] the optimistic policy
    V_up: jax.Array    # [H + 1, S]
    V_low: jax.Array   # [H + 1, S] pessimistic value of the same policy
    q_low: jax.Array   # [S, N]
    q_up: jax.Array    # [S, N]


def initial_lists(H: int, S: int, m: int) -> jax.Array:
    """The plan before any data: every weight (items and ``a_bot``) sits at its cap, so ``J = 0``
    and the oracle's degenerate branch scores every item ``q_low (w - w_bot) = 0``: the first item
    in rank order, item 0, alone. Equal to ``optimistic_cascading_plan`` on zero counts (tested);
    computed directly so that the agents' ``init`` need not compile a plan."""
    return jnp.full((H, S, m), -1, jnp.int32).at[..., 0].set(0)


def log_terms(stats: ItemStats, H: int, episodes, hp) -> tuple[jax.Array, jax.Array]:
    """``(L_q [S, N], L_p [S, N + 1])``: the log terms of the attraction and transition bonuses."""
    S, N = stats.clicks.shape
    if getattr(hp, "confidence", "regret") == "bpi":
        L_q = confidence.bpi_log_term(S, N, H, stats.examined, hp.delta, 1)
        L_p = confidence.bpi_log_term(S, N, H, stats.transitions.n[0], hp.delta, S)
        return L_q, L_p
    L = confidence.regret_log_term(S, N, H, episodes, hp.delta, hp.K)
    return jnp.broadcast_to(L, (S, N)), jnp.broadcast_to(L, (S, N + 1))


def optimistic_cascading_plan(stats: ItemStats, known_rewards: jax.Array | None, episodes, hp,
                              H: int, m: int) -> CascadingPlan:
    """Optimistic and pessimistic backward induction (see the module docstring)."""
    S, N = stats.clicks.shape
    solve = get_oracle(hp.oracle)
    L_q, L_p = log_terms(stats, H, episodes, hp)
    _, q_low, q_up = confidence.attraction_bounds(stats.examined, stats.clicks, L_q, hp.bonus_scale,
                                                  hp.preset, hp.attraction_bonus)
    counts = stats.transitions
    n_p = counts.n[0]                                   # [S, N + 1]
    P_hat = empirical_kernel(counts)[0]                 # [S, N + 1, S]
    if known_rewards is None:
        r_hat = empirical_rewards(counts)[0]
        r_b = confidence.reward_bonus(n_p, L_p, hp.bonus_scale)
        r_up = (r_hat + r_b).at[:, N].set(0.0)
        r_low = (r_hat - r_b).at[:, N].set(0.0)
    else:
        r_known = jnp.concatenate([known_rewards, jnp.zeros((S, 1))], axis=1)
        r_up = r_low = r_known
    visited = n_p > 0

    def step(carry, h):
        V_up_next, V_low_next = carry
        cap = (H - h).astype(jnp.float64)                # H - h + 1 in the paper's 1-based steps
        mean_up = P_hat @ V_up_next
        variance = jnp.maximum(P_hat @ V_up_next ** 2 - mean_up ** 2, 0.0)
        gap_sq = P_hat @ (V_up_next - V_low_next) ** 2
        b = confidence.transition_bonus(n_p, variance, gap_sq, cap - 1.0, H, L_p,
                                        hp.bonus_scale, hp.preset)
        w_up = jnp.where(visited, jnp.minimum(r_up + mean_up + b, cap), cap)
        w_low = jnp.where(visited, jnp.maximum(r_low + P_hat @ V_low_next - b, 0.0), 0.0)
        out = solve(q_up, w_up[:, :N], w_up[:, N], m, u_degenerate=q_low)
        V_low = cascade_value_box(out.lists, q_low, q_up, w_low[:, :N], w_low[:, N], lower=True)
        return (out.value, V_low), (out.value, V_low, out.lists)

    zero = jnp.zeros((S,), jnp.float64)
    _, (V_up, V_low, lists) = jax.lax.scan(step, (zero, zero), jnp.arange(H), reverse=True)
    pad = zero[None]
    return CascadingPlan(lists, jnp.concatenate([V_up, pad]), jnp.concatenate([V_low, pad]), q_low, q_up)
