"""The cascading MDP simulator, its exact model and input validation (spec §1, T6)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.cascading.statistics import add_feedback, examined_mask, zero_item_stats
from envs.cascading import (CascadingMDP, CascadingState, SyntheticCascadingConfig, cascading_params,
                            random_cascading_model, random_cascading_model_np)
from rlkit.cascading import ItemListSpace, make_cascading_model
from rlkit.config import ConfigError


@pytest.fixture(scope="module")
def model():
    return random_cascading_model_np(7, S=3, N=4, m=3, H=2)


def test_simulator_semantics(model):
    """T6: from a fixed (s, A), click positions follow prod_{j<i}(1 - q) q, no click pays 0 and
    moves by p(.|s, a_bot); the click position defines the observed prefix."""
    env = CascadingMDP()
    params = cascading_params(model)
    s, A = 1, jnp.array([2, 0, 3], jnp.int32)
    state = CascadingState(jnp.int32(s), jnp.int32(0))
    n = 50_000
    step = jax.jit(jax.vmap(lambda k: env.step_env(k, state, A, params)))
    obs, _, reward, _, info = jax.device_get(step(jax.random.split(jax.random.PRNGKey(1), n)))
    q = np.asarray(model.q)[s, np.asarray(A)]
    expected = [np.prod(1 - q[:i]) * q[i] for i in range(3)] + [np.prod(1 - q)]
    pos = info["click_pos"]
    observed = [np.mean(pos == i) for i in range(3)] + [np.mean(pos == -1)]
    for p_hat, p in zip(observed, expected):
        assert abs(p_hat - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-9
    none = pos == -1
    assert np.all(reward[none] == 0.0) and np.all(info["clicked_item"][none] == model.N)
    clicked = ~none
    r = np.asarray(model.r)[s, info["clicked_item"][clicked]]
    np.testing.assert_allclose(reward[clicked], r)
    next_none = np.bincount(obs[none, 1], minlength=model.S) / none.sum()
    p_bot = np.asarray(model.P)[s, model.N]
    assert np.all(np.abs(next_none - p_bot) < 5 * np.sqrt(p_bot * (1 - p_bot) / none.sum()) + 1e-9)
    # observed prefix: examined items = positions up to the click (all when no click)
    seen = np.asarray(examined_mask(jnp.broadcast_to(A, (n, 3)), jnp.asarray(pos)))
    np.testing.assert_array_equal(seen.sum(1), np.where(none, 3, pos + 1))


def test_item_statistics_from_feedback():
    """Per-item counts: examined up to the click, one click, transition of the clicked item or a_bot."""
    stats = zero_item_stats(2, 4)
    s = jnp.array([0, 0, 1])
    action = jnp.array([[3, 1, 2], [0, 2, -1], [1, -1, -1]])
    click_pos = jnp.array([1, -1, 0])
    clicked = jnp.array([1, 4, 1])          # item 1, no click (a_bot = N = 4), item 1
    stats = jax.jit(add_feedback)(stats, s, action, click_pos, clicked, jnp.array([0.5, 0.0, 0.7]),
                                  jnp.array([1, 1, 0]))
    np.testing.assert_array_equal(stats.examined, [[1, 1, 1, 1], [0, 1, 0, 0]])
    np.testing.assert_array_equal(stats.clicks, [[0, 1, 0, 0], [0, 1, 0, 0]])
    n = np.asarray(stats.transitions.n[0])
    assert n[0, 1] == 1 and n[0, 4] == 1 and n[1, 1] == 1 and n.sum() == 3
    assert float(stats.transitions.r_sum[0, 1, 1]) == pytest.approx(0.7)


def test_episode_terminates_after_H_steps(model):
    env = CascadingMDP(model)
    params = env.default_params()
    action = jnp.array([0, 1, -1], jnp.int32)

    @jax.jit
    def run(key):
        obs, state = env.reset(key, params)

        def step(state, k):
            obs, state, _, terminated, _, info = env.step(k, state, action, params)
            return state, (terminated, obs[0], info["final_observation"][0])

        return jax.lax.scan(step, state, jax.random.split(key, 2 * model.H))[1]

    terminated, h_after_reset, h_final = jax.device_get(run(jax.random.PRNGKey(0)))
    assert terminated.tolist() == [False, True] * model.H
    assert h_after_reset.tolist() == [1, 0] * model.H and h_final.tolist() == [1, 2] * model.H


def test_spec_and_action_space(model):
    spec = CascadingMDP().spec(cascading_params(model, rewards_known=False))
    assert spec.sizes == {"H": 2, "S": 3, "N": 4, "m": 3} and "r" not in spec.known
    space = spec.action_space
    assert isinstance(space, ItemListSpace)
    contains = jax.jit(jax.vmap(space.contains))
    bad = [[1, 1, -1], [-1, 0, 1], [0, 4, -1], [-1, -1, -1], [0, -1, 2]]
    assert not bool(jnp.any(contains(jnp.array(bad))))
    assert bool(jnp.all(contains(jnp.array([[3, -1, -1], [0, 2, 1]]))))


@pytest.mark.slow
def test_action_space_samples_are_valid(model):
    space = ItemListSpace(model.N, model.m)
    samples = jax.jit(jax.vmap(space.sample))(jax.random.split(jax.random.PRNGKey(0), 200))
    assert bool(jnp.all(jax.jit(jax.vmap(space.contains))(samples)))
    assert set(np.asarray((samples >= 0).sum(1)).tolist()) == {1, 2, 3}


@pytest.mark.slow
def test_jax_and_numpy_generators_draw_valid_models():
    m_jax = random_cascading_model(jax.random.PRNGKey(0), S=2, N=3, m=2, H=2)
    for m in (m_jax, random_cascading_model_np(0, S=2, N=3, m=2, H=2)):
        assert np.allclose(np.asarray(m.P).sum(-1), 1.0)
        assert np.all((np.asarray(m.q) >= 0.05) & (np.asarray(m.q) <= 0.6))


@pytest.mark.parametrize("kwargs,match", [
    ({"m": 5}, "m = 5 exceeds|1 <= m <= N"),
    ({"q": np.full((2, 3), 1.2)}, r"attraction probability q must lie in \[0, 1\]"),
    ({"q": np.full((2, 3), -0.1)}, r"attraction probability q must lie in \[0, 1\]"),
    ({"r": np.full((2, 3), 2.0)}, r"reward r must lie in \[0, 1\]"),
    ({"P": np.full((2, 4, 2), 0.3)}, "must sum to 1"),
    ({"P": np.full((2, 3, 2), 0.5)}, r"shape \[S, N \+ 1, S\]"),
    ({"H": 0}, "horizon H"),
])
def test_bad_model_raises_config_error(kwargs, match):
    base = {"q": np.full((2, 3), 0.5), "r": np.full((2, 3), 0.5), "P": np.full((2, 4, 2), 0.5),
            "H": 2, "m": 2}
    base.update(kwargs)
    with pytest.raises(ConfigError, match=match):
        make_cascading_model(**base)


@pytest.mark.parametrize("kwargs,match", [
    ({"m": 6, "N": 5}, "m = 6 exceeds the number of items N = 5"),
    ({"q_high": 1.5}, "probabilities"),
    ({"q_low": -0.2}, "probabilities"),
    ({"S": 0}, "S must be an integer >= 1"),
])
def test_bad_env_config_raises(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        SyntheticCascadingConfig(**kwargs).validate()
