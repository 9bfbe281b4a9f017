"""The LSD bandit environment (spec §1.2): a pure-JAX :class:`rlkit.Env` with pytree params.

One episode is one bandit game of ``T = params.max_steps_in_episode`` rounds. The observation is
``{"state": tau[k], "round": t}``: the joint state is a deterministic function of the learner's
own past actions, so it is observed (spec §1.2); the round lets horizon-aware agents plan.

``params`` (:class:`LSDParams`) hold the payoff table, the initial state, the horizon and the
per-round expected rewards of the benchmark plan, so many instances run in one ``vmap``. Each step
reports in ``info`` (declared in ``spec.metric_keys``, summed by the trainer):

- ``expected_reward``: ``mu_a(tau_a)``, the pseudo-reward of the action played;
- ``regret``: ``benchmark[t] - mu_a(tau_a)``. With the exact-DP benchmark (an optimal plan for
  the horizon), the sum over an episode is ``OPT_T - sum_t mu_{a_t}(tau_{a_t}(t))``: the
  pseudo-regret against the full-information optimum, on exact expected values.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit import spaces
from rlkit.config import ConfigError
from rlkit.env import Env, EnvSpec
from rlkit.lsd import (check_init_state, check_mu, optimal_plan, policy_table, reachable_graph,
                       recharging_mu, rested_state, rollout_means, state_index, state_rewards,
                       transition)

NOISE = ("bernoulli", "gaussian")


@struct.dataclass
class LSDParams:
    """An LSD instance (a pytree: stack several to vmap over instances).

    Attributes:
      mu: ``[k, 2m]`` mean payoffs, layout of :func:`rlkit.lsd.state_index`.
      init_state: ``[k]`` int32 initial joint state.
      max_steps_in_episode: horizon ``T`` (int32 scalar leaf, so runs of several horizons vmap).
      benchmark: ``[T_max]`` per-round expected rewards of the benchmark plan (zeros: none).
      sigma: Gaussian noise scale (unused for Bernoulli rewards).
      noise: ``"bernoulli"`` (spec §1.2, the experiments of Laforgue et al.) or ``"gaussian"``.
      full_information: reveal ``mu`` in ``spec.known`` (the planning setting of spec §1.5).
    """

    mu: jax.Array
    init_state: jax.Array
    max_steps_in_episode: jax.Array
    benchmark: jax.Array
    sigma: jax.Array
    noise: str = struct.field(pytree_node=False, default="bernoulli")
    full_information: bool = struct.field(pytree_node=False, default=False)

    @property
    def k(self) -> int:
        return self.mu.shape[-2]

    @property
    def m(self) -> int:
        return self.mu.shape[-1] // 2

    @property
    def max_horizon(self) -> int:
        return self.benchmark.shape[-1]


@struct.dataclass
class LSDState:
    tau: jax.Array   # [k] int32
    time: jax.Array  # rounds played in this episode


def dp_benchmark(mu: np.ndarray, init_state: np.ndarray, horizon: int) -> np.ndarray:
    """Per-round expected rewards of an exact optimal plan for ``horizon`` rounds (spec §5.1)."""
    graph = reachable_graph(mu.shape[0], mu.shape[1] // 2, init_state)
    rew = state_rewards(jnp.asarray(mu), graph.layout)
    pol = policy_table(rew, graph.nxt, horizon)
    plan = optimal_plan(pol, graph.nxt, graph.start, horizon)
    return np.asarray(rollout_means(jnp.asarray(mu), jnp.asarray(init_state), plan), np.float64)


def make_params(mu: Any, init_state: Any = None, horizon: int = 1000, benchmark: Any = "dp",
                noise: str = "bernoulli", sigma: float = 0.1, full_information: bool = False,
                max_horizon: int | None = None) -> LSDParams:
    """Validated :class:`LSDParams` (raises :class:`ConfigError` naming a bad input).

    Args:
      mu: ``[k, 2m]`` payoffs in ``[0, 1]``.
      init_state: ``[k]`` states in ``{-m..-1, +1..+m}``; default every arm rested at ``+m``
        (spec §1.2 [design]).
      horizon: ``T`` rounds per episode.
      benchmark: ``"dp"`` (exact optimal plan), ``"none"`` (zeros) or per-round rewards ``[T]``.
      max_horizon: pad the benchmark to this length (runs of several horizons in one vmap).
    """
    mu = check_mu(mu)
    k, m = mu.shape[0], mu.shape[1] // 2
    init = rested_state(k, m) if init_state is None else check_init_state(init_state, k, m)
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ConfigError(f"horizon must be an integer >= 1, got {horizon!r}")
    if noise not in NOISE:
        raise ConfigError(f"noise must be one of {list(NOISE)}, got {noise!r}")
    if not sigma >= 0:
        raise ConfigError(f"sigma must be >= 0, got {sigma}")
    max_horizon = int(horizon if max_horizon is None else max_horizon)
    if max_horizon < horizon:
        raise ConfigError(f"max_horizon ({max_horizon}) must be >= horizon ({horizon})")
    if isinstance(benchmark, str):
        if benchmark == "dp":
            bench = dp_benchmark(mu, init, int(horizon))
        elif benchmark == "none":
            bench = np.zeros(int(horizon))
        else:
            raise ConfigError(f"benchmark must be 'dp', 'none' or an array of per-round rewards, "
                              f"got {benchmark!r}")
    else:
        bench = np.asarray(benchmark, np.float64)
        if bench.ndim != 1 or bench.shape[0] < horizon:
            raise ConfigError(f"benchmark rewards must be a vector of length >= horizon = {horizon}, "
                              f"got shape {bench.shape}")
        bench = bench[:horizon]
    bench = np.concatenate([bench, np.zeros(max_horizon - bench.shape[0])])
    return LSDParams(jnp.asarray(mu), jnp.asarray(init, jnp.int32), jnp.int32(horizon),
                     jnp.asarray(bench, jnp.float64), jnp.float64(sigma), noise, bool(full_information))


def recharging_params(r: Any, init_delay: Any = None, **kwargs) -> LSDParams:
    """The recharging / delay-dependent special case (spec §1.3) as LSD params.

    ``r[k, delta_max]``: mean payoff of each arm at delay ``1..delta_max``; ``init_delay``: each
    arm's initial delay (default ``delta_max``, fully recharged; Laforgue et al. use 1).
    """
    from rlkit.lsd import delay_state
    mu = recharging_mu(r)
    k, m = mu.shape[0], mu.shape[1] // 2
    delays = np.full((k,), m + 1) if init_delay is None else np.broadcast_to(np.asarray(init_delay), (k,))
    init = delay_state(np.minimum(delays, m + 1))
    return make_params(mu, init, **kwargs)


class LSDBandit(Env):
    """The LSD bandit (see the module docstring); ``params`` default to a small fixed instance."""

    def __init__(self, params: LSDParams | None = None):
        self._params = params

    def default_params(self) -> LSDParams:
        if self._params is None:
            from envs.lsd.instances import random_monotone
            self._params = make_params(random_monotone(np.random.default_rng(0), 3, 3), horizon=100)
        return self._params

    def _obs(self, state: LSDState) -> dict:
        return {"state": state.tau, "round": state.time}

    def reset_env(self, key, params: LSDParams):
        state = LSDState(params.init_state.astype(jnp.int32), jnp.int32(0))
        return self._obs(state), state

    def step_env(self, key, state: LSDState, action, params: LSDParams):
        m = params.m
        action = jnp.asarray(action, jnp.int32)
        mean = params.mu[action, state_index(state.tau[action], m)]
        if params.noise == "bernoulli":
            reward = (jax.random.uniform(key, (), jnp.float64) < mean).astype(jnp.float64)
        else:
            reward = mean + params.sigma * jax.random.normal(key, (), jnp.float64)
        bench = params.benchmark[jnp.minimum(state.time, params.max_horizon - 1)]
        info = {"expected_reward": mean, "regret": bench - mean}
        next_state = LSDState(transition(state.tau, action, m), state.time + 1)
        return self._obs(next_state), next_state, reward, jnp.asarray(False), info

    def spec(self, params: LSDParams) -> EnvSpec:
        k, m, T = params.k, params.m, params.max_horizon
        obs_space = spaces.Dict({"state": spaces.Box(-m, m, (k,), jnp.int32),
                                 "round": spaces.Discrete(T + 1)})
        known = {"horizon": params.max_steps_in_episode, "init_state": params.init_state}
        if params.full_information:
            known["mu"] = params.mu
        return EnvSpec(obs_space, spaces.Discrete(k), horizon=None, sizes={"k": k, "m": m, "T_max": T},
                       metric_keys=("expected_reward", "regret"), known=known)
