"""Categorical policies over variable candidate sets: a softmax over the valid entries of a row.

A scorer gives a logit to every (agent, candidate) pair; the policy of an agent is the softmax
over its valid candidates (ride-sharing: one vehicle's row over the open orders, spec ospo.md
§1.3). Masked entries get probability exactly 0; a row with no valid candidate has all-zero
probabilities (and zero entropy, zero KL), never NaN. Generic: any leading axes, the last axis
is the candidate axis. Masked logits use :data:`rlkit.distributions.MASKED_LOGIT` (finite, so
gradients stay finite).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from rlkit.distributions import MASKED_LOGIT


def masked_log_softmax(logits: jax.Array, mask: jax.Array) -> jax.Array:
    """``log pi`` over the valid entries of each row; ``MASKED_LOGIT`` on masked entries."""
    logp = jax.nn.log_softmax(jnp.where(mask, logits, MASKED_LOGIT), axis=-1)
    return jnp.where(mask, logp, MASKED_LOGIT)


def masked_softmax(logits: jax.Array, mask: jax.Array) -> jax.Array:
    """Row softmax over the valid entries; masked entries and empty rows are 0."""
    return jnp.where(mask, jnp.exp(masked_log_softmax(logits, mask)), 0.0)


def candidate_log_prob(logits: jax.Array, mask: jax.Array, index: jax.Array) -> jax.Array:
    """``log pi(index)`` per row (``index`` has the leading shape of ``logits``)."""
    logp = masked_log_softmax(logits, mask)
    return jnp.take_along_axis(logp, index[..., None].astype(jnp.int32), axis=-1)[..., 0]


def masked_entropy(logits: jax.Array, mask: jax.Array) -> jax.Array:
    """Entropy of each row's candidate distribution (0 for an empty row)."""
    logp = masked_log_softmax(logits, mask)
    return -jnp.sum(jnp.where(mask, jnp.exp(logp) * logp, 0.0), axis=-1)


def masked_kl(logits: jax.Array, ref_logits: jax.Array, mask: jax.Array) -> jax.Array:
    """``KL(pi || pi_ref) = sum_j pi_j (log pi_j - log pi_ref_j)`` per row over valid entries."""
    logp = masked_log_softmax(logits, mask)
    logq = masked_log_softmax(ref_logits, mask)
    return jnp.sum(jnp.where(mask, jnp.exp(logp) * (logp - logq), 0.0), axis=-1)
