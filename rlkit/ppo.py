"""PPO pieces shared by every policy-gradient agent (PPO, GRPO, OSPO, the economist's two-level
learner): generalised advantage estimation, the clipped surrogate and value losses, and the
epochs x minibatches optimisation loop. Pure functions, tested against numpy references.

References: Schulman et al. 2016 (GAE, eq. 16); Schulman et al. 2017 (PPO, eq. 7 clipped
objective, eq. 9 total loss).
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax


def gae(rewards: jax.Array, values: jax.Array, next_values: jax.Array, terminated: jax.Array,
        done: jax.Array, gamma, lam) -> tuple[jax.Array, jax.Array]:
    """Generalised advantage estimation over one trajectory, time on the first axis.

    ``delta_t = r_t + gamma (1 - terminated_t) V(s'_t) - V(s_t)`` with ``V(s'_t)`` the value of the
    observation after step ``t`` before any reset (so time-limit truncation bootstraps);
    ``A_t = delta_t + gamma lam (1 - done_t) A_{t+1}`` (GAE eq. 16, cut at episode boundaries).
    All inputs ``[T, ...]``. Returns ``(advantages, returns = advantages + values)``.
    """
    not_terminal = 1.0 - terminated.astype(values.dtype)
    not_done = 1.0 - done.astype(values.dtype)
    deltas = rewards + gamma * not_terminal * next_values - values

    def body(carry, xs):
        delta, nd = xs
        adv = delta + gamma * lam * nd * carry
        return adv, adv

    _, advantages = jax.lax.scan(body, jnp.zeros_like(values[0]), (deltas, not_done), reverse=True)
    return advantages, advantages + values


def discounted_returns(rewards: jax.Array, terminated: jax.Array, done: jax.Array, gamma,
                       bootstrap: jax.Array | None = None) -> jax.Array:
    """Monte-Carlo returns ``G_t = r_t + gamma (1 - done_t) G_{t+1}`` over ``[T, ...]``
    (``bootstrap``: value after the last step when the trajectory is cut mid-episode)."""
    not_done = 1.0 - done.astype(rewards.dtype)
    last = jnp.zeros_like(rewards[0]) if bootstrap is None else bootstrap * (1.0 - terminated[-1])

    def body(carry, xs):
        r, nd = xs
        g = r + gamma * nd * carry
        return g, g

    _, returns = jax.lax.scan(body, last, (rewards, not_done), reverse=True)
    return returns


def normalize(x: jax.Array, mask: jax.Array | None = None, eps: float = 1e-8) -> jax.Array:
    """Zero-mean, unit-std normalisation (over the entries where ``mask`` is true)."""
    if mask is None:
        return (x - x.mean()) / (x.std() + eps)
    m = mask.astype(x.dtype)
    n = jnp.maximum(m.sum(), 1.0)
    mean = (x * m).sum() / n
    std = jnp.sqrt((((x - mean) * m) ** 2).sum() / n)
    return jnp.where(mask, (x - mean) / (std + eps), 0.0)


def clipped_surrogate(log_prob: jax.Array, old_log_prob: jax.Array, advantages: jax.Array,
                      clip_eps) -> tuple[jax.Array, jax.Array]:
    """PPO's clipped objective as a loss (PPO eq. 7, negated), per sample; and the ratio."""
    ratio = jnp.exp(log_prob - old_log_prob)
    unclipped = ratio * advantages
    clipped = jnp.clip(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages
    return -jnp.minimum(unclipped, clipped), ratio


def clipped_value_loss(values: jax.Array, old_values: jax.Array, returns: jax.Array,
                       clip_eps) -> jax.Array:
    """Value loss with PPO2's value clipping, per sample: ``0.5 max((v - R)^2, (v_clip - R)^2)``."""
    clipped = old_values + jnp.clip(values - old_values, -clip_eps, clip_eps)
    return 0.5 * jnp.maximum((values - returns) ** 2, (clipped - returns) ** 2)


def approx_kl(log_prob: jax.Array, old_log_prob: jax.Array) -> jax.Array:
    """The low-variance KL estimator ``E[(r - 1) - log r]`` (Schulman's "k3")."""
    log_ratio = log_prob - old_log_prob
    return jnp.mean(jnp.exp(log_ratio) - 1.0 - log_ratio)


def adam_with_clipping(max_grad_norm) -> optax.GradientTransformation:
    """Global-norm clipping then Adam's scaling; the learning rate is applied by
    :func:`apply_update` so that it can be a (vmappable) hyper-parameter leaf."""
    return optax.chain(optax.clip_by_global_norm(max_grad_norm), optax.scale_by_adam(eps=1e-5))


def apply_update(params: Any, grads: Any, opt_state: Any, optimizer: optax.GradientTransformation,
                 learning_rate) -> tuple[Any, Any]:
    updates, opt_state = optimizer.update(grads, opt_state, params)
    params = jax.tree_util.tree_map(lambda p, u: p - learning_rate * u.astype(p.dtype), params, updates)
    return params, opt_state


def minibatch_epochs(key: jax.Array, params: Any, opt_state: Any, data: Any,
                     loss_fn: Callable[[Any, Any], tuple[jax.Array, dict]],
                     optimizer: optax.GradientTransformation, learning_rate, num_epochs: int,
                     num_minibatches: int) -> tuple[Any, Any, dict]:
    """``num_epochs`` passes over ``data`` (leaves ``[N, ...]``) in shuffled minibatches, one
    gradient step of ``loss_fn(params, minibatch) -> (loss, metrics)`` each. Returns the new
    params, optimizer state and the metrics averaged over all steps."""
    n = jax.tree_util.tree_leaves(data)[0].shape[0]
    size = n // num_minibatches
    grad_fn = jax.value_and_grad(loss_fn, has_aux=True)

    def epoch(carry, epoch_key):
        params, opt_state = carry
        perm = jax.random.permutation(epoch_key, n)[: size * num_minibatches]
        batches = jax.tree_util.tree_map(
            lambda x: x[perm].reshape((num_minibatches, size) + x.shape[1:]), data)

        def step(carry, mb):
            params, opt_state = carry
            (loss, metrics), grads = grad_fn(params, mb)
            params, opt_state = apply_update(params, grads, opt_state, optimizer, learning_rate)
            return (params, opt_state), {"loss": loss, **metrics}

        return jax.lax.scan(step, (params, opt_state), batches)

    (params, opt_state), metrics = jax.lax.scan(epoch, (params, opt_state),
                                                jax.random.split(key, num_epochs))
    return params, opt_state, jax.tree_util.tree_map(jnp.mean, metrics)
