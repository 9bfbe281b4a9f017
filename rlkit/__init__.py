"""rlkit: reinforcement-learning research in JAX, papers' algorithms as jitted, vmapped programs.

Importing rlkit enables JAX's float64 mode: exact quantities (planning values, pseudo-regret,
constraint thresholds, oracles) are float64; networks declare float32 explicitly.

On the CPU backend it also sets three things for speed and robustness, each with an opt-out
(:mod:`rlkit.cpu_tuning`): one XLA CPU device per usable core, so that batches of seeds and
trials are sharded over the cores (``RLKIT_CPU_DEVICES=1`` keeps one); XLA:CPU's
concurrency-optimised scheduler turned off (long PPO programs hung with it;
``RLKIT_KEEP_XLA_FLAGS=1`` leaves ``XLA_FLAGS`` alone); and JAX's threefry hash lowered with its
rounds unrolled, as on GPU (same bits, about 5x faster per-env draws;
``RLKIT_ROLLED_THREEFRY=1``).
"""
from rlkit import cpu_tuning as _cpu_tuning

_cpu_tuning.xla_cpu_flags()  # before JAX starts its backend

import jax as _jax  # noqa: E402

_jax.config.update("jax_enable_x64", True)
_cpu_tuning.unrolled_threefry_on_cpu()

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
