"""Skill heterogeneity (spec §1.2 and §2): deterministic Pareto skill ladders, host-side numpy.

Foundation draws ``(max - 1) * Pareto-II(shape) + 1`` clipped at ``max`` and ranks agents by the
mean of each order statistic over many samples, so agent ``i`` has the ``i``-th lowest skill.
[design] Our version takes an explicit seed (default 0; Foundation's one-step economy draws
unseeded) and honours ``pareto_param`` (Foundation stores it but hard-codes the shape 4; identical
at the default).
"""
from __future__ import annotations

import numpy as np

from rlkit.config import ConfigError


def pareto_skill_ladder(n_agents: int, max_multiplier: float = 3.0, pareto_param: float = 4.0,
                        seed: int = 0, samples: int = 1000) -> np.ndarray:
    """Mean order statistics of ``min(m, (m - 1) Pareto(a) + 1)`` over ``samples`` draws, sorted
    ascending (Foundation ``SimpleLabor``). ``N = 4``, seed 0: ``[1.128, 1.321, 1.650, 2.256]``."""
    if int(n_agents) < 1:
        raise ConfigError(f"n_agents must be >= 1, got {n_agents}")
    if not max_multiplier >= 1:
        raise ConfigError(f"payment_max_skill_multiplier must be >= 1, got {max_multiplier}")
    if not pareto_param > 0:
        raise ConfigError(f"pareto_param must be > 0, got {pareto_param}")
    rng = np.random.RandomState(seed)
    draws = rng.pareto(pareto_param, size=(samples, int(n_agents)))
    clipped = np.minimum(max_multiplier, (max_multiplier - 1.0) * draws + 1.0)
    return np.sort(clipped, axis=1).mean(axis=0)


def build_payment_ladder(n_agents: int = 4, payment: float = 10.0, max_multiplier: float = 3.0,
                         seed: int = 1, samples: int = 100_000) -> np.ndarray:
    """GTB's fixed build payments (``fixed_four_skill_and_loc``): ``payment`` times the mean order
    statistics of ``min(m, (m - 1) Pareto(4) + 1)``; 4 agents give ``[11.332, 13.267, 16.472, 22.250]``."""
    return payment * pareto_skill_ladder(n_agents, max_multiplier, 4.0, seed, samples)


def validate_skills(skills, name: str = "skills") -> np.ndarray:
    """Raise :class:`ConfigError` unless every skill is finite and > 0."""
    s = np.asarray(skills, np.float64)
    if s.ndim != 1 or s.size == 0:
        raise ConfigError(f"{name} must be a non-empty 1-D list, got {skills!r}")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ConfigError(f"{name} must be finite and > 0 (no negative or zero skill), got {list(s)}")
    return s


def gather_bonus_ladder(n_agents: int = 4, seed: int = 1, samples: int = 100_000) -> np.ndarray:
    """Bonus-unit probabilities of gathering: mean order statistics of Foundation's per-reset draw
    ``min(2, Pareto(3)) / 2`` (ascending). [design] Fixed per skill rank instead of re-drawn."""
    rng = np.random.RandomState(seed)
    draws = np.minimum(2.0, rng.pareto(3.0, size=(samples, int(n_agents)))) / 2.0
    return np.sort(draws, axis=1).mean(axis=0)
