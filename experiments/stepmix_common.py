"""Helpers of the StepMix experiments (not an experiment itself: it defines no ``config``).

- :func:`sync_episodes_bound`: the spec's bonus uses the number of episodes ``K`` in its union
  bound (``episodes_bound``); keep it equal to ``train.num_iterations`` when only the latter is
  overridden.
- :func:`conservative_report`: per agent, constraint violations counted on exact values against
  ``(1 - alpha) V^b`` of each seed's instance, cumulative regret and its ratio to UCBVI, the final
  ``rho``; plots of the expected return per episode against the threshold line.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from envs.conservative import seed_instances
from rlkit.tabular.conservative import count_violations


def sync_episodes_bound(cfg, overrides: Mapping[str, Any] | None = None):
    """Set ``episodes_bound = train.num_iterations`` on every agent that has the field, except
    where the user overrode that agent's ``episodes_bound`` explicitly; and
    ``train.rollout_len = env.H`` (one episode per iteration)."""
    overrides = dict(overrides or {})
    K = float(cfg.train.num_iterations)
    H = getattr(cfg.env, "H", None)
    if H is not None and cfg.train.rollout_len != H:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, rollout_len=H))

    def fix(hp, key):
        if hasattr(hp, "episodes_bound") and key not in overrides and hp.episodes_bound > 0:
            return dataclasses.replace(hp, episodes_bound=K)
        return hp

    agent = fix(cfg.agent, "agent.episodes_bound")
    baselines = {label: fix(hp, f"baselines.{label}.episodes_bound") for label, hp in cfg.baselines.items()}
    return dataclasses.replace(cfg, agent=agent, baselines=baselines)


def instance_values(cfg) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``V*`` and ``V^b`` of the instance each seed of the run saw."""
    import jax
    params = seed_instances(cfg.env, cfg.run.seeds, cfg.run.seed)
    optimal = jax.vmap(lambda m: m.optimal_value())(params.model)
    return np.asarray(optimal), np.asarray(params.baseline_value)


def reference_values(result) -> tuple[np.ndarray, np.ndarray]:
    """``V*`` and ``V^b`` per seed read from the run's own exact metrics, without regenerating
    the instances (which would compile the instance generator once more): ``V* = regret +
    value`` of any agent, ``V^b = threshold / (1 - alpha)`` of the main agent. Falls back to
    :func:`instance_values` when the main agent reports no threshold or has ``alpha = 1``."""
    cfg = result.config
    main = result.agents.get(next(iter(cfg.agents())))
    alpha = float(getattr(cfg.agent, "alpha", 1.0))
    if main is None or "threshold" not in main.metrics or "regret" not in main.metrics or alpha >= 1.0:
        return instance_values(cfg)
    optimal = main.metrics["regret"][:, 0] + main.metrics["value"][:, 0]
    return np.asarray(optimal), main.metrics["threshold"][:, 0] / (1.0 - alpha)


def _smooth(x: np.ndarray, window: int) -> np.ndarray:
    if window <= 1:
        return x
    kernel = np.ones(window) / window
    return np.stack([np.convolve(row, kernel, mode="valid") for row in x])


def plot_against_threshold(curves: dict, alpha: float, optimal_ratio: float, path, title: str) -> None:
    """Two panels over episodes (log x axis): the seed-mean of ``V^{pi_k} / V^b`` with the
    threshold line ``1 - alpha`` (the paper's "average expected return per episode" against the
    threshold), and the worst seed's margin ``min_seeds (V^{pi_k} - (1 - alpha) V^b) / V^b``,
    which must stay at or above 0 for a conservative algorithm."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 6.4), dpi=110, sharex=True)
    for label, c in reversed(list(curves.items())):     # the main agent drawn last, on top
        x = np.arange(1, c.shape[1] + 1)
        top.plot(x, c.mean(0), label=label, lw=1.2)
        bottom.plot(x, (c - (1.0 - alpha)).min(0), label=label, lw=1.0)
    top.axhline(1.0 - alpha, ls="--", color="k", lw=1, label=f"threshold (1 - alpha), alpha = {alpha}")
    top.axhline(optimal_ratio, ls=":", color="gray", lw=1, label="V* / V^b (mean)")
    bottom.axhline(0.0, ls="--", color="k", lw=1)
    top.set_ylabel("expected return / V^b\n(mean over seeds)")
    bottom.set_ylabel("worst seed's margin\n(V - (1 - alpha) V^b) / V^b")
    bottom.set_xlabel("episode")
    for ax in (top, bottom):
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
    top.set_title(title)
    top.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def conservative_report(result, alpha: float | None = None) -> None:
    """Violations, regret ratios and ``rho`` per agent; the threshold plots (module docstring)."""
    from rich.console import Console
    from rich.table import Table

    cfg = result.config
    alpha = float(cfg.agent.alpha) if alpha is None else alpha
    optimal, baseline = reference_values(result)
    threshold = (1.0 - alpha) * baseline
    ucbvi = next((r for label, r in result.agents.items() if "ucbvi" in label.lower()), None)
    ucb_regret = None if ucbvi is None else ucbvi.metrics["regret"].sum(1)
    table = Table(title=f"{cfg.name}: constraint V^pi_k >= (1 - {alpha}) V^b on exact values "
                        f"({cfg.run.seeds} seeds x {cfg.train.num_iterations} episodes)")
    for col in ("agent", "violating episodes", "seeds violating", "cum. regret",
                "regret / UCBVI", "rho (last 10%)", "min margin / V^b"):
        table.add_column(col, justify="right")
    extra = {}
    for label, r in result.agents.items():
        values = r.metrics["value"]
        viol = count_violations(values, threshold)
        regret = r.metrics["regret"].sum(1)
        ratio = "-" if ucb_regret is None else f"{np.mean(regret / ucb_regret):.2f}"
        rho = r.metrics.get("rho")
        tail = "-" if rho is None else f"{rho[:, -max(1, rho.shape[1] // 10):].mean():.3f}"
        margin = float(np.min((values - threshold[:, None]) / baseline[:, None]))
        table.add_row(label, str(int(viol.sum())), f"{int((viol > 0).sum())}/{len(viol)}",
                      f"{regret.mean():.1f} ± {regret.std(ddof=1) / np.sqrt(len(regret)) if len(regret) > 1 else 0:.1f}",
                      ratio, tail, f"{margin:+.4f}")
        extra[label] = {"violations": int(viol.sum()), "seeds_violating": int((viol > 0).sum()),
                        "cumulative_regret": float(regret.mean()), "min_margin": margin}
    result.extra["conservative"] = extra
    console = Console(width=150, record=True, force_terminal=False)
    with console.capture() as cap:
        console.print(table)
    text = cap.get()
    print(text)
    if result.run_dir is None or not cfg.run.plots:
        return
    (result.run_dir / "conservative.txt").write_text(text)
    curves = {label: r.metrics["value"] / baseline[:, None] for label, r in result.agents.items()}
    plot_against_threshold(curves, alpha, float(np.mean(optimal / baseline)),
                           result.run_dir / "plots" / "expected_return_vs_threshold.png",
                           f"{cfg.name}: expected return per episode")
