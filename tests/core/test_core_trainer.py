"""The trainer: determinism, vmap equivalence, chunking, no retracing, episode statistics."""
from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rlkit
from agents.ucbvi import UCBVIParams
from envs.cartpole import CartPole
from rlkit import tabular
from rlkit.batch import seed_keys
from rlkit.testing import assert_same_run

CFG = rlkit.TrainConfig(num_iterations=40, num_envs=2, rollout_len=3)


@pytest.fixture(scope="module")
def setup():
    env = tabular.TabularMDP()
    params = tabular.tabular_params(tabular.random_mdp(jax.random.PRNGKey(0), 4, 3, 3))
    hp = UCBVIParams(bonus_scale=0.3)
    trainer = rlkit.make_train(env, hp.make_agent(), CFG)
    return env, params, hp, trainer


def test_same_key_gives_bit_identical_metrics(setup):
    env, params, hp, trainer = setup
    train = jax.jit(trainer)
    a = train(jax.random.PRNGKey(7), hp, params).metrics
    b = train(jax.random.PRNGKey(7), hp, params).metrics
    c = train(jax.random.PRNGKey(8), hp, params).metrics
    for k in a:
        np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]))
    assert not np.array_equal(np.asarray(a["return"]), np.asarray(c["return"]))


def test_vmapped_run_equals_seeds_one_by_one(setup):
    env, params, hp, trainer = setup
    keys = seed_keys(0, 3)
    batched = jax.jit(jax.vmap(trainer, in_axes=(0, None, None)))(keys, hp, params).metrics
    single = jax.jit(trainer)
    for i in range(3):
        one = single(keys[i], hp, params).metrics
        assert_same_run({k: v[i] for k, v in batched.items()}, one)


def test_chunks_back_to_back_equal_one_call(setup):
    env, params, hp, trainer = setup
    key = jax.random.PRNGKey(3)
    whole = jax.jit(trainer)(key, hp, params).metrics
    runner = trainer.init(key, hp, params)
    chunk = jax.jit(trainer.run_chunk, static_argnums=3)
    parts = []
    for n in (15, 15, 10):
        runner, m = chunk(runner, hp, params, n)
        parts.append(m)
    for k in whole:
        np.testing.assert_array_equal(np.asarray(whole[k]), np.concatenate([np.asarray(p[k]) for p in parts]))


def test_chunk_function_traces_once(setup):
    env, params, hp, trainer = setup

    @jax.jit
    @chex.assert_max_traces(n=1)
    def chunk(runner, hp, params):
        return trainer.run_chunk(runner, hp, params, 5)

    runner = trainer.init(jax.random.PRNGKey(0), hp, params)
    for _ in range(4):
        runner, _ = chunk(runner, hp, params)
    # a different float hyper-parameter value is a new leaf value, not a new trace
    chunk(runner, UCBVIParams(bonus_scale=0.9), params)


def test_metrics_per_iteration_and_exact_regret(setup):
    env, params, hp, trainer = setup
    out = jax.jit(trainer)(jax.random.PRNGKey(1), hp, params)
    m = out.metrics
    assert set(m) >= {"return", "episodes", "value", "regret"}
    assert m["regret"].shape == (CFG.num_iterations,)
    vstar = params.model.optimal_value()
    np.testing.assert_allclose(np.asarray(m["regret"]), float(vstar) - np.asarray(m["value"]), atol=1e-12)
    assert np.all(np.asarray(m["regret"]) >= -1e-9)            # no policy beats V*
    assert np.all(np.asarray(m["episodes"]) == CFG.num_envs)   # rollout_len = H: one episode per env


def test_episode_statistics_on_truncation_and_termination():
    """CartPole: truncation at the time limit; the returned episode return equals its length."""
    env = CartPole()
    params = env.default_params().replace(max_steps_in_episode=20)
    wrapped = rlkit.EpisodeStatistics(env)
    obs, state = wrapped.reset(jax.random.PRNGKey(0), params)
    step = jax.jit(wrapped.step)
    truncated_seen = False
    for t in range(25):
        obs, state, r, term, trunc, info = step(jax.random.PRNGKey(t), state, jnp.int32(t % 2), params)
        if bool(trunc):
            truncated_seen = True
            assert not bool(term)
            assert int(info["episode_length"]) == 20
            assert float(info["episode_return"]) == 20.0
            # auto-reset: the returned obs is a fresh start, the final one is in info
            assert not np.allclose(np.asarray(obs), np.asarray(info["final_observation"]))
    assert truncated_seen


def test_trajectory_next_obs_is_pre_reset_observation(setup):
    env, params, hp, trainer = setup
    agent = hp.make_agent()
    runner = trainer.init(jax.random.PRNGKey(0), hp, params)
    _, _, _, traj = rlkit.rollout(trainer.env, agent, params, hp, runner.agent_state, runner.env_state,
                                  runner.obs, runner.carry, jax.random.PRNGKey(1), 6)
    h_next = np.asarray(traj.next_obs[..., 0])
    # every step's next_obs has h+1; at the end of an episode that is H = 3 (never a reset obs)
    np.testing.assert_array_equal(h_next, np.asarray(traj.obs[..., 0]) + 1)
    np.testing.assert_array_equal(np.asarray(traj.terminated), h_next == 3)


def test_batched_chunks_compile_once_per_length():
    """The state a chunk returns feeds the next chunk without a recompile (pinned shardings)."""
    from envs.tabular import RandomMDPConfig
    from rlkit.batch import BatchedTrainer
    batch = BatchedTrainer(RandomMDPConfig(S=3, A=2, H=2, instance_seed=1), [UCBVIParams()],
                           rlkit.TrainConfig(num_iterations=9, rollout_len=2), seeds=2)
    runner = batch.init()
    fn = batch.chunk_fn(3)
    for _ in range(3):
        runner, _ = fn(runner, batch.hp, batch.env_params)
    assert fn._cache_size() == 1
