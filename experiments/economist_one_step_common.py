"""Shared pieces of the one-step-economy experiments (``economist_one_step``, 4 agents, and
``economist_one_step_many``, 100 agents): the experiment config and the report that compares tax
policies and plots the learned schedule against the analytic optimum.

Every policy is scored exactly on the same economy with agents best-responding (enumerated hours,
:class:`envs.economy.OneStepModel`): free market (no tax), US federal (2018 rates), the Saez
schedule of this economy (fixed point of the Saez formula with the true elasticity
``e = 1/(delta - 1)``), the best grid schedule found by search (brute force when enumerable, else
coordinate ascent from the best flat tax), the optimal flat tax, and the learned planners' final
modal schedules (per seed). The learned planner is also scored as trained, with its learned agents
(the rollout metrics of the last 10% of iterations). Columns: equality (1 - Gini of post-tax
coin), productivity (total coin), their product, and the planner's objective (inverse-income-
weighted utility).
"""
from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from agents.economist.presets import one_step_params
from envs.economy import OneStepEconomyConfig, OneStepModel, taxes
from rlkit import ExperimentConfig, RunConfig, TrainConfig
from theory_checks import economist_closed_forms as cf

BRACKETS_LABEL = "learned brackets"
FLAT_LABEL = "learned flat tax"
PLOT_METRICS = ("social_welfare", "equality", "productivity", "planner/rate_mean_0",
                "planner/rate_mean_3", "return/agents")


def experiment(name: str, n_agents: int, iterations: int, num_envs: int, seeds: int,
               description: str) -> ExperimentConfig:
    """The learned bracket planner (US-2018 brackets, the 5% grid) and the learned flat tax."""
    return ExperimentConfig(
        name=name,
        env=OneStepEconomyConfig(n_agents=n_agents),
        agent=one_step_params(iterations, label=BRACKETS_LABEL),
        baselines={FLAT_LABEL: one_step_params(iterations, flat_tax=1.0, label=FLAT_LABEL)},
        train=TrainConfig(num_iterations=iterations, num_envs=num_envs, rollout_len=2, evaluate=False),
        run=RunConfig(seeds=seeds, chunks=4, plot_metrics=PLOT_METRICS),
        description=description,
    )


def final_schedules(metrics: dict, n_brackets: int) -> np.ndarray:
    """The learned modal rate per bracket at the last iteration, ``[seeds, B]``."""
    return np.stack([metrics[f"planner/rate_mode_{b}"][:, -1] for b in range(n_brackets)], axis=-1)


def score(model: OneStepModel, rates) -> dict:
    """Exact equality, productivity, their product and welfare of a schedule (best responses)."""
    out = jax.jit(model.outcome)(jnp.asarray(rates, jnp.float64))
    eq, prod = float(out["equality"]), float(out["productivity"])
    return {"equality": eq, "productivity": prod, "eq_x_prod": eq * prod, "welfare": float(out["welfare"])}


def reference_schedules(cfg: OneStepEconomyConfig) -> tuple[OneStepModel, dict, dict]:
    """The exact model and the fixed schedules (name -> rates [B]) with facts about them."""
    params = cfg.make_params()
    model = OneStepModel.from_params(params)
    b = params.n_brackets
    grid = np.asarray(params.rate_grid)
    flat = np.asarray(jax.jit(model.flat_welfare)())
    best_idx, _ = jax.jit(model.optimal_schedule)()
    skills = np.asarray(params.skills)
    facts = {"flat_grid_optimum": float(grid[np.argmax(flat)]), "flat_welfare": flat,
             "tau_star_atomistic": cf.optimal_flat_tax_atomistic(skills, float(params.labor_exponent)),
             "search": "brute force" if model.num_schedules() <= 20_000 else "coordinate ascent"}
    if float(params.labor_exponent) == 2.0:
        facts["tau_star_own_share"] = cf.optimal_flat_tax_own_share(skills)
    schedules = {
        "free market": np.zeros(b),
        "US federal (2018)": np.asarray(taxes.US_FEDERAL_2018_RATES) if b == 7 else None,
        "Saez (e = 1/(delta-1))": np.asarray(jax.jit(model.saez_schedule)()),
        "best flat tax (grid)": np.full(b, facts["flat_grid_optimum"]),
        f"best schedule ({facts['search']})": grid[np.asarray(best_idx)],
    }
    return model, {k: v for k, v in schedules.items() if v is not None}, facts


def policy_table(result, model: OneStepModel, schedules: dict, facts: dict) -> tuple[str, dict]:
    """Markdown table of every policy; returns ``(text, learned schedules per label)``."""
    b = model.params.n_brackets
    learned = {label: final_schedules(r.metrics, b) for label, r in result.agents.items()}
    lines = ["| policy | rates per bracket | equality | productivity | eq x prod | SWF (inv-income utility) |",
             "|---|---|---|---|---|---|"]

    def row(name, rates, s):
        lines.append(f"| {name} | {np.round(rates, 2).tolist()} | {s['equality']:.3f} | {s['productivity']:.1f} | "
                     f"{s['eq_x_prod']:.1f} | {s['welfare']:.3f} |")

    for name, rates in schedules.items():
        row(name, rates, score(model, rates))
    for label, per_seed in learned.items():
        for seed, rates in enumerate(per_seed):
            row(f"{label}, seed {seed} (exact best responses)", rates, score(model, rates))
        summary = result.agents[label].summary
        lines.append(f"| {label}, as trained (learned agents, last 10%) | - | {summary.get('equality', np.nan):.3f} | "
                     f"{summary.get('productivity', np.nan):.1f} | "
                     f"{summary.get('equality', np.nan) * summary.get('productivity', np.nan):.1f} | "
                     f"{summary.get('social_welfare', np.nan):.3f} |")
    text = "\n".join(lines)
    text += (f"\n\nFlat tax: grid optimum {facts['flat_grid_optimum']:.2f}"
             + (f", closed form (own share) {facts['tau_star_own_share']:.4f}" if "tau_star_own_share" in facts else "")
             + f", atomistic textbook {facts['tau_star_atomistic']:.4f}.")
    return text, learned


def plot_training_welfare(path: Path, result, model: OneStepModel, schedules: dict) -> None:
    """The planner's objective during training (learned agents; mean +- s.e. over seeds) against
    the exact welfare of the reference schedules."""
    from rlkit.plots import _pyplot, mean_and_se
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for label, r in result.agents.items():
        mean, se = mean_and_se(r.metrics["social_welfare"])
        x = np.arange(1, mean.shape[0] + 1)
        ax.plot(x, mean, lw=1.5, label=f"{label} (as trained)")
        ax.fill_between(x, mean - se, mean + se, alpha=0.2)
    for i, (name, rates) in enumerate(schedules.items()):
        ax.axhline(score(model, rates)["welfare"], color=f"C{i + 2}", ls="--", lw=1, label=f"{name} (exact)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("inverse-income-weighted utility")
    ax.set_title(f"{result.config.name}: planner objective while training")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_schedules(path: Path, cutoffs: np.ndarray, schedules: dict, learned: dict, title: str) -> None:
    """Rates per bracket: the learned planners (per seed and mean) against the reference schedules."""
    from rlkit.plots import _pyplot
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.2), dpi=110)
    x = np.arange(len(cutoffs))
    for i, (name, rates) in enumerate(schedules.items()):
        ax.step(x, rates, where="mid", label=name, lw=1.3, color=f"C{i}", ls=("--", ":", "-.")[i % 3])
    for i, (label, per_seed) in enumerate(learned.items()):
        color = f"C{5 + i}"
        ax.plot(x, per_seed.mean(0), "o-", color=color, lw=2, label=f"{label} (mean of seeds)")
        for rates in per_seed:
            ax.plot(x, rates, ".", color=color, alpha=0.5)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{c:g}+" for c in cutoffs], rotation=30, fontsize=8)
    ax.set_xlabel("bracket (pre-tax income from)")
    ax.set_ylabel("marginal rate")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_flat_welfare(path: Path, grid: np.ndarray, welfare: np.ndarray, facts: dict, learned_flat, title: str) -> None:
    """Exact welfare of every flat tax, the closed-form optima and the learned flat rates."""
    from rlkit.plots import _pyplot
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    ax.plot(grid, welfare, "o-", lw=1.2, label="exact SWF (best responses)")
    if "tau_star_own_share" in facts:
        ax.axvline(facts["tau_star_own_share"], color="k", ls="--", label="closed-form optimum (own share)")
    ax.axvline(facts["tau_star_atomistic"], color="C3", ls=":", label="atomistic textbook optimum")
    for i, tau in enumerate(learned_flat):
        ax.axvline(tau, color="C2", alpha=0.6, lw=2, label="learned flat tax (per seed)" if i == 0 else None)
    ax.set_xlabel("flat tax rate")
    ax.set_ylabel("inverse-income-weighted utility")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def report(result) -> None:
    """Policy comparison table and schedule plots (written into the run folder)."""
    cfg = result.config.env
    model, schedules, facts = reference_schedules(cfg)
    text, learned = policy_table(result, model, schedules, facts)
    print(f"\n{result.config.name}: tax policies scored exactly (agents best-respond)\n{text}\n")
    result.extra["policies"] = text
    if FLAT_LABEL in learned:
        result.extra["learned_flat_tax"] = learned[FLAT_LABEL][:, 0].tolist()
    if BRACKETS_LABEL in learned:
        result.extra["learned_brackets"] = learned[BRACKETS_LABEL].tolist()
    if result.run_dir is None:
        return
    (result.run_dir / "policies.md").write_text(text + "\n")
    plots = result.run_dir / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    params = cfg.make_params()
    plot_schedules(plots / "schedule_vs_optimum.png", np.asarray(params.cutoffs), schedules,
                   {k: v for k, v in learned.items() if k == BRACKETS_LABEL},
                   f"{result.config.name}: learned schedule vs analytic optimum")
    plot_training_welfare(plots / "welfare_vs_optimum.png", result, model, schedules)
    if FLAT_LABEL in learned:
        plot_flat_welfare(plots / "flat_tax_welfare.png", np.asarray(params.rate_grid), facts["flat_welfare"],
                          facts, learned[FLAT_LABEL][:, 0], f"{result.config.name}: flat tax")
