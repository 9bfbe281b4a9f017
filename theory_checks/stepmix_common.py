"""Shared machinery of the StepMix checks and tests: the instances of spec §9, batched runs with
compiled programs reused across checks, and the statistics of spec §11.

A run is a batch of rows ``(seed key, hyper-parameters, instance)``, trained as one vmapped
program in chunks of :data:`CHUNK` episodes, so runs of 2000, 3000 or 4000 episodes, any leaf
hyper-parameters (``alpha``, ``bonus_scale``, ``delta``, ``bisection_steps``) and any instance of
one shape share one compiled program per agent class. Results are memoised per process (the
checks and the tests ask for the same runs), and :func:`prefetch` computes the fast-mode runs on
two threads (compiles and runs of different programs overlap on a 2-core machine).
"""
from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor
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


class Program(NamedTuple):
    """The compiled ``init`` and ``chunk`` of one agent class for one batch shape."""

    init: Any
    step: Any
    traces: list    # one entry per trace of the chunk function (must stay at 1)


_PROGRAMS: dict = {}
_LOCKS: dict = {}
_LOCK = threading.Lock()


def program_shapes(params) -> tuple:
    return tuple(tuple(x.shape) for x in jax.tree_util.tree_leaves(params))


def program(env, agent, keys, hp, params, chunk: int = CHUNK) -> Program:
    """The ahead-of-time compiled, vmapped ``init`` and ``chunk`` of ``agent`` for these shapes,
    built once per process (thread-safe: concurrent callers of one program wait for its compile;
    different programs compile in parallel). A compiled executable refuses arguments of other
    shapes or types instead of recompiling, and the chunk is traced under
    ``chex.assert_max_traces(n=1)``."""
    H = int(params.model.r.shape[-3])
    key = (id(env), type(agent), type(hp), H, chunk, program_shapes(params), keys.shape)
    with _LOCK:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:
        if key in _PROGRAMS:
            return _PROGRAMS[key]
        trainer = make_train(env, agent, TrainConfig(num_iterations=chunk, num_envs=1, rollout_len=H))
        traces: list = []

        def run_chunk(runner, hp, params):
            traces.append(1)
            return trainer.run_chunk(runner, hp, params, num_iterations=chunk)

        # chex identifies a function by its source and name: one name per program
        run_chunk.__name__ = f"run_chunk_{type(agent).__name__}_{type(hp).__name__}_{abs(hash(key))}"
        init_fn = jax.jit(jax.vmap(trainer.init, in_axes=(0, 0, 0)))
        step_fn = jax.jit(jax.vmap(chex.assert_max_traces(run_chunk, n=1), in_axes=(0, 0, 0)))
        runner = jax.eval_shape(init_fn, keys, hp, params)
        compiled = Program(init_fn.lower(keys, hp, params).compile(),
                           step_fn.lower(runner, hp, params).compile(), traces)
        _PROGRAMS[key] = compiled
        return compiled


def compiled_programs() -> dict:
    """The programs compiled so far (for the no-recompilation test)."""
    return dict(_PROGRAMS)


def stack_rows(hps: Sequence[Any]) -> Any:
    """Stack per-row hyper-parameters with every leaf as float64 (one input type per program)."""
    return stack_hparams([jax.tree_util.tree_map(lambda x: jnp.asarray(x, jnp.float64), h) for h in hps])


def train_rows(env, keys: jax.Array, hps: Sequence[Any], params: Any, episodes: int,
               chunk: int = CHUNK) -> dict[str, np.ndarray]:
    """Train row ``i`` with ``(keys[i], hps[i], params[i])`` for ``episodes`` episodes; metrics
    ``[rows, episodes]``. ``episodes`` must be a multiple of ``chunk``."""
    if episodes % chunk:
        raise ValueError(f"episodes={episodes} must be a multiple of the chunk {chunk}")
    hp = stack_rows(hps)
    prog = program(env, hps[0].make_agent(), keys, hp, params, chunk)
    runner = prog.init(keys, hp, params)
    collected = []
    for _ in range(episodes // chunk):
        runner, metrics = prog.step(runner, hp, params)
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
    from agents.conservative import BaselineParams, EpsMixParams, StepMixParams
    from agents.conservative.ucbvi import BoundedUCBVIParams
    if name == "ucbvi":
        return BoundedUCBVIParams(bonus_scale=bonus_scale, delta=delta, episodes_bound=episodes_bound)
    common = dict(alpha=alpha, delta=delta, bonus_scale=bonus_scale, episodes_bound=episodes_bound)
    if name == "switch":   # SwitchParams' agent: StepMix with m = 0 (shares StepMix's program)
        return StepMixParams(bisection_steps=0, **common)
    table = {"stepmix": StepMixParams, "epsmix": EpsMixParams, "baseline": BaselineParams}
    return table[name](**common)


BASELINE_OF = {"I-A": "mixed", "I-D": "deterministic"}


def paper_instances(seeds: int, baseline: str = "mixed", S: int = 5, A: int = 5, H: int = 3) -> Instances:
    """Instances I-A (``mixed`` baseline), I-D (``deterministic``) or I-B (``S = A = H = 3``) of
    seeds ``0..seeds-1``: the spec's ``make_random_mdp`` seeds (spec §9), built in blocks of
    :data:`ROWS` so that every count shares one program."""
    block = ROWS * -(-seeds // ROWS)
    return select(_instances(block, baseline, S, A, H), range(seeds))


def memo(fn):
    """``functools.cache`` that computes each key once even when threads ask concurrently."""
    results: dict = {}
    locks: dict = {}
    guard = threading.Lock()

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = args + tuple(sorted(kwargs.items()))
        with guard:
            lock = locks.setdefault(key, threading.Lock())
        with lock:
            if key not in results:
                results[key] = fn(*args, **kwargs)
            return results[key]
    return wrapper


_optimal_values = jax.jit(jax.vmap(lambda model: model.optimal_value()))


@memo
def _instances(seeds: int, baseline: str, S: int, A: int, H: int) -> Instances:
    """The spec's instances (numpy ``make_random_mdp`` seeds, spec §9)."""
    from envs.conservative import spec_instances
    params = spec_instances(seeds, S, A, H, baseline)
    optimal = _optimal_values(params.model)
    return Instances(params, np.asarray(optimal), np.asarray(params.baseline_value))


@memo
def batch_run(agent: str, rows: tuple[Row, ...], episodes: int) -> Run:
    """``agent`` on every row (one vmapped program per agent class), ``episodes`` episodes each,
    with the spec's fixed-``K`` log term (``episodes_bound = episodes``, spec §2.2)."""
    seeds = 1 + max(r.seed for r in rows)
    families = {name: _host(paper_instances(seeds, BASELINE_OF[name])) for name in {r.instance for r in rows}}
    pick = lambda field, r: families[r.instance][field][r.seed]  # noqa: E731
    params = jax.tree_util.tree_map(
        lambda *leaves: jnp.asarray(np.stack(leaves)),
        *[jax.tree_util.tree_map(lambda x: x[r.seed], families[r.instance][0]) for r in rows])
    inst = Instances(params, np.asarray([pick(1, r) for r in rows]), np.asarray([pick(2, r) for r in rows]))
    hps = [agent_params(agent, r.alpha, r.bonus_scale, r.delta, float(episodes)) for r in rows]
    keys = jnp.asarray(np.asarray(seed_keys(0, seeds))[np.asarray([r.seed for r in rows])])
    return run_agent(_env(), inst, hps, keys, episodes, [r.alpha for r in rows])


def _host(inst: Instances) -> tuple:
    """An instance set with numpy leaves (row selection without device ops)."""
    return (jax.tree_util.tree_map(np.asarray, inst.params), inst.optimal, inst.baseline)


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
SWITCH_ROWS = rows_of("I-D", 4) + rows_of("I-A", 8)                         # test 14, controls


def prefetch(jobs: Sequence[Any], workers: int = 2) -> None:
    """Call the (memoised) zero-argument ``jobs`` on ``workers`` threads; errors surface when the
    checks call them again (the memo keeps no failed result)."""
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(job) for job in jobs]:
            try:
                future.result()
            except Exception:   # the check that needs it reports the error
                pass


def _fast_jobs() -> list:
    """The fast-mode runs of the StepMix checks (all but the offline variant's)."""
    from theory_checks import stepmix_certificate
    return [
        lambda: batch_run("stepmix", MAIN_ROWS, 4000),
        lambda: batch_run("epsmix", MAIN_ROWS, 4000),
        lambda: batch_run("ucbvi", MAIN_ROWS, 4000),
        stepmix_certificate.fast_harness,
        lambda: batch_run("stepmix", THEORY_ROWS, 2000),
        lambda: batch_run("epsmix", THEORY_ROWS, 2000),
        lambda: batch_run("ucbvi", THEORY_ROWS, 2000),
        lambda: batch_run("stepmix", MIXED_ROWS, 3000),
        lambda: batch_run("epsmix", MIXED_ROWS, 3000),
        lambda: batch_run("switch", SWITCH_ROWS, 3000),
    ]


_PREFETCH: dict = {}


def prefetch_fast(wait: bool = True) -> None:
    """Compute the fast-mode runs of the checks on two threads (programs of different agents
    compile in parallel on a 2-core machine), started once per process; ``wait`` blocks until
    all are done. The checks then read memoised results. The worker is an ordinary (non-daemon)
    thread, so the interpreter never exits in the middle of a compile."""
    with _LOCK:
        thread = _PREFETCH.get("thread")
        if thread is None:
            thread = threading.Thread(target=prefetch, args=(_fast_jobs(),), name="stepmix-prefetch")
            _PREFETCH["thread"] = thread
            thread.start()
    if wait:
        thread.join()


def join_prefetch() -> None:
    """Wait for the background runs of :func:`prefetch_fast`, if any were started."""
    thread = _PREFETCH.get("thread")
    if thread is not None:
        thread.join()
