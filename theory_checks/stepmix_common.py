"""Shared machinery of the StepMix checks and tests: the instances of spec §9, batched runs with
compiled programs reused across checks, and the statistics of spec §11.

A run is a batch of rows ``(seed key, hyper-parameters, instance)``, trained as one vmapped
program in chunks of :data:`CHUNK` episodes, so runs of 2000, 3000 or 4000 episodes, any leaf
hyper-parameters (``alpha``, ``bonus_scale``, ``delta``) and any instance of one shape share one
compiled program per agent class. Results are memoised per process (the checks and the tests ask
for the same runs).
"""
from __future__ import annotations

import functools
from typing import Any, NamedTuple, Sequence

import chex
import jax
import jax.numpy as jnp
import numpy as np

from rlkit.batch import seed_keys, stack_hparams
from rlkit.tabular.conservative import count_violations
from rlkit.trainer import TrainConfig, make_train
from rlkit.tree import tree_stack

CHUNK = 1000       # episodes per compiled call
ROWS = 12          # rows of every fast-mode batch (one compiled shape)


class Instances(NamedTuple):
    """Stacked :class:`envs.conservative.ConservativeParams` and exact reference values."""

    params: Any
    optimal: np.ndarray      # V* per row
    baseline: np.ndarray     # V^b per row


def make_instances(env_cfg, seeds: int, base_seed: int = 0) -> Instances:
    """One instance per seed, drawn exactly as ``rlkit run`` draws them."""
    from envs.conservative import seed_instances
    params = seed_instances(env_cfg, seeds, base_seed)
    optimal = jax.vmap(lambda m: m.optimal_value())(params.model)
    return Instances(params, np.asarray(optimal), np.asarray(params.baseline_value))


def select(instances: Instances, rows: Sequence[int]) -> Instances:
    idx = np.asarray(rows)
    return Instances(jax.tree_util.tree_map(lambda x: x[idx], instances.params),
                     instances.optimal[idx], instances.baseline[idx])


@functools.lru_cache(maxsize=None)
def _programs(env, agent_type: type, H: int, chunk: int, shapes: tuple):
    """The jitted, vmapped ``init`` and ``chunk`` of one agent class for one batch shape
    (``shapes``: the shapes of the stacked env params). The chunk runs under
    ``chex.assert_max_traces(n=1)``: calling it again with other leaf hyper-parameters, other
    instances or the next chunk's state must never retrace (and recompile)."""
    trainer = make_train(env, agent_type(), TrainConfig(num_iterations=chunk, num_envs=1, rollout_len=H))
    init = jax.jit(jax.vmap(trainer.init, in_axes=(0, 0, 0)))
    body = chex.assert_max_traces(functools.partial(trainer.run_chunk, num_iterations=chunk), n=1)
    step = jax.jit(jax.vmap(body, in_axes=(0, 0, 0)))
    return init, step


def program_shapes(params) -> tuple:
    return tuple(tuple(x.shape) for x in jax.tree_util.tree_leaves(params))


def train_rows(env, keys: jax.Array, hps: Sequence[Any], params: Any, episodes: int,
               chunk: int = CHUNK) -> dict[str, np.ndarray]:
    """Train row ``i`` with ``(keys[i], hps[i], params[i])`` for ``episodes`` episodes; metrics
    ``[rows, episodes]``. ``episodes`` must be a multiple of ``chunk``."""
    if episodes % chunk:
        raise ValueError(f"episodes={episodes} must be a multiple of the chunk {chunk}")
    agent = hps[0].make_agent()
    H = int(params.model.r.shape[-3])
    init, step = _programs(env, type(agent), H, chunk, program_shapes(params))
    hp = stack_hparams([jax.tree_util.tree_map(lambda x: jnp.asarray(x, jnp.float64), h) for h in hps])
    runner = init(keys, hp, params)
    collected = []
    for _ in range(episodes // chunk):
        runner, metrics = step(runner, hp, params)
        collected.append(jax.device_get(metrics))
    return {k: np.concatenate([np.asarray(c[k]) for c in collected], axis=1) for k in collected[0]}


class Run(NamedTuple):
    """Per-episode exact metrics of a batch of rows, with the reference values per row."""

    metrics: dict
    optimal: np.ndarray
    baseline: np.ndarray
    threshold: np.ndarray    # (1 - alpha) V^b per row (the constraint)

    @property
    def values(self) -> np.ndarray:
        return self.metrics["value"]

    @property
    def regret(self) -> np.ndarray:
        """Cumulative pseudo-regret ``[rows, K]``."""
        return np.cumsum(self.optimal[:, None] - self.values, axis=1)

    @property
    def violations(self) -> np.ndarray:
        """Episodes with ``V^{pi_k} < (1 - alpha) V^b - 1e-9`` per row (exact float64 values)."""
        return count_violations(self.values, self.threshold)

    def slope(self, K: int | None = None) -> np.ndarray:
        """``log10[Reg(K) / Reg(K / 10)]`` per row (spec §10, §11 test 12)."""
        reg = self.regret
        K = reg.shape[1] if K is None else K
        return np.log10(np.maximum(reg[:, K - 1], 1e-12) / np.maximum(reg[:, K // 10 - 1], 1e-12))

    def rho_tail(self, fraction: float = 0.1) -> np.ndarray:
        rho = self.metrics["rho"]
        return rho[:, -max(1, int(fraction * rho.shape[1])):].mean(1)

    def regret_drop(self, fraction: float = 0.1) -> np.ndarray:
        """Mean instantaneous regret over the first ``fraction`` of episodes divided by the mean
        over the last ``fraction`` (spec §11 test 12)."""
        inst = self.optimal[:, None] - self.values
        n = max(1, int(fraction * inst.shape[1]))
        return inst[:, :n].mean(1) / np.maximum(inst[:, -n:].mean(1), 1e-12)


def run_agent(env, instances: Instances, hps: Sequence[Any], keys: jax.Array, episodes: int,
              alphas: Sequence[float]) -> Run:
    """:func:`train_rows` plus the reference values; ``alphas`` per row fixes the threshold
    against which violations are counted (for UCBVI, the constraint it ignores)."""
    metrics = train_rows(env, keys, hps, instances.params, episodes)
    threshold = (1.0 - np.asarray(alphas, np.float64)) * instances.baseline
    return Run(metrics, instances.optimal, instances.baseline, threshold)


def fmt(values: np.ndarray, digits: int = 2) -> str:
    """Short text of a per-seed array for a check table."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return "[" + " ".join(str(int(v)) for v in values) + "]"
    return "[" + " ".join(f"{v:.{digits}f}" for v in values) + "]"


# ---------------------------------------------------------------------------------------------
# The named runs of the checks (memoised)
# ---------------------------------------------------------------------------------------------
class Row(NamedTuple):
    """One row of a batch: instance family, seed, alpha, bonus scale, delta."""

    instance: str       # "I-A" (mixed baseline) or "I-D" (deterministic baseline)
    seed: int
    alpha: float = 0.1
    bonus_scale: float = 0.2
    delta: float = 0.05


_ENV: dict = {}


def _env():
    from envs.conservative import ConservativeMDP
    return _ENV.setdefault("env", ConservativeMDP())


def agent_params(name: str, alpha: float = 0.1, bonus_scale: float = 0.2, delta: float = 0.05,
                 episodes_bound: float = 0.0):
    """Hyper-parameters of ``ucbvi``, ``stepmix``, ``epsmix``, ``switch`` or ``baseline``."""
    from agents.conservative import BaselineParams, EpsMixParams, StepMixParams, SwitchParams
    from agents.conservative.ucbvi import BoundedUCBVIParams
    if name == "ucbvi":
        return BoundedUCBVIParams(bonus_scale=bonus_scale, delta=delta, episodes_bound=episodes_bound)
    table = {"stepmix": StepMixParams, "epsmix": EpsMixParams, "switch": SwitchParams,
             "baseline": BaselineParams}
    return table[name](alpha=alpha, delta=delta, bonus_scale=bonus_scale,
                       episodes_bound=episodes_bound)


BASELINE_OF = {"I-A": "mixed", "I-D": "deterministic"}


@functools.lru_cache(maxsize=None)
def paper_instances(seeds: int, baseline: str = "mixed", S: int = 5, A: int = 5, H: int = 3) -> Instances:
    """Instances I-A (``mixed`` baseline), I-D (``deterministic``) or I-B (``S = A = H = 3``)."""
    from envs.conservative import ConservativeRandomMDPConfig
    return make_instances(ConservativeRandomMDPConfig(S=S, A=A, H=H, baseline=baseline), seeds)


@functools.lru_cache(maxsize=None)
def batch_run(agent: str, rows: tuple[Row, ...], episodes: int) -> Run:
    """``agent`` on every row (one vmapped program per agent class), ``episodes`` episodes each,
    with the spec's fixed-``K`` log term (``episodes_bound = episodes``, spec §2.2)."""
    seeds = 1 + max(r.seed for r in rows)
    parts = []
    for r in rows:
        inst = paper_instances(seeds, BASELINE_OF[r.instance])
        parts.append(select(inst, [r.seed]))
    inst = Instances(tree_stack([jax.tree_util.tree_map(lambda x: x[0], p.params) for p in parts]),
                     np.concatenate([p.optimal for p in parts]),
                     np.concatenate([p.baseline for p in parts]))
    hps = [agent_params(agent, r.alpha, r.bonus_scale, r.delta, float(episodes)) for r in rows]
    keys = seed_keys(0, seeds)[np.asarray([r.seed for r in rows])]
    return run_agent(_env(), inst, hps, keys, episodes, [r.alpha for r in rows])


def part(run: Run, index: Sequence[int], episodes: int | None = None) -> Run:
    """Rows ``index`` of a run, truncated to the first ``episodes`` episodes."""
    idx = np.asarray(index)
    K = run.values.shape[1] if episodes is None else episodes
    return Run({k: v[idx, :K] for k, v in run.metrics.items()}, run.optimal[idx],
               run.baseline[idx], run.threshold[idx])


def rows_of(instance: str, seeds: int, **kw) -> tuple[Row, ...]:
    return tuple(Row(instance, s, **kw) for s in range(seeds))


# The fast-mode batches (12 rows each): spec §11 instances, sizes at least the spec's.
MAIN_ROWS = rows_of("I-A", ROWS)                                            # tests 9, 11-13, 17
THEORY_ROWS = rows_of("I-A", ROWS, bonus_scale=1.0, delta=0.01)             # test 10
MIXED_ROWS = (rows_of("I-D", 4) + rows_of("I-A", 4, alpha=0.05)             # tests 14, 15
              + rows_of("I-A", 4, alpha=0.3))
SWITCH_ROWS = rows_of("I-D", 4) + rows_of("I-A", 8)                         # test 14, control of 13
