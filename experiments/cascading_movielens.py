"""The paper's MovieLens experiment (Section 7, Fig. 1): S = 20, H = 3, m = 3, N in {10, 15, 20, 25}.

CascadingVI, CascadingVI-Oracle, CascadingVI-Bonus and AdaptVI on the cascading MDP built from a
MovieLens-format ratings file (``env.path``; the construction of states, q, p and r is the
[design] of ``envs/cascading/movielens.py``). Without ``env.path`` a synthetic MovieLens-style file
is generated (this machine has no network); point ``env.path`` at ml-100k's ``u.data`` for the
real data. For every N the run folder ``cascading_movielens_N<N>`` holds the usual metrics and
plots; the summary folder holds ``regret.png`` (one panel per N, cumulative pseudo-regret),
``running_time.png`` (wall-clock seconds of each run, and the steady-state per-episode planning
time of each algorithm) and ``summary.json``.

The paper runs about 10^5 episodes [unconfirmed]; the default here is 10^4 episodes and 2 seeds
(``--set train.num_iterations=100000`` for paper scale). ``--set env.N=15`` runs one N only.
"""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from agents.cascading import AdaptVIParams, CascadingVIBonusParams, CascadingVIOracleParams, CascadingVIParams
from envs.cascading import MovieLensCascadingConfig
from rlkit import ExperimentConfig, RunConfig, TrainConfig

NS = (10, 15, 20, 25)
SCALE = 0.3


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="cascading_movielens",
        env=MovieLensCascadingConfig(S=20, N=10, m=3, H=3),
        agent=CascadingVIParams(bonus_scale=SCALE),
        baselines={"CascadingVI-Oracle": CascadingVIOracleParams(bonus_scale=SCALE),
                   "CascadingVI-Bonus": CascadingVIBonusParams(bonus_scale=SCALE),
                   "AdaptVI": AdaptVIParams(bonus_scale=SCALE)},
        train=TrainConfig(num_iterations=10_000, rollout_len=3),
        run=RunConfig(seeds=2, chunks=5),
        description=__doc__,
    )


def _plot_regret(results: dict, path: Path) -> Path:
    from rlkit.plots import _pyplot, mean_and_se
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.6), dpi=110, squeeze=False)
    for ax, (N, res) in zip(axes[0], results.items()):
        for label, agent in res.agents.items():
            mean, se = mean_and_se(np.cumsum(agent.metrics["regret"], axis=1))
            x = np.arange(1, mean.shape[0] + 1)
            ax.plot(x, mean, label=label, lw=1.4)
            ax.fill_between(x, mean - se, mean + se, alpha=0.2)
        ax.set_title(f"N = {N}")
        ax.set_xlabel("episode")
        ax.set_ylabel("cumulative pseudo-regret")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _plot_time(seconds: dict, planning: dict, path: Path) -> Path:
    from rlkit.plots import _pyplot
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6), dpi=110)
    Ns = sorted(seconds)
    for label in next(iter(seconds.values())):
        axes[0].plot(Ns, [seconds[N][label] for N in Ns], "o-", label=label)
        axes[1].plot(Ns, [1e3 * planning[N][label] for N in Ns], "o-", label=label)
    axes[0].set_ylabel("seconds per run (incl. compile)")
    axes[1].set_ylabel("ms per episode (planning, steady state)")
    for ax in axes:
        ax.set_xlabel("N items")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def main(cfg: ExperimentConfig, overrides=None, resume=None, quiet: bool = False) -> int:
    import rlkit
    from experiments.bench.cascading import planning_seconds
    from rlkit.runner import new_run_dir
    overrides = dict(overrides or {})
    Ns = (cfg.env.N,) if "env.N" in overrides else NS
    summary_dir = new_run_dir(cfg)
    summary_dir.mkdir(parents=True, exist_ok=True)
    results, seconds, planning = {}, {}, {}
    for N in Ns:
        sub = dataclasses.replace(cfg, name=f"{cfg.name}_N{N}", env=dataclasses.replace(cfg.env, N=N))
        t0 = time.perf_counter()
        results[N] = rlkit.run(sub, quiet=quiet, experiment="cascading_movielens")
        seconds[N] = {label: agent.summary["seconds"] for label, agent in results[N].agents.items()}
        timing = planning_seconds(N, repeats=3, S=cfg.env.S, H=cfg.env.H, m=cfg.env.m)
        planning[N] = {label: timing[label.replace("CascadingVI-Bonus", "CascadingVI")]
                       for label in seconds[N]}
        if not quiet:
            print(f"N={N}: {time.perf_counter() - t0:.0f} s", flush=True)
    _plot_regret(results, summary_dir / "regret.png")
    _plot_time(seconds, planning, summary_dir / "running_time.png")
    table = {N: {label: {"cumulative_regret": float(np.sum(agent.metrics["regret"], axis=1).mean()),
                         "run_seconds": seconds[N][label], "planning_ms_per_episode": 1e3 * planning[N][label]}
                 for label, agent in res.agents.items()} for N, res in results.items()}
    (summary_dir / "summary.json").write_text(json.dumps(table, indent=2))
    if not quiet:
        for N, rows in table.items():
            print(f"N={N}: " + "; ".join(f"{k} R={v['cumulative_regret']:.1f}, {v['planning_ms_per_episode']:.2f} ms/ep"
                                         for k, v in rows.items()))
        print(f"summary folder: {summary_dir}")
    return 0
