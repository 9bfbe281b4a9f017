"""Deep SQIRL as released (``effective_horizon/sb3/algorithms/sqirl.py``; sqirl spec §1.2-§1.3).

One network ``Q_theta: obs -> R^{k x A}`` (head ``j`` estimates ``Q^{j+1}``), a replay buffer, and a
frozen parameter copy per learned timestep. Each trainer iteration (``num_envs = m`` episodes of
exactly ``H`` steps; :func:`agents.sqirl.episodic_train_config`):

1. collection: at step ``t < c`` act greedily on head ``k - 1`` of the frozen copy ``theta_t``,
   uniformly at random from ``c`` on (``c`` = timesteps learned so far); the step counter is the
   actor's ``carry``;
2. store the transitions of steps ``t >= c`` with their Monte-Carlo return-to-go ``G``;
3. ``n_grad = ceil(steps * n_epochs / batch_size)`` Adam steps (gradient-norm clip) on uniformly
   sampled batches, with targets ``y_0 = G * reward_scale`` and
   ``y_j = r * reward_scale + gamma (1 - done) max_a Q_theta(s')[j - 1, a]`` (current network, no
   target network), loss ``L_j = mean (Q_theta(s)[j, a] - y_j)^2``, scaled as
   ``mean_j L_j / EMA_j(L_j)`` when ``scale_losses`` (EMA smoothing 0.99, started at the first
   value);
4. freeze ``theta_c <- theta`` and ``c <- c + 1``.

Evaluation: frozen ``theta_t`` for ``t < c``, the live network beyond, greedy on head ``k - 1``;
computed exactly on the model's observation table. [design] deviations: ``steps`` counts all
``m H`` collected steps (episodes are padded to ``H`` after a terminal state, see
:mod:`envs.bridge.env`), and the buffer's capacity is a static hyper-parameter (upstream 1e6).
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
from agents.sqirl.tabular import returns_to_go
from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from rlkit.ppo import apply_update


@struct.dataclass
class DeepSQIRLState:
    params: Any
    opt_state: Any
    frozen: Any                 # params stacked [H, ...]: theta_t for learned timesteps
    timestep: jax.Array         # c
    buffer: replay.ReplayBuffer
    loss_ema: jax.Array         # [k]
    ema_started: jax.Array
    num_actions: int = struct.field(pytree_node=False)
    horizon: int = struct.field(pytree_node=False)


def gradient_steps(steps, n_epochs: int, batch_size: int):
    """``n_grad = ceil(steps * n_epochs / batch_size)`` (upstream's ``train`` call)."""
    return (steps * n_epochs + batch_size - 1) // batch_size


def k_head_targets(q_next: jax.Array, returns: jax.Array, reward: jax.Array, done: jax.Array,
                   gamma, reward_scale) -> jax.Array:
    """Targets ``[B, k]``: head 0 the scaled MC return, head ``j`` the one-step backup of head
    ``j - 1`` at the next observation (``q_next[B, k, A]`` from the current network, no gradient;
    ``done`` masks the bootstrap)."""
    head0 = returns * reward_scale
    boot = reward[:, None] * reward_scale + gamma * (1.0 - done[:, None]) * q_next[:, :-1].max(-1)
    return jnp.concatenate([head0[:, None], boot], axis=1)


def optimizer(hp) -> optax.GradientTransformation:
    return optax.chain(optax.clip_by_global_norm(hp.max_grad_norm), optax.scale_by_adam())


class DeepSQIRL(Agent):
    name = "deep_sqirl"

    def network(self, hp, num_actions: int) -> MultiHeadQNetwork:
        return MultiHeadQNetwork(num_actions, hp.planning_depth, tuple(hp.hidden))

    def init(self, key, spec, hp):
        A, H = spec.action_space.n, spec.horizon
        obs = jnp.zeros(spec.observation_space.shape, jnp.float32)
        params = self.network(hp, A).init(key, obs)
        entry = {"obs": obs, "next_obs": obs, "action": jnp.int32(0), "reward": jnp.float32(0),
                 "done": jnp.float32(0), "return": jnp.float32(0)}
        frozen = jax.tree_util.tree_map(lambda p: jnp.broadcast_to(p, (H,) + p.shape), params)
        return DeepSQIRLState(params, optimizer(hp).init(params), frozen, jnp.int32(0),
                              replay.empty_buffer(entry, hp.buffer_size),
                              jnp.ones(hp.planning_depth, jnp.float32), jnp.asarray(False), A, H)

    def params_at(self, state, t):
        """``theta_t`` for a learned step ``t < c``, else the live parameters."""
        learned = t < state.timestep
        return jax.tree_util.tree_map(
            lambda f, p: jnp.where(learned, f[jnp.minimum(t, state.horizon - 1)], p),
            state.frozen, state.params)

    def start_episode(self, key, state, hp):
        return jnp.int32(0)

    def act(self, key, state, carry, obs, hp):
        t = carry
        q = self.network(hp, state.num_actions).apply(self.params_at(state, t), obs)
        greedy = jnp.argmax(q[-1]).astype(jnp.int32)
        random = jax.random.randint(key, (), 0, state.num_actions, jnp.int32)
        return jnp.where(t < state.timestep, greedy, random), t + 1, {}

    def loss(self, params, batch, ema, ema_started, hp, num_actions):
        net = self.network(hp, num_actions)
        q = net.apply(params, batch["obs"])                                   # [B, k, A]
        q_next = jax.lax.stop_gradient(net.apply(params, batch["next_obs"]))
        targets = k_head_targets(q_next, batch["return"], batch["reward"], batch["done"],
                                 hp.gamma, hp.reward_scale)
        q_taken = jnp.take_along_axis(q, batch["action"][:, None, None], axis=-1)[..., 0]
        per_head = jnp.mean((q_taken - targets) ** 2, axis=0)                 # [k]
        seen = jax.lax.stop_gradient(per_head)
        s = hp.loss_scale_smoothing
        new_ema = jnp.where(ema_started, s * ema + (1.0 - s) * seen, seen)
        scaled = jnp.mean(per_head / new_ema) if hp.scale_losses else jnp.mean(per_head)
        return scaled, (per_head, new_ema)

    def update(self, key, state, batch, hp):
        N, H = batch.reward.shape
        m = jnp.where(hp.episodes_per_timestep > 0, hp.episodes_per_timestep, N)
        c = state.timestep
        store = (jnp.arange(N) < m)[:, None] & (jnp.arange(H) >= c)[None, :]
        G = returns_to_go(batch.reward, hp.gamma)
        items = {"obs": batch.obs, "next_obs": batch.next_obs, "action": batch.action,
                 "reward": batch.reward, "done": batch.terminated, "return": G}
        flat = jax.tree_util.tree_map(lambda x: x.reshape((N * H,) + x.shape[2:]), items)
        buffer = replay.add(state.buffer, flat, store.reshape(-1))
        n_grad = gradient_steps(m * H, hp.n_epochs, hp.batch_size)
        grad_fn = jax.value_and_grad(self.loss, has_aux=True)
        opt = optimizer(hp)

        def step(j, carry):
            params, opt_state, ema, started, last = carry
            sample = replay.sample(buffer, jax.random.fold_in(key, j), hp.batch_size)
            (_, (per_head, ema)), grads = grad_fn(params, sample, ema, started, hp, state.num_actions)
            params, opt_state = apply_update(params, grads, opt_state, opt, hp.learning_rate)
            return params, opt_state, ema, jnp.asarray(True), per_head

        active = c < state.horizon
        init = (state.params, state.opt_state, state.loss_ema, state.ema_started,
                jnp.zeros(hp.planning_depth, jnp.float32))
        params, opt_state, ema, started, per_head = jax.lax.fori_loop(
            0, jnp.where(active, n_grad, 0), step, init)
        frozen = jax.tree_util.tree_map(
            lambda f, p: f.at[jnp.minimum(c, state.horizon - 1)].set(jnp.where(active, p, f[jnp.minimum(c, state.horizon - 1)])),
            state.frozen, params)
        new = state.replace(params=params, opt_state=opt_state, frozen=frozen,
                            timestep=c + active.astype(jnp.int32), buffer=buffer, loss_ema=ema,
                            ema_started=started)
        metrics = {"timestep": new.timestep, "gradient_steps": n_grad * active,
                   **{f"loss_head_{j}": per_head[j] for j in range(hp.planning_depth)}}
        return new, metrics

    def greedy_actions(self, state, hp, model) -> jax.Array:
        """Greedy actions ``[H, S_obs]`` of the deployed non-stationary policy."""
        table = observation_table(model)                                      # [H, S_obs, D]
        params = jax.vmap(lambda t: self.params_at(state, t))(jnp.arange(state.horizon))
        net = self.network(hp, state.num_actions)
        q = jax.vmap(net.apply)(params, table)                                # [H, S_obs, k, A]
        return jnp.argmax(q[..., -1, :], axis=-1)

    def evaluate(self, state, hp, model):
        return {"value": exact_actions_value(model, self.greedy_actions(state, hp, model),
                                             state.num_actions)}


@hparams
class DeepSQIRLParams(HParams):
    """Defaults of the released code (sqirl spec §1.3) except ``buffer_size`` (static capacity)."""

    planning_depth: int = static(1)
    episodes_per_timestep: int = 0
    learning_rate: float = 1e-4
    gamma: float = 1.0
    reward_scale: float = 1.0
    loss_scale_smoothing: float = 0.99
    max_grad_norm: float = 10.0
    batch_size: int = static(128)
    n_epochs: int = static(10)
    buffer_size: int = static(100_000)
    scale_losses: bool = static(True)
    hidden: tuple[int, ...] = static((64, 64))

    def make_agent(self):
        return DeepSQIRL()

    def validate(self):
        if self.planning_depth < 1:
            raise ConfigError(f"planning_depth (k) must be >= 1, got {self.planning_depth}")
        if int(self.episodes_per_timestep) < 0:
            raise ConfigError(f"episodes_per_timestep must be >= 0, got {self.episodes_per_timestep}")
        if not self.learning_rate > 0 or not 0 < self.gamma <= 1:
            raise ConfigError(f"learning_rate must be > 0 and gamma in (0, 1]; got "
                              f"{self.learning_rate}, {self.gamma}")
        if not 0 <= self.loss_scale_smoothing < 1:
            raise ConfigError(f"loss_scale_smoothing must be in [0, 1), got {self.loss_scale_smoothing}")
        if self.batch_size < 1 or self.n_epochs < 1 or self.buffer_size < self.batch_size:
            raise ConfigError("batch_size and n_epochs must be >= 1 and buffer_size >= batch_size")
