"""PPO (Schulman et al. 2017) with a flax MLP actor-critic for discrete actions, built from the
shared pieces in :mod:`rlkit.ppo` (GAE, clipped losses, minibatch epochs): the reference deep
agent, in the style of PureJaxRL's single-file PPO but as an rlkit Agent.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from rlkit import distributions, ppo
from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from rlkit.networks import ActorCritic


@struct.dataclass
class PPOState:
    params: Any
    opt_state: Any


class PPO(Agent):
    name = "ppo"

    def network(self, spec, hp) -> ActorCritic:
        return ActorCritic(spec.action_space.n, tuple(hp.hidden))

    def init(self, key, spec, hp):
        net = self.network(spec, hp)
        obs = jnp.zeros(spec.observation_space.shape, jnp.float32)
        params = net.init(key, obs)
        opt_state = ppo.adam_with_clipping(hp.max_grad_norm).init(params)
        return PPOState(params, opt_state)

    def act(self, key, state, carry, obs, hp):
        logits, value = self._net(state, hp).apply(state.params, obs)
        action = distributions.sample(key, logits)
        return action, carry, {"log_prob": distributions.log_prob(logits, action), "value": value}

    def _net(self, state, hp) -> ActorCritic:
        kernels = state.params["params"]["MLP_0"]
        n_actions = kernels[f"Dense_{len(hp.hidden)}"]["kernel"].shape[-1]
        return ActorCritic(n_actions, tuple(hp.hidden))

    def update(self, key, state, batch, hp):
        net = self._net(state, hp)
        _, next_values = net.apply(state.params, batch.next_obs)
        advantages, returns = jax.vmap(ppo.gae, in_axes=(0, 0, 0, 0, 0, None, None))(
            batch.reward.astype(jnp.float32), batch.agent_info["value"], next_values,
            batch.terminated, batch.done, hp.gamma, hp.gae_lambda)
        data = {
            "obs": batch.obs, "action": batch.action, "log_prob": batch.agent_info["log_prob"],
            "value": batch.agent_info["value"], "advantage": advantages, "return": returns,
        }
        data = jax.tree_util.tree_map(lambda x: x.reshape((-1,) + x.shape[2:]), data)

        def loss_fn(params, mb):
            logits, values = net.apply(params, mb["obs"])
            logp = distributions.log_prob(logits, mb["action"])
            adv = ppo.normalize(mb["advantage"])
            policy_loss, _ = ppo.clipped_surrogate(logp, mb["log_prob"], adv, hp.clip_eps)
            value_loss = ppo.clipped_value_loss(values, mb["value"], mb["return"], hp.clip_eps)
            ent = distributions.entropy(logits)
            loss = policy_loss.mean() + hp.vf_coef * value_loss.mean() - hp.ent_coef * ent.mean()
            return loss, {"policy_loss": policy_loss.mean(), "value_loss": value_loss.mean(),
                          "entropy": ent.mean(), "approx_kl": ppo.approx_kl(logp, mb["log_prob"])}

        params, opt_state, metrics = ppo.minibatch_epochs(
            key, state.params, state.opt_state, data, loss_fn, ppo.adam_with_clipping(hp.max_grad_norm),
            hp.learning_rate, hp.num_epochs, hp.num_minibatches)
        return PPOState(params, opt_state), metrics


@hparams
class PPOParams(HParams):
    """PPO hyper-parameters (PureJaxRL's CartPole defaults)."""

    learning_rate: float = 2.5e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_eps: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    num_epochs: int = static(4)
    num_minibatches: int = static(4)
    hidden: tuple[int, ...] = static((64, 64))

    def make_agent(self):
        return PPO()

    def validate(self):
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate}")
        if not 0 < self.gamma <= 1 or not 0 <= self.gae_lambda <= 1:
            raise ConfigError(f"gamma must be in (0, 1] and gae_lambda in [0, 1], got "
                              f"gamma={self.gamma}, gae_lambda={self.gae_lambda}")
        if not self.clip_eps > 0:
            raise ConfigError(f"clip_eps must be > 0, got {self.clip_eps}")
        if self.num_epochs < 1 or self.num_minibatches < 1:
            raise ConfigError("num_epochs and num_minibatches must be >= 1")
