"""Batched training runs on BRIDGE MDPs for the SQIRL family's checks, tests and experiments.

:func:`train_bridge` trains ``trials x seeds`` runs of one agent on one BRIDGE env as a single
jitted, vmapped program and returns per-iteration metrics and the exact final value of every
run. Programs are cached by (env config, hyper-parameter structure, trainer shape, batch size), so
checks, tests and experiments that ask for the same shapes share one compilation; results are
cached too (identical calls return the same arrays).

Small programs are compiled with XLA's cheap settings (backend optimisation level 0, no
expensive LLVM passes): about half the compile time for 2-3x slower execution, the right trade
for short runs; ``fast_compile=False`` gives the default optimised build (benchmarks).
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import jax
import numpy as np

from envs.bridge import BridgeConfig
from rlkit.batch import seed_keys, stack_hparams
from rlkit.trainer import TrainConfig, make_train

FAST_COMPILE = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}


@functools.lru_cache(maxsize=None)
def bridge_env(cfg: BridgeConfig):
    """``(env, params)`` of a BRIDGE env config (cached: loading and enumeration happen once)."""
    return cfg.make_env(), cfg.make_params(None)


@functools.lru_cache(maxsize=None)
def _program(cfg: BridgeConfig, hp_type: type, treedef: Any, train_cfg: TrainConfig,
             fast_compile: bool):
    env, _ = bridge_env(cfg)
    agent = hp_type.make_agent(jax.tree_util.tree_unflatten(treedef, [0.0] * treedef.num_leaves))
    trainer = make_train(env, agent, train_cfg)

    def one(key, hp, params):
        out = trainer(key, hp, params)
        model = env.exact_model(params)
        final = agent.evaluate(out.state.agent_state, hp, model)["value"]
        return out.metrics, final

    options = FAST_COMPILE if fast_compile else None
    return jax.jit(jax.vmap(one, in_axes=(0, 0, None)), compiler_options=options)


def train_bridge(cfg: BridgeConfig, hps: Sequence[Any], train_cfg: TrainConfig, seeds: int,
                 base_seed: int = 0, fast_compile: bool = True) -> dict[str, np.ndarray]:
    """Train every hyper-parameter trial in ``hps`` for ``seeds`` seeds (common random numbers).

    Returns ``{"final_value": [trials, seeds], "<metric>": [trials, seeds, iterations]}``. The
    agent must have ``evaluate`` (its deployed policy's exact value).
    """
    hps = tuple(hps)
    try:
        hash(hps)
    except TypeError:   # array-valued leaves: no result caching
        return _train(cfg, hps, train_cfg, seeds, base_seed, fast_compile)
    return _train_cached(cfg, hps, train_cfg, seeds, base_seed, fast_compile)


def _train(cfg, hps, train_cfg, seeds, base_seed, fast_compile):
    treedef = jax.tree_util.tree_structure(hps[0])
    program = _program(cfg, type(hps[0]), treedef, train_cfg, fast_compile)
    _, params = bridge_env(cfg)
    keys = np.tile(np.asarray(seed_keys(base_seed, seeds)), (len(hps), 1))
    metrics, final = program(keys, stack_hparams(list(hps), seeds), params)
    out = {k: np.asarray(v).reshape((len(hps), seeds) + v.shape[1:]) for k, v in metrics.items()}
    out["final_value"] = np.asarray(final).reshape(len(hps), seeds)
    return out


_train_cached = functools.lru_cache(maxsize=64)(_train)


def optimal_value(cfg: BridgeConfig) -> float:
    """``V*`` of the env's exact model."""
    _, params = bridge_env(cfg)
    return float(params.model.optimal_value())
