"""DQN (Mnih et al. 2015) with SB3's defaults (sqirl spec §1.3), for the SQIRL vs PPO vs DQN
comparison on BRIDGE MDPs.

Each trainer iteration is a rollout of ``train_freq`` steps in ``num_envs`` envs (epsilon-greedy
on the online network), then ``gradient_steps`` Adam steps on uniformly sampled replay batches
once ``learning_starts`` env steps have been taken, with the Huber loss on
``r + gamma (1 - terminated) max_a Q_target(s', a)`` (SB3's DQN), gradient-norm clipping, and a
hard target update every ``target_update_interval`` env steps. Epsilon decays linearly from
``exploration_initial_eps`` to ``exploration_final_eps`` over ``exploration_fraction *
total_timesteps`` env steps. ``evaluate`` gives the exact value of the greedy policy on the
model's observation table.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import struct

from agents.sqirl import replay
from agents.sqirl.common import exact_actions_value, observation_table
from agents.sqirl.networks import MultiHeadQNetwork
from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from rlkit.ppo import apply_update


@struct.dataclass
class DQNState:
    params: Any
    target: Any
    opt_state: Any
    buffer: replay.ReplayBuffer
    steps: jax.Array             # env steps taken
    num_actions: int = struct.field(pytree_node=False)


def epsilon(steps, hp) -> jax.Array:
    """SB3's linear schedule: from initial to final eps over ``fraction * total`` steps."""
    span = jnp.maximum(hp.exploration_fraction * hp.total_timesteps, 1.0)
    progress = jnp.minimum(steps / span, 1.0)
    return hp.exploration_initial_eps + progress * (hp.exploration_final_eps - hp.exploration_initial_eps)


def td_targets(q_target_next: jax.Array, reward: jax.Array, terminated: jax.Array, gamma) -> jax.Array:
    """``r + gamma (1 - terminated) max_a Q_target(s', a)``."""
    return reward + gamma * (1.0 - terminated) * q_target_next.max(-1)


class DQN(Agent):
    name = "dqn"

    def network(self, hp, num_actions):
        return MultiHeadQNetwork(num_actions, 1, tuple(hp.hidden))

    def optimizer(self, hp):
        return optax.chain(optax.clip_by_global_norm(hp.max_grad_norm), optax.scale_by_adam())

    def init(self, key, spec, hp):
        A = spec.action_space.n
        obs = jnp.zeros(spec.observation_space.shape, jnp.float32)
        params = self.network(hp, A).init(key, obs)
        entry = {"obs": obs, "next_obs": obs, "action": jnp.int32(0), "reward": jnp.float32(0),
                 "terminated": jnp.float32(0)}
        return DQNState(params, params, self.optimizer(hp).init(params),
                        replay.empty_buffer(entry, hp.buffer_size), jnp.int64(0), A)

    def q_values(self, params, obs, hp, num_actions):
        return self.network(hp, num_actions).apply(params, obs)[..., 0, :]

    def act(self, key, state, carry, obs, hp):
        k_eps, k_rand = jax.random.split(key)
        greedy = jnp.argmax(self.q_values(state.params, obs, hp, state.num_actions)).astype(jnp.int32)
        random = jax.random.randint(k_rand, (), 0, state.num_actions, jnp.int32)
        explore = jax.random.uniform(k_eps) < epsilon(state.steps, hp)
        return jnp.where(explore, random, greedy), carry, {}

    def update(self, key, state, batch, hp):
        N, T = batch.reward.shape
        items = {"obs": batch.obs, "next_obs": batch.next_obs, "action": batch.action,
                 "reward": batch.reward, "terminated": batch.terminated}
        flat = jax.tree_util.tree_map(lambda x: x.reshape((N * T,) + x.shape[2:]), items)
        buffer = replay.add(state.buffer, flat)
        steps = state.steps + N * T
        opt = self.optimizer(hp)

        def loss_fn(params, target, sample):
            q = self.q_values(params, sample["obs"], hp, state.num_actions)
            q_next = self.q_values(target, sample["next_obs"], hp, state.num_actions)
            y = jax.lax.stop_gradient(td_targets(q_next, sample["reward"], sample["terminated"], hp.gamma))
            q_taken = jnp.take_along_axis(q, sample["action"][:, None], axis=-1)[:, 0]
            return jnp.mean(optax.huber_loss(q_taken, y, delta=1.0))

        def grad_step(j, carry):
            params, opt_state, _ = carry
            sample = replay.sample(buffer, jax.random.fold_in(key, j), hp.batch_size)
            loss, grads = jax.value_and_grad(loss_fn)(params, state.target, sample)
            params, opt_state = apply_update(params, grads, opt_state, opt, hp.learning_rate)
            return params, opt_state, loss

        learn = (steps >= hp.learning_starts) & (buffer.size >= hp.batch_size)
        params, opt_state, loss = jax.lax.fori_loop(
            0, jnp.where(learn, hp.gradient_steps, 0), grad_step,
            (state.params, state.opt_state, jnp.float32(0)))
        crossed = steps // hp.target_update_interval > state.steps // hp.target_update_interval
        target = jax.tree_util.tree_map(lambda t, p: jnp.where(crossed, p, t), state.target, params)
        new = state.replace(params=params, target=target, opt_state=opt_state, buffer=buffer, steps=steps)
        return new, {"loss": loss, "epsilon": epsilon(steps, hp)}

    def evaluate(self, state, hp, model):
        q = self.q_values(state.params, observation_table(model), hp, state.num_actions)
        return {"value": exact_actions_value(model, jnp.argmax(q, -1), state.num_actions)}


@hparams
class DQNParams(HParams):
    """SB3 DQN defaults (sqirl spec §1.3); ``learning_starts`` 0 as in the upstream README runs."""

    learning_rate: float = 1e-4
    gamma: float = 1.0
    exploration_fraction: float = 0.1
    exploration_initial_eps: float = 1.0
    exploration_final_eps: float = 0.01
    max_grad_norm: float = 10.0
    total_timesteps: int = 100_000
    learning_starts: int = 0
    target_update_interval: int = 1000
    gradient_steps: int = static(1)
    batch_size: int = static(32)
    buffer_size: int = static(100_000)
    hidden: tuple[int, ...] = static((64, 64))

    def make_agent(self):
        return DQN()

    def validate(self):
        if not self.learning_rate > 0 or not 0 < self.gamma <= 1:
            raise ConfigError(f"learning_rate must be > 0 and gamma in (0, 1]; got "
                              f"{self.learning_rate}, {self.gamma}")
        if not 0 <= self.exploration_fraction <= 1:
            raise ConfigError(f"exploration_fraction must be in [0, 1], got {self.exploration_fraction}")
        for name in ("exploration_initial_eps", "exploration_final_eps"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if int(self.target_update_interval) < 1 or int(self.total_timesteps) < 1:
            raise ConfigError("target_update_interval and total_timesteps must be >= 1")
        if self.batch_size < 1 or self.buffer_size < self.batch_size:
            raise ConfigError("batch_size must be >= 1 and buffer_size >= batch_size")
