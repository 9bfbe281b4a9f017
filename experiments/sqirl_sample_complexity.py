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
  optimal, per seed, within ``train.deep_steps`` env steps (one batched program over the seeds).

**Censoring.** A median that is not reached within an algorithm's budget (more than half the seeds
never reach the optimum) is recorded as *censored at the budget*: SQIRL's budget is ``H^2 m_max``
(every episode of every iteration at the largest ``m`` tried, an upper bound of its cost), PPO's and
DQN's the env steps they were trained for. Spearman's rank correlation of SQIRL's sample
complexity with PPO's and DQN's is computed over all MDPs with censored values at their budgets
(a censored value is a lower bound of the true one, and no smaller than any cost measured on that
MDP), and also, when at least 3 MDPs remain, over the MDPs where both algorithms reached the
optimum. A correlation that is undefined (constant ranks) is reported as unavailable, never as
NaN. Writes ``sample_complexity.json``, a markdown table ``sample_complexity.md`` and
``sample_complexity.png`` (log-log scatter; censored values drawn as open markers at the budget)
into the run folder.

``rlkit run sqirl_sample_complexity`` (the default set: both fixtures and the local gridworlds of
``envs.bridge.local_gridworlds``: the ``minigrid`` package's worlds when it is installed, else
rlkit's own);
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
from envs.bridge import BridgeConfig, local_gridworlds
from rlkit import ExperimentConfig, RunConfig
from rlkit.config import ConfigError
from rlkit.trainer import TrainConfig

FIXTURES = ("freeway_10_fs30", "maze_easy_l0_30_fs1")
DEFAULT_MDPS = FIXTURES + tuple(f"{source}@{horizon}" for source, horizon in local_gridworlds())
MIN_CORRELATION_MDPS = 3
ALGORITHMS = ("SQIRL", "PPO", "DQN")


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
    skip ``m`` with ``m * H`` above it. ``deep_steps``: PPO/DQN env-step budget per run. ``tolerance``: a policy is optimal when its exact value is
    ``>= V* - tolerance``. ``algorithms``: the algorithms to run (the others are recorded as not
    run, ``nan``, and left out of the correlations; :func:`merge_runs` combines runs).
    """

    ks: tuple[int, ...] = (1, 2, 3)
    ms: tuple[int, ...] = (10, 30, 100, 300, 1000, 3000)
    bucket: int = 100
    max_episode_steps: int = 60_000
    deep_steps: int = 200_000
    tolerance: float = 1e-6
    algorithms: tuple[str, ...] = ("SQIRL", "PPO", "DQN")

    def validate(self):
        if not self.algorithms or set(self.algorithms) - set(ALGORITHMS):
            raise ConfigError(f"train.algorithms must be a non-empty subset of {ALGORITHMS}, got {self.algorithms}")
        if not self.ks or min(self.ks) < 1:
            raise ConfigError(f"train.ks must be integers >= 1, got {self.ks}")
        if not self.ms or min(self.ms) < 1 or list(self.ms) != sorted(self.ms):
            raise ConfigError(f"train.ms must be ascending integers >= 1, got {self.ms}")
        for name in ("bucket", "max_episode_steps", "deep_steps"):
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


def sqirl_budget(horizon: int, budgets: Budgets) -> float:
    """``H^2 m_max``: the env steps of SQIRL's largest grid point (episodes of ``H`` steps)."""
    ms = [m for m in budgets.ms if m * horizon <= budgets.max_episode_steps]
    return float(horizon * horizon * max(ms, default=0))


def sqirl_cost(source: str, sticky: float, budgets: Budgets, seeds: int, base_seed: int) -> tuple[float, str]:
    """SQIRL's sample complexity on one MDP (``inf`` if no grid point succeeds) and the ``(k, m)``
    that achieves it."""
    from theory_checks.sqirl_runs import bridge_env, train_bridge
    cfg = bridge_config(source, sticky)
    _, params = bridge_env(cfg)
    H, optimum = params.model.horizon, float(params.model.optimal_value())
    ms = [m for m in budgets.ms if m * H <= budgets.max_episode_steps]
    if not ms:
        raise ConfigError(f"{source}: no m in train.ms has m * H <= train.max_episode_steps "
                          f"({budgets.max_episode_steps}, H = {H})")
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


def deep_train_config(num_envs: int, rollout_len: int, budgets: Budgets) -> TrainConfig:
    """PPO/DQN trainer shape: ``ceil(deep_steps / (num_envs rollout_len))`` iterations."""
    return TrainConfig(num_iterations=math.ceil(budgets.deep_steps / (num_envs * rollout_len)),
                       num_envs=num_envs, rollout_len=rollout_len)


def deep_budget(train: TrainConfig) -> float:
    """The env steps a PPO/DQN run is trained for (an upper bound of any cost it measures)."""
    return float(train.num_iterations * train.num_envs * train.rollout_len)


def first_optimal(env_steps: np.ndarray, values: np.ndarray, optimum: float, tolerance: float) -> np.ndarray:
    """Per seed, the env steps before the first iteration whose greedy policy is optimal (``inf``
    if none): ``env_steps``, ``values`` ``[seeds, iterations]`` (steps of, value after, each)."""
    before = np.concatenate([np.zeros((len(env_steps), 1)), np.cumsum(env_steps, 1)[:, :-1]], 1)
    ok = values >= optimum - tolerance
    return np.where(ok.any(1), before[np.arange(len(ok)), ok.argmax(1)], np.inf)


def deep_cost(source: str, sticky: float, hp, train: TrainConfig, budgets: Budgets, seeds: int,
              base_seed: int) -> float:
    """Env steps until the greedy policy is first optimal (median over seeds; ``inf`` if not
    reached within the ``train`` budget), one batched program over the seeds."""
    from theory_checks.sqirl_runs import bridge_env, train_bridge
    cfg = bridge_config(source, sticky, one_hot=True)
    optimum = float(bridge_env(cfg)[1].model.optimal_value())
    out = train_bridge(cfg, [hp], train, seeds, base_seed)
    return median_cost(first_optimal(out["env_steps"][0] * train.num_envs, out["value"][0], optimum,
                                     budgets.tolerance))


def censor(values: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """Values not reached (``inf``) replaced by their budget (censored at the budget)."""
    return np.where(np.isfinite(values), values, budgets)


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """Spearman's rank correlation (average ranks for ties); ``None`` when it is undefined (fewer
    than :data:`MIN_CORRELATION_MDPS` pairs, or constant ranks), never NaN."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < MIN_CORRELATION_MDPS or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    from scipy.stats import spearmanr
    value = float(spearmanr(x, y).statistic)
    return value if math.isfinite(value) else None


def _fmt(value: float, budget: float | None = None) -> str:
    if math.isnan(value):
        return "not run"
    if math.isfinite(value):
        return f"{value:.3g}"
    return "not reached" if budget is None else f">= {budget:.3g} (censored)"


def table(results: dict) -> str:
    lines = ["| MDP | H | A | SQIRL | SQIRL (k, m) | PPO | DQN |", "|---|---|---|---|---|---|---|"]
    for name, row in results.items():
        cells = [_fmt(row[a], row.get(f"{a} budget")) for a in ALGORITHMS]
        lines.append(f"| {name} | {row['H']} | {row['A']} | {cells[0]} | {row['SQIRL (k, m)']} | "
                     f"{cells[1]} | {cells[2]} |")
    return "\n".join(lines)


def columns(results: dict, algorithm: str) -> tuple[np.ndarray, np.ndarray]:
    """``(values with inf = not reached, budgets)`` of one algorithm over the MDPs."""
    return (np.array([r[algorithm] for r in results.values()], float),
            np.array([r[f"{algorithm} budget"] for r in results.values()], float))


def summarize(results: dict) -> dict:
    """Spearman of SQIRL vs PPO and DQN: censored at the budgets over all MDPs, and over the MDPs
    where both reached the optimum; with the numbers of MDPs and of censored values."""
    sq, sq_budget = columns(results, "SQIRL")
    summary = {"n_mdps": len(results), "censored_sqirl": int(np.isposinf(sq).sum())}
    for other in ("PPO", "DQN"):
        ot, ot_budget = columns(results, other)
        run = ~np.isnan(sq) & ~np.isnan(ot)                 # measured (reached or censored)
        both = np.isfinite(sq) & np.isfinite(ot)
        key = other.lower()
        summary[f"spearman_sqirl_{key}"] = spearman(censor(sq, sq_budget)[run], censor(ot, ot_budget)[run])
        summary[f"n_{key}"] = int(run.sum())
        summary[f"censored_{key}"] = int(np.isposinf(ot).sum())
        summary[f"censored_in_sqirl_{key}"] = int(np.isposinf(sq[run]).sum() + np.isposinf(ot[run]).sum())
        summary[f"spearman_sqirl_{key}_both_reached"] = spearman(sq[both], ot[both])
        summary[f"n_both_{key}"] = int(both.sum())
    return summary


def describe_correlation(summary: dict, other: str) -> str:
    key = other.lower()
    rho, n = summary[f"spearman_sqirl_{key}"], summary[f"n_{key}"]
    censored = summary[f"censored_in_sqirl_{key}"]
    text = (f"SQIRL vs {other}: Spearman {rho:.2f} over {n} MDPs ({censored} values censored at the budget)"
            if rho is not None else f"SQIRL vs {other}: Spearman undefined over {n} MDPs (constant ranks or n < 3)")
    both, n_both = summary[f"spearman_sqirl_{key}_both_reached"], summary[f"n_both_{key}"]
    return text + (f"; {both:.2f} over the {n_both} MDPs where both reached the optimum" if both is not None
                   else f"; only {n_both} MDP(s) where both reached the optimum")


def short_name(source: str) -> str:
    """A plot label: ``minigrid:MiniGrid-Empty-5x5-v0@10`` -> ``Empty-5x5@10``."""
    return source.replace("minigrid:MiniGrid-", "").replace("-v0", "").replace("grid:", "")


def scatter(results: dict, summary: dict, path: Path) -> Path:
    """Log-log scatter of SQIRL vs PPO and vs DQN; censored values (not reached within the
    budget) at their budget as open markers."""
    from rlkit.plots import _pyplot
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), dpi=110)
    sq, sq_budget = columns(results, "SQIRL")
    for ax, other in zip(axes, ("PPO", "DQN")):
        ot, ot_budget = columns(results, other)
        run = ~np.isnan(sq) & ~np.isnan(ot)
        names = [name for name, keep in zip(results, run) if keep]
        xs, ys = censor(sq, sq_budget)[run], censor(ot, ot_budget)[run]
        reached = np.isfinite(sq[run]) & np.isfinite(ot[run])
        if not run.any():
            ax.set_title(f"SQIRL vs {other}: no MDP measured by both", fontsize=9)
            continue
        ax.scatter(xs[reached], ys[reached], label="both reached the optimum")
        if (~reached).any():
            ax.scatter(xs[~reached], ys[~reached], facecolors="none", edgecolors="C3",
                       label="censored at the budget")
        for name, x, y in zip(names, xs, ys):
            ax.annotate(short_name(name), (x, y), fontsize=7)
        lo, hi = min(xs.min(), ys.min()) / 2, max(xs.max(), ys.max()) * 2
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set_xscale("log"), ax.set_yscale("log")
        ax.set_xlabel("SQIRL sample complexity (env steps)")
        ax.set_ylabel(f"{other} sample complexity (env steps)")
        rho = summary[f"spearman_sqirl_{other.lower()}"]
        text = f"Spearman {rho:.2f}" if rho is not None else "Spearman undefined"
        ax.set_title(f"SQIRL vs {other}: {text} over {summary[f'n_{other.lower()}']} MDPs (censored at budget)",
                     fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_outputs(run_dir: Path, results: dict, seeds: int, mdps: MDPSet, budgets: Budgets,
                  seconds: float) -> list[str]:
    """``sample_complexity.json``, ``.md`` and ``.png``; returns the markdown lines."""
    summary = summarize(results)
    summary["seconds"] = None if not math.isfinite(seconds) else round(seconds, 1)
    jsonable = {name: {k: (v if not isinstance(v, float) or math.isfinite(v) else
                           ("not run" if math.isnan(v) else None)) for k, v in row.items()}
                for name, row in results.items()}
    (run_dir / "sample_complexity.json").write_text(json.dumps(
        {"mdps": jsonable, "summary": summary, "seeds": seeds, "sticky": mdps.sticky,
         "budgets": {k: getattr(budgets, k) for k in budgets.__dataclass_fields__},
         "note": "null = not reached within the budget (censored at '<algorithm> budget')"}, indent=2))
    lines = [table(results), ""] + ["- " + describe_correlation(summary, o) for o in ("PPO", "DQN")]
    (run_dir / "sample_complexity.md").write_text("\n".join(lines) + "\n")
    scatter(results, summary, run_dir / "sample_complexity.png")
    return lines


def load_results(path: Path) -> tuple[dict, dict]:
    """``(results, file contents)`` of a ``sample_complexity.json`` (``null`` back to ``inf``)."""
    data = json.loads(Path(path).read_text())
    results = {name: {k: (math.inf if v is None and k in ALGORITHMS else math.nan if v == "not run" else v) for k, v in row.items()}
               for name, row in data["mdps"].items()}
    return results, data


def merge_runs(paths: list[Path], out_dir: Path) -> list[str]:
    """Combine the ``sample_complexity.json`` of several runs (e.g. one per MDP, or one per
    algorithm) into ``out_dir``: per MDP, every algorithm's value from the run that measured it."""
    merged: dict = {}
    for path in paths:
        results, data = load_results(path)
        for name, row in results.items():
            target = merged.setdefault(name, dict(row))
            for label in ALGORITHMS:
                if not math.isnan(row[label]):
                    target[label] = row[label]
                    if label == "SQIRL":
                        target["SQIRL (k, m)"] = row["SQIRL (k, m)"]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_outputs(out_dir, merged, data["seeds"], MDPSet(tuple(merged), data["sticky"]),
                         Budgets(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["budgets"].items()}),
                         float("nan"))


def main(cfg: ExperimentConfig, overrides=None, resume=None, quiet: bool = False) -> int:
    from rlkit.runner import new_run_dir
    from theory_checks.sqirl_runs import bridge_env
    mdps, budgets = cfg.env, cfg.train
    mdps.validate(), budgets.validate()
    run_dir = new_run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    seeds, base = cfg.run.seeds, cfg.run.seed
    ppo, dqn = cfg.baselines["PPO"], cfg.baselines["DQN"]
    ppo_train, dqn_train = deep_train_config(8, 128, budgets), deep_train_config(1, 128, budgets)
    dqn = dqn.replace(total_timesteps=budgets.deep_steps)
    results, start = {}, time.perf_counter()
    for source in mdps.sources:
        model = bridge_env(bridge_config(source, mdps.sticky))[1].model
        row = {"H": model.horizon, "A": model.A, "SQIRL budget": sqirl_budget(model.horizon, budgets),
               "PPO budget": deep_budget(ppo_train), "DQN budget": deep_budget(dqn_train)}
        seconds = []
        for label, run in (("SQIRL", lambda: sqirl_cost(source, mdps.sticky, budgets, seeds, base)),
                           ("PPO", lambda: deep_cost(source, mdps.sticky, ppo, ppo_train, budgets, seeds, base)),
                           ("DQN", lambda: deep_cost(source, mdps.sticky, dqn, dqn_train, budgets, seeds, base))):
            if label not in budgets.algorithms:
                row[label] = math.nan
                if label == "SQIRL":
                    row["SQIRL (k, m)"] = "not run"
                continue
            t0 = time.perf_counter()
            out = run()
            row[label], where = out if label == "SQIRL" else (out, None)
            if where is not None:
                row["SQIRL (k, m)"] = where
            seconds.append(f"{label} {time.perf_counter() - t0:.0f} s")
        results[source] = row
        if not quiet:
            cells = [_fmt(row[a], row[f"{a} budget"]) for a in ALGORITHMS]
            print(f"{source:34s} SQIRL {cells[0]} ({row['SQIRL (k, m)']})  PPO {cells[1]}  DQN {cells[2]}"
                  f"   [{', '.join(seconds)}]", flush=True)
        lines = write_outputs(run_dir, results, seeds, mdps, budgets, time.perf_counter() - start)
    if not quiet:
        print("\n".join(lines))
        print(f"run folder: {run_dir}")
    return 0
