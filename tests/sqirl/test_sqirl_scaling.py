"""Exact sample-complexity scaling of tabular SQIRL (sqirl spec §7.8b, §7.8c)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from theory_checks import sqirl_scaling as scaling


def closed_form_bandit(m: int, gap: float) -> float:
    """P(SQIRL(k=1, m) picks arm 1) written out independently: arm 1 wins iff its sample mean is
    strictly larger (unseen arms estimate 0, ties go to arm 0)."""
    p0, p1 = 0.5 - gap / 2, 0.5 + gap / 2
    total = 0.0
    for n0 in range(m + 1):
        n1 = m - n0
        s0, s1 = np.arange(n0 + 1), np.arange(n1 + 1)
        mean0 = s0 / n0 if n0 else np.zeros(1)
        mean1 = s1 / n1 if n1 else np.zeros(1)
        wins = mean1[None, :] > mean0[:, None]
        total += binom.pmf(n0, m, 0.5) * (binom.pmf(s0, n0, p0)[:, None] * binom.pmf(s1, n1, p1)[None, :] * wins).sum()
    return total


@pytest.mark.parametrize("m", [1, 2, 7, 13, 20])
def test_bandit_success_is_exact(m):
    assert scaling.bandit_success(m, scaling.bernoulli_arms(0.4)) == pytest.approx(closed_form_bandit(m, 0.4), abs=1e-12)
    # noiseless arms: SQIRL fails only when arm 1 is never pulled
    assert scaling.bandit_success(m, scaling.noiseless_arms(0.4)) == pytest.approx(1 - 0.5 ** m, abs=1e-12)


def numpy_root_q(states, actions, rewards, k, S, A):
    """SQIRL's first-iteration Q at state 0 by hand on an unweighted dataset (spec §1.1)."""
    G = np.flip(np.cumsum(np.flip(rewards, 1), 1), 1)

    def regress(t, y):
        Q = np.zeros((S, A))
        for s in range(S):
            for a in range(A):
                hit = (states[:, t] == s) & (actions[:, t] == a)
                Q[s, a] = y[hit].mean() if hit.any() else 0.0
        return Q

    Q = regress(k - 1, G[:, k - 1])
    for t in range(k - 2, -1, -1):
        Q = regress(t, rewards[:, t] + Q[states[:, t + 1]].max(1))
    return Q[0]


def test_weighted_episodes_equal_replicated_data():
    """The weights are counts: SQIRL's estimates on weighted episodes equal a hand computation on
    the replicated dataset (least squares with integer weights), for every lock statistic."""
    problem = scaling.LockProblem(4, 2, 0.3, 3)
    episodes = scaling.lock_episodes(problem)
    weights, _ = scaling.lock_statistics(6, problem)
    q = scaling.root_q_values(episodes, weights, problem.k)
    for w, row in zip(weights.astype(int), q):
        reps = np.repeat(np.arange(3), w)
        expected = numpy_root_q(episodes.states[reps], episodes.actions[reps], episodes.rewards[reps],
                                problem.k, scaling.PAD_S, scaling.PAD_A)
        np.testing.assert_allclose(row, expected, atol=1e-12)
    j, n = weights[:, 0], weights[:, 0] + weights[:, 1]
    np.testing.assert_allclose(q[:, 0], np.where(n > 0, j / np.maximum(n, 1), 0.0), atol=1e-12)
    np.testing.assert_allclose(q[:, 1], np.where(weights[:, 2] > 0, np.float32(0.3), 0.0), atol=1e-12)


def test_lock_probabilities_sum_to_one_and_match_small_cases():
    problem = scaling.LockProblem(4, 2, 0.3, 3)
    for m in (1, 5, 40):
        _, probs = scaling.lock_statistics(m, problem)
        assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    # m = 1: success iff the single episode does not try action 1 at the root (the decoy's
    # estimate is then 0 and action 0 wins every tie, whatever the episode's return)
    assert scaling.lock_success(1, problem) == pytest.approx(0.5, abs=1e-12)
    # k < min_k: P(m) -> 0 as m grows (the leaf value 1/4 is below c = 0.3)
    below = scaling.LockProblem(4, 2, 0.3, 2)
    assert scaling.lock_success(400, below) < scaling.lock_success(100, below) < scaling.lock_success(20, below)
    assert scaling.lock_success(400, below) < 0.15


def test_minimal_m_bisection():
    assert scaling.minimal_m(lambda m: float(m >= 37)) == 37
    assert scaling.minimal_m(lambda m: float(m >= 1)) == 1
    assert scaling.minimal_m(lambda m: 0.0, m_max=100) is None
    calls = []
    scaling.minimal_m(lambda m: calls.append(m) or float(m >= 300), m_max=4096)
    assert len(calls) == len(set(calls)) <= 20


def test_gap_scaling_check():
    """Halving the gap multiplies m* by 2.5-6 (exact: 13 -> 43); noiseless arms: 4 -> 4 (control)."""
    rows = scaling.gap_scaling(full=False)
    assert all(row.ok for row in rows), [r for r in rows if not r.ok]
    assert [row.expect for row in rows] == [True, False]
    assert scaling.bandit_m_star(0.4) == 13 and scaling.bandit_m_star(0.2) == 43


def test_action_growth_check():
    """m* scales as A^k on locks with the same leaf problem; controls: same A^k, k < min_k."""
    rows = scaling.action_growth(full=False)
    assert all(row.ok for row in rows), [r for r in rows if not r.ok]
    assert sum(not row.expect for row in rows) == 2
    assert scaling.lock_m_star(scaling.LockProblem(3, 2, 0.3, 2)) == 47
    assert scaling.lock_m_star(scaling.LockProblem(4, 2, 0.3, 3)) == 95


@pytest.mark.slow
def test_scaling_checks_full_and_trained_agent():
    """Full mode: D = 0.2 -> 0.1, A = 2 -> 4 at k = 2, A = 2 -> 3 at k = 3, and the exact P(m)
    against the success rate of the trained agent (200 seeds)."""
    for check in (scaling.gap_scaling, scaling.action_growth):
        rows = check(full=True)
        assert all(row.ok for row in rows), [r for r in rows if not r.ok]
