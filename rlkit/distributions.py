"""Categorical distributions over logits, with optional action masks (kept in-house: the
frameworks spec §6 advises against depending on distrax)."""
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
