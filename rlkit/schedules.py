"""Scalar schedules of a training counter (entropy coefficients, learning rates, warm-ups), as pure
jittable functions of a traced step so that their endpoints can be vmapped hyper-parameter leaves.
"""
from __future__ import annotations

import jax.numpy as jnp


def linear(step, start, end, begin=0.0, duration=1.0):
    """``start`` until ``begin``, then linear to ``end`` over ``duration`` steps, then ``end``."""
    frac = jnp.clip((jnp.asarray(step, jnp.float32) - begin) / jnp.maximum(duration, 1e-9), 0.0, 1.0)
    return start + (end - start) * frac


def exponential_warmup(count, constant):
    """``1 - exp(-count / constant)`` (1 when ``constant <= 0``): a weight rising from 0 to 1."""
    count = jnp.asarray(count, jnp.float32)
    return jnp.where(constant > 0, 1.0 - jnp.exp(-count / jnp.maximum(constant, 1e-9)), 1.0)


def clipped_ramp(count, warmup, slope, maximum=1.0):
    """``clip(slope * (count - warmup), 0, 1) * maximum`` (Foundation's annealed tax limit)."""
    return jnp.clip(slope * (jnp.asarray(count, jnp.float64) - warmup), 0.0, 1.0) * maximum
