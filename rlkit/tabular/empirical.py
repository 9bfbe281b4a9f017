"""Visit counts and the empirical model of a time-inhomogeneous tabular MDP.

``Counts`` holds ``n[h, s, a]``, ``n_next[h, s, a, s']`` and reward sums; updates take a batch of
transitions (any leading shape) and are scatter-adds, so they jit and vmap.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.tabular.bonuses import inverse_sqrt_visits


@struct.dataclass
class Counts:
    n: jax.Array         # [H, S, A] visits
    n_next: jax.Array    # [H, S, A, S] transitions
    r_sum: jax.Array     # [H, S, A] sum of observed rewards
    r_sq_sum: jax.Array  # [H, S, A] sum of squared rewards
    # [H, S, A] 1 / sqrt(max(1, n)) kept up to date by add_transitions (the bonuses' factor: a
    # division and a square root per (h, s, a) and episode were a third of a batched UCBVI
    # iteration); None when the counts were built by hand (the bonuses then compute it)
    n_rsqrt: jax.Array | None = None


def zero_counts(H: int, S: int, A: int) -> Counts:
    z = jnp.zeros((H, S, A), jnp.float64)
    return Counts(z, jnp.zeros((H, S, A, S), jnp.float64), z, z, jnp.ones((H, S, A), jnp.float64))


def add_transitions(counts: Counts, h, s, a, r, s_next, weight=1.0) -> Counts:
    """Add transitions ``(h, s, a, r, s_next)`` (arrays of one shape, any rank).

    ``weight`` (same shape, or scalar) masks transitions out with 0 (e.g. padding).
    """
    h, s, a, s_next = (jnp.ravel(x).astype(jnp.int32) for x in (h, s, a, s_next))
    r = jnp.ravel(jnp.asarray(r, jnp.float64))
    w = jnp.broadcast_to(jnp.asarray(weight, jnp.float64), jnp.shape(jnp.asarray(r))).ravel()
    n = counts.n.at[h, s, a].add(w)
    n_rsqrt = counts.n_rsqrt
    if n_rsqrt is not None:  # refresh the visited entries only
        n_rsqrt = n_rsqrt.at[h, s, a].set(inverse_sqrt_visits(n[h, s, a]))
    return Counts(
        n=n,
        n_next=counts.n_next.at[h, s, a, s_next].add(w),
        r_sum=counts.r_sum.at[h, s, a].add(w * r),
        r_sq_sum=counts.r_sq_sum.at[h, s, a].add(w * r * r),
        n_rsqrt=n_rsqrt,
    )


def empirical_kernel(counts: Counts) -> jax.Array:
    """``P_hat[h, s, a, :] = n_next / n``, uniform where ``(h, s, a)`` was never visited."""
    S = counts.n_next.shape[-1]
    n = counts.n[..., None]
    return jnp.where(n > 0, counts.n_next / jnp.maximum(n, 1.0), 1.0 / S)


def empirical_rewards(counts: Counts, default: float = 0.0) -> jax.Array:
    """Mean observed reward per ``(h, s, a)`` (``default`` where unvisited)."""
    return jnp.where(counts.n > 0, counts.r_sum / jnp.maximum(counts.n, 1.0), default)


def next_value_variance(P_hat: jax.Array, V_next: jax.Array) -> jax.Array:
    """``Var_{s' ~ P_hat[h, s, a]} V_next[h, s']``, the variance term of Bernstein bonuses.

    ``P_hat`` ``[H, S, A, S]``, ``V_next`` ``[H, S]`` (the value at step ``h + 1``).
    """
    mean = jnp.einsum("hsat,ht->hsa", P_hat, V_next)
    second = jnp.einsum("hsat,ht->hsa", P_hat, V_next ** 2)
    return jnp.maximum(second - mean ** 2, 0.0)
