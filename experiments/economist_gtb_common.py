"""Shared driver of the Gather-Trade-Build experiments (issue 9; spec §4): the two-phase
curriculum, then the four tax policies on the same seeds (free market, US federal, Saez, the
learned planner), a table of equality, productivity and equality x productivity (mean and standard
error over seeds, measured on the episodes of the last quarter of phase 2), and plots.

[design] The baselines differ from the learned planner by the env's tax model (``tax_mode``, a
traced leaf), so all four policies of all seeds run in one compiled program; their planner is
frozen (``planner_lr = 0``) and plays no role.
"""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from agents.economist import gtb_training
from envs.economy.gtb import GTBConfig
from rlkit import ExperimentConfig, RunConfig

POLICIES = {"free market": "free-market", "US federal": "us-federal", "Saez": "saez", "AI Economist": "planner"}
TAIL = 0.25
TABLE_METRICS = ("equality", "productivity", "eq_times_productivity", "houses_built", "trades", "tax_revenue")


def make_config(name: str, env: GTBConfig, agent, train: gtb_training.TwoPhaseConfig, seeds: int,
                description: str) -> ExperimentConfig:
    baselines = {label: gtb_training.phase2_params(agent, False) for label in POLICIES if label != "AI Economist"}
    return ExperimentConfig(name=name, env=env, agent=agent, train=train, baselines=baselines,
                            run=RunConfig(seeds=seeds, chunks=1, checkpoint=False, plot_metrics=()),
                            description=description)


def run_policies(cfg: ExperimentConfig) -> gtb_training.TwoPhaseResult:
    env_cfg: GTBConfig = cfg.env
    tr: gtb_training.TwoPhaseConfig = cfg.train
    params = {label: dataclasses.replace(env_cfg, tax_model=m).make_params() for label, m in POLICIES.items()}
    hp2 = [gtb_training.phase2_params(cfg.agent, True)] + [cfg.baselines[label] for label in POLICIES
                                                           if label != "AI Economist"]
    order = ["AI Economist"] + [label for label in POLICIES if label != "AI Economist"]
    res = gtb_training.train_two_phase(
        env_cfg.make_env(), params["free market"], [params[label] for label in order],
        gtb_training.phase1_params(cfg.agent), hp2, cfg.run.seeds, tr.train_config(),
        tr.phase1_iterations, tr.phase2_iterations, chunk=tr.chunk, base_seed=cfg.run.seed)
    return res, order


def table(metrics: dict, order: list[str], phase2: int, episodes_per_iteration: float) -> list[dict]:
    """Per policy: mean and standard error over seeds of the tail means of each metric (per
    episode: the metrics are summed over an iteration's rollout and averaged over envs)."""
    k = max(1, int(TAIL * phase2))
    rows = []
    for p, label in enumerate(order):
        row = {"policy": label}
        for name in TABLE_METRICS:
            per_seed = metrics[name][:, p, -k:].mean(-1) / episodes_per_iteration
            row[name] = float(per_seed.mean())
            row[name + "_se"] = float(per_seed.std(ddof=1) / np.sqrt(per_seed.size)) if per_seed.size > 1 else 0.0
            row[name + "_seeds"] = per_seed.tolist()
        rows.append(row)
    return rows


def format_table(rows: list[dict]) -> str:
    head = "| policy | equality | productivity | equality x productivity | houses | trades | tax revenue |\n|---|---|---|---|---|---|---|"
    lines = [head]
    for r in rows:
        cells = [f"{r[m]:.3f} ± {r[m + '_se']:.3f}" if m == "equality" else f"{r[m]:.1f} ± {r[m + '_se']:.1f}"
                 for m in TABLE_METRICS]
        lines.append(f"| {r['policy']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plots(res, order: list[str], out: Path, episodes_per_iteration: float) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    paths = []
    m1, m2 = res.phase1_metrics, res.phase2_metrics
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for ax, name in zip(axes, ("eq_times_productivity", "productivity", "equality")):
        p1 = m1[name][:, 0] / episodes_per_iteration
        x1 = np.arange(p1.shape[-1])
        ax.plot(x1, p1.mean(0), color="gray", label="phase 1 (agents alone)")
        for p, label in enumerate(order):
            v = m2[name][:, p] / episodes_per_iteration
            ax.plot(x1[-1] + 1 + np.arange(v.shape[-1]), v.mean(0), label=label)
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("iteration")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "training_curves.png")
    fig.savefig(paths[-1])
    plt.close(fig)
    rates = sorted(k for k in m2 if k.startswith("planner/rate_mean_"))
    if rates:
        fig, ax = plt.subplots(figsize=(7, 4))
        for k in rates:
            ax.plot(m2[k][:, order.index("AI Economist")].mean(0), label=f"bracket {k.rsplit('_', 1)[-1]}")
        ax.set_xlabel("phase-2 iteration")
        ax.set_ylabel("expected rate of the planner")
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        paths.append(out / "planner_rates.png")
        fig.savefig(paths[-1])
        plt.close(fig)
    rows = table(m2, order, m2["equality"].shape[-1], episodes_per_iteration)
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in rows:
        ax.errorbar(r["productivity"], r["equality"], xerr=r["productivity_se"], yerr=r["equality_se"], fmt="o",
                    label=r["policy"])
    ax.set_xlabel("productivity (total coin per episode)")
    ax.set_ylabel("equality (1 - Gini)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "equality_vs_productivity.png")
    fig.savefig(paths[-1])
    plt.close(fig)
    return paths


def main(cfg: ExperimentConfig, overrides=None, resume=None, quiet: bool = False) -> dict[str, float]:
    """Train, tabulate, plot; writes ``runs/<name>/<time>/{table.md, summary.json, *.png}``.

    Returns the learned planner's (AI Economist's) table metrics, the run's summary for sweeps
    (``eq_times_productivity``, ``equality``, ...)."""
    del resume
    start = time.time()
    res, order = run_policies(cfg)
    tr = cfg.train
    episodes = tr.rollout_len / cfg.env.episode_length
    rows = table(res.phase2_metrics, order, tr.phase2_iterations, episodes)
    out = Path(cfg.run.out_dir) / cfg.name / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    text = format_table(rows)
    (out / "table.md").write_text(text + "\n")
    (out / "summary.json").write_text(json.dumps({"rows": rows, "overrides": dict(overrides or {}),
                                                  "seconds": time.time() - start}, indent=1))
    if cfg.run.plots:
        plots(res, order, out, episodes)
    if not quiet:
        print(text)
        print(f"run folder: {out}  ({time.time() - start:.0f} s)")
    planner = next(r for r in rows if r["policy"] == "AI Economist")
    return {name: planner[name] for name in TABLE_METRICS}
