"""CartPole-v1 in JAX, step-for-step equal to gymnasium's ``CartPole-v1`` (Barto, Sutton &
Anderson 1983; gymnasium's Euler integration and constants), with a 500-step time limit as
truncation. Used as the small control task of the PPO reference agent.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
from flax import struct

from rlkit import spaces
from rlkit.config import ConfigError, EnvConfig
from rlkit.env import Env, EnvSpec


@struct.dataclass
class CartPoleParams:
    gravity: float = 9.8
    masscart: float = 1.0
    masspole: float = 0.1
    length: float = 0.5          # half the pole's length
    force_mag: float = 10.0
    tau: float = 0.02
    theta_threshold: float = 12 * 2 * 3.141592653589793 / 360
    x_threshold: float = 2.4
    max_steps_in_episode: int = 500


@struct.dataclass
class CartPoleState:
    x: jax.Array
    x_dot: jax.Array
    theta: jax.Array
    theta_dot: jax.Array
    time: jax.Array


def _obs(state: CartPoleState) -> jax.Array:
    return jnp.stack([state.x, state.x_dot, state.theta, state.theta_dot]).astype(jnp.float32)


class CartPole(Env):
    def default_params(self) -> CartPoleParams:
        return CartPoleParams()

    def reset_env(self, key, params):
        x, x_dot, theta, theta_dot = jax.random.uniform(key, (4,), jnp.float32, -0.05, 0.05)
        state = CartPoleState(x, x_dot, theta, theta_dot, jnp.int32(0))
        return _obs(state), state

    def step_env(self, key, state, action, params):
        """Gymnasium's CartPole dynamics (semi-implicit terms as in ``CartPoleEnv.step``)."""
        force = jnp.where(action == 1, params.force_mag, -params.force_mag)
        total_mass = params.masspole + params.masscart
        polemass_length = params.masspole * params.length
        cos, sin = jnp.cos(state.theta), jnp.sin(state.theta)
        temp = (force + polemass_length * state.theta_dot ** 2 * sin) / total_mass
        theta_acc = (params.gravity * sin - cos * temp) / (
            params.length * (4.0 / 3.0 - params.masspole * cos ** 2 / total_mass))
        x_acc = temp - polemass_length * theta_acc * cos / total_mass
        new = CartPoleState(
            x=state.x + params.tau * state.x_dot,
            x_dot=state.x_dot + params.tau * x_acc,
            theta=state.theta + params.tau * state.theta_dot,
            theta_dot=state.theta_dot + params.tau * theta_acc,
            time=state.time + 1,
        )
        terminated = ((jnp.abs(new.x) > params.x_threshold)
                      | (jnp.abs(new.theta) > params.theta_threshold))
        return _obs(new), new, jnp.float32(1.0), terminated, {}

    def spec(self, params):
        big = float(jnp.finfo(jnp.float32).max)
        high = jnp.array([params.x_threshold * 2, big, params.theta_threshold * 2, big],
                         jnp.float32)
        return EnvSpec(spaces.Box(-high, high, (4,), jnp.float32), spaces.Discrete(2))


@dataclass(frozen=True)
class CartPoleConfig(EnvConfig):
    max_steps_in_episode: int = 500

    def make_env(self):
        return CartPole()

    def make_params(self, key):
        return CartPoleParams(max_steps_in_episode=self.max_steps_in_episode)

    def validate(self):
        if self.max_steps_in_episode < 1:
            raise ConfigError(f"max_steps_in_episode must be >= 1, got {self.max_steps_in_episode}")
