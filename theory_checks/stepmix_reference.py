"""The numpy reference prototype of ``specs/stepmix.md`` Appendix A (the spec's own code, kept
as written apart from layout), used as the speed reference of ``experiments/bench/stepmix.py``
and as an independent cross-check of the JAX agents in ``tests/stepmix``.

It registers no theory check. Note two differences from the JAX agents: it uses the fixed-``K``
log term ``L = 2 (S ln 2 + ln(S A H K / delta))`` where :func:`rlkit.tabular.optimistic_plan`
uses the anytime ``K = k (k + 1)``; and it draws actions and next states with
``numpy.random.Generator.choice``. Pass ``anytime=True`` to :class:`Model` to use the anytime term.
"""
from __future__ import annotations

import numpy as np


def make_mdp(S, A, H, seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(H, S, A))
    r = rng.uniform(0.0, 1.0, size=(H, S, A))
    return P, r


def evaluate(P, r, pi):
    V = np.zeros(P.shape[1])
    for h in range(P.shape[0] - 1, -1, -1):
        V = (pi[h] * (r[h] + P[h] @ V)).sum(-1)
    return V


def optimal(P, r):
    H, S, A, _ = P.shape
    V = np.zeros(S)
    pi = np.zeros((H, S, A))
    for h in range(H - 1, -1, -1):
        Q = r[h] + P[h] @ V
        pi[h, np.arange(S), Q.argmax(-1)] = 1.0
        V = Q.max(-1)
    return V, pi


class Model:
    def __init__(self, S, A, H, K, r, delta=0.05, c=1.0, prior=None, anytime=False):
        self.S, self.A, self.H, self.r, self.c, self.delta = S, A, H, r, c, delta
        self.anytime, self.episodes = anytime, 0
        self.Nn = np.zeros((H, S, A, S)) if prior is None else prior.astype(float).copy()
        self.L = 2.0 * (S * np.log(2.0) + np.log(S * A * H * max(K, 1) / delta))
        self.span = (H - 1 - np.arange(H)).astype(float)

    def estimate(self):
        N = self.Nn.sum(-1)
        n = np.maximum(N, 1.0)
        Ph = np.where(N[..., None] > 0, self.Nn / n[..., None], 1.0 / self.S)
        L = self.L
        if self.anytime:
            k = max(self.episodes, 1.0)
            L = 2.0 * (self.S * np.log(2.0) + np.log(self.S * self.A * self.H * k * (k + 1) / self.delta))
        b = np.minimum(self.c * self.span[:, None, None] * np.sqrt(L / n), self.span[:, None, None])
        return Ph, b

    def update(self, traj):
        for h, (s, a, s2) in enumerate(traj):
            self.Nn[h, s, a, s2] += 1
        self.episodes += 1


def ucb_policy(Ph, b, r):
    H, S, A, _ = Ph.shape
    V = np.zeros(S)
    pi = np.zeros((H, S, A))
    for h in range(H - 1, -1, -1):
        Q = np.minimum(r[h] + Ph[h] @ V + b[h], H - h)
        pi[h, np.arange(S), Q.argmax(-1)] = 1.0
        V = Q.max(-1)
    return pi


def lcb_clipped(Ph, b, r, pi, s1):
    V = np.zeros(Ph.shape[1])
    for h in range(Ph.shape[0] - 1, -1, -1):
        V = (pi[h] * np.maximum(r[h] + Ph[h] @ V - b[h], 0.0)).sum(-1)
    return V[s1]


def lcb_linear(Ph, b, r, pi, s1):
    V = np.zeros(Ph.shape[1])
    for h in range(Ph.shape[0] - 1, -1, -1):
        V = (pi[h] * (r[h] + Ph[h] @ V - b[h])).sum(-1)
    return V[s1]


def stepmix_rho(Ph, b, r, pibar, pib, Vb, thr, s1, iters=12):
    H = Ph.shape[0]
    corr = Vb - lcb_linear(Ph, b, r, pib, s1)

    def cert(rho):
        pr = rho * pibar + (1.0 - rho) * pib
        return max(lcb_linear(Ph, b, r, pr, s1) + (1.0 - rho) ** H * corr, lcb_clipped(Ph, b, r, pr, s1))

    if cert(1.0) >= thr:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cert(mid) >= thr else (lo, mid)
    return lo


def epsmix_rho(Ph, b, r, pibar, Vb, thr, s1):
    v = lcb_clipped(Ph, b, r, pibar, s1)
    return 1.0 if v >= thr else (Vb - thr) / (Vb - v)


def run(alg, P, r, pib, alpha, K, seed, c=0.2, delta=0.05, s1=0, anytime=False):
    H, S, A, _ = P.shape
    Vstar = optimal(P, r)[0][s1]
    Vb = evaluate(P, r, pib)[s1]
    thr = (1.0 - alpha) * Vb
    env_rng, coin_rng = np.random.default_rng([seed, 1]), np.random.default_rng([seed, 2])
    M = Model(S, A, H, K, r, delta, c, anytime=anytime)
    vals = np.zeros(K)
    rhos = np.zeros(K)
    for k in range(K):
        Ph, b = M.estimate()
        pibar = ucb_policy(Ph, b, r)
        if alg == 'ucbvi':
            rho, pi = 1.0, pibar
            v = evaluate(P, r, pi)[s1]
        elif alg == 'stepmix':
            rho = stepmix_rho(Ph, b, r, pibar, pib, Vb, thr, s1)
            pi = rho * pibar + (1.0 - rho) * pib
            v = evaluate(P, r, pi)[s1]
        elif alg == 'epsmix':
            rho = epsmix_rho(Ph, b, r, pibar, Vb, thr, s1)
            v = rho * evaluate(P, r, pibar)[s1] + (1.0 - rho) * Vb
            pi = pibar if coin_rng.random() < rho else pib
        else:
            raise ValueError(f"unknown algorithm {alg!r}")
        vals[k], rhos[k] = v, rho
        s, traj = s1, []
        for h in range(H):
            a = env_rng.choice(A, p=pi[h, s])
            s2 = env_rng.choice(S, p=P[h, s, a])
            traj.append((s, a, s2))
            s = s2
        M.update(traj)
    return dict(Vstar=Vstar, Vb=Vb, thr=thr, vals=vals, rhos=rhos,
                regret=np.cumsum(Vstar - vals), violations=int((vals < thr - 1e-9).sum()))
