"""The gymnasium bridge: the checker passes; the vector env auto-resets in the same step."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from envs.bandits import Bandit
from envs.cartpole import CartPole
from rlkit import tabular
from rlkit.gym_bridge import GymnasiumEnv, GymnasiumVectorEnv


@pytest.mark.parametrize("env", [CartPole(), tabular.TabularMDP(tabular.river_swim(5, 8)), Bandit()],
                         ids=["cartpole", "riverswim", "bandit"])
def test_gymnasium_env_checker_passes(env):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(GymnasiumEnv(env), skip_render_check=True)
    assert not [w for w in caught if "WARN" in str(w.message)], [str(w.message) for w in caught]


def test_vector_env_batches_and_autoresets():
    venv = GymnasiumVectorEnv(CartPole(), num_envs=16)
    obs, _ = venv.reset(seed=3)
    assert obs.shape == (16, 4) and obs.dtype == np.float32
    ended = np.zeros(16, bool)
    for _ in range(60):
        obs, reward, term, trunc, info = venv.step(np.ones(16, np.int64))   # always push right: falls
        done = term | trunc
        if done.any():
            # the returned obs is a fresh start; the final obs is in info
            assert np.all(np.abs(obs[done]) <= 0.05)
            assert np.all(np.abs(info["final_obs"][done][:, 2]) > 0.2)
        ended |= done
    assert ended.all()
