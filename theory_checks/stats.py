"""Statistics for theory checks: pseudo-regret curves, growth rates, bounds with margins.

Lessons from the frameworks spec §5: textbook bounds are loose, so a bound-only check has weak
teeth; add a rate check over log-spaced horizons and a negative control that must fail it;
measure pseudo-regret (expected values), not realised returns.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np


class MeanSE(NamedTuple):
    mean: float
    se: float

    def upper(self, z: float = 3.0) -> float:
        return self.mean + z * self.se

    def lower(self, z: float = 3.0) -> float:
        return self.mean - z * self.se

    def __str__(self) -> str:
        return f"{self.mean:.4g} ± {self.se:.2g}"


def mean_se(samples: Sequence[float] | np.ndarray) -> MeanSE:
    """Mean and standard error over seeds."""
    x = np.asarray(samples, np.float64).ravel()
    se = float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0
    return MeanSE(float(x.mean()), se)


def cumulative_regret(per_step: np.ndarray) -> np.ndarray:
    """``[seeds, T]`` per-iteration pseudo-regret -> cumulative ``[seeds, T]``."""
    return np.cumsum(np.asarray(per_step, np.float64), axis=-1)


def regret_at(cum: np.ndarray, horizons: Sequence[int]) -> list[MeanSE]:
    """Mean +- SE over seeds of the cumulative regret at each horizon ``T`` (1-based)."""
    return [mean_se(cum[:, T - 1]) for T in horizons]


def growth_ratio(cum: np.ndarray, T1: int, T2: int, T3: int) -> float:
    """``[R(T3) - R(T2)] / [R(T2) - R(T1)]`` on the seed-mean curve.

    With ``T1, T2, T3`` a decade apart it is about 1 for logarithmic regret, ``sqrt(10) = 3.16``
    for ``sqrt(T)`` regret and 10 for linear regret (frameworks spec §5).
    """
    mean = np.asarray(cum, np.float64).mean(0)
    denominator = mean[T2 - 1] - mean[T1 - 1]
    return float((mean[T3 - 1] - mean[T2 - 1]) / max(denominator, 1e-12))


def growth_exponent(cum: np.ndarray, T: int, factor: int = 10) -> float:
    """``log(R(T) / R(T / factor)) / log(factor)``: the local exponent ``p`` of ``R ~ T^p``
    (1 = linear; 0.5 = square root; near 0 = logarithmic)."""
    mean = np.asarray(cum, np.float64).mean(0)
    lo = max(1, T // factor)
    return float(np.log(max(mean[T - 1], 1e-12) / max(mean[lo - 1], 1e-12)) / np.log(T / lo))


def growth_exponents_per_seed(cum: np.ndarray, T: int, factor: int = 10) -> np.ndarray:
    """The exponent of :func:`growth_exponent` for every seed separately."""
    lo = max(1, T // factor)
    c = np.asarray(cum, np.float64)
    return np.log(np.maximum(c[:, T - 1], 1e-12) / np.maximum(c[:, lo - 1], 1e-12)) / np.log(T / lo)


def fit_rates(cum: np.ndarray, start: int = 1) -> dict[str, float]:
    """Relative residual of least-squares fits ``R(t) = a f(t) + b`` for ``f`` in
    ``log t``, ``sqrt t`` and ``t`` on the seed-mean curve (smaller = better fit)."""
    mean = np.asarray(cum, np.float64).mean(0)
    t = np.arange(1, mean.shape[0] + 1, dtype=np.float64)[start - 1:]
    y = mean[start - 1:]
    out = {}
    for name, f in (("log", np.log(t)), ("sqrt", np.sqrt(t)), ("linear", t)):
        X = np.stack([f, np.ones_like(f)], axis=1)
        coef, *_ = np.linalg.lstsq(X, y, rcond=None)
        out[name] = float(np.linalg.norm(X @ coef - y) / max(np.linalg.norm(y), 1e-12))
    return out


def best_rate(cum: np.ndarray, start: int = 1) -> str:
    fits = fit_rates(cum, start)
    return min(fits, key=fits.get)


def below_bound(samples: np.ndarray, bound: float, z: float = 3.0) -> tuple[bool, MeanSE]:
    """True when mean + ``z`` SE of the samples is at most ``bound``."""
    m = mean_se(samples)
    return m.upper(z) <= bound, m
