"""Utilities, inequality and social welfare functions of the AI Economist (spec §1.3, §1.5;
Foundation ``scenarios/utils/{rewards,social_metrics}.py``), float64 JAX.

Agents' utilities (``u`` of coin ``c`` and accumulated labor ``l``):

- ``coin_minus_labor_cost``: ``u = c - kappa * l^delta`` (quasi-linear, elasticity ``1/(delta-1)``);
- ``isoelastic_coin_minus_labor``: ``u = (c^(1-eta) - 1) / (1 - eta) - kappa * l``, ``0 <= eta < 1``
  ([design] ``eta = 1`` is refused: Foundation's log branch is broken, spec §1.3).

Inequality: the Gini coefficient normalised so that one agent holding everything gives 1, exact for
every ``N`` by default; ``foundation_gini=True`` reproduces Foundation's sorted-cumsum approximation
for ``N >= 30`` (0.3118 instead of 1/3 on ``1..30``). Equality is ``1 - Gini``.

Social welfare functions (planner objectives), selected by name:

- ``coin_eq_times_productivity``: ``(w * equality + 1 - w) * sum(c) / N`` (per-capita coin;
  ``w = 1 - mixing_weight_gini_vs_coin``): "equality x productivity";
- ``inv_income_weighted_utility``: ``sum_i g_i u_i`` with Pareto weights ``g_i ~ 1 / max(z_i, 1)``
  normalised to sum 1 (``z``: pre-tax income in the one-step economy, coin in GTB);
- ``inv_income_weighted_coin``: the same weights applied to coin (Foundation's
  ``inv_income_weighted_coin_endowments``);
- ``utilitarian``: mean utility.
"""
from __future__ import annotations

import jax.numpy as jnp

from rlkit.config import ConfigError

UTILITIES = ("coin_minus_labor_cost", "isoelastic_coin_minus_labor")
WELFARE_FUNCTIONS = ("inv_income_weighted_utility", "coin_eq_times_productivity",
                     "inv_income_weighted_coin", "utilitarian")
GINI_EPS = 1e-10  # Foundation's guard: an all-zero economy has Gini 0, not NaN
FOUNDATION_APPROX_MIN_N = 30


def validate_utility(name: str, labor_exponent: float = 2.0, isoelastic_eta: float = 0.23,
                     labor_cost: float = 1.0) -> None:
    """Raise :class:`ConfigError` on an unknown utility or parameters outside its domain."""
    if name not in UTILITIES:
        raise ConfigError(f"unknown utility {name!r}; allowed: {list(UTILITIES)}")
    if not labor_cost >= 0:
        raise ConfigError(f"labor_cost must be >= 0, got {labor_cost}")
    if name == "coin_minus_labor_cost" and not labor_exponent > 1:
        raise ConfigError(f"labor_exponent must be > 1 (convex labor cost), got {labor_exponent}")
    if name == "isoelastic_coin_minus_labor" and not 0 <= isoelastic_eta < 1:
        raise ConfigError(f"isoelastic_eta must be in [0, 1) (eta = 1 is not supported), got {isoelastic_eta}")


def validate_welfare(name: str) -> None:
    """Raise :class:`ConfigError` when ``name`` is not a known social welfare function."""
    if name not in WELFARE_FUNCTIONS:
        raise ConfigError(f"unknown social welfare function {name!r}; allowed: {list(WELFARE_FUNCTIONS)}")


# ---------------------------------------------------------------------------------------------
# Agents' utilities
# ---------------------------------------------------------------------------------------------
def quasi_linear_utility(coin, labor, labor_cost, labor_exponent):
    """``u = c - kappa l^delta`` (Foundation ``coin_minus_labor_cost``)."""
    return coin - labor_cost * jnp.power(labor, labor_exponent)


def isoelastic_coin(coin, eta):
    """The CRRA coin utility ``(c^(1-eta) - 1) / (1 - eta)`` (``c`` clipped at 0)."""
    return (jnp.power(jnp.maximum(coin, 0.0), 1.0 - eta) - 1.0) / (1.0 - eta)


def isoelastic_utility(coin, labor, eta, labor_cost):
    """``u = (c^(1-eta) - 1)/(1 - eta) - kappa l`` (Foundation ``isoelastic_coin_minus_labor``)."""
    return isoelastic_coin(coin, eta) - labor_cost * labor


def utility(name: str, coin, labor, labor_cost, labor_exponent=2.0, eta=0.23):
    """Dispatch on the utility's name (static)."""
    if name == "coin_minus_labor_cost":
        return quasi_linear_utility(coin, labor, labor_cost, labor_exponent)
    if name == "isoelastic_coin_minus_labor":
        return isoelastic_utility(coin, labor, eta, labor_cost)
    raise ConfigError(f"unknown utility {name!r}; allowed: {list(UTILITIES)}")


# ---------------------------------------------------------------------------------------------
# Inequality
# ---------------------------------------------------------------------------------------------
def gini(x, foundation_gini: bool = False):
    """Gini coefficient over the last axis, normalised by ``(N - 1)/N`` so its maximum is 1.

    Exact: ``sum_ij |x_i - x_j| / (2 N sum x) / ((N - 1)/N)``. With ``foundation_gini`` and
    ``N >= 30``, Foundation's approximation ``1 - 2/(N+1) sum cumsum(sort x) / sum x``.
    """
    x = jnp.asarray(x)
    n = x.shape[-1]
    if n < 2:
        raise ConfigError(f"the Gini coefficient needs at least 2 agents, got {n}")
    if foundation_gini and n >= FOUNDATION_APPROX_MIN_N:
        s = jnp.sort(x, axis=-1)
        return 1.0 - (2.0 / (n + 1)) * jnp.sum(jnp.cumsum(s, axis=-1), axis=-1) / (jnp.sum(s, axis=-1) + GINI_EPS)
    diff = jnp.sum(jnp.abs(x[..., :, None] - x[..., None, :]), axis=(-2, -1))
    return diff / (2.0 * n * jnp.sum(x, axis=-1) + GINI_EPS) / ((n - 1) / n)


def equality(x, foundation_gini: bool = False):
    """``1 - Gini(x)``."""
    return 1.0 - gini(x, foundation_gini)


def productivity(coin):
    """Foundation's ``social/productivity``: total coin."""
    return jnp.sum(coin, axis=-1)


# ---------------------------------------------------------------------------------------------
# Social welfare functions
# ---------------------------------------------------------------------------------------------
def coin_eq_times_productivity(coin, equality_weight=1.0, foundation_gini: bool = False):
    """``(w * equality(c) + 1 - w) * mean(c)``: "equality x productivity" per capita."""
    eq = equality(coin, foundation_gini)
    return (equality_weight * eq + (1.0 - equality_weight)) * jnp.mean(coin, axis=-1)


def inverse_income_weights(income):
    """Pareto weights ``g_i = (1/max(z_i, 1)) / sum_j (1/max(z_j, 1))``."""
    inv = 1.0 / jnp.maximum(income, 1.0)
    return inv / jnp.sum(inv, axis=-1, keepdims=True)


def inv_income_weighted_utility(income, utilities):
    """``sum_i g_i u_i`` with the inverse-income Pareto weights of ``income``."""
    return jnp.sum(inverse_income_weights(income) * utilities, axis=-1)


def social_welfare(name: str, *, coin, income, utilities, equality_weight=1.0,
                   foundation_gini: bool = False):
    """The planner's objective by name (see the module docstring); ``income`` is the quantity the
    inverse-income weights use (pre-tax income in the one-step economy, coin in GTB)."""
    if name == "inv_income_weighted_utility":
        return inv_income_weighted_utility(income, utilities)
    if name == "coin_eq_times_productivity":
        return coin_eq_times_productivity(coin, equality_weight, foundation_gini)
    if name == "inv_income_weighted_coin":
        return inv_income_weighted_utility(income, coin)
    if name == "utilitarian":
        return jnp.mean(utilities, axis=-1)
    raise ConfigError(f"unknown social welfare function {name!r}; allowed: {list(WELFARE_FUNCTIONS)}")
