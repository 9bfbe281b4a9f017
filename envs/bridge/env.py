"""A BRIDGE MDP as an rlkit env, with optional sticky actions, and a one-hot observation wrapper.

:class:`BridgeEnv` simulates the deterministic BRIDGE MDP directly (state ``u``, step ``h``, last
executed action) with the upstream ``StickyActionsWrapper`` semantics: from the second step on,
with probability ``p`` the previous executed action is executed instead of the intended one, and
the executed action is remembered (sqirl spec §3.5). Its exact model (``spec.model``) is the
augmented :func:`envs.bridge.sticky.sticky_mdp` (or the plain deterministic model when
``p = 0``), so the simulator and the model are independent implementations of the same process.

Episodes last exactly ``H`` steps: once the absorbing terminal state is reached the episode
continues there with zero reward ([design]: fixed-length episodes keep rollouts aligned with
episodes; ``info["env_steps"]`` counts only the steps taken before the terminal, the sample cost
that upstream counts). Observations are ``[h, index]`` (int32), ``index`` being the model's
observation index: the augmented state ``u * A + prev`` when ``observe_prev_action`` (the tabular
reference of spec §1.4), else ``u`` (upstream: observations omit the previous action).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
from flax import struct

from envs.bridge.loader import BridgeMDP
from envs.bridge.sticky import augmented_index, sticky_mdp
from rlkit import spaces
from rlkit.config import ConfigError
from rlkit.env import Env, EnvSpec
from rlkit.sparse_mdp import SparseMDP
from rlkit.wrappers import Wrapper


@struct.dataclass
class BridgeParams:
    transitions: jax.Array   # int32 [S, A], terminal appended
    rewards: jax.Array       # float64 [S, A]
    terminal: jax.Array      # bool [S]
    sticky: jax.Array        # float64 probability p of repeating the previous executed action
    model: SparseMDP         # the exact model (augmented when sticky)
    augmented: bool = struct.field(pytree_node=False, default=False)


@struct.dataclass
class BridgeState:
    u: jax.Array       # underlying state
    prev: jax.Array    # last executed action (0 before the first step)
    h: jax.Array       # 0-based step


def bridge_params(mdp: BridgeMDP, sticky: float = 0.0, observe_prev_action: bool = True,
                  horizon: int | None = None) -> BridgeParams:
    """Params of :class:`BridgeEnv`; ``sticky = 0`` gives the deterministic MDP (model ``K = 1``)."""
    if not 0.0 <= float(sticky) < 1.0:
        raise ConfigError(f"sticky must be a probability in [0, 1), got {sticky}")
    base = mdp.model(horizon)
    augmented = float(sticky) > 0.0
    model = sticky_mdp(base, sticky, observe_prev_action) if augmented else base
    return BridgeParams(jnp.asarray(mdp.transitions, jnp.int32), jnp.asarray(mdp.rewards, jnp.float64),
                        base.terminal, jnp.asarray(sticky, jnp.float64), model, augmented)


class BridgeEnv(Env):
    """See the module docstring. ``default_mdp`` (with ``default_sticky``) gives default params."""

    def __init__(self, default_mdp: BridgeMDP | None = None, default_sticky: float = 0.0,
                 observe_prev_action: bool = True):
        self.default_mdp = default_mdp
        self.default_sticky = default_sticky
        self.observe_prev_action = observe_prev_action

    def default_params(self) -> BridgeParams:
        if self.default_mdp is None:
            raise ValueError("BridgeEnv() has no default MDP: pass params from bridge_params(mdp)")
        return bridge_params(self.default_mdp, self.default_sticky, self.observe_prev_action)

    def _index(self, u, prev, params: BridgeParams):
        state = augmented_index(u, prev, params.transitions.shape[1]) if params.augmented else u
        return params.model.observed_as[state]

    def reset_env(self, key, params: BridgeParams):
        state = BridgeState(jnp.int32(0), jnp.int32(0), jnp.int32(0))
        return params.model.observe(state.h, self._index(state.u, state.prev, params)), state

    def step_env(self, key, state: BridgeState, action, params: BridgeParams):
        action = jnp.asarray(action, jnp.int32)
        stuck = (state.h > 0) & (jax.random.uniform(key, (), jnp.float32) < params.sticky.astype(jnp.float32))
        executed = jnp.where(stuck, state.prev, action)
        reward = params.rewards[state.u, executed]
        u_next = params.transitions[state.u, executed]
        h_next = state.h + 1
        new_state = BridgeState(u_next, executed, h_next)
        obs = params.model.observe(h_next, self._index(u_next, executed, params))
        terminated = h_next >= params.model.horizon
        info = {"env_steps": (~params.terminal[state.u]).astype(jnp.int32), "executed": executed}
        return obs, new_state, reward, terminated, info

    def spec(self, params: BridgeParams) -> EnvSpec:
        model = params.model
        H, A = model.horizon, model.A
        return EnvSpec(
            observation_space=spaces.Box(0, max(H, model.num_obs), (2,), jnp.int32),
            action_space=spaces.Discrete(A),
            horizon=H,
            sizes={"H": H, "S": model.num_obs, "A": A},
            metric_keys=("env_steps",),
            model=model,
        )


@dataclass(frozen=True)
class OneHotEncoder:
    """``(h, index) -> concat(one_hot(h, H) if include_time, one_hot(index, S))`` float32.

    A frozen dataclass (hashable by value), so it can be a static field of a jitted model.
    """

    H: int
    S: int
    include_time: bool = True

    def __call__(self, h, index):
        parts = [jax.nn.one_hot(index, self.S, dtype=jnp.float32)]
        if self.include_time:
            parts.insert(0, jax.nn.one_hot(h, self.H, dtype=jnp.float32))
        return jnp.concatenate(parts, axis=-1)

    @property
    def size(self) -> int:
        return self.S + (self.H if self.include_time else 0)


class OneHotObservation(Wrapper):
    """Turns ``[h, index]`` observations into float32 one-hot vectors for network agents (PPO,
    DQN, deep SQIRL); the exact model's ``encode`` is replaced accordingly, so agents can evaluate
    their greedy policy exactly on ``model.observation_table()``."""

    def __init__(self, env: Env, include_time: bool = True):
        super().__init__(env)
        self.include_time = include_time

    def _encoder(self, params) -> OneHotEncoder:
        model = self.env.spec(params).model
        return OneHotEncoder(model.horizon, model.num_obs, self.include_time)

    def _convert(self, obs, params):
        return self._encoder(params)(obs[..., 0], obs[..., 1])

    def reset(self, key, params=None):
        params = self.default_params() if params is None else params
        obs, state = self.env.reset(key, params)
        return self._convert(obs, params), state

    def step(self, key, state, action, params=None):
        params = self.default_params() if params is None else params
        obs, state, reward, terminated, truncated, info = self.env.step(key, state, action, params)
        info = dict(info)
        if "final_observation" in info:
            info["final_observation"] = self._convert(info["final_observation"], params)
        return self._convert(obs, params), state, reward, terminated, truncated, info

    def exact_model(self, params):
        return self.spec(params).model

    def spec(self, params) -> EnvSpec:
        inner = self.env.spec(params)
        encoder = self._encoder(params)
        return EnvSpec(
            observation_space=spaces.Box(0.0, 1.0, (encoder.size,), jnp.float32),
            action_space=inner.action_space, horizon=inner.horizon, n_agents=inner.n_agents,
            sizes=inner.sizes, metric_keys=inner.metric_keys, known=inner.known,
            model=inner.model.replace(encode=encoder))
