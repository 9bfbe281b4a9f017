"""Unit tests of the StepMix family (spec ``specs/stepmix.md`` §11 tests 1, 2, 3, 5, 6, 8)."""
from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rlkit  # noqa: F401  (float64)
from agents.conservative import EpsMixParams, StepMixParams
from envs.conservative import ConservativeMDP, conservative_params, mixed_optimal_baseline
from rlkit.tabular import (Counts, add_transitions, deterministic_policy, make_model,
                           optimal_policy, optimistic_plan, policy_value, random_mdp, sample_cdf,
                           zero_counts)
from rlkit.tabular.conservative import (bisect_largest_feasible, episode_mixture_value,
                                        epsmix_rho, mixture_certificate, mixture_policy,
                                        policy_lower_value, union_bound_episodes)
from theory_checks import stepmix_reference as ref


@pytest.fixture(scope="module")
def tiny():
    """Instance I-B: S = A = H = 3, baseline 0.8 pi* + 0.2 U."""
    model = random_mdp(jax.random.PRNGKey(3), 3, 3, 3)
    return model, mixed_optimal_baseline(model)


def _random_policy(key, H, S, A):
    return jax.random.dirichlet(key, jnp.ones(A, jnp.float64), (H, S))


# --- test 1 ----------------------------------------------------------------------------------
@jax.jit
def _mc_returns(keys, params, pi):
    env = ConservativeMDP()
    cdf = jnp.cumsum(pi, -1)

    def episode(key):
        k0, key = jax.random.split(key)
        obs, state = env.reset(k0, params)

        def step(carry, k):
            obs, state, total = carry
            k_a, k_s = jax.random.split(k)
            a = sample_cdf(k_a, cdf[obs[0], obs[1]])
            obs, state, reward, *_ = env.step(k_s, state, a, params)
            return (obs, state, total + reward), None

        (_, _, total), _ = jax.lax.scan(step, (obs, state, 0.0), jax.random.split(key, params.model.H))
        return total

    return jax.vmap(episode)(keys)


def test_exact_evaluation_matches_monte_carlo(tiny):
    """Test 1: policy_value agrees with 10^5 env rollouts within 3 s.e. (optimal, uniform, mixed)."""
    model, baseline = tiny
    params = conservative_params(model, baseline)
    keys = jax.random.split(jax.random.PRNGKey(0), 100_000)
    star = optimal_policy(model)
    for pi in (star, jnp.full_like(star, 1.0 / 3), mixture_policy(star, baseline, 0.37)):
        returns = np.asarray(_mc_returns(keys, params, pi))
        se = returns.std(ddof=1) / np.sqrt(returns.size)
        assert abs(returns.mean() - float(policy_value(model, pi))) < 3 * se


# --- test 2 ----------------------------------------------------------------------------------
def test_mixture_endpoints_and_epsmix_value(tiny):
    """Test 2: V(pi(0)) = V^b, V(pi(1)) = V(pi_bar) to 1e-12; EpsMix's value is linear in rho,
    both through the pure functions and through the agents' ``evaluate``."""
    model, baseline = tiny
    params = conservative_params(model, baseline)
    spec = ConservativeMDP().spec(params)
    bar = deterministic_policy(jax.random.randint(jax.random.PRNGKey(1), (3, 3), 0, 3), 3)
    v_bar, v_b = policy_value(model, bar), policy_value(model, baseline)
    assert abs(policy_value(model, mixture_policy(bar, baseline, 0.0)) - v_b) < 1e-12
    assert abs(policy_value(model, mixture_policy(bar, baseline, 1.0)) - v_bar) < 1e-12
    for hp in (StepMixParams(), EpsMixParams()):
        agent = hp.make_agent()
        state = agent.init(jax.random.PRNGKey(0), spec, hp)
        state = state.replace(optimistic=jnp.argmax(bar, -1).astype(jnp.int32))
        for rho in (0.0, 1.0, 0.3):
            value = agent.evaluate(state.replace(rho=jnp.float64(rho)), hp, model)["value"]
            if isinstance(hp, EpsMixParams):
                expected = episode_mixture_value(rho, v_bar, v_b)
            else:
                expected = policy_value(model, mixture_policy(bar, baseline, rho))
            assert abs(float(value) - float(expected)) < 1e-12
            if rho in (0.0, 1.0):
                assert abs(float(value) - float(v_bar if rho else v_b)) < 1e-12


# --- test 3 ----------------------------------------------------------------------------------
def test_pattern_decomposition_signed_mdp():
    """Test 3: V(pi(rho)) = sum_z rho^|z| (1 - rho)^(H-|z|) V(pi^z), also with signed rewards."""
    H, S, A = 4, 4, 3
    k = jax.random.split(jax.random.PRNGKey(5), 5)
    P = jax.random.dirichlet(k[0], jnp.ones(S, jnp.float64), (H, S, A))
    patterns = jnp.asarray(list(itertools.product((0.0, 1.0), repeat=H)))
    for r in (jax.random.uniform(k[1], (H, S, A), jnp.float64),
              jax.random.uniform(k[1], (H, S, A), jnp.float64, -1.0, 1.0)):
        model = make_model(P, r)
        bar = deterministic_policy(jax.random.randint(k[2], (H, S), 0, A), A)
        base = _random_policy(k[3], H, S, A)
        per_pattern = jax.vmap(lambda z: policy_value(model, jnp.where(z[:, None, None] > 0, bar, base)))(patterns)
        for rho in np.asarray(jax.random.uniform(k[4], (5,))):
            weights = rho ** patterns.sum(1) * (1 - rho) ** (H - patterns.sum(1))
            direct = policy_value(model, mixture_policy(bar, base, rho))
            assert abs(float(direct) - float(weights @ per_pattern)) < 1e-10


# --- tests 5 and 6 ---------------------------------------------------------------------------
def _learning_snapshot(key, episodes, S=5, A=5, H=3):
    """A random I-A-like instance with counts from ``episodes`` episodes of uniform play."""
    k_m, k_d = jax.random.split(key)
    model = random_mdp(k_m, S, A, H)
    from rlkit.tabular.datasets import dataset_counts, sample_episodes
    data = sample_episodes(k_d, model, jnp.full((H, S, A), 1.0 / A), episodes)
    return model, dataset_counts(data, H, S, A)


def _stepmix_case(model, counts, episodes, bar_actions=None, bonus_scale=0.2, alpha=0.1, steps=12):
    plan = optimistic_plan(counts, model.r, jnp.float64(episodes), 0.05, bonus_scale, "l1")
    A = model.A
    bar = deterministic_policy(plan.actions if bar_actions is None else bar_actions, A)
    base = mixed_optimal_baseline(model)
    v_b = policy_value(model, base)
    gamma = (1 - alpha) * v_b
    lin_b = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, base, model.mu, clip=False)

    def cert(rho):
        return mixture_certificate(plan.P_hat, plan.rewards, plan.bonus, bar, base, rho, model.mu,
                                   v_b, lin_b)
    rho, c = bisect_largest_feasible(cert, gamma, steps)
    return plan, bar, base, v_b, gamma, cert, rho, c


def test_stepmix_rho_selection_and_prototype():
    """Test 5 (StepMix): rho in {0} or certified, and rho = 1 or CERT(rho + 2^-m) < gamma;
    the same rho as the spec's numpy prototype on the same (P_hat, b)."""
    seen_interior = 0
    for i, episodes in enumerate((5, 20, 60, 150, 400, 1000)):
        model, counts = _learning_snapshot(jax.random.PRNGKey(i), episodes)
        plan, bar, base, v_b, gamma, cert, rho, c = _stepmix_case(model, counts, episodes)
        rho, c = float(rho), float(c)
        assert rho == 0.0 or c >= gamma
        assert abs(c - float(cert(rho))) < 1e-12
        if rho < 1.0:
            assert float(cert(rho + 2.0 ** -12)) < gamma
            seen_interior += 0.0 < rho
        proto = ref.stepmix_rho(np.asarray(plan.P_hat), np.asarray(plan.bonus), np.asarray(model.r),
                                np.asarray(bar), np.asarray(base), float(v_b), float(gamma), 0)
        assert proto == rho
    assert seen_interior >= 2, "the cases must exercise the bisection"


def test_epsmix_rho_hits_threshold():
    """Test 5 (EpsMix): when rho < 1, rho v_low + (1 - rho) V^b = (1 - alpha) V^b to 1e-12."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        v_b = rng.uniform(0.1, 3.0)
        alpha = rng.uniform(0.01, 1.0)
        gamma = (1 - alpha) * v_b
        v_low = rng.uniform(0.0, gamma)
        rho = float(epsmix_rho(v_low, v_b, gamma))
        assert alpha - 1e-12 <= rho < 1.0
        assert abs(rho * v_low + (1 - rho) * v_b - gamma) < 1e-12
    assert float(epsmix_rho(2.0, 2.5, 1.9)) == 1.0


def test_oracle_consistency_exact_model():
    """Test 6: with P_hat = P and b = 0, StepMix's rho is the largest rho with V(pi(rho)) >= gamma
    (a 10^4-point grid, within 2^-m) and EpsMix's rho is alpha V^b / (V^b - V(pi_bar)) capped at 1."""
    for i in range(4):
        model = random_mdp(jax.random.PRNGKey(100 + i), 5, 5, 3)
        exact = Counts(jnp.ones((3, 5, 5)), model.P, jnp.zeros((3, 5, 5)), jnp.zeros((3, 5, 5)))
        for injected in (None, "bad"):
            bar_actions = None
            if injected:   # a poor pi_bar, so that the constraint binds
                from rlkit.tabular import value_iteration
                bar_actions = jnp.argmin(value_iteration(model).Q, -1).astype(jnp.int32)
            plan, bar, base, v_b, gamma, cert, rho, _ = _stepmix_case(
                model, exact, 1.0, bar_actions, bonus_scale=0.0)
            assert float(jnp.max(plan.bonus)) == 0.0
            grid = jnp.linspace(0.0, 1.0, 10_001)
            values = jax.vmap(lambda x: policy_value(model, mixture_policy(bar, base, x)))(grid)
            feasible = np.asarray(values >= gamma)
            largest = float(grid[np.nonzero(feasible)[0].max()])
            assert abs(float(rho) - largest) <= 2.0 ** -12 + 1e-4
            if injected is None:
                assert float(rho) == 1.0
            v_bar = policy_value(model, bar)
            v_low = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, bar, model.mu, clip=True)
            assert abs(float(v_low) - float(v_bar)) < 1e-12
            expected = min(1.0, 0.1 * float(v_b) / float(v_b - v_bar)) if v_bar < gamma else 1.0
            assert abs(float(epsmix_rho(v_low, v_b, gamma)) - expected) < 1e-12


# --- test 8 (the bonus itself; the run-based part is the certificate check) ------------------
def test_bonus_sanity():
    """Test 8: at n = 0 the bonus is the span H - h (1-based; H - 1 - h 0-based) with c = 1, and
    it is non-increasing in n."""
    H, S, A = 3, 4, 2
    counts = zero_counts(H, S, A)
    r = jnp.zeros((H, S, A))
    plan = optimistic_plan(counts, r, 10.0, 0.05, 1.0, "l1")
    span = (H - 1 - jnp.arange(H)).astype(jnp.float64)
    np.testing.assert_array_equal(np.asarray(plan.bonus), np.broadcast_to(np.asarray(span)[:, None, None], (H, S, A)))
    previous = plan.bonus
    for n in (1, 2, 10, 100, 10_000, 1_000_000):
        counts = add_transitions(zero_counts(H, S, A), jnp.zeros(1), jnp.zeros(1), jnp.zeros(1),
                                 jnp.zeros(1), jnp.zeros(1), weight=float(n))
        bonus = optimistic_plan(counts, r, 10.0, 0.05, 1.0, "l1").bonus
        assert bool(jnp.all(bonus <= previous + 1e-15))
        previous = bonus
    assert float(previous[0, 0, 0]) < float(span[0])


def test_union_bound_episodes_reproduces_fixed_log_term():
    """The fixed-K log term of spec §2.2 through ``optimistic_plan``: same bonus as the prototype."""
    from rlkit.tabular.optimism import log_term
    for K in (2.0, 1500.0, 4000.0, 1e6):
        e = union_bound_episodes(7.0, K)
        L = log_term("l1", 5, 5, 3, e, 0.05)
        expected = 2.0 * (5 * np.log(2.0) + np.log(5 * 5 * 3 * K / 0.05))
        assert abs(float(L) - expected) < 1e-9
    assert float(union_bound_episodes(7.0, 0.0)) == 7.0
