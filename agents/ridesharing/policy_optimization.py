"""The critic-free dispatch learner shared by GRPO and OSPO (spec ospo.md §3, §4; Worker.train).

Per iteration (one rollout, ideally one episode per env: ``rollout_len = horizon``):

1. advantages of the matched vehicles (:mod:`agents.ridesharing.advantages`);
2. ``num_minibatches x minibatch_size`` transitions sampled **with replacement** among the
   matched vehicle-minutes of the training (non-greedy) episodes (the code: 10 x 256 from the
   episode's buffer);
3. per minibatch, the loss ``mean L_PO + beta KL(pi || pi_ref) - alpha H(pi)`` with the
   asymmetric clip ``[1 - eps, 1 + 1.4 eps]``, ratio ``pi_theta(a) / pi_old(a)`` over that
   minute's open orders; Adam with global-norm clipping; a step is skipped when a gradient is
   not finite or when the KL anchor is on and the minibatch KL exceeds ``kl_max`` (the code
   skips it and doubles a local beta, which has no further effect);
4. the KL anchor [paper]: the reference policy is the best one so far by evaluation reward.
   The code evaluates greedily every 10 episodes; here the score is the mean episode reward of
   this rollout's greedy evaluation episodes (all episodes when there are none) [design]. An
   improvement makes the acting parameters the reference; the first non-improvement turns the
   KL term on (``beta = kl_coef``) for good.
5. learning rate ``lr * lr_decay^iteration`` (the code's ExponentialLR(0.99) per episode).
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from agents.ridesharing import dispatch
from agents.ridesharing.advantages import ADVANTAGES, FAIRNESS_TERMS, NORM_SCOPES, compute_advantages
from agents.ridesharing.scorer import FEATURE_SETS, PairScorer, pair_inputs
from rlkit import candidates, ppo
from rlkit.agent import Agent, HParams, static
from rlkit.config import ConfigError
from rlkit.group_relative import asymmetric_clipped_surrogate
from rlkit.tree import tree_where


@struct.dataclass
class DispatchState:
    params: Any
    opt_state: Any
    ref_params: Any
    best_score: jax.Array
    kl_on: jax.Array
    iteration: jax.Array
    travel_time: jax.Array


def init_scorer(key: jax.Array, spec, hidden, features: str) -> tuple[PairScorer, Any]:
    """The pair scorer and its parameters for an env spec."""
    obs = spec.observation_space.spaces
    scorer = PairScorer(tuple(hidden))
    pair = pair_inputs(features, jnp.zeros((1,), jnp.int32), jnp.zeros((1,), jnp.int32),
                       jnp.zeros((1, 1), jnp.int32))
    params = scorer.init(key, jnp.zeros((1, obs["vehicle"].shape[-1])),
                         jnp.zeros((1, obs["order"].shape[-1])), pair)
    return scorer, params


def exploration_epsilon(hp, iteration: jax.Array) -> jax.Array:
    """``max(eps_min, eps_0 * decay^iteration)`` (the paper's 1.0, x0.99 per episode, 0.0005)."""
    return jnp.maximum(hp.epsilon_min, hp.epsilon_start * hp.epsilon_decay ** iteration)


class GroupPolicyOptimization(Agent):
    """GRPO / OSPO (the advantage is the only difference; see the hparams)."""

    name = "group_policy_optimization"

    def init(self, key, spec, hp):
        _, params = init_scorer(key, spec, hp.hidden, hp.features)
        opt_state = ppo.adam_with_clipping(hp.max_grad_norm).init(params)
        return DispatchState(params, opt_state, params, jnp.float32(-jnp.inf), jnp.asarray(False),
                             jnp.int32(0), jnp.asarray(spec.known["travel_time"]))

    def start_episode(self, key, state, hp):
        return dispatch.greedy_episode(key, hp.eval_fraction)

    def act(self, key, state, carry, obs, hp):
        apply = PairScorer(tuple(hp.hidden)).apply
        action, info = dispatch.act(key, apply, state.params, obs, state.travel_time, hp.features,
                                    hp.exploration, hp.explore_boost,
                                    exploration_epsilon(hp, state.iteration), carry["greedy"])
        return action, carry, info

    def advantages(self, batch, hp) -> jax.Array:
        return compute_advantages(batch.reward.astype(jnp.float32), batch.info["matched"], batch.done,
                                  hp.advantage, hp.norm_scope, hp.fairness_term, hp.gamma)

    def update(self, key, state, batch, hp):
        apply = PairScorer(tuple(hp.hidden)).apply
        greedy = batch.agent_info["greedy"]                            # [E, T]
        train = batch.info["matched"] & ~greedy[..., None]             # [E, T, V]
        adv = self.advantages(batch, hp)
        weight = train.reshape(-1).astype(jnp.float32)
        n = weight.sum()
        p = jnp.where(n > 0, weight / jnp.maximum(n, 1.0), 1.0 / weight.size)
        k_idx, _ = jax.random.split(key)
        size = hp.num_minibatches * hp.minibatch_size
        idx = jax.random.choice(k_idx, weight.size, (size,), replace=True, p=p)
        samples = dispatch.gather_samples(batch, idx)
        samples["advantage"] = adv.reshape(-1)[idx]
        samples["weight"] = weight[idx]
        samples = jax.tree_util.tree_map(
            lambda x: x.reshape((hp.num_minibatches, hp.minibatch_size) + x.shape[1:]), samples)
        optimizer = ppo.adam_with_clipping(hp.max_grad_norm)
        lr = jnp.asarray(hp.learning_rate * hp.lr_decay ** state.iteration, jnp.float32)
        beta = hp.kl_coef * state.kl_on

        def loss_fn(params, mb):
            logits = dispatch.sample_logits(apply, params, mb, state.travel_time, hp.features)
            ref_logits = jax.lax.stop_gradient(
                dispatch.sample_logits(apply, state.ref_params, mb, state.travel_time, hp.features))
            mask = mb["order_mask"]
            logp = candidates.candidate_log_prob(logits, mask, mb["action"])
            policy_loss, ratio = asymmetric_clipped_surrogate(
                logp, mb["old_log_prob"], mb["advantage"], hp.clip_eps, hp.clip_eps * hp.clip_high_ratio)
            kl = candidates.masked_kl(logits, ref_logits, mask)
            ent = candidates.masked_entropy(logits, mask)
            w = mb["weight"]
            mean = lambda x: jnp.sum(x * w) / jnp.maximum(w.sum(), 1.0)
            loss = mean(policy_loss) + beta * mean(kl) - hp.ent_coef * mean(ent)
            clipped = (ratio < 1.0 - hp.clip_eps) | (ratio > 1.0 + hp.clip_eps * hp.clip_high_ratio)
            return loss, {"policy_loss": mean(policy_loss), "kl_ref": mean(kl), "entropy": mean(ent),
                          "clip_frac": mean(clipped.astype(jnp.float32)),
                          "approx_kl": mean(jnp.exp(logp - mb["old_log_prob"]) - 1.0 - (logp - mb["old_log_prob"]))}

        grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

        def step(carry, mb):
            params, opt_state = carry
            (loss, metrics), grads = grad_fn(params, mb)
            finite = jnp.all(jnp.asarray([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)]))
            skip = ~finite | (state.kl_on & (metrics["kl_ref"] > hp.kl_max)) | (mb["weight"].sum() == 0)
            new_params, new_opt = ppo.apply_update(params, grads, opt_state, optimizer, lr)
            params = tree_where(skip, params, new_params)
            opt_state = tree_where(skip, opt_state, new_opt)
            return (params, opt_state), {"loss": loss, **metrics, "skipped": skip.astype(jnp.float32)}

        (params, opt_state), metrics = jax.lax.scan(step, (state.params, state.opt_state), samples)
        metrics = jax.tree_util.tree_map(jnp.mean, metrics)
        # the KL anchor: the best policy so far by evaluation reward (module docstring, step 4)
        episode_reward = batch.reward.sum(axis=(1, 2))                 # [E]
        greedy_env = greedy.any(axis=1).astype(jnp.float32)
        n_greedy = greedy_env.sum()
        score = jnp.where(n_greedy > 0, (episode_reward * greedy_env).sum() / jnp.maximum(n_greedy, 1.0),
                          episode_reward.mean()).astype(jnp.float32)
        improved = score > state.best_score
        new_state = state.replace(
            params=params, opt_state=opt_state,
            ref_params=tree_where(improved, state.params, state.ref_params),
            best_score=jnp.maximum(score, state.best_score), kl_on=state.kl_on | ~improved,
            iteration=state.iteration + 1)
        metrics.update(dispatch.episode_sums(batch, greedy))
        metrics.update({"samples": n, "kl_on": state.kl_on.astype(jnp.float32), "learning_rate": lr,
                        "advantage_abs": jnp.sum(jnp.abs(adv)) / jnp.maximum(batch.info["matched"].sum(), 1)})
        return new_state, metrics


class GroupPolicyParamsMixin(HParams):
    """Validation shared by :class:`OSPOParams` and :class:`GRPOParams`."""

    def validate(self):
        checks = [("advantage", ADVANTAGES), ("norm_scope", NORM_SCOPES),
                  ("fairness_term", FAIRNESS_TERMS), ("exploration", dispatch.EXPLORATION),
                  ("features", FEATURE_SETS)]
        for name, allowed in checks:
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {list(allowed)}, got {getattr(self, name)!r}")
        if not self.learning_rate > 0:
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate}")
        if not 0 < self.lr_decay <= 1 or not 0 < self.gamma <= 1:
            raise ConfigError("lr_decay and gamma must be in (0, 1]")
        if not self.clip_eps > 0 or not self.clip_high_ratio > 0:
            raise ConfigError("clip_eps and clip_high_ratio must be > 0")
        if min(self.kl_coef, self.ent_coef, self.kl_max, self.explore_boost) < 0:
            raise ConfigError("kl_coef, ent_coef, kl_max and explore_boost must be >= 0")
        if not 0 <= self.eval_fraction <= 1:
            raise ConfigError(f"eval_fraction must be in [0, 1], got {self.eval_fraction}")
        if self.num_minibatches < 1 or self.minibatch_size < 1 or not self.hidden:
            raise ConfigError("num_minibatches, minibatch_size >= 1 and a non-empty hidden tuple are required")


__all__ = ["DispatchState", "GroupPolicyOptimization", "GroupPolicyParamsMixin", "init_scorer",
           "exploration_epsilon"]
