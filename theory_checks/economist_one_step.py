"""Checks of the one-step economy's rules and closed forms (spec §6 U1-U6, B1-B5): golden values,
best responses against the closed forms (the atomistic formula is the negative control: it ignores
the agents' own share of the lump sum, so it mispredicts the env's best responses), dominance,
the kinked schedule, the isoelastic Nash equilibrium, the optimal flat tax of the game the env
defines, and the Saez formula."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from agents.economist import curriculum
from envs.economy import OneStepEconomyConfig, OneStepModel, saez, taxes, welfare
from rlkit.checks import CheckRow, register
from theory_checks import economist_closed_forms as cf

TAX_GOLDEN = ((5, 0.5), (9.7, 0.97), (20, 2.206), (50, 6.8585), (100, 18.1745), (200, 45.3165),
              (300, 80.1935), (600, 186.9875), (1000, 334.9875))


def _row(check, instance, target, measured, passed, expect=True) -> CheckRow:
    return CheckRow(check, instance, target, measured, bool(passed), expect)


@register("economist", "golden_values")
def golden_values(full: bool = False) -> list[CheckRow]:
    """Bracket taxes, Gini, SWFs, utility and tax annealing reproduce the spec's golden values."""
    us = jnp.asarray(taxes.bracket_cutoffs("us-federal"))
    rates = jnp.asarray(taxes.US_FEDERAL_2018_RATES)
    due = np.asarray(jax.vmap(lambda z: taxes.taxes_due(z, us, rates))(jnp.asarray([z for z, _ in TAX_GOLDEN], jnp.float64)))
    err = np.max(np.abs(due - np.asarray([d for _, d in TAX_GOLDEN])))
    rows = [_row("golden: US-2018 taxes_due", "z in {5..1000}, 9 values", "max error <= 1e-9", f"{err:.1e}", err <= 1e-9)]
    values = {
        "Gini([1,2,3,4]) = 1/3": (float(welfare.gini(jnp.array([1.0, 2, 3, 4]))), 1 / 3, 1e-9),
        "Gini(1..30) compat = 0.3118": (float(welfare.gini(jnp.arange(1.0, 31.0), True)), 0.3118, 1e-4),
        "eq x prod([10,20,30,40]) = 16.6667": (float(welfare.coin_eq_times_productivity(jnp.array([10.0, 20, 30, 40]))), 16.6667, 1e-4),
        "inv-income utility = 1.5714286": (float(welfare.inv_income_weighted_utility(jnp.array([10.0, 20, 40]), jnp.array([1.0, 2, 3]))), 1.5714286, 1e-7),
        "isoelastic u(100, 50) = 33.23205850": (float(welfare.isoelastic_utility(100.0, 50.0, 0.23, 0.21)), 33.23205850, 1e-8),
        "annealed limit(500) = 0.6": (float(curriculum.annealed_tax_limit(500, -100, 0.001)), 0.6, 1e-12),
    }
    for name, (got, want, tol) in values.items():
        rows.append(_row("golden: welfare and curriculum", name, f"|error| <= {tol:g}", f"{got:.8g}", abs(got - want) <= tol))
    # U5: the env's step-2 planner reward at tau = 0.3 with the seed-0 skills
    params = OneStepEconomyConfig(bracket_spacing="flat").make_params()
    model = OneStepModel.from_params(params)
    labor = np.asarray(model.best_response(jnp.array([0.3])))
    swf = float(model.welfare(jnp.array([0.3])))
    ok = list(labor) == [36, 43, 53, 73] and abs(swf - 47.19) < 5e-3
    rows.append(_row("golden: one-step cross-check", "tau=0.3, kappa=0.012, skills(seed 0)",
                     "labor [36,43,53,73], SWF 47.19", f"labor {labor.astype(int).tolist()}, SWF {swf:.4f}", ok))
    return rows


def _random_instances(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return (rng.uniform(1, 3, n), rng.uniform(0, 0.95, n), rng.uniform(0.005, 0.05, n),
            rng.choice([2.0, 3.5], n))


@register("economist", "best_response_closed_form")
def best_response_closed_form(full: bool = False) -> list[CheckRow]:
    """Enumerated best responses equal the closed form within 1 hour (B1); the atomistic formula
    (negative control) does not; an agent's best response ignores the others' labor (B2)."""
    count = 400 if full else 60
    skills, tau, kappa, delta = _random_instances(count, 0)
    base = OneStepEconomyConfig(bracket_spacing="flat").make_params()

    def enumerated(s, t, k, d):
        p = base.replace(skills=jnp.full(4, s), labor_cost=k, labor_exponent=d)
        return OneStepModel.from_params(p).quasi_linear_best_response(jnp.array([t]))[0]

    brute = np.asarray(jax.jit(jax.vmap(enumerated))(jnp.asarray(skills), jnp.asarray(tau), jnp.asarray(kappa), jnp.asarray(delta)))
    rows = []
    for label, own, expect in [("own share k = 1 - tau(1 - 1/N)", True, True), ("atomistic k = 1 - tau (control)", False, False)]:
        closed = cf.closed_form_labor(skills, tau, kappa, delta, 4, own_share=own)
        gap = float(np.max(np.abs(brute - closed)))
        rows.append(_row("B1 best response = closed form", f"{count} random (s, tau, kappa, delta), N=4, {label}",
                         "max |enumerated - closed| <= 1 hour", f"{gap:.2f}", gap <= 1.0, expect))
    # B2: dominance (agent 2's best response for 20 random profiles of the others' hours)
    model = OneStepModel.from_params(base)
    others = jax.random.randint(jax.random.PRNGKey(0), (20, 4), 0, 101).astype(jnp.float64)
    br = np.asarray(jax.jit(jax.vmap(lambda lab: model.agent_best_response(2, lab, jnp.array([0.4]))))(others))
    rows.append(_row("B2 dominant strategy", "agent 2, tau=0.4, 20 random profiles of the others",
                     "one best response for all profiles", f"distinct responses: {np.unique(br).tolist()}",
                     np.unique(br).size == 1))
    return rows


@register("economist", "kinked_best_response")
def kinked_best_response(full: bool = False) -> list[CheckRow]:
    """Two progressive brackets: the enumerated best response follows the textbook rule (interior
    in bracket 1, interior in bracket 2, or bunching at the kink), within 1 hour (B3)."""
    count = 300 if full else 60
    rng = np.random.default_rng(1)
    s = rng.uniform(1, 3, count)
    t1 = rng.uniform(0, 0.5, count)
    t2 = np.minimum(t1 + rng.uniform(0.05, 0.5, count), 0.95)
    cut = rng.uniform(20, 150, count)
    kappa = 0.012
    base = OneStepEconomyConfig(bracket_spacing="custom", cutoffs=(0.0, 50.0)).make_params()

    def enumerated(si, a, b, c):
        p = base.replace(skills=jnp.full(4, si), cutoffs=jnp.array([0.0, c]))
        return OneStepModel.from_params(p).quasi_linear_best_response(jnp.array([a, b]))[0]

    brute = np.asarray(jax.jit(jax.vmap(enumerated))(*map(jnp.asarray, (s, t1, t2, cut))))
    closed = cf.kinked_labor(s, t1, t2, cut, kappa, 4)
    gap = float(np.max(np.abs(brute - closed)))
    bunched = int(np.sum((s * cf.interior_labor(s, t1, kappa, 2.0, 4) > cut) & (s * cf.interior_labor(s, t2, kappa, 2.0, 4) < cut)))
    return [_row("B3 kinked schedule", f"{count} random two-bracket schedules ({bunched} bunch at the kink)",
                 "max |enumerated - textbook| <= 1 hour", f"{gap:.2f}", gap <= 1.0)]


@register("economist", "isoelastic_nash")
def isoelastic_nash(full: bool = False) -> list[CheckRow]:
    """Isoelastic utility: best-response sweeps reach a profile where no agent gains more than 1e-6
    by moving one hour, with coin near the interior condition ``c = (k s / kappa)^(1/eta)`` (B4)."""
    rows = []
    for tau in ((0.0, 0.3, 0.6) if full else (0.3,)):
        cfg = OneStepEconomyConfig(bracket_spacing="flat", utility="isoelastic_coin_minus_labor",
                                   isoelastic_eta=0.23, labor_cost=0.05, skills=(1.0, 1.3, 1.7, 2.3))
        params = cfg.make_params()
        model = OneStepModel.from_params(params)
        rates = jnp.array([tau])
        labor = model.best_response(rates)

        def gain(i, d):
            lab = labor.at[i].set(jnp.clip(labor[i] + d, 0, 100))
            return model.outcome(rates, lab)["utility"][i] - model.outcome(rates, labor)["utility"][i]

        gains = jnp.stack([jax.vmap(lambda i: gain(i, d))(jnp.arange(4)) for d in (-1.0, 1.0)])
        best_gain = float(jnp.max(gains))
        coin = np.asarray(model.outcome(rates)["coin"])
        target = cf.isoelastic_coin_target(np.asarray(params.skills), tau, 0.05, 0.23, 4)
        interior = np.asarray(labor) < 100
        rel = float(np.max(np.abs(coin[interior] / target[interior] - 1.0))) if interior.any() else 0.0
        rows.append(_row("B4 isoelastic Nash", f"tau={tau}, eta=0.23, kappa=0.05, skills 1.0-2.3",
                         "max gain from +-1 hour <= 1e-6; coin within 10% of (k s/kappa)^(1/eta)",
                         f"gain {best_gain:.2e}; coin gap {rel:.3f}", best_gain <= 1e-6 and rel <= 0.10))
    return rows


@register("economist", "optimal_flat_tax")
def optimal_flat_tax(full: bool = False) -> list[CheckRow]:
    """The grid argmax of exact welfare equals the rounded closed-form optimum of the same game
    (N=4 own share 0.30; N=4 atomistic 0.20; N=100 0.25); continuous optima match to 1e-3 (B5)."""
    rows = []
    cases = [("N=4, own share (the env's game)", 4, True, 0.30), ("N=4, atomistic variant", 4, False, 0.20),
             ("N=100, own share", 100, True, 0.25)]
    for label, n, own, want in cases:
        params = OneStepEconomyConfig(n_agents=n, bracket_spacing="flat").make_params()
        model = OneStepModel(params=params, own_share=own)
        values = np.asarray(jax.jit(model.flat_welfare)())
        best = float(np.asarray(params.rate_grid)[np.argmax(values)])
        skills = np.asarray(params.skills)
        closed = cf.optimal_flat_tax_own_share(skills) if own else cf.optimal_flat_tax_atomistic(skills, 2.0)
        numeric = cf.numerical_optimal_flat_tax(skills, 0.012, 2.0, own)
        ok = abs(best - want) < 1e-9 and abs(round(closed / 0.05) * 0.05 - want) < 1e-9 and abs(closed - numeric) < 1e-3
        rows.append(_row("B5 optimal flat tax", label, f"grid argmax {want:.2f} = round(closed form); |closed - numeric| < 1e-3",
                         f"grid {best:.2f}, closed {closed:.4f}, numeric {numeric:.4f}", ok))
    # negative control: judging the N = 4 game by the atomistic textbook optimum
    params = OneStepEconomyConfig(bracket_spacing="flat").make_params()
    values = np.asarray(jax.jit(OneStepModel.from_params(params).flat_welfare)())
    textbook = round(cf.optimal_flat_tax_atomistic(np.asarray(params.skills), 2.0) / 0.05) * 0.05
    best = float(np.asarray(params.rate_grid)[np.argmax(values)])
    rows.append(_row("B5 optimal flat tax", "N=4 game vs the atomistic textbook optimum (control)",
                     "grid argmax = round(atomistic tau*)", f"grid {best:.2f} vs {textbook:.2f}",
                     abs(best - textbook) < 1e-9, expect=False))
    return rows


@register("economist", "saez_formula")
def saez_formula(full: bool = False) -> list[CheckRow]:
    """The Saez top rate equals ``(1 - G)/(1 - G + A e)`` with the Pareto-tail ``A`` of the sample,
    ``A -> alpha`` for Pareto incomes, and the flat schedule is the optimal linear tax."""
    n = 200_000 if full else 20_000
    rng = np.random.default_rng(0)
    z = 30.0 * (1.0 + rng.pareto(2.0, n))                 # Pareto-I, z_min = 30, alpha = 2
    us = jnp.asarray(taxes.bracket_cutoffs("us-federal"))
    stats = saez.binned_statistics(jnp.asarray(z), us[-1])
    G, A = float(stats["G"][-1]), float(stats["A"][-1])
    rate = float(saez.saez_schedule(jnp.asarray(z), us, 0.5)[-1])
    rows = [_row("Saez top rate", f"Pareto-I(30, 2), {n} incomes, e = 0.5", "rate = (1-G)/(1-G+A e) to 1e-6",
                 f"G {G:.4f}, A {A:.3f}, rate {rate:.4f}", abs(rate - (1 - G) / (1 - G + A * 0.5)) < 1e-6),
            _row("Saez Pareto tail", f"Pareto-I(30, 2), {n} incomes", "|A_top - alpha| <= 0.5", f"A {A:.3f}", abs(A - 2.0) <= 0.5)]
    params = OneStepEconomyConfig(bracket_spacing="flat").make_params()
    skills = np.asarray(params.skills)
    linear = float(saez.linear_tax_rate(jnp.asarray(skills ** 2), 1.0))
    closed = cf.optimal_flat_tax_atomistic(skills, 2.0)
    rows.append(_row("Saez linear tax", "incomes ~ s^2 (delta = 2), e = 1", "(1-g)/(1-g+e) = closed form to 1e-9",
                     f"{linear:.6f} vs {closed:.6f}", abs(linear - closed) < 1e-9))
    return rows
