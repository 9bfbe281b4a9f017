"""Decentralised scoring, centralised matching: the acting side shared by the dispatch agents.

Workflow of the paper (spec ospo.md §1.3, §2): (1) the shared network scores every (vehicle,
order) pair; (2) a row softmax over the open orders gives each available vehicle's policy
``P[i, j]``; (3) a central assignment maximises ``sum P`` (each vehicle <= 1 order, each order
<= 1 vehicle, unmatched allowed), solved by :func:`rlkit.assignment.auction_match` (the paper
uses ``linear_sum_assignment``); the matched order is the vehicle's action and ``P[i, a_i]`` its
stored probability (the importance ratio uses it, as in the code).

Exploration during training (``exploration``):

- ``"sample"`` [design, default]: each vehicle draws ``a_i ~ P_i`` and its entry gets
  ``+ boost``: without conflicts the matching follows the samples (on-policy); conflicts are
  resolved by the matcher;
- ``"epsilon"`` [paper]: every valid entry is boosted independently with probability
  ``epsilon_t = max(eps_min, eps_0 * decay^episode)`` (the code sets it to 1e8);
- ``"none"``: the deterministic policy.

Greedy evaluation episodes [paper: one greedy episode every 10]: at each episode start an env
is a greedy (no exploration) episode with probability ``eval_fraction`` (the per-env carry);
those episodes are excluded from the gradient and reported as ``eval_*`` metric sums.
"""
from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from agents.ridesharing.scorer import pair_inputs
from rlkit import candidates
from rlkit.agent import Trajectory
from rlkit.assignment import auction_match

EXPLORATION = ("sample", "epsilon", "none")
EVAL_KEYS = ("served", "pickup_minutes", "platform_reward", "lost", "arrivals", "delivered",
             "delivery_minutes", "detour_minutes", "confirmation_minutes")


def valid_pairs(obs: dict) -> jax.Array:
    """``[..., V, No]``: available vehicle x open order."""
    return obs["available"][..., :, None] & obs["order_mask"][..., None, :]


def policy_logits(apply: Callable, params: Any, obs: dict, travel_time: jax.Array, features: str
                  ) -> jax.Array:
    """Pair logits ``[..., V, No]`` for a (batch of) fleet observation(s)."""
    pair = pair_inputs(features, obs["vehicle_zone"], obs["order_pickup"], travel_time)
    return apply(params, obs["vehicle"], obs["order"], pair)


def exploration_weights(key: jax.Array, probs: jax.Array, logp: jax.Array, mask: jax.Array,
                        mode: str, boost, epsilon) -> jax.Array:
    """Matching weights ``P + boost * explore`` (see the module docstring)."""
    if mode == "none":
        return probs
    if mode == "sample":
        gumbel = jax.random.gumbel(key, probs.shape)
        pick = jnp.argmax(jnp.where(mask, logp + gumbel, -jnp.inf), axis=-1)
        bonus = jax.nn.one_hot(pick, probs.shape[-1], dtype=probs.dtype)
    elif mode == "epsilon":
        bonus = (jax.random.uniform(key, probs.shape) < epsilon).astype(probs.dtype)
    else:  # pragma: no cover - validated by the hparams
        raise ValueError(f"unknown exploration {mode!r}")
    return probs + boost * bonus * mask


def assignment_action(weights: jax.Array, mask: jax.Array, eps_rel: float = 1e-4
                      ) -> tuple[jax.Array, jax.Array]:
    """Joint action ``[V]`` (order slot, or ``No`` for none) maximising the total weight (within
    ``min(V, No) * eps_rel * max weight``: 1e-4 relative is ample for a probability matrix)."""
    n_orders = weights.shape[-1]
    match = auction_match(weights, mask, eps_rel=eps_rel)
    matched = match.row_to_col >= 0
    return jnp.where(matched, match.row_to_col, n_orders).astype(jnp.int32), matched


def act(key: jax.Array, apply: Callable, params: Any, obs: dict, travel_time: jax.Array,
        features: str, exploration: str, boost, epsilon, greedy: jax.Array
        ) -> tuple[jax.Array, dict]:
    """The policy's joint action for one fleet observation and what the learner stores."""
    logits = policy_logits(apply, params, obs, travel_time, features)
    mask = valid_pairs(obs)
    logp = candidates.masked_log_softmax(logits, mask)
    probs = jnp.where(mask, jnp.exp(logp), 0.0) + 1e-8 * mask   # the code's +1e-8: all valid > 0
    weights = exploration_weights(key, probs, logp, mask, exploration, boost * (1.0 - greedy), epsilon)
    action, matched = assignment_action(weights, mask)
    slot = jnp.minimum(action, logits.shape[-1] - 1)
    log_prob = jnp.where(matched, jnp.take_along_axis(logp, slot[:, None], 1)[:, 0], 0.0)
    return action, {"log_prob": log_prob, "greedy": greedy}


def greedy_episode(key: jax.Array, eval_fraction) -> dict:
    """Per-env carry: is the coming episode a greedy evaluation episode?"""
    return {"greedy": jax.random.bernoulli(key, eval_fraction)}


def episode_sums(batch: Trajectory, select: jax.Array, prefix: str = "eval_") -> dict:
    """Sums of the env's per-step metrics over the selected ``[E, T]`` steps, and the number of
    selected episodes that ended: ``mean = sum / episodes`` per evaluation episode."""
    sel = select.astype(jnp.float32)
    out = {f"{prefix}{k}_sum": jnp.sum(batch.info[k] * sel) for k in EVAL_KEYS if k in batch.info}
    out[f"{prefix}episodes"] = jnp.sum(batch.done * sel)
    return out


def flat_index(shape: tuple[int, ...], idx: jax.Array) -> tuple[jax.Array, ...]:
    return jnp.unravel_index(idx, shape)


def gather_samples(batch: Trajectory, idx: jax.Array) -> dict:
    """Per-sample data of flat ``(env, step, vehicle)`` indices ``idx [M]``: the vehicle's
    features and zone, that step's open-order table, the action and the stored log-prob."""
    E, T, V = batch.reward.shape
    e, t, v = flat_index((E, T, V), idx)
    obs = batch.obs
    return {
        "vehicle": obs["vehicle"][e, t, v], "vehicle_zone": obs["vehicle_zone"][e, t, v],
        "order": obs["order"][e, t], "order_pickup": obs["order_pickup"][e, t],
        "order_mask": obs["order_mask"][e, t], "action": batch.action[e, t, v],
        "old_log_prob": batch.agent_info["log_prob"][e, t, v],
    }


def sample_logits(apply: Callable, params: Any, samples: dict, travel_time: jax.Array,
                  features: str) -> jax.Array:
    """Logits ``[M, No]`` of each sampled vehicle over its step's orders."""
    pair = pair_inputs(features, samples["vehicle_zone"][:, None], samples["order_pickup"], travel_time)
    logits = apply(params, samples["vehicle"][:, None, :], samples["order"], pair)
    return logits[:, 0, :]
