"""Seeds x hyper-parameter trials of one agent as one vmapped, device-sharded computation.

The batch axis (trial-major: index ``trial * seeds + seed``) is sharded over ``jax.devices()``
with a 1-D ``NamedSharding`` mesh; the same code runs on one CPU, several (emulated) devices, a
GPU or a TPU. Seed ``s`` uses ``fold_in(PRNGKey(base_seed), s)`` for every trial (common random
numbers), so trials differ only in their hyper-parameters.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from rlkit.agent import leaf_fields
from rlkit.config import ConfigError
from rlkit.trainer import TrainConfig, make_train

INSTANCE_SALT = 0x5EED


def seed_keys(base_seed: int, seeds: int) -> jax.Array:
    base = jax.random.PRNGKey(base_seed)
    return jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.arange(seeds))


def stack_hparams(hps: Sequence[Any], repeat: int = 1) -> Any:
    """Stack same-structure hyper-parameter dataclasses along a new leading axis, each repeated
    ``repeat`` times. Trials must differ only in leaf fields (static fields fix shapes)."""
    treedef = jax.tree_util.tree_structure(hps[0])
    for i, hp in enumerate(hps[1:], 1):
        if type(hp) is not type(hps[0]) or jax.tree_util.tree_structure(hp) != treedef:
            raise ConfigError(
                f"trial {i} differs from trial 0 in a static hyper-parameter or its type; only leaf "
                f"fields ({', '.join(leaf_fields(hps[0]))}) can vary inside one batched call")
    return jax.tree_util.tree_map(
        lambda *xs: jnp.repeat(jnp.stack([jnp.asarray(x) for x in xs]), repeat, axis=0), *hps)


def batch_sharding(batch_size: int, devices: Sequence[Any] | None = None) -> NamedSharding:
    """Shard a leading axis of ``batch_size`` over the largest number of devices dividing it."""
    devices = list(jax.devices() if devices is None else devices)
    n = max(d for d in range(1, len(devices) + 1) if batch_size % d == 0)
    mesh = Mesh(np.asarray(devices[:n]), ("batch",))
    return NamedSharding(mesh, PartitionSpec("batch"))


class _Compiled:
    """The env, trainer and jitted functions of one (env config, agent type, train config).

    Shared by every :class:`BatchedTrainer` with equal (hashable) configs, so repeated runs of the
    same experiment shape in one process (tests, sweeps, resumes) compile once.
    """

    def __init__(self, env_cfg: Any, train_cfg: TrainConfig, params_axis: int | None, hp: Any,
                 sharding: NamedSharding):
        self.env = env_cfg.make_env()
        self.agent = hp.make_agent()
        self.trainer = make_train(self.env, self.agent, train_cfg)
        # every output leaf has the leading batch axis: pin its sharding, so that a chunk's output
        # state feeds the next chunk without a recompile
        self.init = jax.jit(jax.vmap(self.trainer.init, in_axes=(0, 0, params_axis)),
                            out_shardings=sharding)
        self.make_params = jax.jit(jax.vmap(env_cfg.make_params)) if params_axis == 0 else None
        self.params_axis = params_axis
        self.sharding = sharding
        self.chunks: dict[int, Any] = {}

    def chunk_fn(self, n: int):
        if n not in self.chunks:
            fn = functools.partial(self.trainer.run_chunk, num_iterations=n)
            self.chunks[n] = jax.jit(jax.vmap(fn, in_axes=(0, 0, self.params_axis)),
                                     out_shardings=self.sharding)
        return self.chunks[n]


_COMPILED: dict[Any, _Compiled] = {}
_COUPLED: dict[Any, bool] = {}


def _cache_key(env_cfg: Any, hp: Any, train_cfg: TrainConfig, params_axis: int | None, *extra) -> Any:
    """Key of the per-config caches below, or ``None`` for an unhashable config (arrays in it)."""
    key = (env_cfg, type(hp), jax.tree_util.tree_structure(hp), train_cfg, params_axis) + extra
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _has_batched_while(jaxpr) -> bool:
    """Whether a jaxpr (or one nested in it) has a while loop with a per-lane condition (what
    ``vmap`` makes of a loop whose trip count depends on the lane: a condition of shape
    ``[lanes]``, reduced with "any" when lowered)."""
    for eqn in jaxpr.eqns:
        if eqn.primitive.name == "while" and eqn.params["cond_jaxpr"].out_avals[0].shape != ():
            return True
        for value in eqn.params.values():
            for sub in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns") and _has_batched_while(inner):
                    return True
    return False


def lanes_coupled(env_cfg: Any, hp: Any, train_cfg: TrainConfig, params: Any,
                  params_axis: int | None, lanes: int) -> bool:
    """Whether one training iteration, vmapped over lanes, couples the lanes: a ``while_loop``
    with a per-lane trip count (StepMix's search for ``rho``, iterative matchers) runs until every
    lane is done, so a batch sharded over devices needs a cross-device all-reduce on every trip.
    On CPU devices that rendezvous costs far more than it saves (StepMix's paper run: 0.84 s on
    one device, 4.8 s on two). Found by tracing ``lanes`` lanes (no compile; ``params`` has them
    as its leading axis when ``params_axis == 0``); cached per config."""
    key = _cache_key(env_cfg, hp, train_cfg, params_axis)
    if key is not None and key in _COUPLED:
        return _COUPLED[key]
    trainer = make_train(env_cfg.make_env(), hp.make_agent(), train_cfg)
    one_key = seed_keys(0, 1)
    keys = jax.ShapeDtypeStruct((lanes,) + one_key.shape[1:], one_key.dtype)
    hps = jax.eval_shape(lambda: stack_hparams([hp], lanes))
    runner = jax.eval_shape(jax.vmap(trainer.init, in_axes=(0, 0, params_axis)), keys, hps, params)
    chunk = functools.partial(trainer.run_chunk, num_iterations=1)
    jaxpr = jax.make_jaxpr(jax.vmap(chunk, in_axes=(0, 0, params_axis)))(runner, hps, params)
    coupled = _has_batched_while(jaxpr.jaxpr)
    if key is not None:
        _COUPLED[key] = coupled
    return coupled


def _compiled(env_cfg: Any, hp: Any, train_cfg: TrainConfig, params_axis: int | None,
              sharding: NamedSharding) -> _Compiled:
    key = _cache_key(env_cfg, hp, train_cfg, params_axis, sharding)
    if key is None:  # no sharing
        return _Compiled(env_cfg, train_cfg, params_axis, hp, sharding)
    if key not in _COMPILED:
        _COMPILED[key] = _Compiled(env_cfg, train_cfg, params_axis, hp, sharding)
    return _COMPILED[key]


class BatchedTrainer:
    """Trainer for ``len(hps)`` trials x ``seeds`` seeds of one agent on one env config."""

    def __init__(self, env_cfg: Any, hps: Sequence[Any], train_cfg: TrainConfig, seeds: int,
                 base_seed: int = 0, devices: Sequence[Any] | None = None):
        if not hps:
            raise ConfigError("at least one hyper-parameter trial is needed")
        self.env_cfg = env_cfg
        self.per_seed_params = bool(getattr(env_cfg, "instance_per_seed", False))
        self._params_axis = 0 if self.per_seed_params else None
        self.trials = len(hps)
        self.seeds = seeds
        self.batch_size = self.trials * seeds
        shared_params = None if self.per_seed_params else env_cfg.make_params(jax.random.PRNGKey(base_seed))
        self.sharding = batch_sharding(self.batch_size, devices)
        if devices is None and len(self.sharding.device_set) > 1 and all(
                d.platform == "cpu" for d in self.sharding.device_set):
            # CPU devices are cores: keep a lane-coupled program on one (see lanes_coupled)
            params = (jax.eval_shape(jax.vmap(env_cfg.make_params), seed_keys(base_seed, seeds))
                      if self.per_seed_params else shared_params)
            if lanes_coupled(env_cfg, hps[0], train_cfg, params, self._params_axis, seeds):
                self.sharding = batch_sharding(self.batch_size, jax.devices()[:1])
        self.compiled = _compiled(env_cfg, hps[0], train_cfg, self._params_axis, self.sharding)
        self.env = self.compiled.env
        self.agent = self.compiled.agent
        self.trainer = self.compiled.trainer
        self.train_cfg = train_cfg
        keys = jnp.tile(seed_keys(base_seed, seeds), (self.trials, 1))
        self.keys = jax.device_put(keys, self.sharding)
        self.hp = jax.device_put(stack_hparams(hps, seeds), self.sharding)
        if self.per_seed_params:
            # one instance per seed, generated for the seeds alone and tiled over trials, so that a
            # trial sees bit-identical instances whatever the number of trials in the batch
            instance_keys = jax.vmap(lambda k: jax.random.fold_in(k, INSTANCE_SALT))(seed_keys(base_seed, seeds))
            params = self.compiled.make_params(instance_keys)
            params = jax.tree_util.tree_map(lambda x: jnp.tile(x, (self.trials,) + (1,) * (x.ndim - 1)), params)
            self.env_params = jax.device_put(params, self.sharding)
        else:
            self.env_params = shared_params

    def init(self):
        return self.compiled.init(self.keys, self.hp, self.env_params)

    def chunk_fn(self, n: int):
        """The jitted, vmapped function running ``n`` iterations (compiled once per ``n``)."""
        return self.compiled.chunk_fn(n)

    def run_chunk(self, runner, n: int):
        return self.chunk_fn(n)(runner, self.hp, self.env_params)

    def place(self, runner):
        """Put a (restored, host) runner state on the batch sharding."""
        return jax.device_put(runner, self.sharding)

    def split(self, metrics: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
        """``[trials * seeds, T]`` metrics -> per trial ``[seeds, T]``."""
        out = []
        for t in range(self.trials):
            out.append({k: v[t * self.seeds:(t + 1) * self.seeds] for k, v in metrics.items()})
        return out


def chunk_lengths(total: int, chunks: int) -> list[int]:
    """Cut ``total`` iterations into at most ``chunks`` near-equal pieces (at most two lengths)."""
    size = math.ceil(total / max(1, min(chunks, total)))
    lengths = [size] * (total // size)
    if total % size:
        lengths.append(total % size)
    return lengths


def train_seeds(env: Any, hp: Any, train_cfg: TrainConfig, seeds: int, env_params: Any = None,
                base_seed: int = 0, params_batched: bool = False) -> dict[str, np.ndarray]:
    """Train ``seeds`` seeds of ``hp``'s agent as one jitted, vmapped call; metrics ``[seeds, T]``.

    A convenience for checks and tests that hold an env object rather than an env config.
    ``params_batched``: ``env_params`` has a leading seed axis (one instance per seed).
    """
    trainer = make_train(env, hp.make_agent(), train_cfg)
    env_params = env.default_params() if env_params is None else env_params
    fn = jax.jit(jax.vmap(trainer, in_axes=(0, None, 0 if params_batched else None)))
    out = fn(seed_keys(base_seed, seeds), hp, env_params)
    return {k: np.asarray(v) for k, v in out.metrics.items()}
