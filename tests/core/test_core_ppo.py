"""PPO pieces against numpy references, and the PPO agent learning CartPole."""
from __future__ import annotations

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rlkit
from agents.ppo import PPOParams
from envs.cartpole import CartPole, CartPoleConfig, CartPoleState
from rlkit import ppo
from rlkit.batch import BatchedTrainer


def numpy_gae(r, v, v_next, term, done, gamma, lam):
    T = len(r)
    adv = np.zeros(T)
    last = 0.0
    for t in reversed(range(T)):
        delta = r[t] + gamma * (1 - term[t]) * v_next[t] - v[t]
        last = delta + gamma * lam * (1 - done[t]) * last
        adv[t] = last
    return adv


def test_gae_matches_numpy_with_termination_and_truncation():
    rng = np.random.default_rng(0)
    T = 12
    r, v, v_next = rng.normal(size=T), rng.normal(size=T), rng.normal(size=T)
    term = np.zeros(T, bool)
    done = np.zeros(T, bool)
    term[3] = done[3] = True      # a true end: no bootstrap
    done[8] = True                # a time-limit truncation: bootstrap from v_next[8]
    adv, ret = ppo.gae(jnp.asarray(r), jnp.asarray(v), jnp.asarray(v_next), jnp.asarray(term),
                       jnp.asarray(done), 0.97, 0.9)
    ref = numpy_gae(r, v, v_next, term, done, 0.97, 0.9)
    np.testing.assert_allclose(np.asarray(adv), ref, atol=1e-12)
    np.testing.assert_allclose(np.asarray(ret), ref + v, atol=1e-12)
    # truncation bootstraps: the advantage at t=8 depends on v_next[8]; termination at t=3 does not
    assert ref[8] == pytest.approx(r[8] + 0.97 * v_next[8] - v[8])
    assert ref[3] == pytest.approx(r[3] - v[3])


def test_clipped_surrogate_and_normalize():
    logp_old = jnp.log(jnp.array([0.5, 0.5, 0.5]))
    logp = jnp.log(jnp.array([0.9, 0.1, 0.5]))
    adv = jnp.array([1.0, -1.0, 2.0])
    loss, ratio = ppo.clipped_surrogate(logp, logp_old, adv, 0.2)
    np.testing.assert_allclose(np.asarray(ratio), [1.8, 0.2, 1.0], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(loss), [-1.2, 0.8, -2.0], rtol=1e-12)
    x = ppo.normalize(jnp.array([1.0, 2.0, 3.0, 100.0]), mask=jnp.array([True, True, True, False]))
    np.testing.assert_allclose(float(x[:3].mean()), 0.0, atol=1e-12)
    np.testing.assert_allclose(float(x[:3].std()), 1.0, atol=1e-6)
    assert float(x[3]) == 0.0


def test_cartpole_steps_like_gymnasium():
    gym_env = gymnasium.make("CartPole-v1").unwrapped
    env = CartPole()
    params = env.default_params()
    step = jax.jit(env.step_env)
    rng = np.random.default_rng(1)
    for episode in range(5):
        gym_obs, _ = gym_env.reset(seed=episode)
        state = CartPoleState(*[jnp.float32(x) for x in gym_env.state], jnp.int32(0))
        for t in range(200):
            a = int(rng.integers(2))
            gym_obs, gym_r, gym_term, _, _ = gym_env.step(a)
            obs, state, r, term, _ = step(jax.random.PRNGKey(0), state, jnp.int32(a), params)
            np.testing.assert_allclose(np.asarray(obs), gym_obs, atol=1e-4)
            assert float(r) == gym_r and bool(term) == gym_term
            if gym_term:
                break


def test_ppo_learns_cartpole_and_frozen_control_does_not():
    """PPO reaches a mean return of 150 within 150 x 512 steps per seed; the control with a
    vanishing learning rate (same program, one vmapped batch) stays near random play."""
    batch = BatchedTrainer(CartPoleConfig(), [PPOParams(learning_rate=2.5e-3), PPOParams(learning_rate=1e-12)],
                           rlkit.TrainConfig(num_iterations=150, num_envs=4, rollout_len=128), seeds=3)
    _, metrics = batch.run_chunk(batch.init(), 150)
    learner, control = batch.split({k: np.asarray(v) for k, v in metrics.items()})
    assert learner["return"][:, -10:].mean() >= 150.0, learner["return"][:, -10:].mean(1)
    assert control["return"][:, -10:].mean() < 150.0, control["return"][:, -10:].mean(1)
    assert np.all(np.isfinite(learner["loss"]))
