"""The exact model of a finite-horizon tabular MDP, and inverse-CDF sampling.

``TabularModel(P, r, mu)``: transition kernel ``P[Hp, S, A, S]`` (``Hp = H``, or ``Hp = 1`` for a
stationary kernel shared by all steps, which keeps large MDPs such as Taxi small), expected
rewards ``r[H, S, A]`` and the initial distribution ``mu[S]``. Steps are indexed ``h = 0..H-1``.
Values are float64 (DESIGN.md: exact quantities in float64).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit.config import ConfigError
from rlkit.distributions import inverse_cdf


@struct.dataclass
class TabularModel:
    P: jax.Array   # [Hp, S, A, S], Hp in {1, H}
    r: jax.Array   # [H, S, A]
    mu: jax.Array  # [S]

    @property
    def H(self) -> int:
        return self.r.shape[0]

    @property
    def S(self) -> int:
        return self.r.shape[1]

    @property
    def A(self) -> int:
        return self.r.shape[2]

    @property
    def stationary(self) -> bool:
        return self.P.shape[0] == 1

    def kernel(self) -> jax.Array:
        """``P`` broadcast to ``[H, S, A, S]`` (a view for scans over steps)."""
        return jnp.broadcast_to(self.P, (self.H,) + self.P.shape[1:])

    def optimal_value(self) -> jax.Array:
        """``V* = mu . V*_0`` by backward induction (the trainer's reference for pseudo-regret)."""
        from rlkit.tabular.planning import value_iteration
        return jnp.sum(self.mu * value_iteration(self).V[0])


def make_model(P, r, mu=None, s1: int = 0) -> TabularModel:
    """Build a float64 :class:`TabularModel`; ``mu`` defaults to a point mass on ``s1``."""
    r = jnp.asarray(r, jnp.float64)
    P = jnp.asarray(P, jnp.float64)
    if P.ndim == 3:
        P = P[None]
    S = r.shape[1]
    mu = jax.nn.one_hot(s1, S, dtype=jnp.float64) if mu is None else jnp.asarray(mu, jnp.float64)
    return TabularModel(P, r, mu)


def check_model(P, r, mu=None, atol: float = 1e-6) -> None:
    """Validate a concrete model; raise :class:`ConfigError` naming the array and the index."""
    P = np.asarray(P, np.float64)
    r = np.asarray(r, np.float64)
    if r.ndim != 3:
        raise ConfigError(f"rewards r must have shape [H, S, A], got shape {r.shape}")
    H, S, A = r.shape
    if P.ndim == 3:
        P = P[None]
    if P.ndim != 4 or P.shape[1:] != (S, A, S) or P.shape[0] not in (1, H):
        raise ConfigError(f"transitions P must have shape [H, S, A, S] = [{H}, {S}, {A}, {S}] "
                          f"(or [1, S, A, S] / [S, A, S] when stationary) to match r; got {P.shape}")
    if not np.all(np.isfinite(P)) or not np.all(np.isfinite(r)):
        raise ConfigError("P and r must be finite (found NaN or inf)")
    bad = np.argwhere(P < -atol)
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        raise ConfigError(f"P has a negative probability at index {list(idx)}: {P[idx]}")
    sums = P.sum(-1)
    bad = np.argwhere(np.abs(sums - 1.0) > atol)
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        raise ConfigError(f"P[h, s, a, :] must sum to 1; P{list(idx)} sums to {sums[idx]:.6g}")
    if mu is not None:
        mu = np.asarray(mu, np.float64)
        if mu.shape != (S,) or np.any(mu < -atol) or abs(mu.sum() - 1) > atol:
            raise ConfigError(f"initial distribution mu must be a distribution over {S} states")


def cumulative(p: jax.Array) -> jax.Array:
    """Cumulative table of distributions along the last axis, normalised so its last entry is 1."""
    c = jnp.cumsum(p, axis=-1)
    return c / c[..., -1:]


def sample_cdf(key: jax.Array, cdf_row: jax.Array) -> jax.Array:
    """Inverse-CDF sample from one cumulative row: the index ``j`` with ``cdf[j-1] <= u < cdf[j]``.

    Zero-probability entries are never drawn; far cheaper than ``jax.random.categorical`` on
    logits (DESIGN.md).
    """
    return inverse_cdf(jax.random.uniform(key, (), cdf_row.dtype), cdf_row)
