"""CPU-backend settings rlkit applies when it is imported (each with an opt-out).

1. ``xla_cpu_flags()``: turns off XLA:CPU's concurrency-optimised scheduler (an XLA flag, so it
   must be set before JAX starts its backend; ``RLKIT_KEEP_XLA_FLAGS=1`` leaves ``XLA_FLAGS``
   alone). With it on, long jitted PPO programs on the SQIRL experiment's larger MDPs hung on a
   2-core CPU: the main thread waited in ``BlockUntilReady`` while every XLA worker thread
   waited for work (seen 5+ times; with the flag the same runs finish).
   It also exposes one XLA CPU device per usable core (``RLKIT_CPU_DEVICES=n`` sets another
   number; ``1`` keeps JAX's single CPU device), so that :class:`rlkit.batch.BatchedTrainer`
   shards seeds and trials over the cores as it shards them over GPUs: each core runs its share
   of the batch as one program. XLA's own splitting of single operations over threads costs more
   than it gains on small per-trial arrays: a 256-lane UCBVI sweep iteration took 337 us on one
   device (2 cores) and 133 us on two. Programs that are not sharded run on the first device as
   before, with the same intra-op threads, and so do batches whose lanes are coupled by vmapped
   while loops with per-lane trip counts (:func:`rlkit.batch.lanes_coupled`: each trip would need
   a cross-device rendezvous; StepMix's paper run took 0.84 s on one device, 4.8 s on two).
2. ``unrolled_threefry_on_cpu()``: lowers JAX's threefry hash with its 20 rounds unrolled on the
   CPU, as JAX does on GPU and TPU (``RLKIT_ROLLED_THREEFRY=1`` keeps JAX's CPU default). JAX's
   CPU lowering runs the rounds in a 5-trip XLA while loop to save compile time; every trip then
   reads and writes whole arrays, so on 2 cores a per-env draw in a vmapped rollout cost about
   5x more than the unrolled hash (35 M vs 169 M blocks/s for 2^22 per-key uniforms), and
   tabular rollouts through the trainer spent most of their time in it. The bits are the same:
   both lowerings compute the same function (``tests/core/test_core_cpu_tuning.py`` checks it).
   It uses a JAX-internal registration (``jax._src``), pinned by the jax range in pyproject;
   if the internals move, rlkit warns and keeps JAX's default.
"""
from __future__ import annotations

import os
import warnings


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def cpu_device_count() -> int:
    """The number of CPU devices rlkit asks XLA for: ``RLKIT_CPU_DEVICES`` or the usable cores."""
    value = os.environ.get("RLKIT_CPU_DEVICES", "")
    if not value:
        return usable_cores()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"RLKIT_CPU_DEVICES must be a positive integer, got {value!r}")
    return int(value)


def xla_cpu_flags() -> None:
    """Add rlkit's XLA:CPU flags to ``XLA_FLAGS`` (see the module docstring): the scheduler flag
    and the CPU device count, each unless the user set it; ``RLKIT_KEEP_XLA_FLAGS=1`` adds none."""
    if os.environ.get("RLKIT_KEEP_XLA_FLAGS") == "1":
        return
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_enable_concurrency_optimized_scheduler" not in flags:
        flags += " --xla_cpu_enable_concurrency_optimized_scheduler=false"
    devices = cpu_device_count()
    if "xla_force_host_platform_device_count" not in flags and devices > 1:
        flags += f" --xla_force_host_platform_device_count={devices}"
    os.environ["XLA_FLAGS"] = flags.strip()


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
