"""Sample complexity of SQIRL vs PPO vs DQN on sticky BRIDGE MDPs and local gridworlds (P2 Fig. 3 analog).

For every MDP (sticky actions, p = 0.25) and algorithm, the empirical sample complexity is the
number of env steps (before the terminal state) needed to reach the optimal return, evaluated
exactly by dynamic programming, as the median over seeds (infinite when fewer than half the seeds
succeed), as in P2 §5:

- tabular SQIRL (observing ``(h, u)`` like the deep agents, not the previous action): the cost
  (env steps over the H iterations) of the smallest ``m`` of the grid at which some ``k`` in
  ``train.ks`` gives an optimal policy in at least half the seeds (upstream's GORP runner searches
  ``m`` the same way). The ``m`` grid is run in ascending order and stops at the first success:
  ``m`` up to ``train.bucket`` share one compiled program, larger ones get one each;
- PPO and DQN (one-hot observations, gamma = 1): the env steps until the greedy policy is first
  optimal, per seed; trained in chunks of ``train.deep_chunk_steps`` env steps up to
  ``train.deep_steps``, stopping once the median over seeds is known.

Spearman's rank correlation of SQIRL's sample complexity with PPO's and DQN's is computed over the
MDPs where both algorithms succeed; with fewer than 3 such MDPs it is reported as unavailable
(never as NaN). Writes ``sample_complexity.json``, a markdown table ``sample_complexity.md`` and
``sample_complexity.png`` (log-log scatter, failures drawn at the top/right) into the run folder.

``rlkit run sqirl_sample_complexity`` (the default set: both fixtures and rlkit's gridworlds);
``--set env.sources=[freeway_10_fs30,grid:empty-5]`` picks MDPs (``SOURCE@H`` sets a horizon,
e.g. ``minigrid:MiniGrid-Empty-5x5-v0@20``); ``train.*`` sets the budgets (see ``Budgets``).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.sqirl import episodic_train_config
from agents.sqirl.dqn import DQNParams
from agents.sqirl.ppo_eval import EvaluatedPPOParams
from agents.sqirl.tabular import SQIRLParams
from envs.bridge import LAYOUTS, BridgeConfig
from rlkit import ExperimentConfig, RunConfig
from rlkit.config import ConfigError
from rlkit.trainer import TrainConfig

FIXTURES = ("freeway_10_fs30", "maze_easy_l0_30_fs1")
DEFAULT_MDPS = FIXTURES + tuple(f"grid:{name}" for name in LAYOUTS)
MIN_CORRELATION_MDPS = 3


@dataclass(frozen=True)
class MDPSet:
    """The MDPs (``envs.bridge.resolve`` sources, optionally ``SOURCE@H``) and the stickiness."""

    sources: tuple[str, ...] = DEFAULT_MDPS
    sticky: float = 0.25

    def validate(self):
        if not self.sources:
            raise ConfigError("env.sources must name at least one MDP")
        for source in self.sources:
            parse_source(source)
        if not 0.0 <= self.sticky < 1.0:
            raise ConfigError(f"env.sticky must be in [0, 1), got {self.sticky}")


@dataclass(frozen=True)
class Budgets:
    """Search grids and budgets.

    ``ks``, ``ms``: SQIRL's grid (ascending ``m``, stop at the first success); ``bucket``: ``m``
    values up to it share one program (``num_envs`` = the largest of them); ``max_episode_steps``:
    skip ``m`` with ``m * H`` above it. ``deep_steps``: PPO/DQN env-step budget per run, trained in
    chunks of ``deep_chunk_steps``. ``tolerance``: a policy is optimal when its exact value is
    ``>= V* - tolerance``.
    """

    ks: tuple[int, ...] = (1, 2, 3)
    ms: tuple[int, ...] = (10, 30, 100, 300, 1000, 3000)
    bucket: int = 300
    max_episode_steps: int = 60_000
    deep_steps: int = 200_000
    deep_chunk_steps: int = 20_480
    tolerance: float = 1e-6

    def validate(self):
        if not self.ks or min(self.ks) < 1:
            raise ConfigError(f"train.ks must be integers >= 1, got {self.ks}")
        if not self.ms or min(self.ms) < 1 or list(self.ms) != sorted(self.ms):
            raise ConfigError(f"train.ms must be ascending integers >= 1, got {self.ms}")
        for name in ("bucket", "max_episode_steps", "deep_steps", "deep_chunk_steps"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name} must be >= 1, got {getattr(self, name)}")
        if not self.tolerance >= 0:
            raise ConfigError(f"train.tolerance must be >= 0, got {self.tolerance}")


def parse_source(source: str) -> tuple[str, int | None]:
    """``"SOURCE@H"`` -> ``(SOURCE, H)``; plain ``SOURCE`` -> ``(SOURCE, None)``."""
    name, _, horizon = source.partition("@")
    if not name:
        raise ConfigError(f"bad MDP source {source!r}")
    if not horizon:
        return name, None
    if not horizon.isdigit() or int(horizon) < 1:
        raise ConfigError(f"bad horizon in MDP source {source!r}: use SOURCE@H with an integer H >= 1")
    return name, int(horizon)


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="sqirl_sample_complexity",
        env=MDPSet(),
        agent=SQIRLParams(),
        baselines={"PPO": EvaluatedPPOParams(gamma=1.0, clip_eps=0.1, learning_rate=2.5e-4),
                   "DQN": DQNParams(total_timesteps=200_000, learning_starts=0, gradient_steps=32)},
        train=Budgets(),
        run=RunConfig(seeds=3, chunks=1),
        description=__doc__,
    )


def median_cost(costs: np.ndarray) -> float:
    """Median over seeds with failures as +inf (infinite when fewer than half succeed)."""
    return float(np.median(np.where(np.isfinite(costs), costs, np.inf)))


def bridge_config(source: str, sticky: float, **kw) -> BridgeConfig:
    name, horizon = parse_source(source)
    return BridgeConfig(name, horizon=horizon, sticky=sticky, observe_prev_action=False, **kw)


def m_groups(ms: list[int], bucket: int) -> list[list[int]]:
    """Ascending groups of ``ms``: all ``m <= bucket`` together, then one group per ``m``."""
    small = [m for m in ms if m <= bucket]
    return ([small] if small else []) + [[m] for m in ms if m > bucket]


def sqirl_cost(source: str, sticky: float, budgets: Budgets, seeds: int, base_seed: int) -> tuple[float, str]:
    """SQIRL's sample complexity on one MDP and the ``(k, m)`` that achieves it."""
    from theory_checks.sqirl_runs import bridge_env, train_bridge
    cfg = bridge_config(source, sticky)
    _, params = bridge_env(cfg)
    H, optimum = params.model.horizon, float(params.model.optimal_value())
    ms = [m for m in budgets.ms if m * H <= budgets.max_episode_steps]
    for group in m_groups(ms, budgets.bucket):
        trials = [(k, m) for m in group for k in budgets.ks]
        out = train_bridge(cfg, [SQIRLParams(planning_depth=k, episodes_per_timestep=m) for k, m in trials],
                           episodic_train_config(H, max(group), evaluate=False), seeds, base_seed,
                           fast_compile=max(group) <= budgets.bucket)
        best, where = math.inf, "-"
        for j, (k, m) in enumerate(trials):
            steps = out["env_steps"][j].sum(-1) * m                   # real steps of the m used episodes
            ok = out["final_value"][j] >= optimum - budgets.tolerance
            cost = median_cost(np.where(ok, steps, np.inf))
            if cost < best:
                best, where = cost, f"k={k}, m={m}"
        if math.isfinite(best):
            return best, where
    return math.inf, "-"


def deep_cost(source: str, sticky: float, hp, train: TrainConfig, budgets: Budgets, seeds: int,
              base_seed: int) -> float:
    """Env steps until the greedy policy is first optimal (median over seeds), trained in chunks
    and stopped once the median is known (``seeds // 2 + 1`` seeds succeeded) or at the budget."""
    from rlkit.batch import BatchedTrainer
    from theory_checks.sqirl_runs import bridge_env
    cfg = bridge_config(source, sticky, one_hot=True)
    optimum = float(bridge_env(cfg)[1].model.optimal_value())
    per_iteration = train.num_envs * train.rollout_len
    chunk = max(1, budgets.deep_chunk_steps // per_iteration)
    total = max(1, budgets.deep_steps // per_iteration)
    batch = BatchedTrainer(cfg, [hp], train, seeds, base_seed)
    runner = batch.init()
    first = np.full(seeds, np.inf)
    steps_before = np.zeros(seeds)
    done = 0
    while done < total:
        runner, metrics = batch.run_chunk(runner, chunk)
        env_steps = np.asarray(metrics["env_steps"]) * train.num_envs          # [seeds, chunk]
        before = steps_before[:, None] + np.concatenate(
            [np.zeros((seeds, 1)), np.cumsum(env_steps, 1)[:, :-1]], 1)      # steps before each evaluation
        ok = np.asarray(metrics["value"]) >= optimum - budgets.tolerance
        hit = np.where(ok.any(1), before[np.arange(seeds), ok.argmax(1)], np.inf)
        first = np.minimum(first, hit)
        steps_before += env_steps.sum(1)
        done += chunk
        if np.isfinite(first).sum() >= seeds // 2 + 1:
            break
    return median_cost(first)


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float | None, int]:
    """Spearman's rank correlation over the MDPs where both are finite, and their number;
    ``None`` when fewer than :data:`MIN_CORRELATION_MDPS` remain or the ranks are constant."""
    keep = np.isfinite(x) & np.isfinite(y)
    n = int(keep.sum())
    if n < MIN_CORRELATION_MDPS or np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:
        return None, n
    from scipy.stats import spearmanr
    value = float(spearmanr(x[keep], y[keep]).statistic)
    return (value if math.isfinite(value) else None), n


def describe_correlation(rho: float | None, n: int, other: str) -> str:
    if rho is None:
        return (f"SQIRL vs {other}: not available, only {n} MDP(s) where both reach the optimum "
                f"(need >= {MIN_CORRELATION_MDPS})")
    return f"SQIRL vs {other}: Spearman {rho:.2f} over {n} MDPs where both reach the optimum"


def _fmt(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "not reached"


def table(results: dict) -> str:
    lines = ["| MDP | H | A | SQIRL | SQIRL (k, m) | PPO | DQN |", "|---|---|---|---|---|---|---|"]
    for name, row in results.items():
        lines.append(f"| {name} | {row['H']} | {row['A']} | {_fmt(row['SQIRL'])} | {row['SQIRL (k, m)']} | "
                     f"{_fmt(row['PPO'])} | {_fmt(row['DQN'])} |")
    return "\n".join(lines)


def scatter(results: dict, summary: dict, path: Path) -> Path:
    from rlkit.plots import _pyplot
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110)
    sq = np.array([r["SQIRL"] for r in results.values()])
    finite = [r[a] for r in results.values() for a in ("SQIRL", "PPO", "DQN") if math.isfinite(r[a])]
    cap = max(finite + [1.0]) * 3
    for ax, other in zip(axes, ("PPO", "DQN")):
        ot = np.array([r[other] for r in results.values()])
        xs, ys = np.where(np.isfinite(sq), sq, cap), np.where(np.isfinite(ot), ot, cap)
        ax.scatter(xs, ys)
        for name, x, y in zip(results, xs, ys):
            ax.annotate(name.replace("grid:", ""), (x, y), fontsize=7)
        lo = min(xs.min(), ys.min()) / 2
        ax.plot([lo, cap], [lo, cap], "k--", lw=0.8)
        ax.set_xscale("log"), ax.set_yscale("log")
        ax.set_xlabel("SQIRL sample complexity (env steps)")
        ax.set_ylabel(f"{other} sample complexity (env steps)")
        rho, n = summary[f"spearman_sqirl_{other.lower()}"], summary[f"n_both_{other.lower()}"]
        text = f"Spearman {rho:.2f} (n={n})" if rho is not None else f"Spearman n/a (n={n} < 3)"
        ax.set_title(f"SQIRL vs {other}: {text}; failures at the top/right", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def summarize(results: dict) -> dict:
    sq = np.array([r["SQIRL"] for r in results.values()])
    summary = {}
    for other in ("PPO", "DQN"):
        rho, n = spearman(sq, np.array([r[other] for r in results.values()]))
        summary[f"spearman_sqirl_{other.lower()}"] = rho
        summary[f"n_both_{other.lower()}"] = n
    return summary


def main(cfg: ExperimentConfig, overrides=None, resume=None, quiet: bool = False) -> int:
    from rlkit.runner import new_run_dir
    from theory_checks.sqirl_runs import bridge_env
    run_dir = new_run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    mdps, budgets = cfg.env, cfg.train
    seeds, base = cfg.run.seeds, cfg.run.seed
    ppo, dqn = cfg.baselines["PPO"], cfg.baselines["DQN"]
    ppo_train = TrainConfig(num_iterations=max(1, budgets.deep_steps // (8 * 128)), num_envs=8, rollout_len=128)
    dqn_train = TrainConfig(num_iterations=max(1, budgets.deep_steps // 128), num_envs=1, rollout_len=128)
    dqn = dqn.replace(total_timesteps=budgets.deep_steps)
    results, start = {}, time.perf_counter()
    for source in mdps.sources:
        model = bridge_env(bridge_config(source, mdps.sticky))[1].model
        row, seconds = {"H": model.horizon, "A": model.A}, []
        for label, run in (("SQIRL", lambda: sqirl_cost(source, mdps.sticky, budgets, seeds, base)),
                           ("PPO", lambda: deep_cost(source, mdps.sticky, ppo, ppo_train, budgets, seeds, base)),
                           ("DQN", lambda: deep_cost(source, mdps.sticky, dqn, dqn_train, budgets, seeds, base))):
            t0 = time.perf_counter()
            out = run()
            row[label], where = out if label == "SQIRL" else (out, None)
            if where is not None:
                row["SQIRL (k, m)"] = where
            seconds.append(f"{label} {time.perf_counter() - t0:.0f} s")
        results[source] = row
        if not quiet:
            print(f"{source:24s} SQIRL {_fmt(row['SQIRL']):>11s} ({row['SQIRL (k, m)']})  PPO {_fmt(row['PPO']):>11s}  "
                  f"DQN {_fmt(row['DQN']):>11s}   [{', '.join(seconds)}]", flush=True)
    summary = summarize(results)
    summary["seconds"] = round(time.perf_counter() - start, 1)
    jsonable = {name: {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in row.items()}
                for name, row in results.items()}
    (run_dir / "sample_complexity.json").write_text(json.dumps(
        {"mdps": jsonable, "summary": summary, "seeds": seeds, "sticky": mdps.sticky,
         "budgets": {k: getattr(budgets, k) for k in budgets.__dataclass_fields__}}, indent=2))
    lines = [table(results), ""] + [
        "- " + describe_correlation(summary[f"spearman_sqirl_{o.lower()}"], summary[f"n_both_{o.lower()}"], o)
        for o in ("PPO", "DQN")]
    (run_dir / "sample_complexity.md").write_text("\n".join(lines) + "\n")
    scatter(results, summary, run_dir / "sample_complexity.png")
    if not quiet:
        print("\n".join(lines))
        print(f"run folder: {run_dir}")
    return 0
