"""Sample complexity of SQIRL vs PPO vs DQN on sticky BRIDGE MDPs and local gridworlds (P2 Fig. 3 analog).

For every MDP (sticky actions, p = 0.25) and algorithm, the empirical sample complexity is the
number of env steps (before the terminal state) needed to reach the optimal return, evaluated
exactly by dynamic programming, as the median over seeds (infinite when fewer than half the seeds
succeed), as in P2 §5:

- tabular SQIRL (observing ``(h, u)`` like the deep agents, not the previous action): the smallest cost ``sum of env steps over the H iterations`` among the
  ``(k, m)`` grid points (k in {1, 2, 3}, m over powers of ~3) whose final policy is optimal in at
  least half the seeds (as upstream's GORP runner bisects m);
- PPO and DQN (one-hot observations, gamma = 1): the env steps until the greedy policy is
  first optimal, per seed (median over seeds).

Writes ``sample_complexity.json``, a table and ``sample_complexity.png`` (log-log scatter of
SQIRL vs PPO and vs DQN with Spearman's rank correlation) into the run folder.
``rlkit run sqirl_sample_complexity --seeds 3``; ``--set run.chunks=1`` runs the quick MDP set.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from agents.sqirl import episodic_train_config
from agents.sqirl.dqn import DQNParams
from agents.sqirl.ppo_eval import EvaluatedPPOParams
from agents.sqirl.tabular import SQIRLParams
from envs.bridge import BridgeConfig
from rlkit import ExperimentConfig, RunConfig
from rlkit.trainer import TrainConfig

MDPS = ("freeway_10_fs30", "maze_easy_l0_30_fs1", "grid:empty-5", "grid:empty-6", "grid:lava-6",
        "grid:rooms-7", "grid:doorkey-5")
QUICK_MDPS = ("freeway_10_fs30", "grid:empty-5", "grid:lava-6")
STICKY = 0.25
KS = (1, 2, 3)
MS = (10, 30, 100, 300, 1000, 3000)
MAX_EPISODE_STEPS = 30_000      # per iteration: m is limited to m * H <= this (maze: m <= 1000)
DEEP_STEPS = 200_000            # env-step budget of PPO and DQN per run
TOL = 1e-6


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="sqirl_sample_complexity",
        env=BridgeConfig("freeway_10_fs30", sticky=STICKY),
        agent=SQIRLParams(),
        baselines={"PPO": EvaluatedPPOParams(gamma=1.0, clip_eps=0.1, learning_rate=2.5e-4),
                   "DQN": DQNParams(total_timesteps=DEEP_STEPS, learning_starts=0, gradient_steps=32)},
        train=episodic_train_config(10, 300),
        run=RunConfig(seeds=3, chunks=10),
        description=__doc__,
    )


def median_cost(costs: np.ndarray) -> float:
    """Median over seeds with failures as +inf (infinite when fewer than half succeed)."""
    return float(np.median(np.where(np.isfinite(costs), costs, np.inf)))


def sqirl_cost(source: str, seeds: int, base_seed: int) -> tuple[float, str]:
    from theory_checks.sqirl_runs import bridge_env, train_bridge
    cfg = BridgeConfig(source, sticky=STICKY, observe_prev_action=False)
    _, params = bridge_env(cfg)
    H, optimum = params.model.horizon, float(params.model.optimal_value())
    ms = [m for m in MS if m * H <= MAX_EPISODE_STEPS]
    trials = [(k, m) for k in KS for m in ms]
    out = train_bridge(cfg, [SQIRLParams(planning_depth=k, episodes_per_timestep=m) for k, m in trials],
                       episodic_train_config(H, max(ms), evaluate=False), seeds, base_seed)
    best, where = math.inf, "-"
    for j, (k, m) in enumerate(trials):
        steps = out["env_steps"][j].sum(-1) * m                    # real steps of the m used episodes
        ok = out["final_value"][j] >= optimum - TOL
        cost = median_cost(np.where(ok, steps, np.inf))
        if cost < best:
            best, where = cost, f"k={k}, m={m}"
    return best, where


def deep_cost(source: str, hp, train: TrainConfig, seeds: int, base_seed: int) -> float:
    from theory_checks.sqirl_runs import bridge_env, train_bridge
    cfg = BridgeConfig(source, sticky=STICKY, one_hot=True, observe_prev_action=False)
    _, params = bridge_env(cfg)
    optimum = float(params.model.optimal_value())
    out = train_bridge(cfg, [hp], train, seeds, base_seed)
    steps = np.cumsum(out["env_steps"][0] * train.num_envs, axis=-1)     # before each evaluation
    steps = np.concatenate([np.zeros((seeds, 1)), steps[:, :-1]], axis=1)
    ok = out["value"][0] >= optimum - TOL
    first = np.where(ok.any(1), steps[np.arange(seeds), ok.argmax(1)], np.inf)
    return median_cost(first)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation over pairs where both are finite (nan if fewer than 3)."""
    keep = np.isfinite(x) & np.isfinite(y)
    if keep.sum() < 3:
        return float("nan")
    from scipy.stats import spearmanr
    return float(spearmanr(x[keep], y[keep]).statistic)


def scatter(results: dict, path: Path) -> Path:
    from rlkit.plots import _pyplot
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110)
    sq = np.array([r["SQIRL"] for r in results.values()])
    cap = max([v for r in results.values() for v in r.values() if isinstance(v, float) and math.isfinite(v)] + [1.0]) * 3
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
        ax.set_title(f"SQIRL vs {other}: Spearman {spearman(sq, ot):.2f} (failures at the top/right)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(cfg: ExperimentConfig, overrides=None, resume=None, quiet: bool = False) -> int:
    from rlkit.runner import new_run_dir
    run_dir = new_run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    mdps = QUICK_MDPS if cfg.run.chunks == 1 else MDPS
    seeds, base = cfg.run.seeds, cfg.run.seed
    ppo, dqn = cfg.baselines["PPO"], cfg.baselines["DQN"]
    ppo_train = TrainConfig(num_iterations=DEEP_STEPS // (8 * 128), num_envs=8, rollout_len=128)
    dqn_train = TrainConfig(num_iterations=DEEP_STEPS // 128, num_envs=1, rollout_len=128)
    results = {}
    for source in mdps:
        t0 = time.perf_counter()
        sq, where = sqirl_cost(source, seeds, base)
        row = {"SQIRL": sq, "SQIRL (k, m)": where,
               "PPO": deep_cost(source, ppo, ppo_train, seeds, base),
               "DQN": deep_cost(source, dqn, dqn_train, seeds, base)}
        results[source] = row
        if not quiet:
            print(f"{source:24s} SQIRL {sq:>10.4g} ({where})  PPO {row['PPO']:>10.4g}  "
                  f"DQN {row['DQN']:>10.4g}   [{time.perf_counter() - t0:.0f} s]", flush=True)
    sq = np.array([r["SQIRL"] for r in results.values()])
    summary = {f"spearman_sqirl_{o.lower()}": spearman(sq, np.array([r[o] for r in results.values()]))
               for o in ("PPO", "DQN")}
    finite = {name: {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in row.items()}
              for name, row in results.items()}
    (run_dir / "sample_complexity.json").write_text(json.dumps(
        {"mdps": finite, "summary": summary, "seeds": seeds, "sticky": STICKY}, indent=2))
    scatter(results, run_dir / "sample_complexity.png")
    print(json.dumps(summary))
    print(f"run folder: {run_dir}")
    return 0
