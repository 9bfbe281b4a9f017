"""The Saez (2001) optimal marginal tax formula as used by Foundation's ``tax_model="saez"``
(spec §1.7), vectorised in JAX.

Without income effects, ``T'(z) / (1 - T'(z)) = (1/e) (1 - H(z)) / (z h(z)) (1 - G(z))``, i.e.

    ``tau(z) = (1 - G(z)) / (1 - G(z) + A(z) e)``,   ``A(z) = z h(z) / (1 - H(z))``,

with ``H, h`` the income CDF and density, ``e`` the elasticity of taxable income and ``G(z)`` the
average normalised Pareto weight of incomes ``>= z``. The top rate uses the Pareto-tail estimate
``A = mean(z | z > c) / (mean(z | z > c) - c)`` above the top cutoff ``c``.

Estimation (Foundation's procedure, re-implemented): incomes go into ``n_bins`` equal bins on
``[0, c]`` plus the open top bin; ``G`` and ``A`` per bin (``A`` uses the half-bin correction
``P(z' >= z) = 1 - H + p/2``); rates of empty bins are interpolated linearly between their
neighbours (from 0 below the first occupied bin); the binned schedule becomes bracket rates by
averaging the tax it levies across each bracket (``bracketize``). Pareto weights are
``1/max(1, z)`` (``inverse_income``) or 1 (``uniform``). ``mask`` marks which samples of a fixed-size
buffer are real.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from envs.economy import taxes
from rlkit.config import ConfigError

PARETO_WEIGHTS = ("inverse_income", "uniform")
EPS = 1e-9


def pareto_weight(z, kind: str = "inverse_income"):
    if kind == "inverse_income":
        return 1.0 / jnp.maximum(1.0, z)
    if kind == "uniform":
        return jnp.ones_like(z)
    raise ConfigError(f"unknown Pareto weight type {kind!r}; allowed: {list(PARETO_WEIGHTS)}")


def binned_statistics(incomes: jax.Array, top_cutoff, n_bins: int = 100, mask: jax.Array | None = None,
                      weight_kind: str = "inverse_income") -> dict:
    """``G`` and ``A`` on ``n_bins`` bins of ``[0, top_cutoff]`` plus the top bin (``[n_bins + 1]``
    each), and the bin probabilities ``p`` (top bin last)."""
    z = jnp.asarray(incomes, jnp.float64)
    m = jnp.ones_like(z) if mask is None else jnp.asarray(mask, jnp.float64)
    top = jnp.asarray(top_cutoff, jnp.float64)
    width = top / n_bins
    edges = width * jnp.arange(n_bins + 1)
    mids = 0.5 * (edges[:-1] + edges[1:])
    below = (z < 0) * m
    above = (z > top) * m
    inside = (z >= 0) & (z <= top)
    idx = jnp.clip(jnp.floor(z / jnp.where(width > 0, width, 1.0)), 0, n_bins - 1).astype(jnp.int32)
    counts = jnp.zeros(n_bins).at[idx].add(inside * m)
    n_total = jnp.sum(counts) + jnp.sum(below) + jnp.sum(above)
    p = jnp.concatenate([counts, jnp.sum(above)[None]]) / jnp.maximum(n_total, EPS)
    cum = jnp.clip(jnp.cumsum(p) + jnp.sum(below) / jnp.maximum(n_total, EPS), 0.0, 1.0)

    # G(z): average normalised Pareto weight of incomes >= z (interpolated to bin averages)
    w_bins = counts * pareto_weight(mids, weight_kind)
    w_above = jnp.sum(above * pareto_weight(z, weight_kind))
    w_below = jnp.sum(below * pareto_weight(jnp.maximum(z, 0.0), weight_kind))
    density = jnp.concatenate([w_bins, w_above[None]]) / (jnp.sum(w_bins) + w_above + w_below + EPS)
    geq_weight = jnp.cumsum(density[::-1])[::-1]
    geq_prob = jnp.cumsum(p[::-1])[::-1]
    g_edge = geq_weight / (geq_prob + EPS)
    G = jnp.concatenate([0.5 * (g_edge[:-1] + g_edge[1:]), g_edge[-1:]])

    # A(z) = z h(z) / (1 - H(z)) per bin; NaN where a bin is empty; Pareto-tail estimate on top
    p_geq = jnp.clip(1.0 - cum + 0.5 * p, 0.0, 1.0)
    a_bins = mids * p[:-1] / (p_geq[:-1] + EPS) / jnp.where(width > 0, width, jnp.nan)
    a_bins = jnp.where(p[:-1] > 0, a_bins, jnp.nan)
    n_above = jnp.sum(above)
    mean_above = jnp.sum(above * z) / jnp.maximum(n_above, EPS)
    a_top = jnp.where(n_above > 0, mean_above / (mean_above - top + EPS), 0.0)
    A = jnp.concatenate([a_bins, a_top[None]])
    return {"G": G, "A": A, "p": p, "edges": edges}


def saez_rates(G: jax.Array, A: jax.Array, elasticity) -> jax.Array:
    """``tau = (1 - G) / (1 - G + A e)`` per bin, empty bins (NaN) filled by linear interpolation
    between the neighbouring occupied bins (0 before the first one; the top bin is never empty)."""
    tau = (1.0 - G) / (1.0 - G + A * elasticity + EPS)
    n = tau.shape[0]
    idx = jnp.arange(n)
    valid = ~jnp.isnan(tau)
    prev = jax.lax.cummax(jnp.where(valid, idx, -1))
    nxt = jax.lax.cummin(jnp.where(valid, idx, n - 1), reverse=True)
    prev_val = jnp.where(prev >= 0, tau[jnp.maximum(prev, 0)], 0.0)
    next_val = tau[nxt]
    frac = (idx - prev) / jnp.maximum(nxt - prev, 1)
    return jnp.where(valid, tau, prev_val + (next_val - prev_val) * frac)


def bracketize(bin_rates: jax.Array, edges: jax.Array, cutoffs: jax.Array) -> jax.Array:
    """Bracket rates = the binned schedule's tax across each bracket / its width; top = top-bin rate."""
    bin_cutoffs = edges  # [n_bins + 1] lower edges of the bins, top bin open
    due_at = jax.vmap(lambda c: taxes.taxes_due(c, bin_cutoffs, bin_rates))(cutoffs)  # [B]
    widths = jnp.diff(cutoffs)
    inner = jnp.diff(due_at) / jnp.where(widths > 0, widths, 1.0)
    return jnp.concatenate([inner, bin_rates[-1:]])


def linear_tax_rate(incomes: jax.Array, elasticity, mask: jax.Array | None = None,
                    weight_kind: str = "inverse_income") -> jax.Array:
    """The optimal linear (flat) tax ``(1 - g) / (1 - g + e)`` (Sheshinski; Saez 2001 sec. 2) with
    ``g = mean(g_i z_i) / (mean(g_i) mean(z_i))``, the income-weighted average normalised Pareto
    weight (``H/M``, harmonic over arithmetic mean income, for inverse-income weights)."""
    z = jnp.asarray(incomes, jnp.float64)
    m = jnp.ones_like(z) if mask is None else jnp.asarray(mask, jnp.float64)
    g = pareto_weight(z, weight_kind)
    n = jnp.maximum(jnp.sum(m), 1.0)
    gbar = (jnp.sum(m * g * z) / n) / ((jnp.sum(m * g) / n) * (jnp.sum(m * z) / n) + EPS)
    return (1.0 - gbar) / (1.0 - gbar + elasticity + EPS)


def saez_schedule(incomes: jax.Array, cutoffs: jax.Array, elasticity, n_bins: int = 100,
                  mask: jax.Array | None = None, weight_kind: str = "inverse_income",
                  rate_min=0.0, rate_max=1.0) -> jax.Array:
    """Bracket rates [B] from observed incomes by the Saez formula (top cutoff = ``cutoffs[-1]``),
    clipped to ``[rate_min, rate_max]``. A single bracket (a flat tax) gets the optimal linear
    rate :func:`linear_tax_rate` (the top-rate formula with cutoff 0 would give ``G = 1``, rate 0)."""
    if cutoffs.shape[-1] == 1:
        rate = linear_tax_rate(incomes, elasticity, mask, weight_kind)
        return jnp.clip(jnp.reshape(rate, (1,)), rate_min, rate_max)
    stats = binned_statistics(incomes, cutoffs[-1], n_bins, mask, weight_kind)
    rates = saez_rates(stats["G"], stats["A"], elasticity)
    return jnp.clip(bracketize(rates, stats["edges"], cutoffs), rate_min, rate_max)


def estimate_elasticity(incomes: jax.Array, marginal_rates: jax.Array, mask: jax.Array | None = None,
                        previous=0.5, smoothing=0.98, min_samples: int = 10) -> jax.Array:
    """OLS slope of ``log z`` on ``log(1 - tau)`` over samples with ``z > 0`` and ``tau < 1``,
    clipped at 0 and smoothed ``e = (1 - s) e_inst + s e_prev``; ``previous`` when fewer than
    ``min_samples`` usable samples or no variation in the rates (Foundation's estimator)."""
    z = jnp.asarray(incomes, jnp.float64)
    t = jnp.asarray(marginal_rates, jnp.float64)
    m = jnp.ones_like(z) if mask is None else jnp.asarray(mask, jnp.float64)
    use = m * ((z > 0) & (t < 1))
    n = jnp.sum(use)
    x = jnp.log(jnp.maximum(1.0 - t, EPS))
    y = jnp.log(jnp.maximum(z, EPS))
    xm = jnp.sum(use * x) / jnp.maximum(n, 1.0)
    ym = jnp.sum(use * y) / jnp.maximum(n, 1.0)
    sxx = jnp.sum(use * (x - xm) ** 2)
    slope = jnp.sum(use * (x - xm) * (y - ym)) / jnp.maximum(sxx, EPS)
    std_t = jnp.sqrt(jnp.sum(use * (t - jnp.sum(use * t) / jnp.maximum(n, 1.0)) ** 2) / jnp.maximum(n, 1.0))
    ok = (n >= min_samples) & (std_t >= 1e-6)
    return jnp.where(ok, (1.0 - smoothing) * jnp.maximum(slope, 0.0) + smoothing * previous, previous)
