"""Critic-free advantages of GRPO and OSPO over a rollout ``[E, T, V]`` (spec ospo.md §3, §4).

Inputs: raw per-vehicle rewards ``r [E, T, V]`` (0 where a vehicle got no order), ``matched``
(the vehicles that made a decision: only they produce samples), ``done [E, T]``. Groups are per
env (one city is one homogeneous fleet):

- ``ospo_one_step`` [paper, OSPO/Platform.feedback]: ``A = (r - mean_M r) / (std_M r + 1e-8)``
  over the vehicles ``M`` matched in the same minute (``norm_scope="step"``) or over all matched
  transitions of the episode (``"episode"``); no reward-to-go, no bootstrap;
- ``grpo_rtg_code`` [paper code, Buffer.process(reward_type=2, norm_type=2)]: normalise the
  one-step rewards over the episode (or the minute), then accumulate per vehicle
  ``G_k = r~_k + gamma^(dt_k) G_{k+1}`` (dt = minutes to the same vehicle's next match), cut at
  the episode end;
- ``grpo_rtg_group`` [design, the literal "group average reward-to-go" reading]: raw per-vehicle
  reward-to-go ``G``, then ``(G - mean) / std`` over the group (minute or episode).

``fairness_term="delta_std"`` adds ``p_t = -(sigma_t - sigma_{t-1})`` (std over the fleet of the
cumulative raw episode reward) to every matched vehicle's advantage at minute ``t`` (the OSPO
code's sign; the GRPO code stores the opposite sign, spec §3, which we do not replicate).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from rlkit.group_relative import gap_discounted_returns, group_normalize, income_std_change

ADVANTAGES = ("ospo_one_step", "grpo_rtg_code", "grpo_rtg_group")
NORM_SCOPES = ("step", "episode")
FAIRNESS_TERMS = ("none", "delta_std")


def _axes(norm_scope: str) -> tuple[int, ...]:
    return (2,) if norm_scope == "step" else (1, 2)


def _returns(r: jax.Array, matched: jax.Array, done: jax.Array, gamma) -> jax.Array:
    return jax.vmap(gap_discounted_returns, in_axes=(0, 0, 0, None))(r, matched, done, gamma)


def compute_advantages(r: jax.Array, matched: jax.Array, done: jax.Array, advantage: str,
                       norm_scope: str, fairness_term: str, gamma) -> jax.Array:
    """Advantages ``[E, T, V]`` (0 for unmatched vehicles); see the module docstring."""
    axes = _axes(norm_scope)
    if advantage == "ospo_one_step":
        adv = group_normalize(r, matched, axes)
    elif advantage == "grpo_rtg_code":
        adv = _returns(group_normalize(r, matched, axes), matched, done, gamma)
    elif advantage == "grpo_rtg_group":
        adv = group_normalize(_returns(r, matched, done, gamma), matched, axes)
    else:
        raise ValueError(f"unknown advantage {advantage!r}; allowed: {ADVANTAGES}")
    if fairness_term == "delta_std":
        p = jax.vmap(income_std_change)(jnp.where(matched, r, 0.0), done)   # [E, T]
        adv = adv + p[..., None]
    elif fairness_term != "none":
        raise ValueError(f"unknown fairness_term {fairness_term!r}; allowed: {FAIRNESS_TERMS}")
    return jnp.where(matched, adv, 0.0)
