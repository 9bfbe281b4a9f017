"""Golden values and rules of the one-step economy (spec §6 U1-U6, B1-B5 on small instances)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.economist import curriculum
from envs.economy import OneStepEconomyConfig, OneStepModel, saez, taxes, welfare
from rlkit.config import ConfigError

SEED0_SKILLS = (1.12815611, 1.32066591, 1.65016452, 2.25649322)  # Pareto ladder, N = 4, seed 0

US = jnp.asarray(taxes.bracket_cutoffs("us-federal"))
US_RATES = jnp.asarray(taxes.US_FEDERAL_2018_RATES)


@pytest.mark.parametrize("z,due", [(5, 0.5), (9.7, 0.97), (20, 2.206), (50, 6.8585), (100, 18.1745),
                                   (200, 45.3165), (300, 80.1935), (600, 186.9875), (1000, 334.9875)])
def test_us_2018_taxes_due_golden(z, due):
    assert abs(float(taxes.taxes_due(z, US, US_RATES)) - due) < 1e-9


def test_marginal_rate_lower_edge_inclusive_and_cap_at_inventory():
    assert float(taxes.marginal_rate(9.7, US, US_RATES)) == pytest.approx(0.12)
    assert float(taxes.marginal_rate(9.6999, US, US_RATES)) == pytest.approx(0.10)
    # an agent with less coin than its tax due pays only its coin
    coin, paid, _ = taxes.collect_and_redistribute(jnp.array([1.0, 100.0]), jnp.array([100.0, 100.0]),
                                                   US, US_RATES)
    assert float(paid[0]) == pytest.approx(1.0) and float(paid[1]) == pytest.approx(18.1745)


def test_redistribution_conserves_coin_and_pays_equal_lump_sum():
    rng = np.random.default_rng(0)
    for _ in range(20):
        income = rng.uniform(0, 800, 7)
        coin = income + rng.uniform(0, 50, 7)
        rates = rng.uniform(0, 1, 7)
        after, paid, lump = taxes.collect_and_redistribute(jnp.asarray(coin), jnp.asarray(income), US,
                                                           jnp.asarray(rates))
        assert abs(float(after.sum()) - coin.sum()) < 1e-9
        np.testing.assert_allclose(np.asarray(after - coin + paid), float(lump), atol=1e-9)


def test_gini_and_welfare_golden():
    assert float(welfare.gini(jnp.ones(4))) == pytest.approx(0.0, abs=1e-12)
    assert float(welfare.gini(jnp.array([0.0, 0, 0, 1]))) == pytest.approx(1.0, abs=1e-9)
    assert float(welfare.gini(jnp.array([1.0, 2, 3, 4]))) == pytest.approx(1 / 3, abs=1e-9)
    x = jnp.arange(1.0, 31.0)
    assert float(welfare.gini(x)) == pytest.approx(1 / 3, abs=1e-9)                      # exact default
    assert float(welfare.gini(x, foundation_gini=True)) == pytest.approx(0.3118, abs=1e-4)  # compat
    assert float(welfare.equality(jnp.array([10.0, 20, 30, 40]))) == pytest.approx(2 / 3, abs=1e-9)
    assert float(welfare.coin_eq_times_productivity(jnp.array([10.0, 20, 30, 40]))) == pytest.approx(16.6667, abs=1e-4)
    assert float(welfare.inv_income_weighted_utility(jnp.array([10.0, 20, 40]), jnp.array([1.0, 2, 3]))) \
        == pytest.approx(1.5714286, abs=1e-7)


def test_utilities_golden():
    assert float(welfare.isoelastic_utility(100.0, 50.0, 0.23, 0.21)) == pytest.approx(33.23205850, abs=1e-8)
    assert float(welfare.quasi_linear_utility(50.0, 10.0, 0.012, 2.0)) == pytest.approx(50 - 1.2)


def test_tax_annealing_golden_and_mask():
    for completions, limit in [(0, 0.1), (100, 0.2), (500, 0.6), (900, 1.0), (5000, 1.0)]:
        assert float(curriculum.annealed_tax_limit(completions, -100, 0.001)) == pytest.approx(limit)
    grid = jnp.asarray(taxes.rate_grid())
    mask = curriculum.annealed_tax_mask(100, -100, 0.001, grid)
    np.testing.assert_array_equal(np.asarray(mask), np.asarray(grid) <= 0.2 + 1e-9)


def test_one_step_episode_mechanics_and_cross_check():
    """U5: step 1 only NO-OP labor, step 2 taxes after labor income; tau = 0.3 golden profile."""
    cfg = OneStepEconomyConfig(bracket_spacing="flat")
    params = cfg.make_params()
    np.testing.assert_allclose(np.asarray(params.skills), SEED0_SKILLS, atol=1e-8)
    env = cfg.make_env()
    step = jax.jit(env.step)
    obs, state = jax.jit(env.reset)(jax.random.PRNGKey(0), params)
    assert int(obs["agents"]["action_mask"].sum()) == 4          # NO-OP only, every agent
    assert bool(obs["planner"]["action_mask"][0, 1:].all()) and not bool(obs["planner"]["action_mask"][0, 0])
    work = jnp.array([50, 50, 50, 50])                             # ignored on the tax step
    obs, state, reward, term, _, _ = step(jax.random.PRNGKey(1), state, {"agents": work, "planner": jnp.array([7])}, params)
    assert float(jnp.abs(state.labor).sum()) == 0.0 and float(state.rates[0]) == pytest.approx(0.3)
    assert not bool(term) and float(jnp.abs(reward["agents"]).sum()) == 0.0
    labor = jnp.array([36, 43, 53, 73])
    obs, state, reward, term, _, info = step(jax.random.PRNGKey(2), state, {"agents": labor, "planner": jnp.array([0])}, params)
    assert bool(term)
    model = OneStepModel.from_params(params)
    best_response, outcome = jax.jit(model.best_response), jax.jit(model.outcome)
    np.testing.assert_array_equal(np.asarray(best_response(jnp.array([0.3]))), [36, 43, 53, 73])
    out = outcome(jnp.array([0.3]))
    assert float(reward["planner"]) == pytest.approx(float(out["welfare"]), abs=1e-9)
    assert float(reward["planner"]) == pytest.approx(47.19, abs=5e-3)
    np.testing.assert_allclose(np.asarray(reward["agents"]), np.asarray(out["utility"]), atol=1e-9)
    # the same from first principles: coin = (1 - tau) z + tau * sum(z) / N
    z = np.asarray(SEED0_SKILLS) * np.array([36, 43, 53, 73])
    coin = 0.7 * z + 0.3 * z.sum() / 4
    np.testing.assert_allclose(np.asarray(out["coin"]), coin, atol=1e-6)
    assert float(info["final_observation"]["agents"]["features"][0, 3]) == pytest.approx(0.3)
    for tau, lab, swf in [(0.0, [47, 55, 69, 94], 43.3325), (0.5, [29, 34, 43, 59], 45.3713)]:
        np.testing.assert_array_equal(np.asarray(best_response(jnp.array([tau]))), lab)
        assert float(outcome(jnp.array([tau]))["welfare"]) == pytest.approx(swf, abs=1e-4)


def test_free_market_and_us_federal_reference_metrics():
    """PJH720's static numbers (illustrative, spec §4): free market equality 0.617, productivity 451.6."""
    params = OneStepEconomyConfig().make_params()
    model = OneStepModel.from_params(params)
    free = model.outcome(jnp.zeros(7))
    assert float(free["equality"]) == pytest.approx(0.617, abs=1e-3)
    assert float(free["productivity"]) == pytest.approx(451.6, abs=0.1)


def test_saez_top_rate_matches_formula_and_linear_tax():
    rng = np.random.default_rng(0)
    z = 30.0 * (1.0 + rng.pareto(2.0, 5000))                      # Pareto-I, z_min 30, alpha 2
    stats = jax.jit(saez.binned_statistics)(jnp.asarray(z), US[-1])
    above = z[z > float(US[-1])]
    assert float(stats["A"][-1]) == pytest.approx(above.mean() / (above.mean() - float(US[-1])), rel=1e-6)
    g = 1.0 / np.maximum(1.0, z)
    assert float(stats["G"][-1]) == pytest.approx(g[z > float(US[-1])].mean() / g.mean(), rel=1e-3)
    rates = jax.jit(saez.saez_schedule)(jnp.asarray(z), US, 0.5)
    G, A = float(stats["G"][-1]), float(stats["A"][-1])
    assert float(rates[-1]) == pytest.approx((1 - G) / (1 - G + A * 0.5), abs=1e-6)
    s = np.asarray(SEED0_SKILLS) ** 2
    gbar = (1 / np.mean(1 / s)) / s.mean()
    assert gbar == pytest.approx(0.7683, abs=1e-4)
    assert float(saez.linear_tax_rate(jnp.asarray(s), 1.0)) == pytest.approx((1 - gbar) / (2 - gbar), abs=1e-9)


@pytest.mark.parametrize("kwargs,needle", [
    (dict(skills=(1.0, -1.0, 2.0, 3.0)), "skills"),
    (dict(fixed_rates=(1.5,), tax_model="fixed", bracket_spacing="flat"), "[0, 1]"),
    (dict(bracket_spacing="custom", cutoffs=(0.0, 50.0, 20.0)), "strictly increasing"),
    (dict(swf="happiness"), "social welfare function"),
    (dict(utility="isoelastic_coin_minus_labor", isoelastic_eta=1.0), "isoelastic_eta"),
    (dict(rate_max=1.2), "rate_max"),
    (dict(labor_exponent=1.0), "labor_exponent"),
    (dict(bracket_spacing="quadratic"), "bracket spacing"),
])
def test_bad_input_raises_config_error(kwargs, needle):
    with pytest.raises(ConfigError, match=None) as err:
        OneStepEconomyConfig(**kwargs).make_params()
    assert needle in str(err.value)
    with pytest.raises(ConfigError):
        welfare.validate_welfare("nope")


def test_many_economies_in_one_vmap():
    """Economies with different skills, labor costs and fixed rates step together in one vmap and
    agree with stepping each alone."""
    configs = [OneStepEconomyConfig(skills=(1.0, 1.5, 2.0, 2.5), labor_cost=0.01, tax_model="fixed",
                                    fixed_rates=(0.2,), bracket_spacing="flat"),
               OneStepEconomyConfig(labor_cost=0.02, tax_model="fixed", fixed_rates=(0.5,), bracket_spacing="flat"),
               OneStepEconomyConfig(skills=(1.2, 1.2, 3.0, 3.0), tax_model="fixed", fixed_rates=(0.0,),
                                    bracket_spacing="flat")]
    env = configs[0].make_env()
    batch = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *[c.make_params() for c in configs])
    action = {"agents": jnp.array([10, 20, 30, 40]), "planner": jnp.array([1])}

    @jax.jit
    def episode(p):
        _, s = env.reset(jax.random.PRNGKey(0), p)
        _, s, *_ = env.step(jax.random.PRNGKey(1), s, action, p)
        _, s, reward, *_ = env.step(jax.random.PRNGKey(2), s, action, p)
        return reward["planner"], s.coin

    welfare_b, coin_b = jax.jit(jax.vmap(episode))(batch)
    for i, cfg in enumerate(configs):
        w, c = episode(cfg.make_params())
        assert float(welfare_b[i]) == pytest.approx(float(w), abs=1e-12)
        np.testing.assert_allclose(np.asarray(coin_b[i]), np.asarray(c), atol=1e-12)
    assert len({round(float(w), 6) for w in welfare_b}) == 3
