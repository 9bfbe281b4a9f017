"""Plain numpy references for the SQIRL family: the exact effective-horizon analysis and tabular
SQIRL, written independently of the jitted versions (loops over steps, no shared code) so that
tests can cross-check them and the benchmark can time the jitted code against them.

The model is given as numpy arrays ``next_state, prob, reward [Ht, S, A, K]`` (step ``t`` uses
entry ``min(t, Ht - 1)``), ``start`` and ``terminal[S]``: :func:`model_arrays` reads them off a
:class:`rlkit.sparse_mdp.SparseMDP`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

TOL = 1e-4


class Arrays(NamedTuple):
    next_state: np.ndarray
    prob: np.ndarray
    reward: np.ndarray
    start: int
    terminal: np.ndarray
    horizon: int


def model_arrays(mdp) -> Arrays:
    return Arrays(np.asarray(mdp.next_state), np.asarray(mdp.prob), np.asarray(mdp.reward),
                  int(mdp.start), np.asarray(mdp.terminal), mdp.horizon)


def _at(m: Arrays, t: int):
    i = min(t, m.next_state.shape[0] - 1)
    return m.next_state[i], m.prob[i], m.reward[i]


def _q(m: Arrays, t: int, v_next: np.ndarray) -> np.ndarray:
    nxt, p, r = _at(m, t)
    return (p * (r + v_next[nxt])).sum(-1)


def values(m: Arrays):
    """``(Q_rand, Q_star, Q_worst)`` ``[T, S, A]`` with ``V^rand`` clipped into ``[V^worst, V*]``."""
    T, S, A = m.horizon, m.next_state.shape[1], m.next_state.shape[2]
    Qr, Qs, Qw = (np.zeros((T, S, A)) for _ in range(3))
    vr = vs = vw = np.zeros(S)
    for t in reversed(range(T)):
        Qr[t], Qs[t], Qw[t] = _q(m, t, vr), _q(m, t, vs), _q(m, t, vw)
        vs, vw = Qs[t].max(1), Qw[t].min(1)
        vr = np.clip(Qr[t].mean(1), vw, vs)
    return Qr, Qs, Qw


def _qvi(m: Arrays, Q: np.ndarray) -> np.ndarray:
    out = Q.copy()
    for t in range(m.horizon - 1):
        out[t] = _q(m, t, Q[t + 1].max(1))
    return out


def _successors(m: Arrays, t: int, use: np.ndarray) -> np.ndarray:
    nxt, p, _ = _at(m, t)
    reached = np.zeros(nxt.shape[0], bool)
    reached[nxt[use[..., None] & (p > 0)]] = True
    return reached


def _greedy_optimal(m: Arrays, Q: np.ndarray, Qs: np.ndarray) -> bool:
    reach = np.zeros(Q.shape[1], bool)
    reach[m.start] = True
    for t in range(m.horizon):
        greedy = (Q[t] >= Q[t].max(1, keepdims=True)) & reach[:, None]
        optimal = Qs[t] >= Qs[t].max(1, keepdims=True) - TOL
        if np.any(greedy & ~optimal):
            return False
        reach = _successors(m, t, greedy)
    return True


def _worst_greedy(m: Arrays, Q: np.ndarray) -> float:
    v = np.zeros(Q.shape[1])
    for t in reversed(range(m.horizon)):
        q = _q(m, t, v)
        v = np.where(Q[t] >= Q[t].max(1, keepdims=True), q, np.inf).min(1)
    return float(v[m.start])


def _first_k(m: Arrays, Q1: np.ndarray, Qs: np.ndarray) -> int | None:
    Q = Q1
    for k in range(1, m.horizon + 1):
        if _greedy_optimal(m, Q, Qs):
            return k
        Q = _qvi(m, Q)
    return None


def _bound_at(m: Arrays, Q, VB, Qs, k) -> tuple[bool, int, float | None, float]:
    T, S, A = Q.shape
    sub = Qs < Qs.max(2, keepdims=True) - TOL
    best = (None, -1.0, None, None)                  # (key, m, gap, var) with key (s, t)
    reach = np.zeros(S, bool)
    reach[m.start] = True
    for t in range(T):
        for s in np.flatnonzero(reach):
            if sub[t, s].any():
                mx, mx_sub = Q[t, s].max(), Q[t, s][sub[t, s]].max()
                if mx == mx_sub:
                    return False, 0, None, 0.0
                gap = mx - mx_sub
                m_ts = max(1, math.ceil(16 * VB[t, s].max() / gap ** 2 * math.log(2 * T * A ** k)))
            else:
                mx_sub, gap, m_ts = -np.inf, None, 1
            key = (s, t)
            if m_ts > best[1] or (m_ts == best[1] and key < best[0]):
                best = (key, m_ts, gap, float(VB[t, s].max()))
        through = (Q[t] > np.where(sub[t], Q[t], -np.inf).max(1, keepdims=True)) & reach[:, None]
        reach = _successors(m, t, through)
    return True, best[1], best[2], best[3]


def analyze(m: Arrays, sticky: bool) -> dict:
    """The upstream JSON keys (see :func:`theory_checks.effective_horizon.analyze`)."""
    T, S, A = m.horizon, m.next_state.shape[1], m.next_state.shape[2]
    Qr, Qs, Qw = values(m)
    R = np.stack([(_at(m, t)[1] * _at(m, t)[2]).sum(-1) for t in range(T)])
    out = {"min_k": _first_k(m, Qr, Qs), "epw": _first_k(m, R, Qs)}
    vs, vr, vw = (float(Q[0, m.start].max() if f == "max" else Q[0, m.start].mean() if f == "mean"
                        else Q[0, m.start].min()) for Q, f in ((Qs, "max"), (Qr, "mean"), (Qw, "min")))
    if sticky:
        reach = np.zeros(S, bool)
        reach[m.start] = True
        seen = reach.copy()
        for t in range(T - 1):
            reach = _successors(m, t, np.repeat(reach[:, None], A, 1))
            seen |= reach
        greedy, Q = [], Qr
        for _ in range(5):
            greedy.append(_worst_greedy(m, Q))
            Q = _qvi(m, Q)
        out.update(num_states=int(seen.sum()), greedy_returns=greedy, optimal_return=vs,
                   random_return=vr, worst_return=vw)
        return out
    ks, ms, gaps, variances = [], [], [], []
    best, Q, VB = float(T), Qr, (Qr - Qw) * (Qs - Qw)
    k = 1
    while k < best:
        ok, m_k, gap, var = _bound_at(m, Q, VB, Qs, k)
        if ok:
            ks.append(k), ms.append(m_k), gaps.append(gap), variances.append(var)
            best = min(best, k + math.log(m_k) / math.log(A))
        Q = _qvi(m, Q)
        nxt_vb = VB.copy()
        for t in range(T - 1):
            nxt_vb[t] = (_at(m, t)[1] * VB[t + 1].max(1)[_at(m, t)[0]]).sum(-1)
        VB, k = nxt_vb, k + 1
    d = np.zeros((T, S))
    d[0, m.start] = 1.0
    for t in range(T - 1):
        nxt, p, _ = _at(m, t)
        np.add.at(d[t + 1], nxt.ravel(), (d[t][:, None, None] / A * p).ravel())
    keep = ~m.terminal

    def minimum(x):
        x = x[keep]
        return float(x[x > 0].min())

    out.update(effective_horizon=best, effective_horizon_results={
        "ks": ks, "ms": ms, "gaps": gaps, "vars": variances, "effective_horizon": best},
        min_occupancy_results={"min_state_action_occupancy": minimum(d.max(0) / A),
                               "min_sum_state_action_occupancy": minimum(d.sum(0) / A),
                               "min_state_occupancy": minimum(d.max(0)),
                               "min_sum_state_occupancy": minimum(d.sum(0))},
        optimal_return=vs, random_return=vr, worst_return=vw)
    return out


# ---------------------------------------------------------------------------------------------
# Tabular SQIRL in numpy (sqirl spec §1.1 / §1.4), simulating a BRIDGE MDP with sticky actions
# ---------------------------------------------------------------------------------------------
def sqirl_numpy(transitions: np.ndarray, rewards: np.ndarray, horizon: int, sticky: float, k: int,
                m: int, seed: int, gamma: float = 1.0) -> np.ndarray:
    """Tabular SQIRL on augmented states ``u * A + prev``; returns actions ``[H, S * A]``."""
    rng = np.random.default_rng(seed)
    S, A = transitions.shape
    SA = S * A
    policy = np.zeros((horizon, SA), np.int64)
    for i in range(horizon):
        obs = np.zeros((m, horizon), np.int64)
        act = np.zeros((m, horizon), np.int64)
        rew = np.zeros((m, horizon))
        u = np.zeros(m, np.int64)
        prev = np.zeros(m, np.int64)
        for t in range(horizon):
            o = u * A + prev
            a = policy[t, o] if t < i else rng.integers(0, A, m)
            stuck = (t > 0) & (rng.random(m) < sticky)
            executed = np.where(stuck, prev, a)
            obs[:, t], act[:, t], rew[:, t] = o, a, rewards[u, executed]
            u, prev = transitions[u, executed], executed
        ret = np.zeros((m, horizon + 1))
        for t in reversed(range(horizon)):
            ret[:, t] = rew[:, t] + gamma * ret[:, t + 1]
        leaf = min(i + k - 1, horizon - 1)

        def regress(t, y):
            idx = obs[:, t] * A + act[:, t]
            sums = np.bincount(idx, y, SA * A)
            counts = np.bincount(idx, None, SA * A)
            return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0).reshape(SA, A)

        Q = regress(leaf, ret[:, leaf])
        for t in range(leaf - 1, i - 1, -1):
            y = rew[:, t] + gamma * Q[obs[:, t + 1]].max(1)
            Q = regress(t, y)
        policy[i] = Q.argmax(1)
    return policy
