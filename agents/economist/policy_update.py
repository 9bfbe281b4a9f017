"""One PPO update of one policy of the two-level learner (the shared agent policy or the planner),
built from :mod:`rlkit.ppo` (GAE, clipped surrogate and value losses, minibatch epochs) and
:mod:`rlkit.distributions` (masked logits).

Inputs are per-actor trajectories ``[actors, T, ...]`` (for the agents' shared policy every
(env, agent) pair is one actor: parameter sharing with per-agent trajectories). Steps where the
actor had a single allowed action (the agents on a tax step, the planner outside the first step of
a tax period) carry no policy gradient and are left out of the advantage normalisation and of the
entropy average ("decision" steps only). A multi-discrete actor (``logits [..., heads, K]``) sums
its heads' log-probabilities and entropies.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
from flax import struct

from rlkit import distributions, ppo


@struct.dataclass
class PolicyState:
    params: Any
    opt_state: Any


class PolicyHP(NamedTuple):
    """The PPO settings of one policy (traced leaves except ``epochs``/``minibatches``)."""

    learning_rate: Any
    ent_coef: Any
    clip_eps: Any
    vf_coef: Any
    vf_clip: Any
    gamma: Any
    gae_lambda: Any
    max_grad_norm: float
    epochs: int
    minibatches: int
    normalize_advantages: bool = True


def log_prob_and_entropy(logits: jax.Array, mask: jax.Array, action: jax.Array, multi: bool,
                         head_weight: jax.Array | None = None):
    """Log-probability and entropy of (masked) categorical actions; a multi-discrete actor sums
    its heads, weighted by ``head_weight`` (0 for heads tied to another head)."""
    logits = distributions.masked_logits(logits, mask)
    logp = distributions.log_prob(logits, action)
    ent = distributions.entropy(logits)
    if multi:
        w = jnp.ones(logp.shape[-1]) if head_weight is None else head_weight
        return (logp * w).sum(-1), (ent * w).sum(-1)
    return logp, ent


def update_policy(key: jax.Array, apply: Callable, state: PolicyState, optimizer, hp: PolicyHP,
                  obs: Any, next_obs: Any, action: jax.Array, mask: jax.Array, old_log_prob: jax.Array,
                  old_value: jax.Array, reward: jax.Array, terminated: jax.Array, done: jax.Array,
                  multi: bool, head_weight: jax.Array | None = None) -> tuple[PolicyState, dict]:
    """GAE on ``[actors, T]`` then ``epochs x minibatches`` clipped-PPO steps. Returns the new
    state and the mean losses, entropy and KL."""
    _, next_value = apply(state.params, next_obs)
    advantages, returns = jax.vmap(ppo.gae, in_axes=(0, 0, 0, 0, 0, None, None))(
        reward.astype(jnp.float32), old_value, next_value, terminated, done, hp.gamma, hp.gae_lambda)
    heads_axis = -2 if multi else None
    allowed = jnp.sum(mask, axis=-1)
    decision = (jnp.max(allowed, axis=-1) if heads_axis is not None else allowed) > 1
    data = {"obs": obs, "action": action, "mask": mask, "log_prob": old_log_prob, "value": old_value,
            "advantage": advantages, "return": returns, "decision": decision}
    data = jax.tree_util.tree_map(lambda x: x.reshape((-1,) + x.shape[2:]), data)

    def loss_fn(params, mb):
        logits, values = apply(params, mb["obs"])
        logp, ent = log_prob_and_entropy(logits, mb["mask"], mb["action"], multi, head_weight)
        dec = mb["decision"]
        weight = dec.astype(jnp.float32) / jnp.maximum(jnp.sum(dec), 1.0)
        adv = ppo.normalize(mb["advantage"], dec) if hp.normalize_advantages else mb["advantage"]
        surrogate, _ = ppo.clipped_surrogate(logp, mb["log_prob"], adv, hp.clip_eps)
        policy_loss = jnp.sum(weight * surrogate)
        value_loss = jnp.mean(ppo.clipped_value_loss(values, mb["value"], mb["return"], hp.vf_clip))
        entropy = jnp.sum(weight * ent)
        loss = policy_loss + hp.vf_coef * value_loss - hp.ent_coef * entropy
        kl = jnp.sum(weight * ((jnp.exp(logp - mb["log_prob"]) - 1.0) - (logp - mb["log_prob"])))
        return loss, {"policy_loss": policy_loss, "value_loss": value_loss, "entropy": entropy,
                      "approx_kl": kl}

    params, opt_state, metrics = ppo.minibatch_epochs(
        key, state.params, state.opt_state, data, loss_fn, optimizer, hp.learning_rate, hp.epochs,
        hp.minibatches)
    return PolicyState(params, opt_state), metrics
