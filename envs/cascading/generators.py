"""Synthetic cascading MDPs (spec §7, T8-T12 instances).

Two samplers of the same family: :func:`random_cascading_model` (JAX, jittable; one instance per
run seed under ``vmap``) and :func:`random_cascading_model_np` (numpy, for a fixed instance: no
compile at all, which keeps tests and checks fast).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.cascading import CascadingModel, make_cascading_model


def dirichlet_rows(key: jax.Array, S: int, shape: tuple[int, ...], concentration: float) -> jax.Array:
    """``Dirichlet(concentration * 1_S)`` rows of the given leading ``shape``. For concentration 1
    (uniform on the simplex) normalised exponential draws are used: the same law, and far cheaper
    to compile than the gamma sampler."""
    if concentration == 1.0:
        x = jax.random.exponential(key, shape + (S,), jnp.float64)
        return x / jnp.sum(x, axis=-1, keepdims=True)
    return jax.random.dirichlet(key, jnp.full((S,), concentration, jnp.float64), shape=shape)


@functools.partial(jax.jit, static_argnames=("S", "N", "m", "H", "dirichlet", "s1"))
def random_cascading_model(key: jax.Array, S: int, N: int, m: int, H: int,
                           q_low: float = 0.05, q_high: float = 0.6,
                           dirichlet: float = 1.0, s1: int = 0) -> CascadingModel:
    """The spec's synthetic family (T8): ``q(s, a) ~ U(q_low, q_high)``, ``r(s, a) ~ U(0, 1)``,
    ``p(.|s, a) ~ Dirichlet(dirichlet, ..., dirichlet)`` for every item and for ``a_bot``, start
    state ``s1``. Jittable (vmap over keys for one instance per seed); sizes are validated by the
    env config, not here."""
    k_q, k_r, k_p = jax.random.split(key, 3)
    q = jax.random.uniform(k_q, (S, N), jnp.float64, q_low, q_high)
    r = jax.random.uniform(k_r, (S, N), jnp.float64)
    P = dirichlet_rows(k_p, S, (S, N + 1), float(dirichlet))
    mu = jax.nn.one_hot(s1, S, dtype=jnp.float64)
    return CascadingModel(q, r, P, mu, H=H, m=m)


def random_cascading_model_np(seed: int, S: int, N: int, m: int, H: int, q_low: float = 0.05,
                              q_high: float = 0.6, dirichlet: float = 1.0, s1: int = 0) -> CascadingModel:
    """The same family drawn with ``numpy.random.default_rng(seed)`` (validated)."""
    rng = np.random.default_rng(seed)
    q = rng.uniform(q_low, q_high, size=(S, N))
    r = rng.uniform(0.0, 1.0, size=(S, N))
    P = rng.dirichlet(np.full(S, dirichlet), size=(S, N + 1))
    return make_cascading_model(q, r, P, H=H, m=m, s1=s1)
