"""Order demand: Poisson arrivals with a time-of-day profile and an origin/destination table,
or replayed trip records (spec ospo.md §1.1).

Both kinds live in one :class:`Demand` pytree; the env's static ``demand`` mode says which part
is used. Sampling is by inverse CDF on precomputed cumulative tables (DESIGN.md convention).

- Poisson: ``N_t ~ Poisson(rates[t])`` orders at episode minute ``t`` (inverse CDF on a table
  of the Poisson CDF, exact up to a 1e-12 tail); origin ``~ origin_cdf``,
  destination ``~ dest_cdf[origin]``. ``rates`` comes from a mean rate times an hourly
  time-of-day profile (linearly interpolated, [design] NYC-like default shape).
- Replay: trip records binned per minute ``[W, H, K]`` (``W`` windows, e.g. days x hours); each
  episode replays one window, chosen uniformly at reset, keeping each trip independently with
  probability ``sample_rate`` (the paper draws an exact 95 % subsample, ``df.sample(frac=0.95)``;
  i.i.d. thinning is the jittable equivalent in distribution per trip [design]).
"""
from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit.config import ConfigError
from rlkit.distributions import inverse_cdf

# Relative hourly taxi demand, hour 0 .. 23 ([design]: a typical weekday shape, evening peak).
NYC_HOURLY_PROFILE: tuple[float, ...] = (
    0.55, 0.40, 0.30, 0.20, 0.15, 0.20, 0.40, 0.70, 0.90, 0.90, 0.90, 0.95,
    1.00, 1.00, 1.05, 1.10, 1.10, 1.20, 1.35, 1.35, 1.25, 1.20, 1.10, 0.85)


@struct.dataclass
class Demand:
    """Demand tables (see the module docstring). Unused parts have placeholder shapes."""

    rates: jax.Array        # [H] expected arrivals per minute (Poisson)
    count_cdf: jax.Array    # [H, N] cumulative Poisson(rates[t]) distribution of 0..N-1 arrivals
    origin_cdf: jax.Array   # [Z] cumulative origin distribution
    dest_cdf: jax.Array     # [Z, Z] cumulative destination distribution per origin
    trip_origin: jax.Array  # [W, H, K] int32 zone index (replay)
    trip_dest: jax.Array    # [W, H, K] int32
    trip_valid: jax.Array   # [W, H, K] bool
    sample_rate: jax.Array  # [] keep probability of a replayed trip


def profile_rates(rate: float, horizon: int, start_minute: int = 0,
                  profile: Sequence[float] | None = NYC_HOURLY_PROFILE) -> np.ndarray:
    """``rate x profile(start_minute + t)`` for ``t < horizon``; the hourly profile is read at
    the middle of each hour and interpolated linearly (cyclic over the day). ``None``: flat."""
    if not rate >= 0:
        raise ConfigError(f"demand rate must be >= 0 orders per minute, got {rate}")
    if profile is None:
        return np.full(horizon, float(rate))
    prof = np.asarray(profile, np.float64)
    if prof.ndim != 1 or len(prof) < 1 or np.any(prof < 0):
        raise ConfigError("the time-of-day profile must be a non-empty list of multipliers >= 0")
    minutes = (start_minute + np.arange(horizon)) % 1440
    hours = minutes / 60.0 - 0.5
    knots = np.arange(len(prof) + 1) * (24.0 / len(prof))
    values = np.concatenate([prof, prof[:1]])
    return rate * np.interp(hours % 24.0, knots, values)


def hotspot_weights(n_zones: int, hotspots: Sequence[int] = (), boost: float = 1.0) -> np.ndarray:
    """Zone weights: 1 everywhere plus ``boost`` on the hot-spot zones (normalised)."""
    w = np.ones(n_zones)
    for z in hotspots:
        if not 0 <= z < n_zones:
            raise ConfigError(f"hot-spot zone {z} is outside the city's zones 0..{n_zones - 1}")
        w[z] += boost
    return w / w.sum()


def _cdf(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, np.float64)
    if np.any(~np.isfinite(w)) or np.any(w < 0) or np.any(w.sum(-1) <= 0):
        raise ConfigError("origin/destination weights must be finite, >= 0, with a positive sum")
    c = np.cumsum(w / w.sum(-1, keepdims=True), axis=-1)
    c[..., -1] = 1.0
    return c


def poisson_demand(rates: np.ndarray, origin_weights: np.ndarray, dest_weights: np.ndarray) -> Demand:
    """Poisson demand from per-minute rates ``[H]``, origin weights ``[Z]`` and destination
    weights ``[Z]`` (same for every origin) or ``[Z, Z]`` (per origin)."""
    rates = np.asarray(rates, np.float64)
    if rates.ndim != 1 or np.any(~np.isfinite(rates)) or np.any(rates < 0):
        raise ConfigError("rates must be a [H] array of finite arrival rates >= 0")
    o = np.asarray(origin_weights, np.float64)
    z = o.shape[0]
    d = np.asarray(dest_weights, np.float64)
    if d.ndim == 1:
        d = np.broadcast_to(d, (z, z))
    if d.shape != (z, z):
        raise ConfigError(f"dest_weights must be [Z] or [Z, Z] with Z={z}, got {d.shape}")
    empty_i = jnp.zeros((1, 1, 1), jnp.int32)
    return Demand(jnp.asarray(rates, jnp.float32), jnp.asarray(poisson_cdf_table(rates)),
                  jnp.asarray(_cdf(o), jnp.float32),
                  jnp.asarray(_cdf(d), jnp.float32), empty_i, empty_i,
                  jnp.zeros((1, 1, 1), bool), jnp.float32(1.0))


def replay_demand(origin: np.ndarray, dest: np.ndarray, valid: np.ndarray, n_zones: int,
                  sample_rate: float = 0.95) -> Demand:
    """Replayed trips ``[W, H, K]`` (zone indices); see :mod:`envs.ridesharing.tlc`."""
    origin, dest, valid = (np.asarray(a) for a in (origin, dest, valid))
    if origin.ndim != 3 or origin.shape != dest.shape or origin.shape != valid.shape:
        raise ConfigError(f"replayed trips must be three [W, H, K] arrays, got {origin.shape}, "
                          f"{dest.shape}, {valid.shape}")
    for name, a in (("origin", origin), ("destination", dest)):
        bad = valid & ((a < 0) | (a >= n_zones))
        if bad.any():
            raise ConfigError(f"a replayed trip has {name} zone index {a[bad][0]} outside the "
                              f"city's zones 0..{n_zones - 1}")
    if not 0.0 < sample_rate <= 1.0:
        raise ConfigError(f"sample_rate must be in (0, 1], got {sample_rate}")
    uniform = _cdf(np.ones(n_zones))
    return Demand(jnp.zeros(origin.shape[1], jnp.float32), jnp.ones((origin.shape[1], 1)),
                  jnp.asarray(uniform, jnp.float32),
                  jnp.asarray(np.broadcast_to(uniform, (n_zones, n_zones)), jnp.float32),
                  jnp.asarray(origin, jnp.int32), jnp.asarray(dest, jnp.int32),
                  jnp.asarray(valid, bool), jnp.float32(sample_rate))


def poisson_cdf_table(rates: np.ndarray, tail: float = 1e-12) -> np.ndarray:
    """``[H, N]`` cumulative Poisson probabilities of ``0 .. N-1`` arrivals per minute, ``N`` the
    smallest size whose missing tail is below ``tail`` for every minute (float64; the last
    column is set to 1, so a draw never exceeds ``N - 1``)."""
    from scipy.stats import poisson

    rates = np.asarray(rates, np.float64)
    n = int(poisson.ppf(1.0 - tail, max(float(rates.max(initial=0.0)), 1e-9))) + 2
    cdf = poisson.cdf(np.arange(n)[None, :], rates[:, None])
    cdf[:, -1] = 1.0
    return cdf


def poisson_arrivals(key: jax.Array, demand: Demand, minute: jax.Array, max_arrivals: int
                     ) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Arrivals at ``minute``: ``(origin [K], dest [K], valid [K], count)``; ``count`` is the full
    Poisson draw (it may exceed ``K``: the extra orders are rejected and counted lost)."""
    u = jax.random.uniform(key, (2 * max_arrivals + 1,), demand.count_cdf.dtype)
    cdf = demand.count_cdf[jnp.minimum(minute, demand.count_cdf.shape[0] - 1)]
    count = inverse_cdf(u[0], cdf)
    origin = inverse_cdf(u[1:max_arrivals + 1].astype(jnp.float32), demand.origin_cdf)
    dest = inverse_cdf(u[max_arrivals + 1:].astype(jnp.float32), demand.dest_cdf[origin])
    return origin, dest, jnp.arange(max_arrivals) < count, count


def replayed_arrivals(key: jax.Array, demand: Demand, window: jax.Array, minute: jax.Array
                      ) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Replayed arrivals at ``minute`` of ``window``, each kept with ``sample_rate``; valid
    trips are packed first (stable), so the first ``K`` slots hold them."""
    m = jnp.minimum(minute, demand.trip_origin.shape[1] - 1)
    in_window = minute < demand.trip_origin.shape[1]
    keep = jax.random.uniform(key, demand.trip_valid.shape[-1:]) < demand.sample_rate
    valid = demand.trip_valid[window, m] & keep & in_window
    order = jnp.argsort(~valid, stable=True)
    return (demand.trip_origin[window, m][order], demand.trip_dest[window, m][order],
            valid[order], valid.sum().astype(jnp.int32))
