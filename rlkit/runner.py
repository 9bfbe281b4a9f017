"""``rlkit.run(config)``: seeds (and hyper-parameter batches) as one vmapped, sharded program,
cut into jitted chunks with progress, logging and checkpoints between them; a run folder with the
config, metrics, summary and PNG plots.

Run folder layout (``run.out_dir/<experiment>/<timestamp>/``)::

    config.json        the resolved config        summary.json   per-agent summary statistics
    run.json           name, overrides, status    metrics.jsonl  logged rows (seed means)
    metrics/<agent>.npz  every metric, [seeds, iterations]
    checkpoints/<agent>.npz  runner state + metrics at the last chunk boundary
    plots/*.png        learning curves            wandb/         the wandb run(s)
"""
from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from rlkit import checkpoint, config as config_lib, plots
from rlkit.batch import BatchedTrainer, chunk_lengths
from rlkit.config import ConfigError, ExperimentConfig
from rlkit.logger import Logger
from rlkit.progress import Progress

MAX_LOG_POINTS = 500


@dataclass
class AgentResult:
    label: str
    hp: Any
    metrics: dict[str, np.ndarray]   # each [seeds, iterations]
    seconds: float
    summary: dict[str, float] = field(default_factory=dict)


@dataclass
class RunResult:
    config: ExperimentConfig
    run_dir: Path | None
    agents: dict[str, AgentResult]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, dict[str, float]]:
        return {label: r.summary for label, r in self.agents.items()}


# ---------------------------------------------------------------------------------------------
# Summary statistics
# ---------------------------------------------------------------------------------------------
def summarize(metrics: Mapping[str, np.ndarray], tail: float = 0.1) -> dict[str, float]:
    """Per metric: mean over seeds of its mean over the last ``tail`` of iterations (``_se``: the
    standard error over seeds); ``regret`` also gets ``cumulative_regret`` (sum over iterations)."""
    out: dict[str, float] = {}
    for key, values in metrics.items():
        v = np.asarray(values, np.float64)
        if v.ndim != 2:
            continue
        n = v.shape[1]
        last = v[:, max(0, n - max(1, int(round(tail * n)))):].mean(1)
        out[key] = float(last.mean())
        out[f"{key}_se"] = float(last.std(ddof=1) / np.sqrt(len(last))) if len(last) > 1 else 0.0
        if key == "regret":
            cum = v.sum(1)
            out["cumulative_regret"] = float(cum.mean())
            out["cumulative_regret_se"] = float(cum.std(ddof=1) / np.sqrt(len(cum))) if len(cum) > 1 else 0.0
    return out


def log_rows(metrics: Mapping[str, np.ndarray], start: int, total: int, prefix: str = ""
             ) -> list[tuple[int, dict[str, float]]]:
    """Seed-mean rows for one chunk of iterations ``[start, start + T)``, at most
    :data:`MAX_LOG_POINTS` per run (window means between logged steps)."""
    stride = max(1, int(np.ceil(total / MAX_LOG_POINTS)))
    T = next(iter(metrics.values())).shape[1]
    rows = []
    for end in range(start, start + T):
        if (end + 1) % stride and end + 1 != total:
            continue
        lo = max(start, end + 1 - stride) - start
        hi = end + 1 - start
        row = {}
        for k, v in metrics.items():
            if v.ndim == 2:
                row[f"{prefix}{k}"] = float(np.mean(v[:, lo:hi]))
        rows.append((end + 1, row))
    return rows


# ---------------------------------------------------------------------------------------------
# The run folder
# ---------------------------------------------------------------------------------------------
def new_run_dir(cfg: ExperimentConfig) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(cfg.run.out_dir) / cfg.name / f"{stamp}-{uuid.uuid4().hex[:6]}"


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str))
    tmp.replace(path)


def _safe(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in label)


# ---------------------------------------------------------------------------------------------
# Training one agent (seeds batched), with chunks, checkpoints and logging
# ---------------------------------------------------------------------------------------------
def train_agent(cfg: ExperimentConfig, label: str, hp: Any, run_dir: Path | None,
                progress: Progress, logger_factory: Callable[[str], Logger]) -> AgentResult:
    """Train ``hp``'s agent on ``cfg.env`` for ``cfg.run.seeds`` seeds (one batch)."""
    batch = BatchedTrainer(cfg.env, [hp], cfg.train, cfg.run.seeds, cfg.run.seed)
    total = cfg.train.num_iterations
    lengths = chunk_lengths(total, cfg.run.chunks)
    ckpt = None if run_dir is None or not cfg.run.checkpoint else run_dir / "checkpoints" / f"{_safe(label)}.npz"
    t0 = time.perf_counter()
    runner = batch.init()
    done, chunks_done, collected = 0, 0, []
    if ckpt is not None and ckpt.exists():
        (runner_host, metrics_host), meta = checkpoint.load_pytree(ckpt, (runner, _metric_target(batch, runner, lengths)))
        done, chunks_done = meta["iterations"], meta["chunks"]
        runner = batch.place(runner_host)
        collected = [{k: v[:, :done] for k, v in metrics_host.items()}] if done else []
        progress.advance(label, done)
    logger = logger_factory(label)  # rows before a resume point were logged by the earlier run
    for n in lengths[chunks_done:]:
        runner, metrics = batch.run_chunk(runner, n)
        metrics = {k: np.asarray(v) for k, v in metrics.items()}
        collected.append(metrics)
        for step, row in log_rows(metrics, done, total):
            logger.log(row, step)
        logger.flush()
        done += n
        chunks_done += 1
        progress.advance(label, n, _headline(metrics))
        if ckpt is not None and done < total:
            so_far = _pad_metrics(collected, total)
            checkpoint.save_pytree(ckpt, (runner, so_far), {"iterations": done, "chunks": chunks_done})
    seconds = time.perf_counter() - t0
    metrics = {k: np.concatenate([c[k] for c in collected], axis=1) for k in collected[0]}
    result = AgentResult(label, hp, metrics, seconds, summarize(metrics))
    result.summary["seconds"] = seconds
    logger.finish(result.summary)
    if ckpt is not None and ckpt.exists():
        ckpt.unlink()
    return result


def _metric_target(batch: BatchedTrainer, runner, lengths) -> dict[str, np.ndarray]:
    """Zero arrays shaped like the full metrics ``[batch, total]`` (the restore target)."""
    import jax
    shapes = jax.eval_shape(lambda r: batch.run_chunk(r, lengths[0])[1], runner)
    total = sum(lengths)
    return {k: np.zeros((s.shape[0], total) + s.shape[2:], s.dtype) for k, s in shapes.items()}


def _pad_metrics(collected: list[dict[str, np.ndarray]], total: int) -> dict[str, np.ndarray]:
    joined = {k: np.concatenate([c[k] for c in collected], axis=1) for k in collected[0]}
    return {k: np.concatenate([v, np.zeros((v.shape[0], total - v.shape[1]) + v.shape[2:], v.dtype)], 1)
            for k, v in joined.items()}


def _headline(metrics: Mapping[str, np.ndarray]) -> str:
    parts = []
    for key in ("return", "value", "regret"):
        if key in metrics:
            parts.append(f"{key} {float(np.mean(metrics[key][:, -1])):.3g}")
    return "  ".join(parts)


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------
def results_table(result: RunResult) -> str:
    """A plain-text table: one row per agent, the key summary columns."""
    from rich.console import Console
    from rich.table import Table

    keys = []
    for r in result.agents.values():
        for k in ("return", "value", "cumulative_regret"):
            if k in r.summary and k not in keys:
                keys.append(k)
    for r in result.agents.values():
        for k in r.summary:
            if k.endswith("_se") or k in keys or k in ("seconds", "regret", "episodes"):
                continue
            if len(keys) < 6:
                keys.append(k)
    table = Table(title=f"{result.config.name}: {result.config.run.seeds} seeds x "
                        f"{result.config.train.num_iterations} iterations (mean ± s.e. over seeds)")
    table.add_column("agent")
    for k in keys:
        table.add_column(k, justify="right")
    table.add_column("seconds", justify="right")
    for label, r in result.agents.items():
        cells = []
        for k in keys:
            if k in r.summary:
                cells.append(f"{r.summary[k]:.4g} ± {r.summary.get(k + '_se', 0.0):.2g}")
            else:
                cells.append("-")
        table.add_row(label, *cells, f"{r.summary.get('seconds', 0.0):.1f}")
    console = Console(width=140, record=True, force_terminal=False)
    with console.capture() as cap:
        console.print(table)
    return cap.get()


def write_plots(result: RunResult) -> list[Path]:
    if result.run_dir is None or not result.config.run.plots:
        return []
    out = []
    for metric in result.config.run.plot_metrics:
        curves = {label: r.metrics[metric] for label, r in result.agents.items() if metric in r.metrics}
        if not curves:
            continue
        cumulative = metric == "regret"
        name = "cumulative_regret" if cumulative else metric
        out.append(plots.plot_curves(
            curves, result.run_dir / "plots" / f"{_safe(name)}.png",
            title=f"{result.config.name}: {name.replace('_', ' ')}",
            ylabel=name.replace("_", " "), cumulative=cumulative))
    return out


# ---------------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------------
def run(cfg: ExperimentConfig, overrides: Mapping[str, Any] | None = None, *,
        report: Callable[[RunResult], None] | None = None, resume: str | Path | None = None,
        run_dir: str | Path | None = None, write: bool = True, quiet: bool = False,
        experiment: str | None = None, wandb_run: Any = None) -> RunResult:
    """Run an experiment: every agent of ``cfg.agents()`` for ``cfg.run.seeds`` seeds.

    Args:
      cfg: the experiment config; ``overrides`` (dotted keys) are applied and everything is
        validated before any compile.
      report: the experiment's hook, called with the result to add tables, plots or summary
        entries (``result.extra``) before the run folder is finalised.
      resume: a run folder of an interrupted run of the same config: finished agents are loaded,
        the interrupted one continues from its last checkpoint, bit-identically.
      run_dir: the run folder to write (default: a new one under ``cfg.run.out_dir``).
      write: write the run folder (and log to wandb); ``False`` for a pure in-memory run.
      quiet: no console output.
      experiment: the registered experiment name (recorded so ``rlkit run --resume`` can rebuild).
      wandb_run: an active wandb run to log into (a sweep trial launched by ``wandb agent``):
        only the main agent is trained, its metrics logged unprefixed, its summary set on the run.
    """
    overrides = dict(overrides or {})
    cfg = config_lib.apply_overrides(cfg, overrides)
    if not isinstance(cfg, ExperimentConfig):
        raise ConfigError(f"rlkit.run needs an ExperimentConfig, got {type(cfg).__name__}")
    directory: Path | None = None
    previous: dict[str, Any] = {}
    if resume is not None:
        directory = Path(resume)
        meta_path = directory / "run.json"
        if not meta_path.exists():
            raise ConfigError(f"cannot resume: {directory} has no run.json (not an rlkit run folder)")
        previous = json.loads(meta_path.read_text())
        stored = json.loads((directory / "config.json").read_text())
        if stored != json.loads(config_lib.dumps(cfg)):
            raise ConfigError(f"cannot resume {directory}: its config.json differs from this config "
                              f"(resume with the same experiment and overrides: {previous.get('overrides')})")
    elif write:
        directory = Path(run_dir) if run_dir is not None else new_run_dir(cfg)
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "config.json").write_text(config_lib.dumps(cfg))
        meta = {"name": cfg.name, "experiment": experiment or previous.get("experiment"),
                "overrides": overrides, "status": "running",
                "wandb_ids": previous.get("wandb_ids", {}), "started": previous.get("started", time.time())}
        _write_json(directory / "run.json", meta)
    flat_config = config_lib.flatten(cfg)
    group = directory.name if directory is not None else None
    wandb_ids: dict[str, str] = dict(previous.get("wandb_ids", {}))

    def logger_factory(label: str) -> Logger:
        if wandb_run is not None:
            return Logger(directory, label, {}, existing_run=wandb_run)
        mode = cfg.run.wandb_mode if directory is not None else "disabled"
        logger = Logger(directory, f"{cfg.name}/{label}", {**flat_config, "agent_label": label},
                        wandb_mode=mode, project=cfg.run.wandb_project, group=group,
                        job_type=label, resume_id=wandb_ids.get(label))
        if logger.wandb_id and directory is not None:
            wandb_ids[label] = logger.wandb_id
            meta["wandb_ids"] = wandb_ids
            _write_json(directory / "run.json", meta)
        return _Prefixed(logger, f"{label}/")

    agents = cfg.agents()
    if wandb_run is not None:
        agents = dict(list(agents.items())[:1])
    results: dict[str, AgentResult] = {}
    total = cfg.train.num_iterations * len(agents)
    with Progress(total, enabled=cfg.run.progress and not quiet) as progress:
        for label, hp in agents.items():
            stored_metrics = directory / "metrics" / f"{_safe(label)}.npz" if directory is not None else None
            if resume is not None and stored_metrics is not None and stored_metrics.exists():
                with np.load(stored_metrics) as data:
                    metrics = {k: data[k] for k in data.files}
                results[label] = AgentResult(label, hp, metrics, 0.0, summarize(metrics))
                progress.advance(label, cfg.train.num_iterations)
                continue
            result = train_agent(cfg, label, hp, directory, progress, logger_factory)
            results[label] = result
            if stored_metrics is not None:
                stored_metrics.parent.mkdir(parents=True, exist_ok=True)
                np.savez(stored_metrics, **result.metrics)
    result = RunResult(cfg, directory, results)
    if report is not None:
        report(result)
    if directory is not None:
        write_plots(result)
        _write_json(directory / "summary.json", {"agents": result.summary, "extra": result.extra})
        meta["status"] = "finished"
        _write_json(directory / "run.json", meta)
    if not quiet:
        print(results_table(result))
        if directory is not None:
            print(f"run folder: {directory}")
    return result


class _Prefixed:
    """A logger view that prefixes metric names (``ucbvi/return``)."""

    def __init__(self, logger: Logger, prefix: str):
        self.logger = logger
        self.prefix = prefix

    def log(self, metrics, step):
        self.logger.log({f"{self.prefix}{k}": v for k, v in metrics.items()}, step)

    def flush(self):
        self.logger.flush()

    def finish(self, summary=None):
        self.logger.finish({f"{self.prefix}{k}": v for k, v in (summary or {}).items()})
