"""Closed forms of the one-step economy (spec §1.6-1.7) and the checks that hold the exact model and
the env to them.

Setup: agent ``i`` with skill ``s_i`` works ``l`` hours, earns ``z = s_i l``, pays ``T(z)`` and gets
back ``1/N`` of the revenue; utility ``u = c - kappa l^delta``.

- Best response to a flat tax ``tau``: ``l* = (k s / (kappa delta))^(1/(delta - 1))`` with the keep
  rate ``k = 1 - tau (1 - 1/N)`` (the agent internalises its own ``1/N`` share of its tax; the
  atomistic textbook agent has ``k = 1 - tau``).
- Two brackets ``tau1 < tau2`` with cutoff ``c`` (``delta = 2``): interior in bracket 1 if
  ``s l1* <= c``, interior in bracket 2 if ``s l2* >= c``, else bunching at the kink ``l = c / s``.
- Isoelastic utility ``(c^(1-eta) - 1)/(1 - eta) - kappa l``: the interior first-order condition
  ``c_i^(-eta) k s_i = kappa`` gives ``c_i = (k s_i / kappa)^(1/eta)``.
- Optimal flat tax with inverse-income Pareto weights: ``g = H/M`` (harmonic over arithmetic mean of
  ``s^(delta/(delta-1))``), atomistic ``tau* = (1 - g)/(1 - g + e)`` with ``e = 1/(delta - 1)``
  (Sheshinski/Saez linear tax); finite ``N`` with own share and ``delta = 2``:
  ``tau* = (1 - g) / (2a - g a (2 - a))``, ``a = 1 - 1/N``.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar


def keep_rate(tau, n_agents: int, own_share: bool = True):
    """``k = 1 - tau a`` with ``a = 1 - 1/N`` (own share) or ``a = 1`` (atomistic)."""
    a = 1.0 - 1.0 / n_agents if own_share else 1.0
    return 1.0 - np.asarray(tau) * a


def interior_labor(skill, tau, kappa, delta, n_agents: int, own_share: bool = True):
    """``(k s / (kappa delta))^(1/(delta - 1))`` (continuous, unclipped)."""
    k = keep_rate(tau, n_agents, own_share)
    return (k * np.asarray(skill) / (kappa * delta)) ** (1.0 / (delta - 1.0))


def closed_form_labor(skill, tau, kappa, delta, n_agents: int, max_labor: int = 100, own_share: bool = True):
    """The interior best response clipped to ``[0, max_labor]``."""
    return np.clip(interior_labor(skill, tau, kappa, delta, n_agents, own_share), 0.0, max_labor)


def kinked_labor(skill, tau1, tau2, cutoff, kappa, n_agents: int, max_labor: int = 100):
    """The textbook best response to two brackets (``delta = 2``, own share), continuous hours."""
    l1 = interior_labor(skill, tau1, kappa, 2.0, n_agents)
    l2 = interior_labor(skill, tau2, kappa, 2.0, n_agents)
    s = np.asarray(skill)
    out = np.where(s * l1 <= cutoff, l1, np.where(s * l2 >= cutoff, l2, cutoff / s))
    return np.clip(out, 0.0, max_labor)


def isoelastic_coin_target(skill, tau, kappa, eta, n_agents: int):
    """``c_i = (k s_i / kappa)^(1/eta)`` at an interior Nash equilibrium."""
    return (keep_rate(tau, n_agents) * np.asarray(skill) / kappa) ** (1.0 / eta)


def gbar(skills, delta: float) -> float:
    """``H / M`` of ``s^(delta/(delta-1))`` (incomes are proportional to it)."""
    x = np.asarray(skills, np.float64) ** (delta / (delta - 1.0))
    return float((1.0 / np.mean(1.0 / x)) / np.mean(x))


def optimal_flat_tax_atomistic(skills, delta: float) -> float:
    g = gbar(skills, delta)
    return (1.0 - g) / (1.0 - g + 1.0 / (delta - 1.0))


def optimal_flat_tax_own_share(skills, n_agents: int | None = None) -> float:
    """``delta = 2`` only: ``(1 - g) / (2a - g a (2 - a))``."""
    n = len(skills) if n_agents is None else n_agents
    g = gbar(skills, 2.0)
    a = 1.0 - 1.0 / n
    return (1.0 - g) / (2.0 * a - g * a * (2.0 - a))


def continuous_welfare(tau, skills, kappa, delta, own_share: bool = True) -> float:
    """Inverse-income-weighted utility at continuous (unclipped) best responses to a flat tax."""
    s = np.asarray(skills, np.float64)
    n = s.size
    lab = interior_labor(s, tau, kappa, delta, n, own_share)
    z = s * lab
    coin = (1.0 - tau) * z + tau * z.sum() / n
    u = coin - kappa * lab ** delta
    w = 1.0 / np.maximum(z, 1.0)
    return float(np.sum(w / w.sum() * u))


def numerical_optimal_flat_tax(skills, kappa, delta, own_share: bool = True) -> float:
    """``argmax_tau`` of :func:`continuous_welfare` (bounded scalar search, tolerance 1e-7)."""
    res = minimize_scalar(lambda t: -continuous_welfare(t, skills, kappa, delta, own_share),
                          bounds=(0.0, 0.99), method="bounded", options={"xatol": 1e-7})
    return float(res.x)
