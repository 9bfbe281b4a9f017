"""rlkit: reinforcement-learning research in JAX, papers' algorithms as jitted, vmapped programs.

Importing rlkit enables JAX's float64 mode: exact quantities (planning values, pseudo-regret,
constraint thresholds, oracles) are float64; networks declare float32 explicitly.

It also turns off XLA:CPU's concurrency-optimised scheduler (an XLA flag, so it must be set before
JAX starts its backend; set ``RLKIT_KEEP_XLA_FLAGS=1`` to leave ``XLA_FLAGS`` alone). With it on,
long jitted PPO programs on the SQIRL experiment's larger MDPs hung on a 2-core CPU: the main thread
waited in ``BlockUntilReady`` while every XLA worker thread waited for work (seen 5+ times; with the
flag the same runs finish). The flag only affects the CPU backend.
"""
import os as _os

if _os.environ.get("RLKIT_KEEP_XLA_FLAGS") != "1":
    _flags = _os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_enable_concurrency_optimized_scheduler" not in _flags:
        _os.environ["XLA_FLAGS"] = (_flags + " --xla_cpu_enable_concurrency_optimized_scheduler=false").strip()

import jax as _jax  # noqa: E402

_jax.config.update("jax_enable_x64", True)

from rlkit.agent import Agent, HParams, Trajectory, hparams, leaf_fields, static  # noqa: E402
from rlkit.config import ConfigError, EnvConfig, ExperimentConfig, RunConfig, apply_overrides  # noqa: E402
from rlkit.env import Env, EnvSpec  # noqa: E402
from rlkit.rollout import rollout  # noqa: E402
from rlkit.trainer import RunnerState, TrainConfig, Trainer, TrainOutput, make_train  # noqa: E402
from rlkit.wrappers import EpisodeStatistics, Wrapper  # noqa: E402

__version__ = "0.1.0"


def run(config, overrides=None, **kwargs):
    """Run an experiment config (see :func:`rlkit.runner.run`)."""
    from rlkit.runner import run as _run
    return _run(config, overrides=overrides, **kwargs)


__all__ = [
    "Agent", "HParams", "Trajectory", "hparams", "leaf_fields", "static", "ConfigError",
    "EnvConfig", "ExperimentConfig", "RunConfig", "apply_overrides", "Env", "EnvSpec", "rollout",
    "RunnerState", "TrainConfig", "Trainer", "TrainOutput", "make_train", "EpisodeStatistics",
    "Wrapper", "run",
]
