"""Unrolled short-axis reductions (rlkit.reductions) and count-based planning against numpy."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rlkit  # noqa: F401
from rlkit import tabular
from rlkit.reductions import UNROLL_MAX, argmax_last, dot_last, max_last, sum_last


@pytest.mark.parametrize("length", [1, 2, 5, UNROLL_MAX, UNROLL_MAX + 3])
def test_reductions_match_numpy(length):
    rng = np.random.default_rng(length)
    x = rng.normal(size=(3, 4, length))
    x[0, 0] = 1.0                      # an all-tied row: argmax takes the lowest index
    x[1, 2, -1] = x[1, 2].max() + 1    # maximum in the last column
    y = rng.normal(size=(length,))
    np.testing.assert_allclose(np.asarray(sum_last(jnp.asarray(x))), x.sum(-1), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(np.asarray(dot_last(jnp.asarray(x), jnp.asarray(y))), (x * y).sum(-1),
                               rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(np.asarray(max_last(jnp.asarray(x))), x.max(-1))
    np.testing.assert_array_equal(np.asarray(argmax_last(jnp.asarray(x))), x.argmax(-1))


def test_short_sum_adds_left_to_right_whatever_the_batch():
    """One row summed alone and inside a vmapped batch gives the same bits (the reason for
    unrolling); values chosen so that the order of additions matters."""
    row = jnp.asarray([1e16, 1.0, -1e16, 1.0, 3.0])
    alone = jax.jit(sum_last)(row)
    batch = jax.jit(jax.vmap(sum_last))(jnp.tile(row, (257, 1)))
    assert float(alone) == ((1e16 + 1.0) - 1e16 + 1.0) + 3.0
    np.testing.assert_array_equal(np.asarray(batch), np.full(257, float(alone)))


def test_count_expectation_equals_the_empirical_kernel():
    rng = np.random.default_rng(3)
    H, S, A = 3, 5, 4
    counts = tabular.zero_counts(H, S, A)
    idx = [jnp.asarray(rng.integers(0, m, 60)) for m in (H, S, A, S)]
    counts = tabular.add_transitions(counts, idx[0], idx[1], idx[2], jnp.zeros(60), idx[3])
    assert np.any(np.asarray(counts.n) == 0)   # some unvisited (h, s, a): the uniform rows
    V = jnp.asarray(rng.uniform(size=S))
    P_hat = np.asarray(tabular.empirical_kernel(counts))
    for h in range(H):
        got = tabular.count_expectation((counts.n_next[h], counts.n[h]), V)
        np.testing.assert_allclose(np.asarray(got), P_hat[h] @ np.asarray(V), rtol=1e-13)
