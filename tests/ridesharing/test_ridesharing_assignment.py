"""The jittable auction matcher against brute force and scipy (spec ospo.md §7.1)."""
from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rlkit.assignment import auction_match, brute_force_match, padded_weights, scipy_match

from theory_checks.ridesharing import matching_rows, solve_small_cases as solve_batch

PAD = 6       # every small case is padded (masked) to 6 x 6: one compiled program for all of them
CASES = 400   # the same batch shape as the theory check's fast mode (shared compile)


def random_cases(rng: np.random.Generator, count: int):
    """Small cases (m, n <= 5) with probabilities, signed and integer weights, masked pairs and
    fully masked (unavailable) rows."""
    cases = []
    for t in range(count):
        m, n = rng.integers(1, 6, size=2)
        kind = t % 3
        if kind == 0:
            w = rng.uniform(1e-3, 1.0, (m, n))           # probabilities in (0, 1]
        elif kind == 1:
            w = rng.normal(size=(m, n))                  # signed
        else:
            w = rng.integers(-3, 4, (m, n)).astype(float)  # integer, many ties
        mask = rng.random((m, n)) > 0.2
        mask[rng.random(m) < 0.2] = False                # unavailable vehicles
        cases.append((w, mask))
    return cases


def pad(w, mask):
    W = np.zeros((PAD, PAD))
    M = np.zeros((PAD, PAD), bool)
    W[: w.shape[0], : w.shape[1]] = w
    M[: w.shape[0], : w.shape[1]] = mask
    return W, M


@pytest.fixture(scope="module")
def solved():
    rng = np.random.default_rng(0)
    cases = random_cases(rng, CASES)
    W, M = map(np.stack, zip(*(pad(w, m) for w, m in cases)))
    result = solve_batch(W, M)
    return cases, jax.tree_util.tree_map(np.asarray, result)


def test_matcher_equals_brute_force_and_scipy(solved):
    cases, res = solved
    for k, (w, mask) in enumerate(cases):
        m, n = w.shape
        row_to_col = res.row_to_col[k][:m]
        _, best = brute_force_match(w, mask)
        _, via_scipy = scipy_match(w, mask, pad="full")
        value = sum(w[i, j] for i, j in enumerate(row_to_col) if j >= 0)
        assert abs(via_scipy - best) < 1e-9, (w, mask)
        assert abs(value - best) < 1e-7, (k, w, mask, row_to_col)
        assert abs(float(res.value[k]) - value) < 1e-9
        assert res.converged[k]
        # the dual certificate bounds the optimum from above, within m * eps of the value
        assert res.dual_bound[k] >= best - 1e-9
        assert res.dual_bound[k] - value <= PAD * res.eps[k] + 1e-9


def test_no_double_assignment_and_masked_pairs_never_used(solved):
    cases, res = solved
    for k, (w, mask) in enumerate(cases):
        m, n = w.shape
        rc = res.row_to_col[k]
        used = rc[rc >= 0]
        assert len(set(used.tolist())) == len(used)
        assert np.all(rc[m:] == -1)
        for i, j in enumerate(rc[:m]):
            if j >= 0:
                assert j < n and mask[i, j]
                assert res.col_to_row[k][j] == i
        assert np.all(rc[:m][~mask.any(1)] == -1)      # unavailable vehicles never assigned


def test_every_available_vehicle_matched_when_orders_suffice():
    rng = np.random.default_rng(1)
    W = rng.uniform(0.01, 1.0, (CASES, PAD, PAD))
    M = np.ones((CASES, PAD, PAD), bool)
    for k in range(CASES):
        M[k, rng.integers(0, PAD, 2)] = False             # some vehicles unavailable
    res = solve_batch(W, M)
    for k in range(CASES):
        available = M[k].any(1)
        assert np.all(np.asarray(res.row_to_col[k])[available] >= 0)


def test_matching_check_passes_and_its_control_fails():
    rows = matching_rows(full=False)
    assert all(row.ok for row in rows), rows
    assert any(not row.expect for row in rows) and any(row.expect for row in rows)


def test_paper_padding_is_suboptimal_for_signed_weights():
    """Regression (spec §1.3): [W | 0_{m x n}] forces negative matches when n < m; the full
    padding [W | 0_{m x m}] never does."""
    rng = np.random.default_rng(2)
    wrong = 0
    for _ in range(400):
        m, n = rng.integers(1, 6, size=2)
        w = rng.normal(size=(m, n))
        _, best = brute_force_match(w)
        _, full = scipy_match(w, pad="full")
        _, paper = scipy_match(w, pad="orders")
        assert abs(full - best) < 1e-9
        wrong += paper < best - 1e-9
    assert wrong >= 10, wrong
    assert padded_weights(np.ones((3, 2)), pad="orders").shape == (3, 4)


def test_far_from_square_problem_matches_scipy_within_certificate():
    """70 x 12: the smaller side bids (no square padding); ties and a contested block force a
    price war and the switch to eps-scaling with warm prices (the reverse rounds)."""
    shape = (70, 12)
    rng = np.random.default_rng(4)
    w = rng.normal(size=shape)
    w[:, :3] = 2.0
    mask = rng.random(shape) > 0.3
    res = jax.jit(lambda w, m: auction_match(w, m, eps_rel=1e-9))(jnp.asarray(w), jnp.asarray(mask))
    _, best = scipy_match(w, mask)
    assert bool(res.converged)
    assert float(res.value) <= best + 1e-9
    assert best - float(res.value) <= min(shape) * float(res.eps) + 1e-9
    assert float(res.dual_bound) >= best - 1e-9


def test_float32_probabilities_and_no_retrace():
    rng = np.random.default_rng(3)

    @jax.jit
    @chex.assert_max_traces(n=1)
    def solve(w, m):
        return auction_match(w, m, eps_rel=1e-5)

    for _ in range(3):
        p = rng.dirichlet(np.ones(PAD), size=PAD).astype(np.float32)
        res = solve(p, np.ones((PAD, PAD), bool))
        _, best = scipy_match(p.astype(np.float64))
        assert abs(float(res.value) - best) <= PAD * float(res.eps) + 1e-5


def test_fleet_sized_matching_check_passes_and_row_argmax_control_fails():
    """Spec §7.8 at the fast size: the auction is within its eps guarantee of scipy's optimum on
    a 300 x 80 probability matrix; the per-vehicle argmax control is not."""
    from theory_checks.ridesharing import scale_rows

    rows = scale_rows(full=False)
    assert [row.ok for row in rows] == [True, True], rows
    assert [row.expect for row in rows] == [True, False]
