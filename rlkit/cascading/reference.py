"""Plain numpy references for the cascading oracles: for tests, checks and the benchmark.

- :func:`brute_force`: one state, every ordered list by ``itertools`` and the sum formula of
  ``f`` (spec §1.3) written independently of :mod:`rlkit.cascading.lists`;
- :func:`best_perm_single`: Algorithm 1 in plain Python for one state, counting DP cell updates
  (spec T4: at most ``J m``);
- :func:`best_perm_numpy`: Algorithm 1 vectorised over states with numpy (the reference the
  benchmark times the jitted :func:`rlkit.cascading.best_perm` against).
"""
from __future__ import annotations

import functools
import itertools

import numpy as np


def f_sum(items, u, w, w_bot) -> float:
    """``f(A, u, w)`` by its defining sum (spec §1.3)."""
    total, survive = 0.0, 1.0
    for a in items:
        total += survive * u[a] * w[a]
        survive *= 1.0 - u[a]
    return total + survive * w_bot


@functools.lru_cache(maxsize=None)
def _all_lists(N: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered list of 1..m distinct items, as items ``[L, m]`` (pad 0) and a mask."""
    rows = [perm for k in range(1, m + 1) for perm in itertools.permutations(range(N), k)]
    items = np.zeros((len(rows), m), np.int64)
    mask = np.zeros((len(rows), m), bool)
    for i, perm in enumerate(rows):
        items[i, :len(perm)] = perm
        mask[i, :len(perm)] = True
    return items, mask


def brute_force(u, w, w_bot, m: int) -> tuple[float, tuple[int, ...]]:
    """``max_A f`` over all ordered lists of 1..m distinct items by the sum formula of ``f``
    (spec §1.3), vectorised over lists; returns the value and the first maximiser."""
    u, w = np.asarray(u, np.float64), np.asarray(w, np.float64)
    items, mask = _all_lists(len(w), m)
    u_l = np.where(mask, u[items], 0.0)
    w_l = np.where(mask, w[items], 0.0)
    survive = np.cumprod(1.0 - u_l, axis=1)
    before = np.concatenate([np.ones((len(items), 1)), survive[:, :-1]], axis=1)
    values = np.sum(before * u_l * w_l, axis=1) + survive[:, -1] * w_bot
    best = int(np.argmax(values))
    return float(values[best]), tuple(int(a) for a in items[best][mask[best]])


def best_perm_single(u, w, w_bot, m: int) -> tuple[float, tuple[int, ...], int]:
    """Algorithm 1 (spec §2.2) for one state; returns ``(value, list, dp_cell_updates)``."""
    u, w = np.asarray(u, float), np.asarray(w, float)
    cand = sorted([a for a in range(len(w)) if w[a] > w_bot], key=lambda a: (-w[a], a))
    J = len(cand)
    if J == 0:
        scores = [u[a] * w[a] + (1 - u[a]) * w_bot for a in range(len(w))]
        a = max(range(len(w)), key=lambda i: (scores[i], -w[i], -i))
        return scores[a], (a,), 0
    F = np.full((J + 2, m + 1), w_bot)
    take = np.zeros((J + 1, m + 1), bool)
    cells = 0
    for i in range(J - 1, -1, -1):
        a = cand[i]
        for k in range(1, m + 1):
            t = u[a] * w[a] + (1 - u[a]) * F[i + 1][k - 1]
            s = F[i + 1][k]
            take[i][k] = t >= s
            F[i][k] = max(t, s)
            cells += 1
    lst, k = [], m
    for i in range(J):
        if k > 0 and take[i][k]:
            lst.append(cand[i])
            k -= 1
    return float(F[0][m]), tuple(lst) or (cand[0],), cells


def best_perm_numpy(u: np.ndarray, w: np.ndarray, w_bot: np.ndarray, m: int,
                    u_degenerate: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm 1 vectorised over states ``[B, N]`` with numpy; same tie rule as the JAX version.

    Returns ``(value [B], lists [B, m])`` (lists padded with -1).
    """
    u, w = np.asarray(u, np.float64), np.asarray(w, np.float64)
    w_bot = np.asarray(w_bot, np.float64)
    ud = u if u_degenerate is None else np.asarray(u_degenerate, np.float64)
    B, N = w.shape
    grid = 1e-10                                    # rlkit.cascading.oracles.TIE_GRID
    order = np.argsort(-np.round(w / grid), axis=1, kind="stable")
    rows = np.arange(B)[:, None]
    u_s, w_s, ud_s = u[rows, order], w[rows, order], ud[rows, order]
    cand = np.round(w_s / grid) > np.round(w_bot / grid)[:, None]
    F = np.repeat(w_bot[:, None], m + 1, axis=1)
    take = np.zeros((N, B, m), bool)
    for i in range(N - 1, -1, -1):
        t = u_s[:, i:i + 1] * w_s[:, i:i + 1] + (1.0 - u_s[:, i:i + 1]) * F[:, :-1]
        s = F[:, 1:]
        choose = cand[:, i:i + 1] & (t >= s - 1e-12)
        take[i] = choose
        F = np.concatenate([F[:, :1], np.where(choose, t, s)], axis=1)
    lists = np.full((B, m), -1, np.int32)
    k = np.full(B, m)
    pos = np.zeros(B, np.int64)
    for i in range(N):
        chosen = (k > 0) & take[i, np.arange(B), np.maximum(k - 1, 0)]
        lists[np.arange(B)[chosen], pos[chosen]] = order[chosen, i]
        k -= chosen
        pos += chosen
    single = ud_s * w_s + (1.0 - ud_s) * w_bot[:, None]
    best = np.argmax(single >= single.max(1, keepdims=True) - 1e-12, axis=1)
    degenerate = ~cand.any(1)
    value = np.where(degenerate, single[np.arange(B), best], F[:, m])
    lists[degenerate] = -1
    lists[degenerate, 0] = order[degenerate, best[degenerate]]
    return value, lists
