"""Unit tests of the StepMix family (spec ``specs/stepmix.md`` §11 tests 1, 2, 3, 5, 6, 8)."""
from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rlkit  # noqa: F401  (float64)
from agents.conservative import EpsMixParams, StepMixParams
from envs.conservative import (ConservativeMDP, conservative_params, mixed_optimal_baseline,
                               spec_random_mdp)
from rlkit.tabular import (Counts, add_transitions, deterministic_policy, make_model,
                           optimal_policy, optimistic_plan, policy_value, sample_cdf,
                           zero_counts)
from rlkit.tabular.conservative import (bisect_largest_feasible, episode_mixture_value,
                                        epsmix_rho, mixture_certificate, mixture_policy,
                                        policy_lower_value, union_bound_episodes)
from theory_checks import stepmix_reference as ref


@pytest.fixture(scope="module")
def tiny():
    """Instance I-B: S = A = H = 3, baseline 0.8 pi* + 0.2 U."""
    model = spec_random_mdp(3, 3, 3, seed=3)
    return model, mixed_optimal_baseline(model)


def _random_policy(rng, H, S, A):
    return jnp.asarray(rng.dirichlet(np.ones(A), size=(H, S)))


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
def _state_for(model, baseline, bar_actions, rho):
    """A conservative agent state deploying (pi_bar, pi^b, rho) (only what ``evaluate`` reads)."""
    from agents.conservative.common import ConservativeState
    H, S, A = model.r.shape
    return ConservativeState(
        counts=zero_counts(H, S, A), rewards=model.r, mu=model.mu, baseline=baseline,
        baseline_cdf=baseline, baseline_floor=jnp.float64(0), threshold=jnp.float64(0),
        episodes=jnp.float64(0), optimistic=bar_actions, policy_cdf=baseline, rho=rho,
        certificate=jnp.float64(0))


def test_mixture_endpoints_and_epsmix_value(tiny):
    """Test 2: V(pi(0)) = V^b, V(pi(1)) = V(pi_bar) to 1e-12; EpsMix's value is linear in rho,
    through the pure functions and through the agents' ``evaluate``."""
    model, baseline = tiny
    bar_actions = jax.random.randint(jax.random.PRNGKey(1), (3, 3), 0, 3)
    bar = deterministic_policy(bar_actions, 3)
    rhos = jnp.asarray([0.0, 1.0, 0.3])
    v_bar, v_b = policy_value(model, bar), policy_value(model, baseline)
    for hp in (StepMixParams(), EpsMixParams()):
        agent = hp.make_agent()
        values = jax.jit(jax.vmap(lambda rho: agent.evaluate(
            _state_for(model, baseline, bar_actions, rho), hp, model)["value"]))(rhos)
        values = np.asarray(values)
        assert abs(values[0] - float(v_b)) < 1e-12
        assert abs(values[1] - float(v_bar)) < 1e-12
        if isinstance(hp, EpsMixParams):
            assert abs(values[2] - float(episode_mixture_value(0.3, v_bar, v_b))) < 1e-12
        else:
            assert abs(values[2] - float(policy_value(model, mixture_policy(bar, baseline, 0.3)))) < 1e-12
            assert abs(values[2] - float(episode_mixture_value(0.3, v_bar, v_b))) > 1e-6


# --- test 3 ----------------------------------------------------------------------------------
@jax.jit
def _decomposition_gap(P, r, bar, base, rhos):
    """``V(pi(rho)) - sum_z w_z(rho) V(pi^z)`` for each rho."""
    H = r.shape[0]
    model = make_model(P, r)
    patterns = jnp.asarray(list(itertools.product((0.0, 1.0), repeat=H)))
    per_pattern = jax.vmap(lambda z: policy_value(model, jnp.where(z[:, None, None] > 0, bar, base)))(patterns)

    def gap(rho):
        weights = rho ** patterns.sum(1) * (1 - rho) ** (H - patterns.sum(1))
        return policy_value(model, mixture_policy(bar, base, rho)) - weights @ per_pattern
    return jax.vmap(gap)(rhos)


def test_pattern_decomposition_signed_mdp():
    """Test 3: V(pi(rho)) = sum_z rho^|z| (1 - rho)^(H-|z|) V(pi^z), also with signed rewards."""
    H, S, A = 4, 4, 3
    rng = np.random.default_rng(5)
    P = jnp.asarray(rng.dirichlet(np.ones(S), size=(H, S, A)))
    bar = deterministic_policy(jnp.asarray(rng.integers(0, A, (H, S))), A)
    base = _random_policy(rng, H, S, A)
    rhos = jnp.asarray(rng.uniform(size=5))
    for r in (jnp.asarray(rng.uniform(size=(H, S, A))), jnp.asarray(rng.uniform(-1.0, 1.0, (H, S, A)))):
        assert float(jnp.max(jnp.abs(_decomposition_gap(P, r, bar, base, rhos)))) < 1e-10


# --- tests 5 and 6 ---------------------------------------------------------------------------
STEPS = 12


def _stepmix_decision(counts, model, episodes, bonus_scale, bar_actions, use_bar):
    """StepMix's decision as the agents make it, for (counts, model), alpha = 0.1; the optimistic
    policy is the plan's or ``bar_actions`` where ``use_bar``. Returns the inputs of the
    prototype, ``rho``, ``CERT(rho)``, ``CERT(rho + 2^-m)``, and the exact values on a grid."""
    plan = optimistic_plan(counts, model.r, episodes, 0.05, bonus_scale, "l1")
    A = model.r.shape[-1]
    bar = deterministic_policy(jnp.where(use_bar, bar_actions, plan.actions), A)
    base = mixed_optimal_baseline(model)
    v_b = policy_value(model, base)
    gamma = 0.9 * v_b
    lin_b = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, base, model.mu, clip=False)

    def cert(rho):
        return mixture_certificate(plan.P_hat, plan.rewards, plan.bonus, bar, base, rho, model.mu,
                                   v_b, lin_b)
    rho, c = bisect_largest_feasible(cert, gamma, STEPS)
    grid = jnp.linspace(0.0, 1.0, 10_001)
    values = jax.vmap(lambda x: policy_value(model, mixture_policy(bar, base, x)))(grid)
    v_bar = policy_value(model, bar)
    v_low = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, bar, model.mu, clip=True)
    switch_rho, switch_cert = bisect_largest_feasible(cert, gamma, 0, at_zero=v_b)
    return dict(switch_rho=switch_rho, switch_cert=switch_cert, P_hat=plan.P_hat, bonus=plan.bonus, bar=bar, base=base, v_b=v_b, gamma=gamma,
                rho=rho, cert=c, cert_rho=cert(rho), cert_next=cert(jnp.minimum(rho + 2.0 ** -STEPS, 1.0)),
                grid=grid, values=values, v_bar=v_bar, v_low=v_low,
                eps_rho=epsmix_rho(v_low, v_b, gamma))


def _snapshots(seed: int, sizes):
    """An I-A-like instance with the counts of the first n episodes of uniform play, n in sizes
    (sampled with numpy: nothing to compile)."""
    model = spec_random_mdp(5, 5, 3, seed)
    P = np.asarray(model.P)
    H, S, A = 3, 5, 5
    rng = np.random.default_rng(seed + 1)
    N = max(sizes)
    s = np.zeros(N, np.int64)
    steps = []
    for h in range(H):
        a = rng.integers(0, A, N)
        cdf = np.cumsum(P[h, s, a], -1)
        s_next = np.minimum((rng.random(N)[:, None] >= cdf).sum(1), S - 1)
        steps.append((h, s, a, s_next))
        s = s_next
    n_next = np.zeros((len(sizes), H, S, A, S))
    for i, n in enumerate(sizes):
        for h, s_, a, s2 in steps:
            np.add.at(n_next[i, h], (s_[:n], a[:n], s2[:n]), 1.0)
    zeros = jnp.zeros((len(sizes), H, S, A))
    return model, Counts(jnp.asarray(n_next.sum(-1)), jnp.asarray(n_next), zeros, zeros)


# one compiled program for the 8 cases of test 5 and the 8 of test 6
_decide_all = jax.jit(jax.vmap(lambda models, counts, episodes, bonus_scale, bar, use: _stepmix_decision(
    counts, models, episodes, bonus_scale, bar, use), in_axes=(0, 0, 0, None, 0, 0)))


def test_stepmix_rho_selection_and_prototype():
    """Test 5 (StepMix): rho in {0} or certified, and rho = 1 or CERT(rho + 2^-m) < gamma;
    the same rho as the spec's numpy prototype on the same (P_hat, b); with m = 0 the Switch rule."""
    sizes = (5, 20, 60, 150, 400, 1000, 2500, 6000)
    model, counts = _snapshots(0, sizes)
    n = len(sizes)
    models = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, (n,) + x.shape), model)
    out = _decide_all(models, counts, jnp.asarray(sizes, jnp.float64), 0.2,
                               jnp.zeros((n, 3, 5), jnp.int32), jnp.zeros(n, bool))
    out = {k: np.asarray(v) for k, v in out.items()}
    interior = 0
    for i in range(n):
        rho, c, gamma = out["rho"][i], out["cert"][i], out["gamma"][i]
        assert rho == 0.0 or c >= gamma
        assert abs(c - out["cert_rho"][i]) < 1e-12 or rho == 0.0
        if rho < 1.0:
            assert out["cert_next"][i] < gamma
            interior += rho > 0.0
        # Switch (StepMix with m = 0): rho = 1 exactly when LCB_clip(pi_bar) >= gamma
        switch = 1.0 if out["v_low"][i] >= gamma else 0.0
        assert out["switch_rho"][i] == switch
        assert out["switch_cert"][i] == (out["v_low"][i] if switch else out["v_b"][i])
        proto = ref.stepmix_rho(out["P_hat"][i], out["bonus"][i], np.asarray(model.r), out["bar"][i],
                                out["base"][i], float(out["v_b"][i]), float(gamma), 0, iters=STEPS)
        assert proto == rho
    assert interior >= 2, "the cases must exercise the bisection"


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
    (a 10^4-point grid, within 2^-m) and EpsMix's rho is alpha V^b / (V^b - V(pi_bar)) capped at
    1; the optimistic policy is the plan's (then pi_bar = pi* and rho = 1) or a poor injected one."""
    from rlkit.tabular import value_iteration
    models = [spec_random_mdp(5, 5, 3, 100 + i) for i in range(4)]
    models = jax.tree_util.tree_map(lambda *x: jnp.stack(x * 2), *models)
    exact = Counts(jnp.ones((8, 3, 5, 5)), models.P, jnp.zeros((8, 3, 5, 5)), jnp.zeros((8, 3, 5, 5)))
    worst = jax.vmap(lambda m: jnp.argmin(value_iteration(m).Q, -1).astype(jnp.int32))(models)
    use_bar = jnp.asarray([False] * 4 + [True] * 4)
    out = _decide_all(models, exact, jnp.ones(8), 0.0, worst, use_bar)
    out = {k: np.asarray(v) for k, v in out.items()}
    assert np.max(out["bonus"]) == 0.0
    for i in range(8):
        feasible = out["values"][i] >= out["gamma"][i]
        largest = out["grid"][i][np.nonzero(feasible)[0].max()]
        assert abs(out["rho"][i] - largest) <= 2.0 ** -STEPS + 1e-4
        if not use_bar[i]:
            assert out["rho"][i] == 1.0
        assert abs(out["v_low"][i] - out["v_bar"][i]) < 1e-12
        v_b, v_bar = out["v_b"][i], out["v_bar"][i]
        expected = min(1.0, 0.1 * v_b / (v_b - v_bar)) if v_bar < out["gamma"][i] else 1.0
        assert abs(out["eps_rho"][i] - expected) < 1e-12
    assert np.all(out["rho"][4:] < 1.0), "the injected policy must make the constraint bind"


# --- test 8 (the bonus itself; the run-based part is the certificate check) ------------------
def test_bonus_sanity():
    """Test 8: at n = 0 the bonus is the span H - h (1-based; H - 1 - h 0-based) with c = 1, and
    it is non-increasing in n."""
    H, S, A = 3, 4, 2
    r = jnp.zeros((H, S, A))
    visits = jnp.asarray([0.0, 1, 2, 10, 100, 1e4, 1e6, 1e9])

    def bonus(n):
        steps, zero = jnp.arange(H), jnp.zeros(H, jnp.int32)
        counts = add_transitions(zero_counts(H, S, A), steps, zero, zero, jnp.zeros(H), zero,
                                 weight=jnp.full(H, n))
        return optimistic_plan(counts, r, 10.0, 0.05, 1.0, "l1").bonus[:, 0, 0]

    b = np.asarray(jax.jit(jax.vmap(bonus))(visits))           # [n, H]
    span = (H - 1 - np.arange(H)).astype(np.float64)
    np.testing.assert_array_equal(b[0], span)
    assert np.all(np.diff(b, axis=0) <= 0.0)
    assert np.all(b[-1, :-1] < 0.01 * span[:-1])


def test_union_bound_episodes_reproduces_fixed_log_term():
    """The fixed-K log term of spec §2.2 through ``optimistic_plan``: same bonus as the prototype."""
    from rlkit.tabular.optimism import log_term
    for K in (2.0, 1500.0, 4000.0, 1e6):
        e = union_bound_episodes(7.0, K)
        L = log_term("l1", 5, 5, 3, e, 0.05)
        expected = 2.0 * (5 * np.log(2.0) + np.log(5 * 5 * 3 * K / 0.05))
        assert abs(float(L) - expected) < 1e-9
    assert float(union_bound_episodes(7.0, 0.0)) == 7.0


def test_spec_instances_match_the_spec_calibration():
    """Instances I-A and I-D are the spec's (§9): ``make_random_mdp`` seeds with V^b/V* about 0.9
    for the mixed baseline, and the seeded random search of deterministic baselines whose regret
    over 3000 episodes is 891-1499 on seeds 0-3 (the Switch row of spec §10)."""
    from envs.conservative import spec_deterministic_baseline
    from theory_checks import stepmix_reference as ref
    from theory_checks.stepmix_common import paper_instances
    P, r = ref.make_mdp(5, 5, 3, 0)
    model = spec_random_mdp(5, 5, 3, 0)
    np.testing.assert_array_equal(np.asarray(model.P), P)
    np.testing.assert_array_equal(np.asarray(model.r), r)
    pi = spec_deterministic_baseline(model, 0)
    assert np.all(pi.sum(-1) == 1.0) and set(np.unique(pi)) == {0.0, 1.0}
    det = paper_instances(12, "deterministic")           # the checks' I-D (seeds 0..11)
    np.testing.assert_array_equal(np.asarray(det.params.baseline[0]), pi)
    regrets = 3000 * (det.optimal[:4] - det.baseline[:4])
    assert round(regrets.min()) == 891 and round(regrets.max()) == 1499
    assert np.all((det.baseline / det.optimal >= 0.8) & (det.baseline / det.optimal <= 0.9))
    mixed = paper_instances(12)
    assert np.all((mixed.baseline / mixed.optimal > 0.88) & (mixed.baseline / mixed.optimal < 0.96))


def test_paper_random_mdp_is_the_dirichlet_family():
    """``paper_random_mdp`` (``rlkit run``'s per-seed instances): kernels on the simplex with the
    Dirichlet(1) marginal ``P(.)_0 ~ Beta(1, S - 1)`` (KS test over 4000 rows), rewards U[0, 1),
    start state 0, and distinct instances for distinct keys."""
    from scipy import stats
    from envs.conservative import paper_random_mdp
    S = 5
    keys = jax.random.split(jax.random.PRNGKey(7), 2)
    models = jax.jit(jax.vmap(lambda k: paper_random_mdp(k, S, 4, 100)))(keys)
    P, r = np.asarray(models.P), np.asarray(models.r)
    assert P.shape == (2, 100, S, 4, S) and r.shape == (2, 100, S, 4)
    np.testing.assert_allclose(P.sum(-1), 1.0, rtol=0, atol=1e-12)
    assert P.min() > 0.0 and 0.0 <= r.min() and r.max() < 1.0
    assert np.all(np.asarray(models.mu) == np.eye(S)[0])
    first = P[0, ..., 0].ravel()                                  # 2000 rows
    assert stats.kstest(first, stats.beta(1, S - 1).cdf).pvalue > 1e-3
    assert stats.kstest(P[1, ..., 2].ravel(), stats.beta(1, S - 1).cdf).pvalue > 1e-3
    assert stats.kstest(r.ravel(), "uniform").pvalue > 1e-3
    assert not np.allclose(P[0], P[1])
