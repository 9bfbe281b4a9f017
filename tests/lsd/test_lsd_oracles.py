"""Exact oracles (spec tests 3-6): DP vs brute force, the reachable-state formula, the
relaxation's soundness and its JAX solver, known answers of Laforgue's instances."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.lsd.relaxation import rates_as_zy, solve_relaxation
from envs.lsd import LAFORGUE, random_general, random_monotone
from rlkit.lsd import (optimal_plan, policy_table, reachable_count, reachable_graph, rollout_means,
                       state_rewards)
from theory_checks.lsd_exact import (dp_vs_brute_force, known_answers, reachable_states,
                                     relaxation_bound)
from theory_checks.lsd_oracles import brute_force, dp_forward, dp_numpy, lp_bound, max_mean_cycle


def assert_rows(rows):
    bad = [row for row in rows if not row.ok]
    assert not bad, "\n".join(f"{r.check} | {r.instance} | {r.target} | {r.measured}" for r in bad)


def test_dp_equals_brute_force():                      # spec test 3
    assert_rows(dp_vs_brute_force(full=False))


def test_reachable_state_formula():                    # spec test 4
    assert_rows(reachable_states(full=False))
    table = {(2, 3): 11, (3, 3): 28, (3, 4): 49, (4, 4): 149, (4, 5): 309, (5, 5): 1066,
             (5, 6): 2531, (6, 6): 9307, (6, 8): 55699, (8, 8): 1047433}
    assert {p: reachable_count(*p) for p in table} == table          # spec §5.2 values
    assert reachable_count(10, 10) == pytest.approx(1.76e8, rel=0.01)


def test_relaxation_is_sound():                        # spec test 5
    assert_rows(relaxation_bound(full=False))


def test_known_answers():                              # spec test 6
    rows = known_answers(full=False)
    assert_rows(rows)
    print("\n".join(f"{r.instance}: {r.measured}" for r in rows if "exp. 1" in r.instance))


def test_optimal_plan_reaches_the_optimum():
    rng = np.random.default_rng(0)
    mu = random_general(rng, 3, 2)
    graph = reachable_graph(3, 2)
    pol = policy_table(state_rewards(jnp.asarray(mu), graph.layout), graph.nxt, 9)
    plan = optimal_plan(pol, graph.nxt, graph.start, 9)
    value, best = brute_force(mu, 9)
    assert float(rollout_means(jnp.asarray(mu), jnp.array([2, 2, 2]), plan).sum()) == pytest.approx(value, abs=1e-12)
    # a shorter horizon in the same table: the plan stops after `horizon` rounds
    short = optimal_plan(pol, graph.nxt, graph.start, 4)
    assert np.all(np.asarray(short[4:]) == 0)
    assert float(rollout_means(jnp.asarray(mu), jnp.array([2, 2, 2]), short[:4]).sum()) == pytest.approx(brute_force(mu, 4)[0])


def test_relaxation_primal_is_feasible_and_optimal():
    rng = np.random.default_rng(1)
    solve = jax.jit(solve_relaxation)
    for _ in range(20):
        mu = random_monotone(rng, 3, 3)
        sol = solve(jnp.asarray(mu))
        z, y = (np.asarray(a) for a in rates_as_zy(sol.rates, 3))
        g, l = np.arange(1, 4)[:, None], np.arange(1, 4)[None, :]
        assert np.all(z >= 0) and np.all(y >= 0)
        assert np.all((z * (g + l)).sum((1, 2)) + y <= 1 + 1e-12)
        assert (z * l).sum() + y.sum() <= 1 + 1e-12
        assert float(sol.primal) == pytest.approx(lp_bound(mu).value, abs=1e-9)


def test_laforgue_instance_values():
    exp2 = LAFORGUE["laforgue2"]()
    assert dp_numpy(exp2.mu, 100, exp2.init_state) == pytest.approx(50.0)
    assert dp_forward(exp2.mu, 100, exp2.init_state) == pytest.approx(50.0)
    assert max_mean_cycle(exp2.mu, exp2.init_state) == pytest.approx(0.5)
    assert lp_bound(exp2.mu).value == pytest.approx(0.5)
