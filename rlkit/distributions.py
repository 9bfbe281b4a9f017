"""Categorical distributions over logits, with optional action masks (kept in-house: the
frameworks spec §6 advises against depending on distrax), and inverse-CDF sampling from
cumulative tables (tabular envs and policies, demand models)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

MASKED_LOGIT = -1e9


def masked_logits(logits: jax.Array, mask: jax.Array | None) -> jax.Array:
    """Logits with disallowed actions (``mask == False``) pushed to a large negative value."""
    return logits if mask is None else jnp.where(mask, logits, MASKED_LOGIT)


def log_prob(logits: jax.Array, action: jax.Array) -> jax.Array:
    """``log pi(action)`` for integer actions, batched over leading axes."""
    logp = jax.nn.log_softmax(logits, axis=-1)
    return jnp.take_along_axis(logp, action[..., None].astype(jnp.int32), axis=-1)[..., 0]


def entropy(logits: jax.Array) -> jax.Array:
    """Entropy of the categorical distribution (masked entries contribute 0)."""
    logp = jax.nn.log_softmax(logits, axis=-1)
    p = jnp.exp(logp)
    return -jnp.sum(jnp.where(p > 0, p * logp, 0.0), axis=-1)


def sample(key: jax.Array, logits: jax.Array) -> jax.Array:
    return jax.random.categorical(key, logits, axis=-1).astype(jnp.int32)


def inverse_cdf(u: jax.Array, cdf: jax.Array) -> jax.Array:
    """Inverse-CDF index: the ``j`` with ``cdf[j-1] <= u < cdf[j]`` along the last axis of
    ``cdf`` (``u`` broadcasts against ``cdf[..., 0]``); int32. Zero-probability entries are never
    drawn; far cheaper than ``jax.random.categorical`` on logits (DESIGN.md)."""
    return jnp.minimum(jnp.sum(u[..., None] >= cdf, axis=-1, dtype=jnp.int32), cdf.shape[-1] - 1)
