"""Exact ground-truth oracles for small LSD instances (spec §5), in plain numpy / scipy.

They are deliberately independent of the JAX code they check:

- :func:`brute_force`: the best of all ``k^T`` open-loop sequences (spec test 3);
- :func:`dp_numpy`: the plain backward DP over reachable states (spec §5.1), the reference of the
  benchmark;
- :func:`dp_forward`: a forward DP (best reward to reach each state in ``t`` rounds), a second,
  independent computation of ``OPT_T`` (spec test 6);
- :func:`lp_bound`: the long-run relaxation of spec §3.3 solved with scipy's HiGHS (spec §5.4);
- :func:`max_mean_cycle`: Karp's maximum mean cycle, the long-run optimal gain (spec §5.3).
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import scipy.optimize
import scipy.sparse

from rlkit.lsd import StateGraph, arm_means, reachable_graph, sequence_means, state_index, transition


def _graph(mu: np.ndarray, init_state=None) -> StateGraph:
    return reachable_graph(mu.shape[0], mu.shape[1] // 2, init_state)


def brute_force(mu: np.ndarray, horizon: int, init_state=None) -> tuple[float, tuple[int, ...]]:
    """``max`` over all ``k^T`` action sequences of their total expected reward (vectorised)."""
    mu = np.asarray(mu, np.float64)
    k, m = mu.shape[0], mu.shape[1] // 2
    tau0 = np.full(k, m) if init_state is None else np.asarray(init_state)
    seqs = np.asarray(list(itertools.product(range(k), repeat=horizon)), np.int64)
    tau = np.broadcast_to(tau0, (seqs.shape[0], k)).astype(np.int64)
    total = np.zeros(seqs.shape[0])
    for t in range(horizon):
        a = seqs[:, t]
        total += mu[a, state_index(tau[np.arange(len(a)), a], m, np)]
        tau = transition(tau, a, m, np)
    best = int(np.argmax(total))
    return float(total[best]), tuple(int(x) for x in seqs[best])


def dp_numpy(mu: np.ndarray, horizon: int, init_state=None, graph: StateGraph | None = None) -> float:
    """``OPT_T`` by the plain backward DP ``V_h = max_j rew[:, j] + V_{h-1}[nxt[:, j]]``."""
    graph = _graph(mu, init_state) if graph is None else graph
    rew = graph.rewards(mu)
    V = np.zeros(graph.size)
    for _ in range(horizon):
        V = np.max(rew + V[graph.nxt], axis=1)
    return float(V[graph.start])


def opt_sequence(mu: np.ndarray, horizon: int, init_state=None) -> np.ndarray:
    """``[OPT_0, OPT_1, ..., OPT_T]`` by the same backward DP, recording ``V_h[s0]`` at every h."""
    graph = _graph(mu, init_state)
    rew = graph.rewards(mu)
    V = np.zeros(graph.size)
    out = np.zeros(horizon + 1)
    for h in range(1, horizon + 1):
        V = np.max(rew + V[graph.nxt], axis=1)
        out[h] = V[graph.start]
    return out


def dp_forward(mu: np.ndarray, horizon: int, init_state=None) -> float:
    """``OPT_T`` forward: ``F_t(s')`` = best reward of ``t`` rounds from ``s0`` ending in ``s'``
    (a max over each state's incoming edges, grouped with ``np.maximum.reduceat``)."""
    graph = _graph(mu, init_state)
    rew = graph.rewards(mu).ravel()
    dst = graph.nxt.ravel()
    src = np.repeat(np.arange(graph.size), graph.k)
    order = np.argsort(dst, kind="stable")
    src, rew, dst = src[order], rew[order], dst[order]
    targets, starts = np.unique(dst, return_index=True)
    F = np.full(graph.size, -np.inf)
    F[graph.start] = 0.0
    for _ in range(horizon):
        G = np.full(graph.size, -np.inf)
        G[targets] = np.maximum.reduceat(F[src] + rew, starts)
        F = G
    return float(np.max(F))


def greedy_sequence(mu: np.ndarray, horizon: int, init_state=None) -> np.ndarray:
    """Oracle Greedy's actions in numpy (ties to the lowest index): ``argmax_i mu_i(tau_i)``."""
    mu = np.asarray(mu, np.float64)
    k, m = mu.shape[0], mu.shape[1] // 2
    tau = np.full(k, m) if init_state is None else np.asarray(init_state)
    actions = np.empty(horizon, np.int64)
    for t in range(horizon):
        actions[t] = int(np.argmax(arm_means(mu, tau, np)))
        tau = transition(tau, actions[t], m, np)
    return actions


def sequence_value(mu: np.ndarray, actions, init_state=None) -> float:
    """Total expected reward of an open-loop action sequence."""
    mu = np.asarray(mu, np.float64)
    k, m = mu.shape[0], mu.shape[1] // 2
    init = np.full(k, m) if init_state is None else np.asarray(init_state)
    return float(sequence_means(mu, init, np.asarray(actions)).sum())


class LPSolution(NamedTuple):
    value: float          # LP* (long-run reward per round)
    z: np.ndarray         # [k, m, m] episode rates z[i, g-1, l-1]
    y: np.ndarray         # [k] extra saturated pulls per round


def episode_rewards(mu: np.ndarray) -> np.ndarray:
    """``R_i(g, l) = mu_i(+g) + sum_{q=1}^{l-1} mu_i(-min(q, m))`` as ``[k, m, m]`` (spec §3.3)."""
    mu = np.asarray(mu, np.float64)
    m = mu.shape[1] // 2
    rested = mu[:, m:]                                   # mu(+1..+m)
    satiated = mu[:, :m][:, ::-1]                        # mu(-1..-m)
    run = np.concatenate([np.zeros((mu.shape[0], 1)), np.cumsum(satiated[:, : m - 1], axis=1)], 1)
    return rested[:, :, None] + run[:, None, :]


def lp_bound(mu: np.ndarray) -> LPSolution:
    """The long-run relaxation of spec §3.3 with scipy's HiGHS (spec §5.4).

    ``max sum R_i(g,l) z_{i,g,l} + sum mu_i(-m) y_i`` s.t. ``sum (g+l) z_{i,g,l} + y_i <= 1`` per
    arm, ``sum l z + sum y <= 1``, ``z, y >= 0``.
    """
    mu = np.asarray(mu, np.float64)
    k, m = mu.shape[0], mu.shape[1] // 2
    R = episode_rewards(mu)
    g = np.arange(1, m + 1)[:, None]
    l = np.arange(1, m + 1)[None, :]
    nz = k * m * m
    c = -np.concatenate([R.ravel(), mu[:, 0]])
    rows, cols, vals = [], [], []
    occupancy = np.broadcast_to(g + l, (m, m)).ravel()
    pulls = np.broadcast_to(l, (m, m)).ravel().astype(np.float64)
    for i in range(k):
        idx = i * m * m + np.arange(m * m)
        rows += [i] * (m * m) + [i]
        cols += list(idx) + [nz + i]
        vals += list(occupancy) + [1.0]
        rows += [k] * (m * m) + [k]
        cols += list(idx) + [nz + i]
        vals += list(pulls) + [1.0]
    A = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(k + 1, nz + k))
    res = scipy.optimize.linprog(c, A_ub=A, b_ub=np.ones(k + 1), bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on the LSD relaxation: {res.message}")
    x = res.x
    return LPSolution(float(-res.fun), x[:nz].reshape(k, m, m), x[nz:])


def max_mean_cycle(mu: np.ndarray, init_state=None) -> float:
    """Long-run optimal gain: the maximum mean cycle of the reachable state graph (Karp 1978).

    ``D_t(v)`` = max weight of a walk of exactly ``t`` edges ending at ``v`` (from any start);
    the gain is ``max_v min_{0 <= t < n} (D_n(v) - D_t(v)) / (n - t)``. ``O(|R|^2 k)``.
    """
    graph = _graph(mu, init_state)
    n = graph.size
    rew = graph.rewards(mu).ravel()
    dst = graph.nxt.ravel()
    src = np.repeat(np.arange(n), graph.k)
    D = np.full((n + 1, n), -np.inf)
    D[0] = 0.0
    for t in range(n):
        np.maximum.at(D[t + 1], dst, D[t, src] + rew)
    with np.errstate(invalid="ignore"):
        ratios = (D[n][None, :] - D[:n]) / (n - np.arange(n))[:, None]
    ratios = np.where(np.isfinite(D[n])[None, :] & np.isfinite(D[:n]), ratios, np.inf)
    per_vertex = np.min(ratios, axis=0)
    return float(np.max(per_vertex[np.isfinite(D[n])]))
