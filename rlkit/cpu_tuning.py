"""Two CPU-backend settings rlkit applies when it is imported (each with an opt-out).

1. ``xla_cpu_flags()``: turns off XLA:CPU's concurrency-optimised scheduler (an XLA flag, so it
   must be set before JAX starts its backend; ``RLKIT_KEEP_XLA_FLAGS=1`` leaves ``XLA_FLAGS``
   alone). With it on, long jitted PPO programs on the SQIRL experiment's larger MDPs hung on a
   2-core CPU: the main thread waited in ``BlockUntilReady`` while every XLA worker thread
   waited for work (seen 5+ times; with the flag the same runs finish).
2. ``unrolled_threefry_on_cpu()``: lowers JAX's threefry hash with its 20 rounds unrolled on the
   CPU, as JAX does on GPU and TPU (``RLKIT_ROLLED_THREEFRY=1`` keeps JAX's CPU default). JAX's
   CPU lowering runs the rounds in a 5-trip XLA while loop to save compile time; every trip then
   reads and writes whole arrays, so on 2 cores a per-env draw in a vmapped rollout cost about
   5x more than the unrolled hash (35 M vs 169 M blocks/s for 2^22 per-key uniforms), and
   tabular rollouts through the trainer spent most of their time in it. The bits are the same:
   both lowerings compute the same function (``tests/core/test_cpu_tuning.py`` checks it).
   It uses a JAX-internal registration (``jax._src``), pinned by the jax range in pyproject;
   if the internals move, rlkit warns and keeps JAX's default.
"""
from __future__ import annotations

import os
import warnings


def xla_cpu_flags() -> None:
    """Add ``--xla_cpu_enable_concurrency_optimized_scheduler=false`` to ``XLA_FLAGS`` (see the
    module docstring) unless the user set it or ``RLKIT_KEEP_XLA_FLAGS=1``."""
    if os.environ.get("RLKIT_KEEP_XLA_FLAGS") == "1":
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_enable_concurrency_optimized_scheduler" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_enable_concurrency_optimized_scheduler=false").strip()


def unrolled_threefry_on_cpu() -> bool:
    """Register JAX's unrolled threefry lowering for the CPU platform (see the module docstring).

    Returns whether it is in effect. Affects programs compiled afterwards, not the values.
    """
    if os.environ.get("RLKIT_ROLLED_THREEFRY") == "1":
        return False
    try:
        from jax._src.interpreters import mlir
        from jax._src.random import threefry2x32 as threefry
        mlir.register_lowering(threefry.threefry2x32_p, threefry._threefry2x32_lowering_rule,
                               platform="cpu")
    except (ImportError, AttributeError) as err:  # a JAX outside the tested range
        warnings.warn(f"rlkit could not unroll threefry on the CPU ({err}); random draws in "
                      "rollouts will be slower", RuntimeWarning, stacklevel=2)
        return False
    return True
