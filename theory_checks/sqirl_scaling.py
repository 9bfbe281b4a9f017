"""Sample-complexity scaling of tabular SQIRL, computed exactly (sqirl spec §7.8b, §7.8c).

The probability ``P(m)`` that tabular SQIRL(k, m) returns an optimal policy is a finite sum over
the sufficient statistics of its data; every term's outcome is decided by SQIRL's own regression
and backups (:func:`agents.sqirl.tabular.sqirl_iteration`, then the greedy argmax of
``TabularSQIRL.update``) run on a *weighted* dataset: a few distinct episodes with integer weights
(the counts), which is exactly least squares on the replicated data. No Monte-Carlo noise, so the
minimal ``m`` with ``P(m) >= 0.9`` is exact and the scaling checks are deterministic.

- **Bandit (8b).** A one-step, two-action problem with Bernoulli rewards of means ``1/2 -+ D/2``
  (the better arm is action 1, so ties, which SQIRL breaks to the lowest index, count as
  failures [design]). SQIRL(k = 1, m) draws ``n0 ~ Bin(m, 1/2)`` pulls of arm 0 and ``n1 = m - n0``
  of arm 1 with ``s_a ~ Bin(n_a, mu_a)`` successes; the statistics are ``(n0, s0, s1)``.
  Theory: ``m* ~ sigma^2 / D^2``, so halving the gap multiplies ``m*`` by about 4.
- **Combination lock (8c).** On ``lock(d, A, c)`` with ``k <= d`` (leaf ``L = k - 1`` in the
  first iteration) only the root decision can go wrong: at a lock state every action but 0 ends
  the episode with reward 0, so its estimate is exactly 0 and action 0 wins every tie. The root
  picks action 0 iff ``Q(root, 0) = j / n`` beats ``Q(root, 1) = c`` (when action 1 was tried),
  where ``n ~ Bin(m, A^-k)`` episodes played action 0 up to the leaf and ``j ~ Bin(n, p)`` of
  them then hit the reward, ``p = A^-(d-k)`` (the random continuation). Episodes that leave the
  chain earlier do not change these estimates (their targets at lock states equal the others';
  elsewhere they are 0 like unseen pairs). So ``P(m)`` sums over ``(n, j, decoy tried)``. Theory:
  for the same leaf problem ``(p, c)``, ``m* ~ A^k`` times the samples the leaf regression needs.

Bisection for the smallest ``m`` with ``P(m) >= 0.9`` follows upstream's ``run_gorp.jl`` (which
bisects ``m`` on its success criterion); we bracket it by doubling from ``m = 1`` first [design].
"""
from __future__ import annotations

import functools
import math
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import binom

from agents.sqirl.tabular import sqirl_iteration
from envs.bridge import lock, lock_min_k
from rlkit.checks import CheckRow, register

TARGET = 0.9                  # success probability that defines m* (spec §7.8b)
PAD_H, PAD_S, PAD_A, PAD_N = 6, 7, 4, 4   # one compiled decision program for every problem here
CHUNK = 1 << 14               # weight configurations per call (fixed shape: one compilation)
RATIO_BAND = (0.625, 1.5)     # measured / predicted ratio of m* (8b: [2.5, 6] around 4)


class WeightedEpisodes(NamedTuple):
    """Distinct episodes (padded to ``PAD_N x PAD_H``) whose weights are the sufficient statistics."""

    states: np.ndarray    # int [PAD_N, PAD_H]
    actions: np.ndarray   # int [PAD_N, PAD_H]
    rewards: np.ndarray   # float64 [PAD_N, PAD_H]


def pad_episodes(states, actions, rewards, absorbing: int) -> WeightedEpisodes:
    """Pad episodes to the common shape with steps in ``absorbing`` (reward 0, action 0): returns
    to go and every estimate SQIRL makes at the problem's own steps are unchanged."""
    n, h = np.shape(states)
    out_s = np.full((PAD_N, PAD_H), absorbing, np.int32)
    out_a = np.zeros((PAD_N, PAD_H), np.int32)
    out_r = np.zeros((PAD_N, PAD_H), np.float64)
    out_s[:n, :h], out_a[:n, :h], out_r[:n, :h] = states, actions, rewards
    return WeightedEpisodes(out_s, out_a, out_r)


@jax.jit
def _root_q_values(states, actions, rewards, weights, k):
    """SQIRL's ``Q_0(state 0, .)`` in its first iteration (``i = 0``; leaf regression and ``k - 1``
    backups of :func:`~agents.sqirl.tabular.sqirl_iteration`) for every weight vector
    ``weights[C, PAD_N]``."""
    obs = jnp.stack([jnp.broadcast_to(jnp.arange(PAD_H), states.shape), states], -1)

    def one(w):
        return sqirl_iteration(obs, actions, rewards, w, jnp.int32(0), k, 1.0, PAD_S, PAD_A)[0]

    return jax.vmap(one)(weights)


def root_q_values(episodes: WeightedEpisodes, weights: np.ndarray, k: int) -> np.ndarray:
    """:func:`_root_q_values` in fixed-size chunks (one compilation for every problem) ``[C, PAD_A]``."""
    out = []
    for start in range(0, len(weights), CHUNK):
        chunk = np.zeros((CHUNK, PAD_N))
        part = weights[start:start + CHUNK]
        chunk[:len(part), :part.shape[1]] = part
        out.append(np.asarray(_root_q_values(episodes.states, episodes.actions, episodes.rewards,
                                             chunk, jnp.int32(k)))[:len(part)])
    return np.concatenate(out) if out else np.zeros((0, PAD_A))


def first_decisions(episodes: WeightedEpisodes, weights: np.ndarray, k: int) -> np.ndarray:
    """SQIRL's greedy action at state 0 in its first iteration (the argmax of
    ``TabularSQIRL.update``: the first maximum, i.e. ties to the lowest index)."""
    return np.argmax(root_q_values(episodes, weights, k), axis=-1)


# --- 8b: the two-armed bandit ----------------------------------------------------------------
class Arm(NamedTuple):
    """A two-point reward: ``high`` with probability ``p_high``, else ``low``."""

    low: float
    high: float
    p_high: float


def bernoulli_arms(gap: float) -> tuple[Arm, Arm]:
    """Arms 0 and 1 with Bernoulli rewards of means ``1/2 - gap/2`` and ``1/2 + gap/2``."""
    return Arm(0.0, 1.0, 0.5 - gap / 2), Arm(0.0, 1.0, 0.5 + gap / 2)


def noiseless_arms(gap: float) -> tuple[Arm, Arm]:
    """The same means without noise (the negative control of 8b)."""
    return Arm(0.5 - gap / 2, 0.5 - gap / 2, 1.0), Arm(0.5 + gap / 2, 0.5 + gap / 2, 1.0)


def bandit_episodes(arms: tuple[Arm, Arm]) -> WeightedEpisodes:
    """Four one-step episodes: (arm 0, high), (arm 0, low), (arm 1, high), (arm 1, low)."""
    actions = np.array([[0], [0], [1], [1]])
    rewards = np.array([[arms[0].high], [arms[0].low], [arms[1].high], [arms[1].low]])
    return pad_episodes(np.zeros((4, 1), np.int32), actions, rewards, absorbing=1)


def binomial_table(n_max: int, p: float) -> np.ndarray:
    """``T[n, s] = P(Bin(n, p) = s)`` for ``0 <= s <= n <= n_max`` (0 above the diagonal)."""
    n, s = np.tril_indices(n_max + 1)
    table = np.zeros((n_max + 1, n_max + 1))
    table[n, s] = binom.pmf(s, n, p)
    return table


def bandit_statistics(m: int, arms: tuple[Arm, Arm]) -> tuple[np.ndarray, np.ndarray]:
    """All ``(n0, s0, s1)`` with positive probability as episode weights ``[C, 4]`` and their
    probabilities ``[C]`` (uniform actions, binomial successes)."""
    n0, s0 = np.tril_indices(m + 1)                      # s0 <= n0 <= m
    lengths = m - n0 + 1                                 # s1 = 0..n1
    n0, s0 = np.repeat(n0, lengths), np.repeat(s0, lengths)
    s1 = np.arange(len(n0)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    n1 = m - n0
    probs = (binom.pmf(np.arange(m + 1), m, 0.5)[n0] * binomial_table(m, arms[0].p_high)[n0, s0]
             * binomial_table(m, arms[1].p_high)[n1, s1])
    keep = probs > 0
    weights = np.stack([s0, n0 - s0, s1, n1 - s1], -1)[keep]
    return weights.astype(np.float64), probs[keep]


def bandit_success(m: int, arms: tuple[Arm, Arm]) -> float:
    """Exact probability that SQIRL(k = 1, m) picks arm 1 (see the module docstring)."""
    weights, probs = bandit_statistics(m, arms)
    return float(probs @ (first_decisions(bandit_episodes(arms), weights, 1) == 1))


# --- 8c: the combination lock ----------------------------------------------------------------
class LockProblem(NamedTuple):
    d: int
    A: int
    c: float
    k: int

    @property
    def leaf_success(self) -> float:
        """``p``: the random continuation from the leaf (step ``k - 1``) reaches the reward."""
        return float(self.A) ** -(self.d - self.k)

    @property
    def reach_leaf(self) -> float:
        """``q = A^-k``: an episode plays action 0 at steps ``0..k-1``."""
        return float(self.A) ** -self.k

    def __str__(self) -> str:
        return f"lock({self.d},{self.A},{self.c:g}) k={self.k}"


def episode_path(transitions: np.ndarray, rewards: np.ndarray, actions: list[int]):
    """States and rewards of an action sequence from state 0 of a deterministic MDP."""
    states, gains, s = [], [], 0
    for a in actions:
        states.append(s)
        gains.append(rewards[s, a])
        s = transitions[s, a]
    return states, gains


def lock_episodes(problem: LockProblem) -> WeightedEpisodes:
    """Three episodes: success (action 0 throughout), failure right after the leaf (action 1 at
    step ``k``; absent when ``k = d``), the decoy (action 1 at the root); rewards as stored."""
    d, k = problem.d, problem.k
    mdp = lock(d, problem.A, problem.c)
    sequences = [[0] * d, [0] * k + [1] + [0] * (d - k - 1) if k < d else [0] * d, [1] + [0] * (d - 1)]
    paths = [episode_path(mdp.transitions, mdp.rewards, seq[:d]) for seq in sequences]
    return pad_episodes([p[0] for p in paths], [seq[:d] for seq in sequences], [p[1] for p in paths],
                        absorbing=mdp.terminal)


def lock_statistics(m: int, problem: LockProblem) -> tuple[np.ndarray, np.ndarray]:
    """All ``(n, j, decoy tried)`` as episode weights ``[C, 3]`` and their probabilities."""
    q, p, decoy = problem.reach_leaf, problem.leaf_success, 1.0 / problem.A
    count = np.arange(m + 1)
    p_n = binom.pmf(count, m, q)
    p_untried = p_n * ((1.0 - q - decoy) / (1.0 - q)) ** (m - count)   # no episode tries action 1
    n, j = np.tril_indices(m + 1)
    successes = binomial_table(m, p)[n, j]
    weights, probs = [], []
    for tried, p_t in ((0.0, p_untried), (1.0, p_n - p_untried)):
        pj = p_t[n] * successes
        keep = pj > 0
        weights.append(np.stack([j[keep], n[keep] - j[keep], np.full(keep.sum(), tried)], -1))
        probs.append(pj[keep])
    return np.concatenate(weights).astype(np.float64), np.concatenate(probs)


def lock_success(m: int, problem: LockProblem) -> float:
    """Exact probability that SQIRL(k, m) solves the lock (its root decision is action 0)."""
    weights, probs = lock_statistics(m, problem)
    return float(probs @ (first_decisions(lock_episodes(problem), weights, problem.k) == 0))


# --- the search for m* -----------------------------------------------------------------------
def minimal_m(success: Callable[[int], float], target: float = TARGET, m_max: int = 4096) -> int | None:
    """The smallest ``m`` with ``success(m) >= target`` (``None`` if ``m_max`` does not reach
    it): doubling from ``m = 1`` to a bracket, then bisection (upstream ``run_gorp.jl``)."""
    cache: dict[int, bool] = {}

    def ok(m: int) -> bool:
        if m not in cache:
            cache[m] = success(m) >= target
        return cache[m]

    hi = 1
    while not ok(hi):
        if hi >= m_max:
            return None
        hi = min(2 * hi, m_max)
    lo = hi // 2                      # fails (or 0)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


@functools.lru_cache(maxsize=None)
def bandit_m_star(gap: float, noisy: bool = True) -> int | None:
    arms = bernoulli_arms(gap) if noisy else noiseless_arms(gap)
    return minimal_m(lambda m: bandit_success(m, arms), m_max=1024)


@functools.lru_cache(maxsize=None)
def lock_m_star(problem: LockProblem, m_max: int = 4096) -> int | None:
    return minimal_m(lambda m: lock_success(m, problem), m_max=m_max)


def in_band(ratio: float, predicted: float) -> bool:
    return RATIO_BAND[0] * predicted <= ratio <= RATIO_BAND[1] * predicted


def _fmt(m: int | None) -> str:
    return "inf" if m is None else str(m)


# --- checks ----------------------------------------------------------------------------------
#: 8b gap pairs (D, D/2): fast mode the first, full mode all.
GAP_PAIRS = ((0.4, 0.2), (0.2, 0.1))


@register("sqirl", "gap_scaling")
def gap_scaling(full: bool = False) -> list[CheckRow]:
    """Spec §7.8b: halving the bandit gap multiplies SQIRL's m* by 2.5-6 (theory 4)."""
    rows = []
    pairs = GAP_PAIRS if full else GAP_PAIRS[:1]
    for gap, half in pairs:
        m1, m2 = bandit_m_star(gap), bandit_m_star(half)
        ratio = m2 / m1
        rows.append(CheckRow("m*(D/2) / m*(D) in [2.5, 6]", f"Bernoulli arms 1/2 -+ D/2, D={gap:g} -> {half:g}",
                             "ratio in [2.5, 6] (theory ~4)", f"m* {m1} -> {m2}, ratio {ratio:.2f}",
                             in_band(ratio, 4.0)))
    gap, half = GAP_PAIRS[0]
    m1, m2 = bandit_m_star(gap, noisy=False), bandit_m_star(half, noisy=False)
    ratio = m2 / m1
    rows.append(CheckRow("m*(D/2) / m*(D) in [2.5, 6]", f"noiseless arms, D={gap:g} -> {half:g} (control)",
                         "ratio in [2.5, 6] (theory ~4)", f"m* {m1} -> {m2}, ratio {ratio:.2f}",
                         in_band(ratio, 4.0), expect=False))
    return rows


L = LockProblem
#: 8c pairs with the same leaf problem (p, c), so m* should scale as A^k: fast mode, and the
#: larger ones added in full mode.
LOCK_PAIRS = ((L(3, 2, 0.3, 2), L(4, 2, 0.3, 3)),       # k 2 -> 3 at A = 2 (x2)
              (L(3, 2, 0.15, 1), L(2, 4, 0.15, 1)))     # A 2 -> 4 at k = 1 (x2)
LOCK_PAIRS_FULL = ((L(4, 2, 0.15, 2), L(3, 4, 0.15, 2)),)  # A 2 -> 4 at k = 2 (x4)
#: The spec's example: A = 2 -> 3 at the same gap ratio p / c = 5/3 (full: at k = 3).
LOCK_SAME_GAP_RATIO = (L(2, 2, 0.3, 1), L(2, 3, 0.2, 1))
LOCK_SAME_GAP_RATIO_FULL = (L(4, 2, 0.3, 3), L(4, 3, 0.2, 3))
#: Control: A doubles while A^k stays the same (same leaf problem): the model "m* grows with A"
#: (x A'/A) must fail where the A^k model predicts no growth (full: A^k = 16 instead of 4).
LOCK_SAME_AK = (L(4, 2, 0.15, 2), L(2, 4, 0.15, 1))
LOCK_SAME_AK_FULL = (L(6, 2, 0.15, 4), L(3, 4, 0.15, 2))
#: Control: k below min_k (lock(4, 2, 0.3) has min_k = 3): P(m) never reaches 0.9.
LOCK_BELOW_MIN_K = L(4, 2, 0.3, 2)
#: Monte-Carlo cross-check of the exact P(m) with the trained agent (full mode).
CROSS_CHECK = (L(4, 2, 0.3, 3), (8, 16, 32), 200)


def _ratio_row(a: LockProblem, b: LockProblem, predicted: float, model: str, expect: bool = True) -> CheckRow:
    m1, m2 = lock_m_star(a), lock_m_star(b)
    ratio = m2 / m1
    label = f"{a} -> {b}" + ("" if expect else " (control)")
    return CheckRow("m*(b) / m*(a) = predicted x [0.625, 1.5]", label,
                    f"{model}: ratio in [{RATIO_BAND[0] * predicted:g}, {RATIO_BAND[1] * predicted:g}]",
                    f"m* {m1} -> {m2}, ratio {ratio:.2f}", in_band(ratio, predicted), expect=expect)


@register("sqirl", "action_growth")
def action_growth(full: bool = False) -> list[CheckRow]:
    """Spec §7.8c: on locks with the same leaf problem SQIRL's m* grows as A^k."""
    rows = [_ratio_row(a, b, (b.A ** b.k) / (a.A ** a.k), "A^k model")
            for a, b in LOCK_PAIRS + (LOCK_PAIRS_FULL if full else ())]
    for a, b in (LOCK_SAME_AK,) + ((LOCK_SAME_AK_FULL,) if full else ()):
        rows.append(_ratio_row(a, b, b.A / a.A, f"A-only model (A^k model: {(b.A ** b.k) / (a.A ** a.k):g})",
                               expect=False))
    for a, b in (LOCK_SAME_GAP_RATIO,) + ((LOCK_SAME_GAP_RATIO_FULL,) if full else ()):
        m1, m2 = lock_m_star(a), lock_m_star(b)
        rows.append(CheckRow("m* larger at A = 3 than at A = 2", f"{a} -> {b} (p/c = 5/3)",
                             "m*(A=3) > m*(A=2)", f"m* {m1} -> {m2}", m2 > m1))
    below = LOCK_BELOW_MIN_K
    assert below.k < lock_min_k(below.d, below.A, below.c)
    m_max = 1024 if full else 256
    m_star = lock_m_star(below, m_max)
    rows.append(CheckRow("P(m) >= 0.9 at some m", f"{below} < min_k (control)", f"m* <= {m_max}",
                         f"m* {_fmt(m_star)}", m_star is not None, expect=False))
    if full:
        problem, ms, seeds = CROSS_CHECK
        rates = lock_success_rates(problem, ms, seeds)
        for m, rate in zip(ms, rates):
            exact = lock_success(m, problem)
            rows.append(CheckRow("exact P(m) = trained SQIRL's success rate", f"{problem}, m={m}, {seeds} seeds",
                                 "within 4 binomial standard errors", f"{rate:.3f} vs exact {exact:.3f}",
                                 agreement(float(rate), exact, seeds)))
    return rows


def lock_success_rates(problem: LockProblem, ms: tuple[int, ...], seeds: int) -> np.ndarray:
    """Monte-Carlo success rates of the trained agent (the ordinary trainer, exact evaluation)
    at each ``m`` (one program; ``num_envs = max(ms)`` episodes, of which ``m`` are used)."""
    from agents.sqirl import episodic_train_config
    from agents.sqirl.tabular import SQIRLParams
    from envs.bridge import BridgeConfig
    from theory_checks.sqirl_runs import train_bridge
    cfg = BridgeConfig(f"lock:{problem.d}:{problem.A}:{problem.c}", sticky=0.0)
    hps = [SQIRLParams(planning_depth=problem.k, episodes_per_timestep=m) for m in ms]
    out = train_bridge(cfg, hps, episodic_train_config(problem.d, max(ms), evaluate=False), seeds, base_seed=11)
    return (out["final_value"] >= 1.0 - 1e-6).mean(1)


def agreement(rate: float, exact: float, runs: int, z: float = 4.0) -> bool:
    """``|rate - exact| <= z`` binomial standard errors (at least one run's worth)."""
    return abs(rate - exact) <= max(z * math.sqrt(exact * (1 - exact) / runs), 1.0 / runs)
