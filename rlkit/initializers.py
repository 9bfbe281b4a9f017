"""Weight initialisers that need no LAPACK call.

``flax.linen.initializers.orthogonal`` draws a Gaussian matrix and takes its QR factorisation, a
LAPACK custom call. When parameters are initialised inside ``vmap`` (one network per seed, as in
``jax.vmap(trainer)``), XLA:CPU runs the batched QR kernels through ``ParallelBatchMap`` on its
intra-op pool; on a 2-core machine two such kernels can each wait for the other's pool thread and
the run deadlocks (observed with jax 0.10.2: every thread asleep in a futex, the main thread in
``block_until_ready``). :func:`orthogonal` here gives the same Haar-distributed orthogonal matrices
from matrix products only: the orthogonal polar factor of a Gaussian matrix, computed by the
Newton-Schulz iteration ``X <- 1.5 X - 0.5 X X^T X`` (Higham 2008, "Functions of Matrices", §8.3),
which converges for singular values in ``(0, sqrt(3))``; the start ``A / ||A||_F`` has them in
``(0, 1]``.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

NEWTON_SCHULZ_STEPS = 40


def polar_orthogonal(a: jax.Array, steps: int = NEWTON_SCHULZ_STEPS) -> jax.Array:
    """The orthogonal polar factor ``U V^T`` of ``a`` (``[m, n]``, orthonormal columns if m >= n,
    else orthonormal rows) by Newton-Schulz iteration; float32 in, float32 out."""
    tall = a.shape[0] >= a.shape[1]
    x = a if tall else a.T
    x = x / (jnp.linalg.norm(x) + 1e-12)

    def step(_, x):
        return 1.5 * x - 0.5 * x @ (x.T @ x)

    x = jax.lax.fori_loop(0, steps, step, x)
    return x if tall else x.T


def orthogonal(scale: float = math.sqrt(2.0), column_axis: int = -1):
    """A drop-in for ``nn.initializers.orthogonal(scale)`` without QR (see the module docstring)."""

    def init(key, shape, dtype=jnp.float32):
        if len(shape) < 2:
            raise ValueError(f"orthogonal initialisation needs at least 2 dimensions, got shape {shape}")
        n_cols = shape[column_axis]
        n_rows = math.prod(shape) // n_cols
        a = jax.random.normal(key, (n_rows, n_cols), jnp.float32)
        q = polar_orthogonal(a)
        q = jnp.moveaxis(q.reshape(tuple(s for i, s in enumerate(shape) if i != column_axis % len(shape)) + (n_cols,)),
                         -1, column_axis)
        return (scale * q).astype(dtype)

    return init
