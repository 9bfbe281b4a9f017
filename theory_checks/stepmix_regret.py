"""Regret of conservative exploration (spec ``specs/stepmix.md`` §5 and §11 tests 12-15).

The paper's claim is that obeying the episode-wise constraint "does not compromise the learning
performance": the regret keeps the unconstrained order. At the calibrated sizes (``K <= 4000``,
still partly burn-in, spec §9) the checks are those of spec §11, with its thresholds:

- learning: ``rho`` reaches 1, instantaneous regret falls, the growth is sublinear;
- cost of conservatism: StepMix and EpsMix stay within a constant factor of UCBVI per seed;
- mixing is necessary: on a deterministic baseline the no-mixing Switch control is stuck on the
  baseline (linear regret) while StepMix and EpsMix learn;
- monotonicity in alpha: more slack, less regret.

Negative controls (rows marked "control: must fail"): Switch, which never mixes, fails the
learning and the cost checks (on I-D and I-A respectively).
"""
from __future__ import annotations

import numpy as np

from rlkit.checks import CheckRow, register
from theory_checks.stepmix_common import (MAIN_ROWS, MIXED_ROWS, ROWS, SWITCH_ROWS, Row, batch_run,
                                          fmt, part, prefetch_fast, rows_of)

CONSERVATIVE = ("stepmix", "epsmix")
LABEL = {"stepmix": "StepMix", "epsmix": "EpsMix", "switch": "Switch", "ucbvi": "UCBVI"}


def _main_runs(full: bool):
    """I-A at alpha = 0.1, c = 0.2 for every agent, and the I-D runs (4 seeds)."""
    if not full:
        prefetch_fast()
    if full:
        rows, K = rows_of("I-A", 20), 20000
        runs = {n: batch_run(n, rows, K) for n in CONSERVATIVE + ("ucbvi", "switch")}
        d_rows = rows_of("I-D", 12)
        d_runs = {n: batch_run(n, d_rows, 10000) for n in CONSERVATIVE + ("switch",)}
        return runs, d_runs, K, 10000, len(rows), len(d_rows)
    runs = {n: batch_run(n, MAIN_ROWS, 4000) for n in CONSERVATIVE + ("ucbvi",)}
    switch = batch_run("switch", SWITCH_ROWS, 3000)
    runs["switch"] = part(switch, range(4, 12))            # I-A, 8 seeds x 3000 episodes
    d_runs = {n: part(batch_run(n, MIXED_ROWS, 3000), range(4)) for n in CONSERVATIVE}
    d_runs["switch"] = part(switch, range(4))
    return runs, d_runs, 4000, 3000, ROWS, 4


@register("stepmix", "learning")
def learning(full: bool) -> list[CheckRow]:
    """rho -> 1, instantaneous regret falls >= 3x, log10[R(K)/R(K/10)] <= 0.8 (spec test 12)."""
    runs, d_runs, K, K_d, seeds, _ = _main_runs(full)
    inst = f"I-A, c=0.2, alpha=0.1, {seeds} seeds x {K} ep."
    rows = []
    for name in CONSERVATIVE:
        run = runs[name]
        rho, drop, slope = run.rho_tail(), run.regret_drop(), run.slope()
        rows.append(CheckRow("rho -> 1", inst, "mean rho, last 10% >= 0.9 every seed",
                             f"{LABEL[name]}: min {rho.min():.3f}", bool(np.all(rho >= 0.9))))
        rows.append(CheckRow("regret falls", inst, "inst. regret first/last 10% >= 3 every seed",
                             f"{LABEL[name]}: min {drop.min():.1f}", bool(np.all(drop >= 3.0))))
        rows.append(CheckRow("sublinear regret", inst, "log10 R(K)/R(K/10) <= 0.8 every seed",
                             f"{LABEL[name]}: max {slope.max():.2f}", bool(np.all(slope <= 0.8))))
    switch = d_runs["switch"]
    inst_d = f"I-D (deterministic baseline), {switch.values.shape[0]} seeds x {K_d} ep."
    rows.append(CheckRow("sublinear regret", inst_d, "log10 R(K)/R(K/10) <= 0.8 every seed",
                         f"Switch: max {switch.slope().max():.2f}",
                         bool(np.all(switch.slope() <= 0.8)), expect=False))
    return rows


@register("stepmix", "cost_of_conservatism")
def cost_of_conservatism(full: bool) -> list[CheckRow]:
    """Per seed Reg_StepMix <= 3 Reg_UCBVI and Reg_EpsMix <= 2.5 Reg_UCBVI (spec test 13)."""
    runs, _, K, _, seeds, _ = _main_runs(full)
    ucb = runs["ucbvi"].regret[:, -1]
    inst = f"I-A, c=0.2, alpha=0.1, {seeds} seeds x {K} ep."
    rows = []
    for name, factor in (("stepmix", 3.0), ("epsmix", 2.5)):
        ratio = runs[name].regret[:, -1] / ucb
        rows.append(CheckRow("cost of conservatism", inst, f"Reg/Reg_UCBVI <= {factor} every seed",
                             f"{LABEL[name]}: max {ratio.max():.2f}", bool(np.all(ratio <= factor))))
    switch = runs["switch"]
    n, K_s = switch.values.shape
    ratio = switch.regret[:, -1] / runs["ucbvi"].regret[:n, K_s - 1]
    rows.append(CheckRow("cost of conservatism", f"I-A, c=0.2, alpha=0.1, {n} seeds x {K_s} ep.",
                         "Reg/Reg_UCBVI <= 3 every seed", f"Switch: max {ratio.max():.2f}",
                         bool(np.all(ratio <= 3.0)), expect=False))
    return rows


@register("stepmix", "mixing_necessary")
def mixing_necessary(full: bool) -> list[CheckRow]:
    """Deterministic baseline: Switch stuck (rho = 0, slope >= 0.95); StepMix/EpsMix learn (test 14)."""
    _, d_runs, _, K_d, _, d_seeds = _main_runs(full)
    inst = f"I-D (deterministic baseline, V^b/V* in [0.8, 0.9]), {d_seeds} seeds x {K_d} ep."
    switch = d_runs["switch"]
    stuck = bool(np.all(switch.metrics["rho"] == 0.0)) and bool(np.all(switch.slope() >= 0.95))
    rows = [CheckRow("Switch stuck on baseline", inst, "rho = 0 always and slope >= 0.95",
                     f"max rho {switch.metrics['rho'].max():.2f}, min slope {switch.slope().min():.2f}",
                     stuck)]
    for name in CONSERVATIVE:
        run = d_runs[name]
        slope = run.slope()
        below = run.regret[:, -1] < switch.regret[:, -1]
        rows.append(CheckRow("mixing learns", inst, "slope <= 0.8 and Reg < Reg_Switch every seed",
                             f"{LABEL[name]}: slopes {fmt(slope)}, below Switch {int(below.sum())}/{len(below)}",
                             bool(np.all(slope <= 0.8) and np.all(below))))
    zero = {n: d_runs[n].violations for n in CONSERVATIVE + ("switch",)}
    rows.append(CheckRow("zero violations", inst, "0 episodes below (1-alpha)V^b",
                         ", ".join(f"{LABEL[n]} {int(v.sum())}" for n, v in zero.items()),
                         all(int(v.sum()) == 0 for v in zero.values())))
    return rows


@register("stepmix", "alpha_monotone")
def alpha_monotone(full: bool) -> list[CheckRow]:
    """Mean regret non-increasing in alpha in {0.05, 0.1, 0.3} (spec test 15)."""
    alphas = (0.05, 0.1, 0.3)
    rows = []
    if not full:
        prefetch_fast()
    if full:
        seeds, K = 10, 10000
        grid = tuple(Row("I-A", s, alpha=a) for a in alphas for s in range(seeds))
    else:
        seeds, K = 4, 3000
    for name in CONSERVATIVE:
        if full:
            run = batch_run(name, grid, K)
            per_alpha = [part(run, range(i * seeds, (i + 1) * seeds)) for i in range(3)]
        else:
            sweep = batch_run(name, MIXED_ROWS, 3000)
            main = batch_run(name, MAIN_ROWS, 4000)
            per_alpha = [part(sweep, range(4, 8)), part(main, range(4), 3000), part(sweep, range(8, 12))]
        means = [float(r.regret[:, -1].mean()) for r in per_alpha]
        viol = sum(int(r.violations.sum()) for r in per_alpha)
        inst = f"I-A, c=0.2, {seeds} seeds x {K} ep., alpha {list(alphas)}"
        rows.append(CheckRow("regret monotone in alpha", inst, "mean regret non-increasing in alpha",
                             f"{LABEL[name]}: {' / '.join(f'{m:.0f}' for m in means)}",
                             bool(means[0] >= means[1] >= means[2])))
        rows.append(CheckRow("zero violations", inst, "0 at every alpha", f"{LABEL[name]}: {viol}", viol == 0))
    return rows
