"""Import gymnasium's toy-text envs (FrozenLake, CliffWalking, Taxi) as exact tabular models.

The transition tables ``env.unwrapped.P[s][a] = [(prob, next_state, reward, terminated), ...]``
become a stationary kernel and expected rewards over a finite horizon ``H`` (the gymnasium
episode truncated at ``H`` steps). Every transition that terminates is redirected to one extra
absorbing, zero-reward state (index ``S``), so values equal those of the gymnasium episode.
"""
from __future__ import annotations

import gymnasium
import numpy as np

from rlkit.config import ConfigError
from rlkit.tabular.model import TabularModel, check_model, make_model

TOY_TEXT = ("FrozenLake-v1", "FrozenLake8x8-v1", "CliffWalking-v1", "Taxi-v4")


def tables_from_gymnasium(env: gymnasium.Env) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(P[S+1, A, S+1], r[S+1, A], mu[S+1])`` from a discrete gymnasium env with a ``P`` table."""
    base = env.unwrapped
    table = getattr(base, "P", None)
    if not isinstance(table, dict):
        raise ConfigError(f"{type(base).__name__} has no transition table P (a dict "
                          f"P[s][a] = [(prob, next_state, reward, terminated)]); toy-text envs do")
    S = env.observation_space.n
    A = env.action_space.n
    absorbing = S
    P = np.zeros((S + 1, A, S + 1))
    r = np.zeros((S + 1, A))
    for s in range(S):
        for a in range(A):
            for prob, s_next, reward, terminated in table[s][a]:
                P[s, a, absorbing if terminated else s_next] += prob
                r[s, a] += prob * reward
    P[absorbing, :, absorbing] = 1.0
    mu = np.zeros(S + 1)
    mu[:S] = np.asarray(base.initial_state_distrib, np.float64)
    return P, r, mu


def from_gymnasium(env_id: str | gymnasium.Env, H: int, **make_kwargs) -> TabularModel:
    """A :class:`TabularModel` with horizon ``H`` for a toy-text env (an id or an instance)."""
    if H < 1:
        raise ConfigError(f"horizon H must be >= 1, got {H}")
    env = gymnasium.make(env_id, **make_kwargs) if isinstance(env_id, str) else env_id
    P, r, mu = tables_from_gymnasium(env)
    r_h = np.broadcast_to(r, (H,) + r.shape)
    check_model(P[None], r_h, mu)
    return make_model(P[None], r_h, mu=mu)
