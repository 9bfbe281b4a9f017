"""Bracketed marginal income taxes with lump-sum redistribution (Foundation's ``PeriodicBracketTax``,
spec §1.4), as pure float64 JAX functions.

A schedule is a pair ``(cutoffs [B], rates [B])``: ``cutoffs[0] = 0``, strictly increasing, the
top bracket open-ended; ``rates[k]`` is the marginal rate on income inside bracket ``k``.

- ``taxes_due(z) = sum_k rate_k * clip(z - cutoff_k, 0, size_k)`` (ordinary bracketed marginal
  rates, sizes ``cutoff_{k+1} - cutoff_k`` and ``inf`` on top);
- ``marginal_rate(z)``: the rate of the bracket holding ``z``, lower edge inclusive;
- ``collect_and_redistribute``: each agent pays ``min(taxes_due(income), coin)`` (never more than
  its inventory) and every agent receives ``revenue / N``; total coin is conserved.

Bracket tables: the 2018 US federal single-filer cutoffs divided by ``usd_scaling`` (Foundation's
default, 7 brackets), ``linear`` and ``log`` spacing as in Foundation, or a flat tax (one bracket
starting at 0). Rates live on the grid ``rate_min, rate_min + rate_disc, ..., rate_max``.
"""
from __future__ import annotations

from typing import Sequence

import jax.numpy as jnp
import numpy as np

from rlkit.config import ConfigError

US_FEDERAL_2018_CUTOFFS_USD = (0.0, 9700.0, 39475.0, 84200.0, 160725.0, 204100.0, 510300.0)
US_FEDERAL_2018_RATES = (0.10, 0.12, 0.22, 0.24, 0.32, 0.35, 0.37)
BRACKET_SPACINGS = ("us-federal", "linear", "log", "flat", "custom")


# ---------------------------------------------------------------------------------------------
# Bracket tables and the rate grid (host side, validated)
# ---------------------------------------------------------------------------------------------
def bracket_cutoffs(spacing: str = "us-federal", usd_scaling: float = 1000.0, n_brackets: int = 5,
                    top_bracket_cutoff: float = 100.0,
                    custom: Sequence[float] | None = None) -> np.ndarray:
    """Lower edges of the tax brackets (Foundation ``PeriodicBracketTax.__init__``).

    ``us-federal``: the 2018 single-filer cutoffs ``/ usd_scaling`` (7 brackets);
    ``linear``: ``linspace(0, top, n)``; ``log``: ``0`` then ``n - 1`` log2-spaced cutoffs from
    ``top / 2^(n-2)`` to ``top``; ``flat``: one bracket ``[0, inf)``; ``custom``: ``custom``.
    """
    if spacing == "us-federal":
        if not usd_scaling > 0:
            raise ConfigError(f"usd_scaling must be > 0, got {usd_scaling}")
        cutoffs = np.asarray(US_FEDERAL_2018_CUTOFFS_USD) / float(usd_scaling)
    elif spacing in ("linear", "log"):
        if int(n_brackets) < 2:
            raise ConfigError(f"n_brackets must be >= 2 for {spacing} spacing, got {n_brackets}")
        if not top_bracket_cutoff > 0:
            raise ConfigError(f"top_bracket_cutoff must be > 0, got {top_bracket_cutoff}")
        if spacing == "linear":
            cutoffs = np.linspace(0.0, top_bracket_cutoff, int(n_brackets))
        else:
            lowest = top_bracket_cutoff / 2.0 ** (int(n_brackets) - 2)
            cutoffs = np.concatenate(
                [[0.0], 2.0 ** np.linspace(np.log2(lowest), np.log2(top_bracket_cutoff), int(n_brackets) - 1)])
    elif spacing == "flat":
        cutoffs = np.zeros(1)
    elif spacing == "custom":
        if custom is None or len(custom) == 0:
            raise ConfigError("bracket spacing 'custom' needs a non-empty list of cutoffs")
        cutoffs = np.asarray(custom, np.float64)
    else:
        raise ConfigError(f"unknown bracket spacing {spacing!r}; allowed: {list(BRACKET_SPACINGS)}")
    validate_cutoffs(cutoffs)
    return cutoffs.astype(np.float64)


def validate_cutoffs(cutoffs: Sequence[float]) -> None:
    """Raise :class:`ConfigError` unless the cutoffs start at 0 and strictly increase."""
    c = np.asarray(cutoffs, np.float64)
    if c.ndim != 1 or c.size == 0:
        raise ConfigError(f"bracket cutoffs must be a non-empty 1-D list, got {cutoffs!r}")
    if not np.all(np.isfinite(c)):
        raise ConfigError(f"bracket cutoffs must be finite, got {list(c)}")
    if c[0] != 0.0:
        raise ConfigError(f"the first bracket cutoff must be 0, got {c[0]} (cutoffs {list(c)})")
    if np.any(np.diff(c) <= 0):
        raise ConfigError(f"bracket cutoffs must be strictly increasing, got {list(c)}")


def validate_rates(rates: Sequence[float], n_brackets: int | None = None, name: str = "rates") -> None:
    """Raise :class:`ConfigError` unless every rate is in [0, 1] (and there is one per bracket)."""
    r = np.asarray(rates, np.float64)
    if r.ndim != 1:
        raise ConfigError(f"{name} must be a 1-D list, got {rates!r}")
    if n_brackets is not None and r.size != n_brackets:
        raise ConfigError(f"{name} needs one rate per bracket ({n_brackets}), got {r.size}")
    if not np.all(np.isfinite(r)) or np.any(r < 0) or np.any(r > 1):
        raise ConfigError(f"tax {name} must lie in [0, 1], got {list(r)}")


def rate_grid(rate_min: float = 0.0, rate_max: float = 1.0, rate_disc: float = 0.05) -> np.ndarray:
    """The planner's discrete rates ``rate_min, rate_min + disc, ..., <= rate_max`` (21 by default).

    Built as ``rate_min + disc * arange(n)`` and rounded to 12 decimals, so 0.3 is 0.3 exactly as a
    float (Foundation's ``np.arange`` accumulates rounding error; the values agree to 1e-15).
    """
    if not (0.0 <= rate_min <= rate_max <= 1.0):
        raise ConfigError(f"rates need 0 <= rate_min <= rate_max <= 1, got rate_min={rate_min}, "
                          f"rate_max={rate_max}")
    if not 0.0 < rate_disc <= 1.0:
        raise ConfigError(f"rate_disc must be in (0, 1], got {rate_disc}")
    n = int(np.floor((rate_max - rate_min) / rate_disc + 1e-9)) + 1
    grid = np.round(rate_min + rate_disc * np.arange(n), 12)
    if grid.size < 2:
        raise ConfigError(f"the rate grid needs at least 2 rates, got {list(grid)}")
    return grid


# ---------------------------------------------------------------------------------------------
# Tax arithmetic (JAX, any batch shape of incomes)
# ---------------------------------------------------------------------------------------------
def bracket_sizes(cutoffs: jnp.ndarray) -> jnp.ndarray:
    """Widths of the brackets, ``inf`` for the open top bracket."""
    cutoffs = jnp.asarray(cutoffs)
    return jnp.concatenate([jnp.diff(cutoffs), jnp.full((1,), jnp.inf, cutoffs.dtype)])


def income_in_brackets(income: jnp.ndarray, cutoffs: jnp.ndarray) -> jnp.ndarray:
    """Income falling in each bracket, ``clip(z - cutoff_k, 0, size_k)``; shape ``income.shape + [B]``."""
    income = jnp.asarray(income)[..., None]
    return jnp.minimum(bracket_sizes(cutoffs), jnp.maximum(0.0, income - cutoffs))


def taxes_due(income: jnp.ndarray, cutoffs: jnp.ndarray, rates: jnp.ndarray) -> jnp.ndarray:
    """Tax owed on ``income`` under the marginal schedule (Foundation ``taxes_due``)."""
    return jnp.sum(income_in_brackets(income, cutoffs) * rates, axis=-1)


def bracket_index(income: jnp.ndarray, cutoffs: jnp.ndarray) -> jnp.ndarray:
    """Index of the bracket holding ``income`` (lower edge inclusive; negative income -> 0)."""
    income = jnp.asarray(income)
    return jnp.maximum(jnp.sum(income[..., None] >= cutoffs, axis=-1) - 1, 0)


def marginal_rate(income: jnp.ndarray, cutoffs: jnp.ndarray, rates: jnp.ndarray) -> jnp.ndarray:
    """The marginal rate at ``income``: ``marginal_rate(9.7) = 0.12`` on the US-2018 schedule."""
    return jnp.asarray(rates)[bracket_index(income, cutoffs)]


def collect_and_redistribute(coin: jnp.ndarray, income: jnp.ndarray, cutoffs: jnp.ndarray,
                             rates: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    """Collect taxes on the period's ``income`` [N] and pay back the revenue as an equal lump sum.

    Each agent pays ``min(taxes_due(income_i), coin_i)`` (taxes never exceed the coin in the
    inventory; escrow is not touched); every agent then receives ``revenue / N``. Returns
    ``(coin_after, tax_paid, lump_sum)``; ``sum(coin_after) == sum(coin)`` up to rounding.
    """
    due = taxes_due(jnp.maximum(income, 0.0), cutoffs, rates)
    paid = jnp.minimum(due, jnp.maximum(coin, 0.0))
    lump_sum = jnp.sum(paid) / coin.shape[-1]
    return coin - paid + lump_sum, paid, lump_sum


def rates_from_indices(indices: jnp.ndarray, grid: jnp.ndarray) -> jnp.ndarray:
    """Rates of grid indices (the planner's choice ``k >= 1`` means grid index ``k - 1``)."""
    return jnp.asarray(grid)[indices]
