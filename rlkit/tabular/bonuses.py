"""Confidence bonuses for optimistic and pessimistic tabular planning.

Each returns a bonus ``b`` such that, on a good event of probability at least ``1 - delta``,
``|(P_hat - P) V| <= b`` (for the value vectors the bound covers) when ``scale = 1``;
``scale < 1`` is the usual practical shrinking, without the guarantee. ``span`` is the range of
the next-step value (``H - h - 1`` at 0-based step ``h`` when rewards lie in [0, 1]).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp


def steps_left_span(H: int) -> jax.Array:
    """``span[h] = H - h - 1``: the range of ``V_{h+1}`` for rewards in [0, 1] (0-based ``h``)."""
    return (H - 1 - jnp.arange(H)).astype(jnp.float64)


def l1_log_term(S: int, A: int, H: int, K: int, delta) -> jax.Array:
    """``L = 2 (S ln 2 + ln(S A H K / delta))``: Weissman et al. (2003) L1 deviation of an
    empirical distribution, union-bounded over ``(h, s, a)`` and sample counts ``n <= K``
    (StepMix spec §2.2, step 1)."""
    return 2.0 * (S * jnp.log(2.0) + jnp.log(S * A * H * K / delta))


def inverse_sqrt_visits(n: jax.Array) -> jax.Array:
    """``1 / sqrt(max(1, n))``, the visit-count factor of the l1 and Hoeffding bonuses
    (:class:`rlkit.tabular.Counts` keeps it up to date as ``n_rsqrt``)."""
    return 1.0 / jnp.sqrt(jnp.maximum(n, 1.0))


def l1_bonus(n: jax.Array, span: jax.Array, log_term, scale=1.0, inv_sqrt_n=None) -> jax.Array:
    """``b = min(scale * span * sqrt(L / max(1, n)), span)``, valid uniformly over all value
    vectors with range ``span`` (StepMix spec §2.2, step 1). ``n`` ``[H, S, A]``, ``span`` ``[H]``;
    ``inv_sqrt_n`` (optional) is :func:`inverse_sqrt_visits` of ``n`` when already known."""
    inv_sqrt_n = inverse_sqrt_visits(n) if inv_sqrt_n is None else inv_sqrt_n
    span = span[:, None, None]
    return jnp.minimum(scale * span * jnp.sqrt(log_term) * inv_sqrt_n, span)


def hoeffding_bonus(n: jax.Array, span: jax.Array, log_term, scale=1.0, inv_sqrt_n=None) -> jax.Array:
    """Hoeffding bonus ``scale * span * sqrt(L / (2 max(1, n)))`` for one fixed value vector
    (UCBVI-CH, Azar, Osband & Munos 2017, Alg. 3 up to its constant 7), capped at ``span``;
    ``L = ln(S A H K / delta)``; ``inv_sqrt_n`` as in :func:`l1_bonus`."""
    return l1_bonus(n, span, log_term / 2.0, scale, inv_sqrt_n)


def bernstein_bonus(n: jax.Array, variance: jax.Array, span: jax.Array, log_term,
                    scale=1.0) -> jax.Array:
    """Empirical Bernstein bonus (Maurer & Pontil 2009, Thm 4):
    ``sqrt(2 Var L / n) + 7 span L / (3 (n - 1))``, capped at ``span``; as used by UCBVI-BF
    (Azar et al. 2017) without its correction term. ``variance`` ``[H, S, A]``."""
    span = span[:, None, None]
    n1 = jnp.maximum(n, 1.0)
    b = jnp.sqrt(2.0 * variance * log_term / n1) + 7.0 * span * log_term / (3.0 * jnp.maximum(n - 1.0, 1.0))
    return jnp.minimum(scale * b, span)
