"""Critic-free, group-relative advantage pieces (GRPO-style) for multi-agent policy gradients.

Shared by the ride-sharing agents (GRPO and OSPO, spec ospo.md §3-§4) and usable by any
homogeneous multi-agent learner; they sit beside :mod:`rlkit.ppo` and are pure functions:

- :func:`group_normalize`: ``(x - mean_g) / (std_g + eps)`` over the valid entries of each group
  (population std, as ``numpy.std``): OSPO's one-step advantage (group = agents matched in the
  same minute) and GRPO's whole-episode reward normalisation;
- :func:`gap_discounted_returns`: per-agent reward-to-go over the agent's own decisions,
  ``G_k = r_k + gamma^(t_{k+1} - t_k) G_{k+1}`` (semi-MDP discounting by the minutes to the next
  decision), cut at episode ends (the last decision has ``G = r``);
- :func:`income_std_change`: the fairness shaping ``p_t = -(sigma_t - sigma_{t-1})`` with
  ``sigma_t`` the std over agents of the cumulative episode reward;
- :func:`asymmetric_clipped_surrogate`: PPO's clipped objective with separate lower and upper
  clip widths (the paper code clips the ratio to ``[1 - eps, 1 + 1.4 eps]``).
"""
from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp


def group_normalize(x: jax.Array, mask: jax.Array, axes: int | Sequence[int], eps: float = 1e-8
                    ) -> jax.Array:
    """Normalise ``x`` within groups: reduce over ``axes`` (the members of a group), statistics
    over the entries where ``mask``; masked-out entries are returned as 0."""
    axes = (axes,) if isinstance(axes, int) else tuple(axes)
    m = mask.astype(x.dtype)
    n = jnp.maximum(m.sum(axes, keepdims=True), 1.0)
    mean = (x * m).sum(axes, keepdims=True) / n
    std = jnp.sqrt((((x - mean) * m) ** 2).sum(axes, keepdims=True) / n)
    return jnp.where(mask, (x - mean) / (std + eps), 0.0)


def gap_discounted_returns(rewards: jax.Array, decisions: jax.Array, done: jax.Array, gamma
                           ) -> jax.Array:
    """Reward-to-go over each agent's decision steps, time on axis 0.

    ``rewards`` and ``decisions`` are ``[T, ...]`` (trailing axes: agents); ``done [T]`` (or
    broadcastable) marks the last step of an episode. At a decision step ``t`` with next
    decision ``t'`` of the same agent in the same episode, ``G_t = r_t + gamma^(t' - t) G_t'``;
    without one, ``G_t = r_t``. Zero at non-decision steps.
    """
    T = rewards.shape[0]
    done = jnp.broadcast_to(jnp.reshape(done, (T,) + (1,) * (rewards.ndim - 1)), rewards.shape)
    gamma = jnp.asarray(gamma, rewards.dtype)

    def body(carry, xs):
        g_next, has_next, t_next = carry
        r, dec, dn, t = xs
        has_next = has_next & ~dn
        g = r + jnp.where(has_next, gamma ** (t_next - t).astype(rewards.dtype) * g_next, 0.0)
        carry = (jnp.where(dec, g, g_next), jnp.where(dec, True, has_next), jnp.where(dec, t, t_next))
        return carry, jnp.where(dec, g, 0.0)

    init = (jnp.zeros(rewards.shape[1:], rewards.dtype), jnp.zeros(rewards.shape[1:], bool),
            jnp.zeros(rewards.shape[1:], jnp.int32))
    times = jnp.broadcast_to(jnp.arange(T, dtype=jnp.int32).reshape((T,) + (1,) * (rewards.ndim - 1)),
                             rewards.shape)
    _, returns = jax.lax.scan(body, init, (rewards, decisions, done, times), reverse=True)
    return returns


def income_std_change(rewards: jax.Array, done: jax.Array) -> jax.Array:
    """``p_t = -(sigma_t - sigma_{t-1})`` for ``rewards [T, N]`` (N agents), ``done [T]``;
    ``sigma_t`` is the std over agents of their reward summed since the episode start (the
    first step of the batch counts as a start), ``sigma_{-1} = 0``. Returns ``[T]``."""
    def body(carry, xs):
        cum, prev = carry
        r, dn = xs
        cum = cum + r
        sigma = jnp.std(cum)
        p = -(sigma - prev)
        carry = (jnp.where(dn, 0.0, cum), jnp.where(dn, 0.0, sigma))
        return carry, p

    init = (jnp.zeros(rewards.shape[1:], rewards.dtype), jnp.zeros((), rewards.dtype))
    _, p = jax.lax.scan(body, init, (rewards, done))
    return p


def asymmetric_clipped_surrogate(log_prob: jax.Array, old_log_prob: jax.Array, advantages: jax.Array,
                                 clip_low, clip_high) -> tuple[jax.Array, jax.Array]:
    """``-min(rho A, clip(rho, 1 - clip_low, 1 + clip_high) A)`` per sample, and ``rho``
    (PPO eq. 7 with an asymmetric clip range)."""
    ratio = jnp.exp(log_prob - old_log_prob)
    clipped = jnp.clip(ratio, 1.0 - clip_low, 1.0 + clip_high) * advantages
    return -jnp.minimum(ratio * advantages, clipped), ratio
