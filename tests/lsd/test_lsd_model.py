"""LSD model and env: transitions (spec test 1), the recharging reduction (test 2), input
validation, the monotonicity validators (test 11) and the env as a vmappable pytree program."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs.lsd import (LSDBandit, LSDConfig, laforgue_experiment1, make_params, pad_state, pad_states,
                      random_general, random_monotone, recharging_params)
from rlkit import ConfigError
from rlkit.lsd import (check_init_state, check_mu, delay_state, is_monotone, recharging_mu,
                       sequence_means, state_index, transition)
from theory_checks.lsd_exact import monotone_validator
from theory_checks.lsd_oracles import brute_force


def run_states(k: int, m: int, s0, actions):
    tau = np.asarray(s0)
    states = [tuple(tau)]
    for a in actions:
        tau = transition(tau, a, m, np)
        states.append(tuple(int(x) for x in tau))
    return states


# ---- spec test 1: transitions ---------------------------------------------------------------
def test_worked_example_states_and_rewards():
    """Spec §1.2: k=2, m=3, start (3,3), actions 0,0,1,1,1,1,0."""
    actions = [0, 0, 1, 1, 1, 1, 0]
    assert run_states(2, 3, (3, 3), actions) == [
        (3, 3), (-1, 3), (-2, 3), (1, -1), (2, -2), (3, -3), (3, -3), (-1, 1)]
    mu = np.arange(12, dtype=float).reshape(2, 6) / 12.0
    col = lambda tau: int(state_index(np.asarray(tau), 3, np))
    expected = [mu[0, col(3)], mu[0, col(-1)], mu[1, col(3)], mu[1, col(-1)], mu[1, col(-2)],
                mu[1, col(-3)], mu[0, col(3)]]
    np.testing.assert_allclose(sequence_means(mu, np.array([3, 3]), np.array(actions)), expected)


def test_layout_is_the_ordered_state_line():
    m = 3
    taus = np.array([-3, -2, -1, 1, 2, 3])
    np.testing.assert_array_equal(state_index(taus, m, np), np.arange(6))


def test_caps_no_zero_and_one_negative_arm():
    rng = np.random.default_rng(0)
    for _ in range(50):
        k, m = int(rng.integers(2, 6)), int(rng.integers(1, 5))
        tau = np.full(k, m)
        for t in range(40):
            a = int(rng.integers(k))
            tau = transition(tau, a, m, np)
            assert np.all(tau != 0) and np.all(np.abs(tau) <= m)
            assert np.sum(tau < 0) == 1 and tau[a] < 0           # exactly the played arm is negative
    # saturation at both caps
    tau = np.array([1, 1])
    for _ in range(10):
        tau = transition(tau, 0, 3, np)
    assert tuple(tau) == (-3, 3)


def test_jax_and_numpy_transitions_agree():
    rng = np.random.default_rng(1)
    tau = rng.choice([-3, -2, -1, 1, 2, 3], size=(64, 4))
    actions = rng.integers(0, 4, size=64)
    np.testing.assert_array_equal(np.asarray(transition(jnp.asarray(tau), jnp.asarray(actions), 3)),
                                  transition(tau, actions, 3, np))


# ---- spec test 2: recharging reduction ------------------------------------------------------
def delay_model_rewards(r: np.ndarray, actions, init_delay) -> np.ndarray:
    """Direct simulation of the delay model: payoff r_i(min(delay, delta_max))."""
    delays = np.asarray(init_delay).copy()
    out = []
    for a in actions:
        out.append(r[a, min(delays[a], r.shape[1]) - 1])
        delays += 1
        delays[a] = 1
    return np.asarray(out)


def test_recharging_reduction_matches_delay_model():
    rng = np.random.default_rng(2)
    for _ in range(30):
        k, delta_max = int(rng.integers(2, 5)), int(rng.integers(2, 7))
        r = rng.uniform(size=(k, delta_max))
        delays = rng.integers(1, delta_max + 1, size=k)
        actions = rng.integers(0, k, size=60)
        mu = recharging_mu(r)
        lsd = sequence_means(mu, delay_state(delays), actions)
        np.testing.assert_allclose(lsd, delay_model_rewards(r, actions, delays), atol=0)


def test_recharging_constructor_and_env_step():
    r = np.array([[0.1, 0.5, 0.9], [0.3, 0.3, 0.3]])
    params = recharging_params(r, init_delay=1, horizon=10, benchmark="none")
    env = LSDBandit(params)
    assert params.init_state.tolist() == [-1, -1]
    actions = jnp.array([0, 1, 0, 1, 1, 0])

    @jax.jit
    def play(key):
        _, state = env.reset(key, params)
        step = lambda s, a: env.step(key, s, a, params)[1::4]
        return jax.lax.scan(step, state, actions)[1]["expected_reward"]

    np.testing.assert_allclose(play(jax.random.PRNGKey(0)), delay_model_rewards(r, [0, 1, 0, 1, 1, 0], [1, 1]))


# ---- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("mu, words", [
    (np.zeros((2, 3)), "shape [k, 2m]"),
    (np.zeros(4), "shape [k, 2m]"),
    (np.full((2, 4), 1.5), "[0, 1]"),
    (np.full((2, 4), -0.1), "[0, 1]"),
    (np.full((2, 4), np.nan), "finite"),
])
def test_bad_mu_is_a_config_error(mu, words):
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        make_params(mu, horizon=5)


@pytest.mark.parametrize("init, words", [
    ([0, 1], "state 0"), ([4, 1], r"\|tau\| <= m"), ([-4, 1], r"\|tau\| <= m"), ([1, 1, 1], "shape"),
    ([0.5, 1], "integers"),
])
def test_bad_initial_state_is_a_config_error(init, words):
    with pytest.raises(ConfigError, match=words):
        make_params(np.full((2, 6), 0.5), init, horizon=5)


def test_bad_config_values_raise_before_compile():
    for kwargs, words in [(dict(m=0), "m must be an integer >= 1"), (dict(k=0), "k must be"),
                          (dict(instance="nope"), "instance must be one of"),
                          (dict(init=(0, 1, 1)), "state 0"), (dict(init=(5, 1, 1)), "|tau| <= m"),
                          (dict(instance="custom", mu=((0.5, 2.0),)), "[0, 1]"),
                          (dict(horizon=0), "horizon"), (dict(noise="cauchy"), "noise")]:
        with pytest.raises(ConfigError) as err:
            LSDConfig(**kwargs).validate()
        assert words in str(err.value), (kwargs, str(err.value))
    with pytest.raises(ConfigError, match="m must be"):
        check_mu(np.zeros((2, 4)), m=0)
    with pytest.raises(ConfigError, match="delta_max >= 2"):
        recharging_mu(np.zeros((2, 1)))
    assert check_init_state([1, -2], 2, 3).tolist() == [1, -2]


# ---- env: pytree params, vmap over instances, noise -----------------------------------------
def test_env_vmaps_over_instances_and_reports_regret():
    rng = np.random.default_rng(3)
    mus = [random_general(rng, 3, 2) for _ in range(4)]
    params = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *[make_params(mu, horizon=8) for mu in mus])
    env = LSDBandit()

    def play(p, key):
        obs, s = env.reset(key, p)
        def step(carry, a):
            s, key = carry
            key, sub = jax.random.split(key)
            _, s, r, _, _, info = env.step(sub, s, a, p)
            return (s, key), (info["expected_reward"], info["regret"])
        _, (means, regret) = jax.lax.scan(step, (s, key), jnp.array([0, 1, 2, 0, 0, 1, 2, 2]))
        return means, regret

    means, regret = jax.jit(jax.vmap(play))(params, jax.random.split(jax.random.PRNGKey(0), 4))
    for i, mu in enumerate(mus):
        np.testing.assert_allclose(means[i], sequence_means(mu, np.array([2, 2, 2]), np.array([0, 1, 2, 0, 0, 1, 2, 2])))
        # the dp benchmark sums to OPT_T, so summed regret = OPT_T - reward of the sequence
        assert float(regret[i].sum()) == pytest.approx(brute_force(mu, 8)[0] - float(means[i].sum()), abs=1e-9)


def test_gaussian_rewards_have_the_right_mean():
    mu = np.array([[0.2, 0.2, 0.8, 0.8], [0.5, 0.5, 0.5, 0.5]])
    params = make_params(mu, horizon=4, benchmark="none", noise="gaussian", sigma=0.5)
    env = LSDBandit(params)
    _, s = env.reset(jax.random.PRNGKey(0), params)
    keys = jax.random.split(jax.random.PRNGKey(1), 4000)
    rewards = jax.jit(jax.vmap(lambda k: env.step(k, s, 0, params)[2]))(keys)
    assert abs(float(rewards.mean()) - 0.8) < 4 * 0.5 / np.sqrt(4000)


def test_padding_m_is_exact():
    rng = np.random.default_rng(4)
    for _ in range(10):
        mu = random_general(rng, 2, 2)
        actions = rng.integers(0, 2, size=30)
        init = np.array([2, -1])
        np.testing.assert_allclose(sequence_means(pad_states(mu, 5), pad_state(init, 2, 5), actions),
                                   sequence_means(mu, init, actions))


# ---- spec test 11: monotonicity validators --------------------------------------------------
def test_monotone_validators_and_planner_refusal():
    rows = monotone_validator(full=False)
    assert all(row.ok for row in rows), [r for r in rows if not r.ok]
    assert is_monotone(random_monotone(np.random.default_rng(0), 3, 4))
    assert not is_monotone(laforgue_experiment1().mu)            # the spike breaks monotonicity
