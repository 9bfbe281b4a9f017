"""Shared pieces of the ride-sharing dispatch experiments (spec ospo.md §5-§7): the line-up of
learners (OSPO, GRPO, PPO with a critic) and baselines (Hungarian minimum pickup, greedy
nearest vehicle, random matching), and the dispatch table of the report.

What the table measures. Every agent reports the sums of the env's metrics over its *greedy*
episodes (``eval_*``): the baselines are always greedy; a learner plays a fraction
``eval_fraction`` of its episodes without exploration (the paper's evaluation episodes, spec
§1.6). Per seed, over the last ``TAIL`` of the iterations:

- served orders per episode = ``sum served / sum episodes``;
- service rate = ``sum served / sum arrivals``;
- mean pickup time (minutes) = ``sum pickup minutes / sum served``;
- mean detour (minutes) = ``sum detour minutes / sum delivered`` (orders dropped off);

then mean and standard error over seeds. Learning curves are the env's per-iteration means over
all episodes (exploring ones included for the learners): served orders per episode and pickup
minutes per served order.
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import numpy as np

from agents.ridesharing.baselines import GreedyParams, RandomMatchingParams
from agents.ridesharing.grpo import GRPOParams
from agents.ridesharing.ospo import OSPOParams
from agents.ridesharing.ppo_critic import PPOCriticParams

TAIL = 0.2   # fraction of the last iterations the table averages over
COLUMNS = ("served", "service_rate", "pickup", "detour", "lost")


def learners(hidden: tuple[int, ...], learning_rate: float, eval_fraction: float = 0.25,
             minibatch_size: int = 128, num_minibatches: int = 8) -> dict[str, Any]:
    """OSPO (main agent first), GRPO (the released code's advantage) and PPO with a critic, all
    with the same network, exploration and sample budget per iteration."""
    common = dict(hidden=hidden, learning_rate=learning_rate, eval_fraction=eval_fraction,
                  minibatch_size=minibatch_size, num_minibatches=num_minibatches)
    return {"OSPO": OSPOParams(**common), "GRPO": GRPOParams(**common),
            "PPO (critic)": PPOCriticParams(**common)}


def baselines() -> dict[str, Any]:
    """The non-learning dispatch rules (spec §8: random, greedy nearest, Hungarian)."""
    return {"Hungarian (min pickup)": GreedyParams(mode="hungarian", label="Hungarian (min pickup)"),
            "Greedy nearest": GreedyParams(mode="nearest", label="Greedy nearest"),
            "Random matching": RandomMatchingParams()}


def _tail_sum(values: np.ndarray, tail: float) -> np.ndarray:
    """Per seed: the sum over the last ``tail`` of the iterations (``values [seeds, iters]``)."""
    v = np.asarray(values, np.float64)
    k = max(1, int(round(tail * v.shape[1])))
    return v[:, -k:].sum(1)


def dispatch_metrics(metrics: Mapping[str, np.ndarray], tail: float = TAIL) -> dict[str, np.ndarray]:
    """Per-seed greedy-episode statistics of one agent (module docstring)."""
    s = {k: _tail_sum(metrics[f"eval_{k}_sum"], tail)
         for k in ("served", "arrivals", "lost", "pickup_minutes", "detour_minutes", "delivered")}
    episodes = np.maximum(_tail_sum(metrics["eval_episodes"], tail), 1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"served": s["served"] / episodes, "service_rate": s["served"] / s["arrivals"],
                "pickup": s["pickup_minutes"] / s["served"], "detour": s["detour_minutes"] / s["delivered"],
                "lost": s["lost"] / episodes, "episodes": episodes}


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, np.float64)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan"), float("nan")
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0


def dispatch_table(result) -> dict[str, dict[str, float]]:
    """``{agent: {column: mean, column_se: se, episodes: n}}`` over seeds."""
    rows = {}
    for label, r in result.agents.items():
        per_seed = dispatch_metrics(r.metrics)
        row: dict[str, float] = {"greedy_episodes": float(per_seed["episodes"].sum())}
        for col in COLUMNS:
            row[col], row[col + "_se"] = _mean_se(per_seed[col])
        rows[label] = row
    return rows


def format_table(rows: Mapping[str, Mapping[str, float]], title: str) -> str:
    head = (f"{'method':24s} {'served/episode':>16s} {'service rate':>14s} {'pickup (min)':>14s} "
            f"{'detour (min)':>14s} {'lost/episode':>14s} {'greedy eps':>10s}")
    lines = [title, head, "-" * len(head)]
    for label, row in rows.items():
        cell = lambda c, f: f"{row[c]:{f}} ± {row[c + '_se']:.2g}"
        lines.append(f"{label:24s} {cell('served', '.1f'):>16s} {cell('service_rate', '.3f'):>14s} "
                     f"{cell('pickup', '.2f'):>14s} {cell('detour', '.2f'):>14s} {cell('lost', '.1f'):>14s} "
                     f"{row['greedy_episodes']:>10.0f}")
    return "\n".join(lines)


def learning_curves(result) -> dict[str, dict[str, np.ndarray]]:
    """Per-iteration curves ``[seeds, iterations]``: served per episode, pickup per order."""
    served = {label: np.asarray(r.metrics["served"], np.float64) for label, r in result.agents.items()}
    pickup = {}
    for label, r in result.agents.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            pickup[label] = np.asarray(r.metrics["pickup_minutes"], np.float64) / served[label]
    return {"served_per_episode": served, "pickup_per_order": pickup}


def report(result) -> None:
    """The dispatch table (printed, ``dispatch_table.json``, ``result.extra``) and the learning
    curves (``plots/served_per_episode.png``, ``plots/pickup_per_order.png``)."""
    rows = dispatch_table(result)
    result.extra["dispatch_table"] = rows
    cfg = result.config
    title = (f"{cfg.name}: greedy episodes of the last {TAIL:.0%} of {cfg.train.num_iterations} iterations, "
             f"{cfg.run.seeds} seeds (mean ± s.e. over seeds)")
    print(format_table(rows, title))
    if result.run_dir is None:
        return
    (result.run_dir / "dispatch_table.json").write_text(json.dumps(rows, indent=2))
    if cfg.run.plots:
        from rlkit import plots
        curves = learning_curves(result)
        plots.plot_curves(curves["served_per_episode"], result.run_dir / "plots" / "served_per_episode.png",
                          title=f"{cfg.name}: served orders per episode", ylabel="served orders")
        plots.plot_curves(curves["pickup_per_order"], result.run_dir / "plots" / "pickup_per_order.png",
                          title=f"{cfg.name}: mean pickup time", ylabel="minutes per served order")
