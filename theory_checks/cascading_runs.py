"""Shared runs of the cascading checks: batched training with exact pseudo-regret, cached per
process so that several checks (T7, T8, T9) reuse one compiled run; the spec's instances.

No check is registered here.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from envs.cascading import SyntheticCascadingConfig
from rlkit import TrainConfig
from rlkit.batch import BatchedTrainer, chunk_lengths
from theory_checks.stats import cumulative_regret

# spec T8/T9: S=3, N=5, m=2, H=3, q ~ U(0.05, 0.6), r ~ U(0, 1), Dirichlet(1) transitions
T8_INSTANCE = SyntheticCascadingConfig(S=3, N=5, m=2, H=3, q_low=0.05, q_high=0.6, instance_seed=0)
# spec T10: a cascading bandit (S = H = 1)
BANDIT_INSTANCE = SyntheticCascadingConfig(S=1, N=6, m=2, H=1, q_low=0.05, q_high=0.6, instance_seed=6)
# spec T11: S=2, N=3, m=2, H=2
BPI_INSTANCE = SyntheticCascadingConfig(S=2, N=3, m=2, H=2, instance_seed=4)
SLOPE_HORIZONS = (500, 1000, 2000, 4000, 6000)

_CACHE: dict[Any, Any] = {}
COMPILES: dict[Any, int] = {}   # compiled chunk programs per cached run (1: no recompilation)


def train_trials(env_cfg, hps: Sequence[Any], K: int, seeds: int, base_seed: int = 0):
    """Train every hyper-parameter trial (same static fields) for ``K`` episodes and ``seeds``
    seeds as one compiled, vmapped call; returns ``(per-trial metrics [seeds, K], final runner)``.
    Cached per process."""
    key = (env_cfg, tuple(hps), K, seeds, base_seed)
    if key not in _CACHE:
        batch = BatchedTrainer(env_cfg, list(hps), TrainConfig(num_iterations=K, rollout_len=env_cfg.H),
                               seeds, base_seed)
        runner, parts = batch.init(), []
        lengths = chunk_lengths(K, 2)       # two equal chunks through one compiled function
        for n in lengths:
            # place: the chunk's output sharding differs from init's (core BatchedTrainer), which
            # would otherwise recompile the second chunk
            runner, metrics = batch.run_chunk(batch.place(runner), n)
            parts.append({k: np.asarray(v) for k, v in metrics.items()})
        metrics = {k: np.concatenate([p[k] for p in parts], axis=1) for k in parts[0]}
        COMPILES[key] = batch.chunk_fn(lengths[0])._cache_size()
        _CACHE[key] = (batch.split(metrics), runner)
    return _CACHE[key]


def regret_curves(env_cfg, hps: Sequence[Any], K: int, seeds: int, base_seed: int = 0) -> list[np.ndarray]:
    """Cumulative pseudo-regret ``[seeds, K]`` of each trial."""
    per_trial, _ = train_trials(env_cfg, hps, K, seeds, base_seed)
    return [cumulative_regret(m["regret"]) for m in per_trial]


def loglog_slope(cum: np.ndarray, horizons: Sequence[int]) -> float:
    """Least-squares slope of ``log R(K)`` on ``log K`` for the seed-mean curve (spec T8)."""
    mean = np.asarray(cum, np.float64).mean(0)
    values = np.maximum([mean[k - 1] for k in horizons], 1e-12)
    return float(np.polyfit(np.log(horizons), np.log(values), 1)[0])


def per_episode_regret_decreasing(cum: np.ndarray, horizons: Sequence[int]) -> bool:
    """``R(K) / K`` strictly decreasing over the horizons (seed mean)."""
    mean = np.asarray(cum, np.float64).mean(0)
    avg = [mean[k - 1] / k for k in horizons]
    return bool(np.all(np.diff(avg) < 0))
