"""Cascading RL on a synthetic cascading MDP (spec T8/T9 instance): CascadingVI vs its variants and AdaptVI.

S = 3 states, N = 5 items, lists of m <= 2 items, H = 3, q ~ U(0.05, 0.6), r ~ U(0, 1),
Dirichlet(1) transitions; bonus scale c = 0.3 (spec §7 prototype preset). The report adds the
log-log slope of each agent's cumulative pseudo-regret over K in {500, ..., 6000} (spec T8: < 0.7
for CascadingVI) and the regret ratio to CascadingVI (T9: AdaptVI >= 2x).
``rlkit run cascading_synthetic`` (``--set train.num_iterations=20000`` for a longer run).
"""
from __future__ import annotations

import json

import numpy as np

from agents.cascading import AdaptVIParams, CascadingVIBonusParams, CascadingVIOracleParams, CascadingVIParams
from envs.cascading import SyntheticCascadingConfig
from rlkit import ExperimentConfig, RunConfig, TrainConfig

SCALE = 0.3


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="cascading_synthetic",
        env=SyntheticCascadingConfig(S=3, N=5, m=2, H=3, instance_seed=0),
        agent=CascadingVIParams(bonus_scale=SCALE),
        baselines={"CascadingVI-Oracle": CascadingVIOracleParams(bonus_scale=SCALE),
                   "CascadingVI-Bonus": CascadingVIBonusParams(bonus_scale=SCALE),
                   "AdaptVI": AdaptVIParams(bonus_scale=SCALE)},
        train=TrainConfig(num_iterations=6000, rollout_len=3),
        run=RunConfig(seeds=5, chunks=4),
        description=__doc__,
    )


def regret_table(result, horizons=None) -> dict[str, dict[str, float]]:
    """Per agent: final cumulative regret, its ratio to the main agent, the log-log slope."""
    from theory_checks.cascading_runs import loglog_slope
    K = result.config.train.num_iterations
    horizons = horizons or [h for h in (K // 12, K // 6, K // 3, 2 * K // 3, K) if h >= 1]
    rows = {}
    main_label = next(iter(result.agents))
    base = None
    for label, agent in result.agents.items():
        cum = np.cumsum(agent.metrics["regret"], axis=1)
        final = float(cum[:, -1].mean())
        base = final if label == main_label else base
        rows[label] = {"cumulative_regret": final, "slope": loglog_slope(cum, horizons),
                       "ratio_to_" + main_label: final / base if base else float("nan"),
                       "seconds": agent.summary.get("seconds", float("nan"))}
    return rows


def report(result) -> None:
    rows = regret_table(result)
    result.extra["regret_table"] = rows
    lines = [f"{'agent':22s} {'R(K)':>10s} {'ratio':>7s} {'slope':>6s} {'seconds':>8s}"]
    for label, row in rows.items():
        ratio = next(v for k, v in row.items() if k.startswith("ratio_to_"))
        lines.append(f"{label:22s} {row['cumulative_regret']:>10.1f} {ratio:>7.2f} {row['slope']:>6.2f} "
                     f"{row['seconds']:>8.1f}")
    print("\n".join(lines))
    if result.run_dir is not None:
        (result.run_dir / "regret_table.json").write_text(json.dumps(rows, indent=2))
