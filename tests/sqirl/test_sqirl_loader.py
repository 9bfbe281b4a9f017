"""BRIDGE loader, validation, sticky model and gridworld enumeration (sqirl spec §7.1, §7.5, §7.11)."""
from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import envs.bridge as bridge
from rlkit.config import ConfigError
from rlkit.tabular import value_iteration
from theory_checks import sqirl_reference as reference

SHAPES = {"freeway_10_fs30": ((198, 3), 10), "maze_easy_l0_30_fs1": ((244, 9), 30)}
SHA = {"freeway_10_fs30": ("b95388f3fe189854", "8b6e0ff2f5a97f3c"),
       "maze_easy_l0_30_fs1": ("bbad524a47e42483", "f8cb5166d4d2ed9c")}


@pytest.fixture
def bridge_dir(fixtures_dir):
    path = fixtures_dir / "bridge"
    if not path.is_dir():
        pytest.skip(f"BRIDGE fixtures not found at {path}")
    return path


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_load_shapes_terminal_and_hashes(bridge_dir, name):
    mdp = bridge.load_bridge(bridge_dir / name / "mdp.npz")
    shape, horizon = SHAPES[name]
    assert mdp.transitions.shape == shape and mdp.rewards.shape == shape
    assert mdp.horizon == horizon and mdp.name == name
    term = mdp.terminal
    assert np.all(mdp.transitions[term] == term) and np.all(mdp.rewards[term] == 0)
    assert mdp.rewards.dtype == np.float64
    transitions, rewards = bridge.read_npz(bridge_dir / name / "mdp.npz")
    assert bridge.array_sha256(transitions, "<i8").startswith(SHA[name][0])
    assert bridge.array_sha256(rewards, "<f4").startswith(SHA[name][1])


def _write(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_malformed_files_name_array_and_index(tmp_path):
    good_t = np.array([[1, -1], [-1, 0]], np.int64)
    good_r = np.zeros((2, 2), np.float32)
    with pytest.raises(ConfigError, match="missing array 'rewards'"):
        bridge.load_bridge(_write(tmp_path / "a_5_fs1.npz", transitions=good_t), 5)
    with pytest.raises(ConfigError, match="'transitions' must have an integer dtype.*float64"):
        bridge.load_bridge(_write(tmp_path / "b.npz", transitions=good_t.astype(float), rewards=good_r), 5)
    with pytest.raises(ConfigError, match="'rewards' must have a floating dtype"):
        bridge.load_bridge(_write(tmp_path / "c.npz", transitions=good_t, rewards=good_t), 5)
    bad = good_t.copy()
    bad[1, 1] = 7
    with pytest.raises(ConfigError, match=r"transitions\[1, 1\] = 7 is not a state.*-1 \(terminal\) and 0..1"):
        bridge.load_bridge(_write(tmp_path / "d.npz", transitions=bad, rewards=good_r), 5)
    nan = good_r.copy()
    nan[0, 1] = np.nan
    with pytest.raises(ConfigError, match=r"rewards\[0, 1\] = nan is not finite"):
        bridge.load_bridge(_write(tmp_path / "e.npz", transitions=good_t, rewards=nan), 5)
    with pytest.raises(ConfigError, match="shape of 'transitions'"):
        bridge.load_bridge(_write(tmp_path / "f.npz", transitions=good_t, rewards=good_r[:1]), 5)
    (tmp_path / "g.npz").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="not a readable .npz"):
        bridge.load_bridge(tmp_path / "g.npz", 5)
    with pytest.raises(ConfigError, match="horizon is not stored"):
        bridge.load_bridge(_write(tmp_path / "noname.npz", transitions=good_t, rewards=good_r))


def test_cli_rejects_bad_file(tmp_path, capsys):
    from rlkit.cli import main
    path = _write(tmp_path / "x_3_fs1.npz", transitions=np.array([[5]]), rewards=np.zeros((1, 1), np.float32))
    assert main(["analyze-mdp", str(path)]) == 2
    assert "transitions[0, 0] = 5" in capsys.readouterr().err


def test_horizon_from_name_and_roundtrip(tmp_path):
    assert bridge.horizon_from_name("pong_50_fs30") == 50
    assert bridge.horizon_from_name("maze_easy_l0_30_fs1") == 30
    assert bridge.horizon_from_name("MiniGrid-Empty-5x5-v0") == 100
    assert bridge.horizon_from_name("custom") is None
    mdp = bridge.lock(4, 2, 0.3)
    again = bridge.load_bridge(bridge.save_bridge(tmp_path / "lock_4_fs1.npz", mdp))
    assert np.array_equal(again.transitions, mdp.transitions)
    assert np.allclose(again.rewards, mdp.rewards)


def test_sparse_model_matches_dense_value_iteration(sticky=0.25):
    """The sparse backups (two outcomes, a special first step) agree with rlkit.tabular's dense
    value iteration, an exact oracle."""
    from rlkit.tabular import policy_value
    model = bridge.bridge_params(bridge.gridworld("empty-5"), sticky).model

    @jax.jit
    def both(model):
        dense = model.to_tabular()
        uniform = model.uniform_policy()
        return (model.optimal_values().V[:-1], value_iteration(dense).V[:-1],
                model.policy_value(uniform), policy_value(dense, uniform))

    sparse_v, dense_v, sparse_rand, dense_rand = both(model)
    assert np.allclose(sparse_v, dense_v, atol=1e-12)
    assert np.isclose(sparse_rand, dense_rand, atol=1e-12)


def test_sticky_env_simulation_matches_model():
    """2e5 random episodes of the simulated sticky env (first step never sticky, the executed
    action remembered) have the model's random return 0.0318095 within 0.002 (spec §7.5)."""
    mdp = bridge.resolve("freeway_10_fs30")
    env = bridge.BridgeEnv(mdp, 0.25)
    params = bridge.bridge_params(mdp, 0.25)
    n, H = 200_000, mdp.horizon

    @jax.jit
    def mean_return(key):
        k_act, k_env = jax.random.split(key)
        actions = jax.random.randint(k_act, (H, n), 0, 3)
        step_keys = jax.random.split(k_env, H * n).reshape(H, n, -1)
        _, state = jax.vmap(env.reset_env, in_axes=(0, None))(jax.random.split(key, n), params)

        def step(state, xs):
            keys, action = xs
            _, state, reward, _, _ = jax.vmap(env.step_env, in_axes=(0, 0, 0, None))(keys, state, action, params)
            return state, reward

        return jax.lax.scan(step, state, (step_keys, actions))[1].sum(0).mean()

    returns_mean = float(mean_return(jax.random.PRNGKey(0)))
    expected = float(params.model.policy_value(params.model.uniform_policy()))
    assert abs(expected - 0.031809488932291664) < 1e-12
    assert abs(returns_mean - expected) < 0.002
    # the deterministic model's random return differs (stickiness matters)
    assert abs(returns_mean - 0.009026401801893343) > 0.01


def test_one_hot_wrapper_and_observation_table():
    mdp = bridge.lock(4, 2, 0.3)
    env = bridge.OneHotObservation(bridge.BridgeEnv(mdp, 0.25, observe_prev_action=False))
    params = env.default_params()
    spec = env.spec(params)

    @jax.jit
    def run(params):
        obs, state = env.reset(jax.random.PRNGKey(0), params)
        _, _, _, _, _, info = env.step(jax.random.PRNGKey(1), state, 0, params)
        return obs, env.spec(params).model.observation_table(), info["final_observation"]

    obs, table, final = run(params)
    assert obs.shape == spec.observation_space.shape == (4 + 5,) and obs.dtype == jnp.float32
    assert table.shape == (4, 5, 9)
    assert np.array_equal(table[0, 0], obs)
    assert final.shape == (9,)


@pytest.mark.parametrize("name", sorted(bridge.LAYOUTS))
def test_gridworld_enumeration(name):
    mdp = bridge.gridworld(name)
    assert set(np.unique(mdp.rewards)) <= {0.0, 1.0}
    assert mdp.num_actions == (6 if "key" in name else 3)
    assert mdp.transitions.max() == mdp.terminal
    _, q_star, _ = reference.values(reference.model_arrays(mdp.model()))
    assert q_star[0, 0].max() == 1.0   # the goal is reachable within the horizon


def test_minigrid_enumeration_matches_own_empty_world():
    if not bridge.minigrid_available():
        pytest.skip("optional package minigrid is not installed")
    mdp = bridge.minigrid_mdp("MiniGrid-Empty-5x5-v0", horizon=10)
    own = bridge.gridworld("empty-5")
    assert mdp.num_actions == 3 and set(np.unique(mdp.rewards)) <= {0.0, 1.0}
    assert mdp.transitions.shape == own.transitions.shape
    for m in (mdp, own):
        assert reference.values(reference.model_arrays(m.model()))[1][0, 0].max() == 1.0
    # the full analysis pipeline at MiniGrid's horizon H = 100 (spec §7.11), on the package's world
    full = bridge.minigrid_mdp("MiniGrid-Empty-5x5-v0")
    out = reference.analyze(reference.model_arrays(full.model()), False)
    assert full.horizon == 100 and out["min_k"] == 1 and out["optimal_return"] == 1.0
    assert 1 <= out["effective_horizon"] <= 100


def test_sources_and_config_errors():
    with pytest.raises(ConfigError, match="lock:d:A:c"):
        bridge.resolve("lock:4:2")
    with pytest.raises(ConfigError, match="unknown gridworld"):
        bridge.resolve("grid:nope")
    with pytest.raises(ConfigError, match="sticky must be"):
        bridge.bridge_params(bridge.lock(3, 2, 0.1), 1.5)
    with pytest.raises(ConfigError, match="lock"):
        bridge.lock(1, 2, 0.1)
    assert json.loads(json.dumps(bridge.BridgeConfig().__dict__))["source"] == "freeway_10_fs30"
