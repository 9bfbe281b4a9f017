"""Assertions for tests of rlkit programs."""
from __future__ import annotations

from typing import Mapping

import numpy as np

EXACT_FLOAT_METRICS = ("value", "regret")


def assert_same_run(a: Mapping, b: Mapping, atol: float = 1e-12,
                    float_metrics: tuple[str, ...] = EXACT_FLOAT_METRICS) -> None:
    """Metrics of two executions of the same run (vmapped vs one by one, sharded vs not).

    Everything the trajectories produce must be bit-identical. Exact float64 evaluations
    (``value``, ``regret``) may differ in the last bits, since XLA vectorises reductions
    differently for different batch sizes; they must agree within ``atol``.
    """
    assert set(a) == set(b), (sorted(a), sorted(b))
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if k in float_metrics:
            np.testing.assert_allclose(x, y, rtol=0, atol=atol, err_msg=k)
        else:
            np.testing.assert_array_equal(x, y, err_msg=k)
