"""PPO with a critic for order dispatch: the value-based reference the paper argues against.

Same actor and matching as GRPO/OSPO (:mod:`agents.ridesharing.dispatch`), plus a critic
``V(s_i)`` on the vehicle's own features (time included), shared by the fleet (independent
learners with parameter sharing, IPPO-style) [design; the paper's baselines are unconfirmed].
Each vehicle's reward stream ``r_{i,t}`` (0 when it gets no order) is one trajectory: GAE per
vehicle over the minutes (:func:`rlkit.ppo.gae`), the actor loss on the matched vehicle-minutes
(advantages normalised per minibatch), the clipped value loss on vehicle-minutes drawn
uniformly, :func:`rlkit.ppo.minibatch_epochs` for the epochs x minibatches loop.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from agents.ridesharing import dispatch
from agents.ridesharing.policy_optimization import exploration_epsilon, init_scorer
from agents.ridesharing.scorer import FEATURE_SETS, PairScorer
from rlkit import candidates, ppo
from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from rlkit.networks import MLP


@struct.dataclass
class CriticDispatchState:
    params: Any          # {"actor": ..., "critic": ...}
    opt_state: Any
    iteration: jax.Array
    travel_time: jax.Array


class PPOCriticDispatch(Agent):
    name = "ppo_critic_dispatch"

    def init(self, key, spec, hp):
        k_actor, k_critic = jax.random.split(key)
        _, actor = init_scorer(k_actor, spec, hp.hidden, hp.features)
        width = spec.observation_space.spaces["vehicle"].shape[-1]
        critic = MLP(tuple(hp.hidden) + (1,)).init(k_critic, jnp.zeros((1, width)))
        params = {"actor": actor, "critic": critic}
        opt_state = ppo.adam_with_clipping(hp.max_grad_norm).init(params)
        return CriticDispatchState(params, opt_state, jnp.int32(0), jnp.asarray(spec.known["travel_time"]))

    def start_episode(self, key, state, hp):
        return dispatch.greedy_episode(key, hp.eval_fraction)

    def _value(self, params, vehicle, hp):
        return MLP(tuple(hp.hidden) + (1,)).apply(params["critic"], vehicle)[..., 0]

    def act(self, key, state, carry, obs, hp):
        apply = PairScorer(tuple(hp.hidden)).apply
        action, info = dispatch.act(key, apply, state.params["actor"], obs, state.travel_time,
                                    hp.features, hp.exploration, hp.explore_boost,
                                    exploration_epsilon(hp, state.iteration), carry["greedy"])
        info["value"] = self._value(state.params, obs["vehicle"], hp)
        return action, carry, info

    def update(self, key, state, batch, hp):
        apply = PairScorer(tuple(hp.hidden)).apply
        E, T, V = batch.reward.shape
        values = batch.agent_info["value"]
        next_values = self._value(state.params, batch.next_obs["vehicle"], hp)
        rewards = batch.reward.astype(jnp.float32)
        gae = jax.vmap(ppo.gae, in_axes=(0, 0, 0, 0, 0, None, None))
        advantages, returns = gae(rewards, values, next_values, batch.terminated[..., None],
                                  batch.done[..., None], hp.gamma, hp.gae_lambda)
        greedy = batch.agent_info["greedy"]
        train = batch.info["matched"] & ~greedy[..., None]
        weight = train.reshape(-1).astype(jnp.float32)
        n = weight.sum()
        p = jnp.where(n > 0, weight / jnp.maximum(n, 1.0), 1.0 / weight.size)
        k_actor, k_critic, k_epochs = jax.random.split(key, 3)
        size = hp.num_minibatches * hp.minibatch_size
        idx = jax.random.choice(k_actor, weight.size, (size,), replace=True, p=p)
        vidx = jax.random.randint(k_critic, (size,), 0, weight.size)
        data = dispatch.gather_samples(batch, idx)
        data.update(advantage=advantages.reshape(-1)[idx], weight=weight[idx],
                    critic_vehicle=batch.obs["vehicle"].reshape(E * T * V, -1)[vidx],
                    old_value=values.reshape(-1)[vidx], value_target=returns.reshape(-1)[vidx])

        def loss_fn(params, mb):
            logits = dispatch.sample_logits(apply, params["actor"], mb, state.travel_time, hp.features)
            mask = mb["order_mask"]
            logp = candidates.candidate_log_prob(logits, mask, mb["action"])
            w = mb["weight"]
            adv = ppo.normalize(mb["advantage"], w > 0)
            policy_loss, _ = ppo.clipped_surrogate(logp, mb["old_log_prob"], adv, hp.clip_eps)
            ent = candidates.masked_entropy(logits, mask)
            mean = lambda x: jnp.sum(x * w) / jnp.maximum(w.sum(), 1.0)
            value = self._value(params, mb["critic_vehicle"], hp)
            value_loss = ppo.clipped_value_loss(value, mb["old_value"], mb["value_target"], hp.clip_eps).mean()
            loss = mean(policy_loss) + hp.vf_coef * value_loss - hp.ent_coef * mean(ent)
            return loss, {"policy_loss": mean(policy_loss), "value_loss": value_loss, "entropy": mean(ent)}

        lr = jnp.asarray(hp.learning_rate * hp.lr_decay ** state.iteration, jnp.float32)
        params, opt_state, metrics = ppo.minibatch_epochs(
            k_epochs, state.params, state.opt_state, data, loss_fn,
            ppo.adam_with_clipping(hp.max_grad_norm), lr, hp.num_epochs, hp.num_minibatches)
        metrics.update(dispatch.episode_sums(batch, greedy))
        metrics["samples"] = n
        return state.replace(params=params, opt_state=opt_state, iteration=state.iteration + 1), metrics


@hparams
class PPOCriticParams(HParams):
    learning_rate: float = 1e-3
    lr_decay: float = 1.0
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_eps: float = 0.2
    vf_coef: float = 0.5
    ent_coef: float = 0.05
    max_grad_norm: float = 1.0
    explore_boost: float = 1.0
    epsilon_start: float = 1.0
    epsilon_decay: float = 0.99
    epsilon_min: float = 0.0005
    eval_fraction: float = 0.1
    exploration: str = static("sample")
    features: str = static("eta")
    hidden: tuple[int, ...] = static((128, 128))
    num_epochs: int = static(1)
    num_minibatches: int = static(10)
    minibatch_size: int = static(256)
    label: str = static("PPO (critic)")

    def make_agent(self):
        return PPOCriticDispatch()

    def validate(self):
        if self.exploration not in dispatch.EXPLORATION or self.features not in FEATURE_SETS:
            raise ConfigError(f"exploration must be in {dispatch.EXPLORATION} and features in "
                              f"{FEATURE_SETS}; got {self.exploration!r}, {self.features!r}")
        if not self.learning_rate > 0 or not 0 < self.gamma <= 1 or not 0 <= self.gae_lambda <= 1:
            raise ConfigError("learning_rate > 0, gamma in (0, 1] and gae_lambda in [0, 1] are required")
        if not 0 <= self.eval_fraction <= 1:
            raise ConfigError(f"eval_fraction must be in [0, 1], got {self.eval_fraction}")
        if self.num_epochs < 1 or self.num_minibatches < 1 or self.minibatch_size < 1:
            raise ConfigError("num_epochs, num_minibatches and minibatch_size must be >= 1")
