"""The long-run "higher-dimensional" relaxation of spec §3.3, solved exactly in JAX.

Variables ``z_{i,g,l}`` (rate of arm-``i`` episodes made of ``g`` idle rounds then a run of
``l`` plays, ``g, l in 1..m``) and ``y_i`` (extra saturated plays, each paying ``mu_i(-m)``)::

    LP* = max sum R_i(g,l) z_{i,g,l} + sum mu_i(-m) y_i
          s.t. sum_{g,l} (g + l) z_{i,g,l} + y_i <= 1   for every arm   (arm-timeline occupancy)
               sum_{i,g,l} l z_{i,g,l} + sum_i y_i <= 1                 (one play per round)
    R_i(g,l) = mu_i(+g) + sum_{q=1}^{l-1} mu_i(-min(q, m))

[unconfirmed reconstruction of Foussoul et al.'s relaxation; spec §3.3.]

Solution [derived here]: dualising only the play constraint with a price ``lambda >= 0`` leaves
one knapsack row per arm, whose optimum puts all the occupancy on the option of best value per
unit of occupancy, so

    LP* = min_{lambda in [0, 1]} lambda + sum_i max(0, max_o (c_o - lambda p_o) / w_o)

with ``c_o, p_o, w_o`` the reward, plays and occupancy of option ``o``. This is a convex
piecewise-linear function of one variable: bisection on its subgradient ``1 - sum_i rate_i`` finds
``lambda*`` to machine precision in 64 steps, and the primal optimum mixes the arms' choices just
left and right of ``lambda*`` so that the play constraint is tight (complementary slackness). It
is jittable and vmappable (the planner re-solves it on estimated payoffs), and it is checked
against scipy's HiGHS in ``tests/lsd``.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

BISECTION_STEPS = 64


class Options(NamedTuple):
    """Static description of an arm's options: ``m^2`` episode types, then ``y``."""

    gap: np.ndarray      # [O] idle rounds before the run (0 for y)
    plays: np.ndarray    # [O] plays per episode (l, or 1 for y)
    length: np.ndarray   # [O] occupancy (g + l, or 1 for y)


@functools.lru_cache(maxsize=32)
def options(m: int) -> Options:
    g, l = np.meshgrid(np.arange(1, m + 1), np.arange(1, m + 1), indexing="ij")
    gap = np.concatenate([g.ravel(), [0]]).astype(np.int32)
    plays = np.concatenate([l.ravel(), [1]]).astype(np.int32)
    length = np.concatenate([(g + l).ravel(), [1]]).astype(np.int32)
    return Options(gap, plays, length)


def episode_rewards(mu: jax.Array) -> jax.Array:
    """``R_i(g, l)`` as ``[k, m, m]`` (index ``[i, g-1, l-1]``), spec §3.3."""
    m = mu.shape[1] // 2
    rested = mu[:, m:]                      # mu(+1..+m)
    satiated = mu[:, :m][:, ::-1]           # mu(-1..-m)
    run = jnp.concatenate([jnp.zeros((mu.shape[0], 1), mu.dtype), jnp.cumsum(satiated[:, : m - 1], axis=1)], 1)
    return rested[:, :, None] + run[:, None, :]


def option_rewards(mu: jax.Array) -> jax.Array:
    """``c[i, o]``: reward of one episode of option ``o`` (``y``: ``mu_i(-m)``)."""
    return jnp.concatenate([episode_rewards(mu).reshape(mu.shape[0], -1), mu[:, :1]], axis=1)


class Relaxation(NamedTuple):
    value: jax.Array    # LP* (dual value at lambda*)
    price: jax.Array    # lambda*
    rates: jax.Array    # [k, O] primal episode rates (z flattened, then y)
    primal: jax.Array   # objective of ``rates`` (equals ``value`` up to rounding)


def _choices(c: jax.Array, lam: jax.Array, opts: Options):
    """Each arm's best option at price ``lam``: ``(best value per occupancy, option, play rate)``."""
    plays = jnp.asarray(opts.plays, c.dtype)
    length = jnp.asarray(opts.length, c.dtype)
    per_unit = (c - lam * plays) / length
    best = jnp.argmax(per_unit, axis=1)
    value = jnp.max(per_unit, axis=1)
    used = value > 0
    rate = jnp.where(used, plays[best] / length[best], 0.0)
    return jnp.maximum(value, 0.0), best, used, rate


def dual_objective(c: jax.Array, lam: jax.Array, opts: Options) -> jax.Array:
    """``lambda + sum_i max(0, max_o (c_o - lambda p_o) / w_o)``."""
    value, *_ = _choices(c, lam, opts)
    return lam + jnp.sum(value)


def solve_relaxation(mu: jax.Array) -> Relaxation:
    """Exact ``LP*`` and a primal optimum of the relaxation (module docstring)."""
    m = mu.shape[1] // 2
    opts = options(m)
    c = option_rewards(jnp.asarray(mu, jnp.float64))
    total_rate = lambda lam: jnp.sum(_choices(c, lam, opts)[3])

    def bisect(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        over = total_rate(mid) > 1.0      # subgradient 1 - rate < 0: lambda* is to the right
        return jnp.where(over, mid, lo), jnp.where(over, hi, mid)

    zero, one = jnp.float64(0.0), jnp.float64(1.0)
    slack_at_zero = total_rate(zero) <= 1.0
    lo, hi = jax.lax.fori_loop(0, BISECTION_STEPS, bisect, (zero, one))
    lo = jnp.where(slack_at_zero, zero, lo)
    hi = jnp.where(slack_at_zero, zero, hi)
    value = jnp.minimum(dual_objective(c, lo, opts), dual_objective(c, hi, opts))
    # primal: mix the choices at lo (plays > 1) and hi (plays <= 1) so that plays = 1
    length = jnp.asarray(opts.length, c.dtype)
    _, best_lo, used_lo, rate_lo = _choices(c, lo, opts)
    _, best_hi, used_hi, rate_hi = _choices(c, hi, opts)
    p_lo, p_hi = jnp.sum(rate_lo), jnp.sum(rate_hi)
    theta = jnp.where(slack_at_zero | (p_lo <= p_hi), 0.0, (1.0 - p_hi) / jnp.maximum(p_lo - p_hi, 1e-300))
    theta = jnp.clip(theta, 0.0, 1.0)
    n_opts = length.shape[0]
    pick_lo = jax.nn.one_hot(best_lo, n_opts, dtype=c.dtype) * used_lo[:, None]
    pick_hi = jax.nn.one_hot(best_hi, n_opts, dtype=c.dtype) * used_hi[:, None]
    rates = (theta * pick_lo + (1.0 - theta) * pick_hi) / length
    return Relaxation(value, jnp.where(slack_at_zero, zero, hi), rates, jnp.sum(rates * c))


def rates_as_zy(rates: jax.Array, m: int) -> tuple[jax.Array, jax.Array]:
    """Split flattened option rates into ``z[k, m, m]`` (``[i, g-1, l-1]``) and ``y[k]``."""
    return rates[:, : m * m].reshape(rates.shape[0], m, m), rates[:, m * m]
