"""Shared pieces of the LSD experiments: the agent line-up of Laforgue et al.'s instances, the
table of expected total rewards next to the exact optimum, and cumulative pseudo-regret plots.

Every number in the table is exact in expectation over the learner's randomness only: each run's
total is the sum of ``mu_{a_t}(tau_{a_t}(t))`` over its rounds (pseudo-reward), averaged over
seeds; ``OPT_T`` is the exact DP (the env's ``dp`` benchmark), so the pseudo-regret of a run is
``OPT_T - total``.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from agents.lsd.combucb import combucb1, isi_combucb1
from agents.lsd.etc import ETCParams
from agents.lsd.greedy import OracleGreedyParams
from agents.lsd.mirrored import MirroredPlannerParams, check_instance
from agents.lsd.ucb_replan import ReplanParams
from envs.lsd import LAFORGUE, LSDConfig
from rlkit import ExperimentConfig, RunConfig, TrainConfig

# seed-0 totals stored in the authors' res/*.pkl (spec §4), at the code's reduced horizons
PAPER_SEED0 = {
    "laforgue1": {"T": 3600, "ISI-CombUCB1": 1064, "CombUCB1": 588, "Oracle Greedy": 542},
    "laforgue2": {"T": 3300, "ISI-CombUCB1": 1253, "CombUCB1": 1374, "Oracle Greedy": 183},
}


def laforgue_config(name: str, description: str) -> ExperimentConfig:
    """Laforgue et al.'s instance ``name`` at its first horizon, with every LSD algorithm.

    CombUCB1 / ISI-CombUCB1 use the paper's blocks and its delay-model base arms; the learners
    with an exact DP explore lightly (``explore_scale`` 0.1: the spec's schedule samples every
    state of ``m = 8`` or ``9``, which costs ``k m (m+2)`` rounds a pass) and re-plan every doubling.
    """
    inst = LAFORGUE[name]()
    T = inst.horizons[0]
    return ExperimentConfig(
        name=f"lsd_{name}",
        env=LSDConfig(instance=name, horizon=T, full_information=True),
        agent=isi_combucb1(inst.isi_block, delay_model=True),
        baselines={
            "CombUCB1": combucb1(inst.combucb_block, delay_model=True),
            "Oracle Greedy": OracleGreedyParams(),
            "LP + mirrored rounding": MirroredPlannerParams(on_violation="ignore"),
            "ETC (exact DP)": ETCParams(explore_scale=0.1),
            "ETC (LP + mirrored rounding)": ETCParams(explore_scale=0.1, planner="mirrored"),
            "UCB re-plan (exact DP)": ReplanParams(exploration=0.5),
        },
        train=TrainConfig(num_iterations=T, num_envs=1, rollout_len=1),
        run=RunConfig(seeds=10, chunks=1, plot_metrics=("regret",)),
        description=description,
    )


def horizons_to_run(name: str, overrides: dict[str, Any]) -> list[int]:
    """Both horizons of the instance, unless the command line fixed ``env.horizon``."""
    if "env.horizon" in overrides:
        return [int(overrides["env.horizon"])]
    return list(LAFORGUE[name]().horizons)


def run_both_horizons(name: str, cfg: ExperimentConfig, overrides: dict[str, Any] | None = None,
                      resume: Any = None, quiet: bool = False) -> int:
    """``main`` of the Laforgue experiments: one run folder per horizon, each with its table."""
    import rlkit

    overrides = dict(overrides or {})
    mu, _ = cfg.env.payoffs()
    planners = [hp for hp in cfg.agents().values() if isinstance(hp, MirroredPlannerParams)]
    for hp in planners:
        check_instance(mu, hp.assumption, "warn" if hp.on_violation == "ignore" else hp.on_violation)
    for T in horizons_to_run(name, overrides):
        # recorded in run.json, so `rlkit run --resume` rebuilds this horizon's config
        per_horizon = {**overrides, "env.horizon": T, "train.num_iterations": T}
        rlkit.run(cfg, overrides=per_horizon, report=report, resume=resume, quiet=quiet,
                  experiment=f"lsd_{name}")
    return 0


def reward_table(result) -> dict[str, Any]:
    """Per agent: expected total reward (mean, s.e. over seeds), OPT_T, ratio, pseudo-regret."""
    cfg = result.config
    name = cfg.env.instance
    T = cfg.env.horizon
    rows = {}
    opt = None
    for label, r in result.agents.items():
        totals = np.asarray(r.metrics["expected_reward"], np.float64).sum(1)
        regret = np.asarray(r.metrics["regret"], np.float64).sum(1)
        opt_runs = totals + regret
        opt = float(opt_runs.mean())
        se = float(totals.std(ddof=1) / np.sqrt(len(totals))) if len(totals) > 1 else 0.0
        rows[label] = {"expected_total": float(totals.mean()), "se": se,
                       "ratio_to_opt": float(totals.mean() / opt), "pseudo_regret": float(regret.mean())}
    paper = PAPER_SEED0.get(name, {})
    return {"instance": name, "T": T, "seeds": cfg.run.seeds, "opt": opt, "agents": rows,
            "paper_seed0": paper if paper.get("T") == T else {}}


def format_table(table: dict[str, Any]) -> str:
    paper = table["paper_seed0"]
    head = (f"{table['instance']}  T = {table['T']}  ({table['seeds']} seeds; exact expected rewards)\n"
            f"{'algorithm':28s} {'E[total reward]':>18s} {'OPT_T':>10s} {'ratio':>7s} "
            f"{'pseudo-regret':>14s} {'paper seed 0':>13s}")
    lines = [head, "-" * len(head.splitlines()[1])]
    for label, row in table["agents"].items():
        ref = paper.get(label, "")
        lines.append(f"{label:28s} {row['expected_total']:10.1f} ± {row['se']:5.1f} {table['opt']:10.1f} "
                     f"{row['ratio_to_opt']:7.3f} {row['pseudo_regret']:14.1f} {str(ref):>13s}")
    lines.append(f"{'exact optimum (DP)':28s} {table['opt']:18.1f} {table['opt']:10.1f} {1.0:7.3f} {0.0:14.1f}")
    return "\n".join(lines)


def regret_plot(result, path) -> None:
    """Cumulative pseudo-regret against the round, mean ± s.e. over seeds, every agent."""
    from rlkit.plots import plot_curves

    curves = {label: r.metrics["regret"] for label, r in result.agents.items()}
    plot_curves(curves, path, title=f"{result.config.name}, T = {result.config.env.horizon}: "
                "cumulative pseudo-regret vs OPT", ylabel="optimal plan's reward - agent's (expected)",
                xlabel="round", cumulative=True)


def report(result) -> None:
    """The experiments' report hook: the table (printed, ``lsd_table.txt/json``) and the plot."""
    table = reward_table(result)
    text = format_table(table)
    result.extra["lsd_table"] = table
    print(text)
    if result.run_dir is not None:
        (result.run_dir / "lsd_table.txt").write_text(text + "\n")
        (result.run_dir / "lsd_table.json").write_text(json.dumps(table, indent=2))
        if result.config.run.plots:
            regret_plot(result, result.run_dir / "plots" / "lsd_cumulative_pseudo_regret.png")
