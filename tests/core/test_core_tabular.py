"""The tabular toolkit against numpy/brute-force references, sampling and the toy-text importer."""
from __future__ import annotations

import itertools

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rlkit import ConfigError, tabular


def numpy_policy_value(P, r, mu, pi):
    """Backward induction in numpy (reference)."""
    H, S, A = r.shape
    V = np.zeros(S)
    for h in reversed(range(H)):
        Ph = P[0] if P.shape[0] == 1 else P[h]
        Q = r[h] + Ph @ V
        V = (pi[h] * Q).sum(-1)
    return mu @ V


@pytest.fixture(scope="module")
def small_model():
    return tabular.random_mdp(jax.random.PRNGKey(5), 3, 2, 3)


def test_value_iteration_equals_brute_force_over_deterministic_policies(small_model):
    m = small_model
    P, r, mu = (np.asarray(x) for x in (m.P, m.r, m.mu))
    H, S, A = r.shape
    best = -np.inf
    for flat in itertools.product(range(A), repeat=H * S):
        pi = np.eye(A)[np.asarray(flat).reshape(H, S)]
        best = max(best, numpy_policy_value(P, r, mu, pi))
    np.testing.assert_allclose(float(m.optimal_value()), best, rtol=0, atol=1e-12)
    pi_star = tabular.optimal_policy(m)
    np.testing.assert_allclose(float(tabular.policy_value(m, pi_star)), best, atol=1e-12)


def test_policy_evaluation_matches_numpy_for_stochastic_policy(small_model):
    m = small_model
    pi = jax.random.dirichlet(jax.random.PRNGKey(1), jnp.ones(m.A), (m.H, m.S))
    ref = numpy_policy_value(np.asarray(m.P), np.asarray(m.r), np.asarray(m.mu), np.asarray(pi))
    np.testing.assert_allclose(float(tabular.policy_value(m, pi)), ref, atol=1e-12)


def test_pessimistic_and_optimistic_values_bracket_the_truth(small_model):
    m = small_model
    pi = tabular.optimal_policy(m)
    bonus = jnp.full(m.r.shape, 0.3)
    P = m.kernel()
    lcb_lin = tabular.pessimistic_policy_value(P, m.r, bonus, pi, clip=False).V[0] @ m.mu
    lcb_clip = tabular.pessimistic_policy_value(P, m.r, bonus, pi, clip=True).V[0] @ m.mu
    ucb = tabular.optimistic_values(P, m.r, bonus).V[0] @ m.mu
    v = tabular.policy_value(m, pi)
    assert float(lcb_lin) <= float(lcb_clip) <= float(v) <= float(ucb)
    # the linear LCB is exactly V - sum of expected bonuses along the policy's occupancy
    occ = tabular.occupancy(m, pi)
    np.testing.assert_allclose(float(lcb_lin), float(v - jnp.sum(occ * bonus)), atol=1e-12)


def test_inverse_cdf_sampling_frequencies_and_zero_probabilities():
    p = jnp.array([0.0, 0.5, 0.0, 0.2, 0.3, 0.0])
    cdf = tabular.cumulative(p).astype(jnp.float32)
    draws = jax.vmap(lambda k: tabular.sample_cdf(k, cdf))(jax.random.split(jax.random.PRNGKey(0), 200_000))
    freq = np.bincount(np.asarray(draws), minlength=6) / 200_000
    assert freq[0] == freq[2] == freq[5] == 0.0
    np.testing.assert_allclose(freq, np.asarray(p), atol=4 * np.sqrt(0.25 / 200_000))


def test_counts_and_empirical_kernel():
    c = tabular.zero_counts(2, 3, 2)
    c = tabular.add_transitions(c, jnp.array([0, 0, 0, 1]), jnp.array([1, 1, 1, 2]), jnp.array([0, 0, 0, 1]),
                                jnp.array([1.0, 0.0, 1.0, 0.5]), jnp.array([2, 2, 0, 1]))
    P = tabular.empirical_kernel(c)
    np.testing.assert_allclose(np.asarray(P[0, 1, 0]), [1 / 3, 0, 2 / 3])
    np.testing.assert_allclose(np.asarray(P[1, 0, 0]), [1 / 3] * 3)      # unvisited: uniform
    np.testing.assert_allclose(float(tabular.empirical_rewards(c)[0, 1, 0]), 2 / 3)


def test_bonuses_shrink_with_counts_and_cap_at_span():
    n = jnp.array([0.0, 1.0, 100.0, 10_000.0]).reshape(1, 1, 4)
    span = jnp.array([2.0])
    L = tabular.l1_log_term(5, 5, 3, 1000, 0.05)
    b = np.asarray(tabular.l1_bonus(n, span, L, 1.0)).ravel()
    assert b[0] == b[1] == 2.0 and b[1] >= b[2] > b[3] > 0
    np.testing.assert_allclose(b[3], 2.0 * np.sqrt(float(L) / 10_000.0))


def test_counts_keep_the_bonus_factor_in_step_with_visits():
    """``Counts.n_rsqrt`` (refreshed only at visited entries) equals 1/sqrt(max(1, n)) after
    batches with repeated and masked transitions; a stale cache (negative control) does not."""
    rng = np.random.default_rng(0)
    H, S, A = 3, 4, 2
    counts = tabular.zero_counts(H, S, A)
    for _ in range(5):
        h, s, a, s2 = (jnp.asarray(rng.integers(0, m, 40)) for m in (H, S, A, S))
        w = jnp.asarray(rng.integers(0, 2, 40), jnp.float64)
        stale = counts.n_rsqrt
        counts = tabular.add_transitions(counts, h, s, a, jnp.ones(40), s2, w)
    np.testing.assert_array_equal(np.asarray(counts.n_rsqrt),
                                  np.asarray(tabular.inverse_sqrt_visits(counts.n)))
    assert not np.array_equal(np.asarray(stale), np.asarray(tabular.inverse_sqrt_visits(counts.n)))
    L = tabular.l1_log_term(S, A, H, 100, 0.05)
    span = tabular.steps_left_span(H)
    np.testing.assert_allclose(np.asarray(tabular.l1_bonus(counts.n, span, L, 0.7, counts.n_rsqrt)),
                               np.minimum(0.7 * np.asarray(span)[:, None, None]
                                          * np.sqrt(float(L) / np.maximum(np.asarray(counts.n), 1)),
                                          np.asarray(span)[:, None, None]), rtol=1e-14)


def test_river_swim_and_combination_lock_values():
    lock = tabular.combination_lock(4, 3, combination=[2, 0, 1, 1])
    assert float(lock.optimal_value()) == 1.0
    uniform = jnp.full((4, 2, 3), 1 / 3)
    np.testing.assert_allclose(float(tabular.policy_value(lock, uniform)), 3.0 ** -4, rtol=1e-12)
    river = tabular.river_swim(6, 20)
    always_left = jnp.zeros((20, 6, 2)).at[..., 0].set(1.0)
    np.testing.assert_allclose(float(tabular.policy_value(river, always_left)), 20 * 0.005, rtol=1e-12)
    assert float(river.optimal_value()) > 20 * 0.005


def test_check_model_names_the_bad_entry():
    P = np.full((2, 3, 2, 3), 1 / 3)
    r = np.zeros((2, 3, 2))
    tabular.check_model(P, r)
    P[1, 2, 1, 0] = 0.9
    with pytest.raises(ConfigError, match=r"P\[1, 2, 1\] sums to"):
        tabular.check_model(P, r)
    with pytest.raises(ConfigError, match="shape"):
        tabular.check_model(np.full((2, 3, 3, 3), 1 / 3), r)


def _gym_returns(env_id: str, pi: np.ndarray, H: int, episodes: int, **kw) -> np.ndarray:
    env = gymnasium.make(env_id, **kw)
    rng = np.random.default_rng(0)
    out = np.empty(episodes)
    for i in range(episodes):
        s, _ = env.reset(seed=int(rng.integers(2 ** 31)))
        total = 0.0
        for h in range(H):
            a = rng.choice(pi.shape[-1], p=pi[h, s])
            s, r, term, trunc, _ = env.step(a)
            total += r
            if term:
                break
        out[i] = total
    return out


@pytest.mark.parametrize("env_id,H,kw,episodes", [
    ("FrozenLake-v1", 20, {"is_slippery": True}, 6000),
    ("CliffWalking-v1", 15, {}, 2000),
    ("Taxi-v4", 12, {}, 2000),
])
def test_toy_text_exact_values_match_monte_carlo(env_id, H, kw, episodes):
    model = tabular.from_gymnasium(env_id, H, **kw)
    S, A = model.S, model.A
    # a fixed stochastic policy that is neither uniform nor greedy
    pi = np.asarray(jax.random.dirichlet(jax.random.PRNGKey(2), jnp.ones(A) * 2.0, (H, S)))
    exact = float(tabular.policy_value(model, jnp.asarray(pi)))
    mc = _gym_returns(env_id, pi, H, episodes, **kw)
    se = mc.std(ddof=1) / np.sqrt(len(mc))
    assert abs(mc.mean() - exact) <= 3 * se + 1e-12, (exact, mc.mean(), se)
    assert se > 0


def test_toy_text_rejects_envs_without_tables():
    with pytest.raises(ConfigError, match="transition table"):
        tabular.from_gymnasium(gymnasium.make("CartPole-v1"), 5)


def test_sample_episodes_matches_exact_value_and_visits_only_reachable_states():
    model = tabular.random_mdp(jax.random.PRNGKey(9), 6, 3, 4)
    pi = jax.random.dirichlet(jax.random.PRNGKey(4), jnp.ones(3), (4, 6))
    ep = jax.jit(lambda k: tabular.sample_episodes(k, model, pi, 100_000))(jax.random.PRNGKey(0))
    returns = np.asarray(ep.returns)
    exact = float(tabular.policy_value(model, pi))
    assert abs(returns.mean() - exact) <= 3 * returns.std(ddof=1) / np.sqrt(len(returns))
    assert ep.states.shape == (100_000, 5) and ep.actions.shape == (100_000, 4)
    assert np.all(np.asarray(ep.states[:, 0]) == 0)                   # s1 = 0
    # empirical first-step action frequencies follow pi[0, 0]
    freq = np.bincount(np.asarray(ep.actions[:, 0]), minlength=3) / 100_000
    np.testing.assert_allclose(freq, np.asarray(pi[0, 0]), atol=0.01)


def test_point_mass_start_skips_the_reset_draw_with_the_same_states():
    """A concrete point-mass ``mu`` is recorded statically and resets draw nothing; the env then
    steps exactly as with the draw (the inverse CDF of a point mass is that state), and traced or
    spread-out ``mu`` keep the draw."""
    model = tabular.random_mdp(jax.random.PRNGKey(0), 4, 3, 3)
    params = tabular.tabular_params(model)
    assert params.start_state == int(np.argmax(np.asarray(model.mu)))
    drawn = params.replace(start_state=None)
    env = tabular.TabularMDP(model)
    step = jax.jit(env.step)
    keys = jax.random.split(jax.random.PRNGKey(1), 50)
    runs = []
    for p in (params, drawn):
        st, obs_seen = tabular.TabularState(jnp.int32(1), jnp.int32(0)), []
        for k in keys:
            obs, st, r, term, trunc, info = step(k, st, jnp.int32(1), p)
            obs_seen.append(np.asarray(obs))
        runs.append(np.stack(obs_seen))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert np.sum(runs[0][:, 0] == 0) > 10                      # many resets happened
    spread = tabular.make_model(model.P, model.r, mu=jnp.full(4, 0.25))
    assert tabular.tabular_params(spread).start_state is None
    seen = []
    jax.jit(lambda k: seen.append(tabular.tabular_params(tabular.random_mdp(k, 3, 2, 2)).start_state)
            or k)(jax.random.PRNGKey(0))
    assert seen == [None]                                        # traced: keeps the draw
