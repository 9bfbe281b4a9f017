"""CascadingBPI: stopping time and accuracy against epsilon (spec §4, T11) on the synthetic BPI instance.

S = 2, N = 3, m = 2, H = 2 (spec T11), delta = 0.1. For each epsilon the run continues until every
seed has stopped (cap 200k episodes); the table reports the mean stopping episode, the fraction of
seeds whose output policy is epsilon-optimal (exact evaluation) and the worst suboptimality, with
the log-log slope of the stopping time against 1/epsilon (the bound O~(H^3 S N / eps^2) has slope
2). Writes ``bpi.json`` and ``stopping_time.png`` into the run folder.
``rlkit run cascading_bpi`` (``--seeds 20`` as in T11; ``--set agent.epsilon=0.05`` for one epsilon).
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np

from agents.cascading import CascadingBPIParams
from rlkit import ExperimentConfig, RunConfig, TrainConfig
from theory_checks.cascading_runs import BPI_INSTANCE

EPSILONS = (0.4, 0.2, 0.1)


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="cascading_bpi",
        env=BPI_INSTANCE,
        agent=CascadingBPIParams(epsilon=0.1, delta=0.1),
        train=TrainConfig(num_iterations=200_000, rollout_len=BPI_INSTANCE.H),
        run=RunConfig(seeds=10),
        description=__doc__,
    )


def main(cfg: ExperimentConfig, overrides=None, resume=None, quiet: bool = False) -> int:
    from rlkit.plots import plot_scatter
    from rlkit.runner import new_run_dir
    from theory_checks.cascading_bpi import run_bpi
    overrides = dict(overrides or {})
    epsilons = (cfg.agent.epsilon,) if "agent.epsilon" in overrides else EPSILONS
    hps = [dataclasses.replace(cfg.agent, epsilon=e) for e in epsilons]
    results = run_bpi(cfg.env, hps, cfg.run.seeds, cap=cfg.train.num_iterations)
    rows = {}
    for eps, res in zip(epsilons, results):
        rows[str(eps)] = {"stop_episode_mean": float(res["stop_episode"].mean()),
                          "stop_episode_se": float(res["stop_episode"].std(ddof=1) / np.sqrt(len(res["stop_episode"])))
                          if len(res["stop_episode"]) > 1 else 0.0,
                          "all_stopped": bool(res["stopped"].all()),
                          "epsilon_optimal_fraction": float(np.mean(res["suboptimality"] <= eps)),
                          "max_suboptimality": float(res["suboptimality"].max())}
    slope = (float(np.polyfit(np.log(1 / np.asarray(epsilons)),
                              np.log([r["stop_episode_mean"] for r in rows.values()]), 1)[0])
             if len(epsilons) > 1 else float("nan"))
    run_dir = new_run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "bpi.json").write_text(json.dumps({"epsilons": rows, "slope_vs_inverse_epsilon": slope,
                                                  "seeds": cfg.run.seeds}, indent=2))
    if len(epsilons) > 1:
        plot_scatter([1 / e for e in epsilons], [r["stop_episode_mean"] for r in rows.values()],
                     run_dir / "stopping_time.png", f"CascadingBPI stopping time (slope {slope:.2f})",
                     "1 / epsilon", "mean stopping episode", loglog=True)
    if not quiet:
        print(f"{'epsilon':>8} {'stop (mean)':>12} {'eps-optimal':>12} {'max gap':>8}")
        for eps, r in rows.items():
            print(f"{eps:>8} {r['stop_episode_mean']:>12.0f} {100 * r['epsilon_optimal_fraction']:>11.0f}% "
                  f"{r['max_suboptimality']:>8.3f}")
        print(f"log-log slope of the stopping time against 1/epsilon: {slope:.2f} (bound: 2)")
        print(f"run folder: {run_dir}")
    return 0
