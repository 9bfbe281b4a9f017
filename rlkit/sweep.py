"""Sweeps in wandb's sweep YAML, run locally with no server, or across machines with wandb agents.

Local executor (``rlkit sweep FILE``): wandb's open-source engine (the ``sweeps`` package, pinned
to 0.2.0) proposes trials (grid, random, bayes) and stops them early (hyperband). Trials whose
swept parameters are all leaf hyper-parameters of the experiment's main agent are trained as one
vmapped batch (one compile for the whole batch); experiments with their own driver (no
standard ``TrainConfig``, e.g. the two-phase Gather-Trade-Build run) run one trial at a time
through it (:func:`run_driver_trials`); each trial is logged as its own wandb run
(offline by default) grouped under the sweep. The sweep's state (trials proposed, finished,
stopped, their metrics) lives in ``<sweep folder>/state.json``: running the same command again
continues without repeating finished trials or losing proposed ones.

The YAML names its experiment in ``command`` (``[${env}, rlkit, run, <experiment>,
${args_no_hyphens}]``), which is also what ``wandb agent`` launches on each machine; parameter
names are dotted config keys (``agent.alpha``); ``metric.name`` is a key of the main agent's
run summary (``return``, ``value``, ``cumulative_regret``, ... see :func:`rlkit.runner.summarize`).
"""
from __future__ import annotations

import dataclasses
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import yaml

from rlkit import config as config_lib
from rlkit.agent import leaf_fields
from rlkit.batch import BatchedTrainer, chunk_lengths
from rlkit.config import ConfigError, ExperimentConfig
from rlkit.logger import Logger
from rlkit.runner import log_rows, summarize
from rlkit.trainer import TrainConfig

SWEEP_KEYS = ("method", "parameters", "metric", "early_terminate", "program", "command", "name",
              "description", "project", "entity", "run_cap", "controller", "job", "image_uri")
METHODS = ("grid", "random", "bayes")
TERMINAL = ("finished", "stopped", "failed")


# ------------------------------------------------------------------------------------------------
# Loading and validating a sweep file
# ------------------------------------------------------------------------------------------------
def experiment_name(sweep: Mapping[str, Any]) -> str:
    """The experiment a sweep runs: the word after ``run`` in its ``command`` (``rlkit run NAME``)."""
    command = sweep.get("command")
    if isinstance(command, list):
        words = [str(w) for w in command]
        for i, word in enumerate(words[:-1]):
            if word == "run" and not words[i + 1].startswith("$"):
                return words[i + 1]
    raise ConfigError("the sweep's `command` must run an experiment, e.g. "
                      "command: [${env}, rlkit, run, <experiment>, ${args_no_hyphens}]")


def validate_sweep(sweep: Any) -> dict:
    """Check a sweep config's keys and values; the message names the offending key."""
    if not isinstance(sweep, dict):
        raise ConfigError("a sweep file must be a YAML mapping with method, parameters, metric, command")
    unknown = sorted(set(sweep) - set(SWEEP_KEYS))
    if unknown:
        raise ConfigError(f"unknown sweep key(s) {unknown}; allowed: {list(SWEEP_KEYS)}")
    method = sweep.get("method")
    if method not in METHODS:
        raise ConfigError(f"method must be one of {list(METHODS)}, got {method!r}")
    params = sweep.get("parameters")
    if not isinstance(params, dict) or not params:
        raise ConfigError("parameters must be a non-empty mapping of config keys to specs")
    metric = sweep.get("metric")
    if method == "bayes" or "early_terminate" in sweep:
        if not isinstance(metric, dict) or "name" not in metric:
            raise ConfigError("metric: {name, goal} is required for bayes search and early termination")
    if metric is not None:
        if not isinstance(metric, dict) or set(metric) - {"name", "goal", "target", "impute",
                                                          "impute_while_running"}:
            raise ConfigError(f"metric must be a mapping with name and goal, got {metric!r}")
        if metric.get("goal", "minimize") not in ("minimize", "maximize"):
            raise ConfigError(f"metric.goal must be minimize or maximize, got {metric.get('goal')!r}")
    et = sweep.get("early_terminate")
    if et is not None and (not isinstance(et, dict) or et.get("type") != "hyperband"):
        raise ConfigError(f"early_terminate.type must be hyperband, got {et!r}")
    for name, spec in params.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"parameters.{name} must be a mapping (values, value, or a distribution)")
        if method == "grid" and not ({"values", "value"} & set(spec)):
            raise ConfigError(f"parameters.{name}: grid search needs `values` or `value`, got {spec}")
    from jsonschema import ValidationError
    from sweeps.config import SweepConfig
    try:
        SweepConfig({k: v for k, v in sweep.items() if k not in ("program", "command", "name", "description",
                                                                 "project", "entity")})
    except ValidationError as err:
        path = ".".join(str(p) for p in err.absolute_path) or "sweep"
        raise ConfigError(f"invalid sweep config at {path}: {err.message}") from None
    experiment_name(sweep)
    return sweep


def load_sweep(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"sweep file {path} does not exist")
    try:
        sweep = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"sweep file {path} is not valid YAML: {err}") from None
    return validate_sweep(sweep)


def check_parameters(sweep: Mapping[str, Any], base: ExperimentConfig) -> None:
    """Every swept parameter must be a key of the experiment config that accepts its values."""
    for name, spec in sweep["parameters"].items():
        samples = spec.get("values", [spec["value"]] if "value" in spec else [spec.get("min", 0.0)])
        for value in samples[:3]:
            config_lib.apply_overrides(base, {name: _native(value)})


# ------------------------------------------------------------------------------------------------
# State
# ------------------------------------------------------------------------------------------------
@dataclass
class Trial:
    id: str
    params: dict[str, Any]
    state: str = "proposed"          # proposed | finished | stopped | failed
    summary: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    run_dir: str | None = None

    def sweep_run(self):
        from sweeps import RunState, SweepRun
        # wandb records an early-terminated run as "killed" (it has no "stopped" state)
        state = {"finished": RunState.finished, "stopped": RunState.killed,
                 "failed": RunState.failed}.get(self.state, RunState.running)
        run = SweepRun(name=self.id, state=state, config={k: {"value": v} for k, v in self.params.items()})
        run.summary_metrics = dict(self.summary)   # after construction (sweeps 0.2 + pydantic v2)
        run.history = list(self.history)
        return run


@dataclass
class SweepState:
    sweep: dict
    experiment: str
    seed: int
    trials: list[Trial] = field(default_factory=list)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"sweep": self.sweep, "experiment": self.experiment, "seed": self.seed,
                                   "trials": [dataclasses.asdict(t) for t in self.trials]}, indent=1))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "SweepState":
        data = json.loads(path.read_text())
        return cls(data["sweep"], data["experiment"], data["seed"], [Trial(**t) for t in data["trials"]])


def _native(v: Any) -> Any:
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def propose(state: SweepState, n: int) -> list[Trial]:
    """Ask the sweep engine for up to ``n`` new trials (reproducible given the seed and history)."""
    import sweeps
    seed = state.seed * 1_000_003 + len(state.trials)
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    suggestions = sweeps.next_runs(state.sweep, [t.sweep_run() for t in state.trials], validate=False, n=n)
    new = []
    for s in suggestions:
        if s is None:
            continue
        params = {k: _native(v["value"]) for k, v in s.config.items()}
        trial = Trial(id=f"trial-{len(state.trials):04d}", params=params)
        state.trials.append(trial)
        new.append(trial)
    return new


# ------------------------------------------------------------------------------------------------
# Running trials (batched where only leaf hyper-parameters differ)
# ------------------------------------------------------------------------------------------------
def batch_key(cfg: ExperimentConfig) -> str:
    """Trials with equal keys differ only in leaf hyper-parameters of the main agent."""
    agent = cfg.agent
    stripped = {name: None for name in leaf_fields(agent)}
    return config_lib.dumps(dataclasses.replace(cfg, agent=dataclasses.replace(agent, **stripped), baselines={}))


def group_trials(base: ExperimentConfig, trials: Sequence[Trial]) -> list[tuple[list[Trial], list[ExperimentConfig]]]:
    groups: dict[str, tuple[list[Trial], list[ExperimentConfig]]] = {}
    for t in trials:
        cfg = config_lib.apply_overrides(base, t.params)
        key = batch_key(cfg)
        groups.setdefault(key, ([], []))
        groups[key][0].append(t)
        groups[key][1].append(cfg)
    return list(groups.values())


def _metric_value(summary: Mapping[str, float], name: str) -> float:
    if name not in summary:
        raise ConfigError(f"sweep metric {name!r} is not a summary key of this experiment; "
                          f"available: {sorted(k for k in summary if not k.endswith('_se'))}")
    return summary[name]


def run_group(trials: list[Trial], cfgs: list[ExperimentConfig], state: SweepState, sweep_dir: Path,
              quiet: bool = True) -> None:
    """Train a group of trials as one vmapped batch, in chunks; hyperband stops trials between chunks."""
    import sweeps
    cfg0 = cfgs[0]
    batch = BatchedTrainer(cfg0.env, [c.agent for c in cfgs], cfg0.train, cfg0.run.seeds, cfg0.run.seed)
    total = cfg0.train.num_iterations
    lengths = chunk_lengths(total, cfg0.run.chunks)
    metric = state.sweep.get("metric", {}).get("name")
    early = "early_terminate" in state.sweep
    runner = batch.init()
    collected: list[dict[str, np.ndarray]] = []
    stopped_at: dict[str, int] = {}
    for n in lengths:
        runner, metrics = batch.run_chunk(runner, n)
        collected.append({k: np.asarray(v) for k, v in metrics.items()})
        so_far = {k: np.concatenate([c[k] for c in collected], axis=1) for k in collected[0]}
        for t, m in zip(trials, batch.split(so_far)):
            if t.id in stopped_at or metric is None:
                continue
            t.history.append({metric: _metric_value(summarize(m), metric)})
        if early:
            running = [t for t in trials if t.id not in stopped_at]
            to_stop = {r.name for r in sweeps.stop_runs(state.sweep, [t.sweep_run() for t in state.trials
                                                                      if t.state in TERMINAL or t in running])}
            for t in running:
                if t.id in to_stop:
                    stopped_at[t.id] = so_far[next(iter(so_far))].shape[1]
            if len(stopped_at) == len(trials):
                break
    final = {k: np.concatenate([c[k] for c in collected], axis=1) for k in collected[0]}
    for t, cfg, m in zip(trials, cfgs, batch.split(final)):
        if t.id in stopped_at:
            m = {k: v[:, :stopped_at[t.id]] for k, v in m.items()}
            t.state = "stopped"
        else:
            t.state = "finished"
        t.summary = summarize(m)
        _record_trial(t, cfg, m, state, sweep_dir, quiet)


def _record_trial(t: Trial, cfg: ExperimentConfig, metrics: Mapping[str, np.ndarray] | None,
                  state: SweepState, sweep_dir: Path, quiet: bool) -> None:
    """Write a finished trial's folder (config, metrics, summary) and its wandb run."""
    metric = state.sweep.get("metric", {}).get("name")
    if metric is not None:
        _metric_value(t.summary, metric)
    trial_dir = sweep_dir / "trials" / t.id
    trial_dir.mkdir(parents=True, exist_ok=True)
    (trial_dir / "config.json").write_text(config_lib.dumps(cfg))
    if metrics is not None:
        np.savez(trial_dir / "metrics.npz", **metrics)
    (trial_dir / "summary.json").write_text(json.dumps(t.summary, indent=1))
    t.run_dir = str(trial_dir)
    logger = Logger(trial_dir, f"{state.sweep.get('name', sweep_dir.name)}/{t.id}",
                    {**config_lib.flatten(cfg), **t.params}, wandb_mode=cfg.run.wandb_mode,
                    project=cfg.run.wandb_project, group=state.sweep.get("name", sweep_dir.name),
                    job_type="sweep-trial")
    if metrics is not None:
        for step, row in log_rows(metrics, 0, metrics[next(iter(metrics))].shape[1]):
            logger.log(row, step)
    logger.finish(t.summary)
    if not quiet:
        shown = f"{metric}={t.summary.get(metric, float('nan')):.4g}" if metric else ""
        print(f"  {t.id} {t.state:8s} {shown}  {t.params}")


def needs_driver(cfg: ExperimentConfig) -> bool:
    """Whether an experiment's runs go through its own driver (``main``) rather than the standard
    trainer: its ``train`` section is not a :class:`rlkit.TrainConfig` (e.g. the two-phase
    Gather-Trade-Build curriculum)."""
    return not isinstance(cfg.train, TrainConfig)


def run_driver_trials(trials: list[Trial], cfgs: list[ExperimentConfig], driver, state: SweepState,
                      sweep_dir: Path, quiet: bool = True, saved=None) -> None:
    """Run trials one by one through an experiment's driver ``main(cfg, overrides, quiet=...)``,
    which returns the run's flat summary (no vmapped batch, no early termination: a driver run
    is one call). Each run writes its own folder inside the trial's folder; ``saved()`` is
    called after each trial (the sweep saves its state, so an interruption loses one run)."""
    for t, cfg in zip(trials, cfgs):
        trial_dir = sweep_dir / "trials" / t.id
        cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, out_dir=str(trial_dir)))
        summary = driver(cfg, overrides=dict(t.params), quiet=True)
        if not isinstance(summary, Mapping):
            raise ConfigError(f"experiment {state.experiment!r} drives its own runs, and its main() "
                              f"returned {type(summary).__name__}, not a summary mapping; a sweep "
                              "needs the metrics of each run")
        t.summary = {k: float(v) for k, v in summary.items()}
        t.state = "finished"
        _record_trial(t, cfg, None, state, sweep_dir, quiet)
        if saved is not None:
            saved()


def run_sweep(sweep: dict, sweep_dir: str | Path, count: int | None = None, batch: int = 8,
              seed: int = 0, overrides: Mapping[str, Any] | None = None, quiet: bool = False,
              base_config: ExperimentConfig | None = None, driver=None) -> SweepState:
    """Run (or continue) a sweep in ``sweep_dir``; returns its state with every trial.

    ``base_config`` replaces the registered experiment's config (the Python API and tests);
    ``driver`` the experiment's ``main`` (used when :func:`needs_driver`).
    """
    sweep = validate_sweep(sweep)
    name = experiment_name(sweep)
    if base_config is None:
        from rlkit.registry import get_experiment
        experiment = get_experiment(name)
        base_config = experiment.config()
        driver = driver or experiment.main
    base = config_lib.apply_overrides(base_config, dict(overrides or {}))
    check_parameters(sweep, base)
    if needs_driver(base) and driver is None:
        raise ConfigError(f"experiment {name!r} has no standard TrainConfig and no main() driver "
                          "to run its trials")
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    state_path = sweep_dir / "state.json"
    if state_path.exists():
        state = SweepState.load(state_path)
        if state.sweep != sweep:
            raise ConfigError(f"{sweep_dir} holds a different sweep; use another --out folder")
    else:
        state = SweepState(sweep, name, seed)
    cap = count if count is not None else sweep.get("run_cap")
    if cap is None:   # a grid runs to exhaustion; random and bayes propose one batch by default
        cap = float("inf") if sweep["method"] == "grid" else batch
    t0 = time.perf_counter()
    while True:
        done = sum(t.state in TERMINAL for t in state.trials)
        pending = [t for t in state.trials if t.state not in TERMINAL]
        if not pending:
            room = int(min(batch, cap - done))
            if room <= 0:
                break
            pending = propose(state, room)
            state.save(state_path)
            if not pending:
                break
        if not quiet:
            print(f"sweep {sweep_dir.name}: training {len(pending)} trial(s) ({done} done)")
        for trials, cfgs in group_trials(base, pending):
            if needs_driver(base):
                run_driver_trials(trials, cfgs, driver, state, sweep_dir, quiet,
                                  saved=lambda: state.save(state_path))
            else:
                run_group(trials, cfgs, state, sweep_dir, quiet)
            state.save(state_path)
    write_results(state, sweep_dir, quiet)
    if not quiet:
        print(f"sweep folder: {sweep_dir} ({time.perf_counter() - t0:.1f} s)")
    return state


def write_results(state: SweepState, sweep_dir: Path, quiet: bool = False) -> None:
    """A results table (results.json, printed) and the metric against each parameter (PNG)."""
    metric = state.sweep.get("metric", {}).get("name")
    goal = state.sweep.get("metric", {}).get("goal", "minimize")
    done = [t for t in state.trials if t.state in ("finished", "stopped")]
    if metric:
        done.sort(key=lambda t: t.summary.get(metric, np.inf) * (1 if goal == "minimize" else -1))
    rows = [{"id": t.id, "state": t.state, **t.params, **({metric: t.summary.get(metric)} if metric else {})}
            for t in done]
    (sweep_dir / "results.json").write_text(json.dumps(rows, indent=1))
    if not quiet and rows:
        from rich.console import Console
        from rich.table import Table
        table = Table(title=f"sweep {state.sweep.get('name', sweep_dir.name)} ({state.experiment}), best first")
        cols = list(rows[0])
        for c in cols:
            table.add_column(c)
        for r in rows:
            table.add_row(*[f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols])
        Console(width=160).print(table)
    if metric and done:
        from rlkit.plots import _pyplot
        plt = _pyplot()
        params = list(state.sweep["parameters"])
        fig, axes = plt.subplots(1, len(params), figsize=(4 * len(params), 3.5), dpi=100, squeeze=False)
        for ax, p in zip(axes[0], params):
            xs = [t.params.get(p) for t in done]
            ys = [t.summary.get(metric) for t in done]
            if all(isinstance(x, (int, float)) for x in xs):
                ax.scatter(xs, ys)
                if all(x > 0 for x in xs) and max(xs) / max(min(xs), 1e-300) > 50:
                    ax.set_xscale("log")
            else:
                labels = sorted({str(x) for x in xs})
                ax.scatter([labels.index(str(x)) for x in xs], ys)
                ax.set_xticks(range(len(labels)), labels)
            ax.set_xlabel(p)
            ax.set_ylabel(metric)
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(sweep_dir / "metric_vs_parameters.png")
        plt.close(fig)


def run_sweep_file(path: str | Path, count: int | None = None, batch: int = 8, seed: int = 0,
                   out_dir: str | Path | None = None, quiet: bool = False) -> SweepState:
    sweep = load_sweep(path)
    name = sweep.get("name") or Path(path).stem
    sweep_dir = Path(out_dir) if out_dir else Path("runs") / "sweeps" / name
    return run_sweep(sweep, sweep_dir, count=count, batch=batch, seed=seed, quiet=quiet)


# ------------------------------------------------------------------------------------------------
# wandb agents: the experiment entry point reads wandb.config
# ------------------------------------------------------------------------------------------------
def overrides_from_wandb_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted overrides from a ``wandb.config``-style mapping.

    Accepts flat dotted keys (``{"agent.alpha": 0.2}``), nested mappings (``{"agent": {"alpha":
    0.2}}``) and the ``{"value": v}`` wrappers of wandb's parameter files; wandb's own ``_wandb``
    entries are ignored.
    """
    out: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and set(value) == {"value"}:
            value = value["value"]
        if isinstance(value, Mapping):
            for k, v in value.items():
                walk(f"{prefix}{k}.", v)
        else:
            out[prefix.rstrip(".")] = _native(value)

    for key, value in config.items():
        if str(key).startswith("_"):
            continue
        walk(f"{key}.", value)
    return out
