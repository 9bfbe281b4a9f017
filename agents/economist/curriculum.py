"""The two-level curriculum of the AI Economist (spec §3.2; Foundation ``components/utils.py`` and the
phase-1/phase-2 RLlib configs), as pure functions of learner counters.

- Tax annealing: the planner may only pick rates ``<= clip(slope (completions - warmup), 0, 1) *
  rate_max``; Foundation's ``[-100, 0.001]`` unmasks rates up to 10% at 0 completions and every rate
  after 900 completed episodes per env replica.
- Labor-cost (energy) warm-up: the agents' labor cost is weighted by ``1 - exp(-n / C)``, ``n`` the
  number of steps whose mean agent reward was positive (Foundation ``energy_warmup_method="auto"``).
- Planner entropy decay: a high entropy coefficient (2.0) annealed linearly (to 0.125).

[design] These live in the learner, not the env (Foundation builds the masks inside the env from a
per-replica completion counter): the learner counts completed episodes per env replica from its
batches, adds the annealing mask to the env's mask when it samples, and re-weights the labor cost
the env reports in ``info["labor_cost"]``. The env stays stationary.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from rlkit import schedules

RATE_TOLERANCE = 1e-9


def annealed_tax_limit(completions, warmup, slope, rate_max=1.0) -> jax.Array:
    """``clip(slope (completions - warmup), 0, 1) * rate_max``; (-100, 0.001): 0 -> 0.1, 100 -> 0.2,
    500 -> 0.6, >= 900 -> 1.0."""
    return schedules.clipped_ramp(completions, warmup, slope, rate_max)


def annealed_tax_mask(completions, warmup, slope, rate_values) -> jax.Array:
    """Which rates are allowed: ``|rate| <= annealed_tax_limit`` (Foundation ``annealed_tax_mask``)."""
    limit = annealed_tax_limit(completions, warmup, slope, 1.0)
    return jnp.abs(jnp.asarray(rate_values)) <= limit + RATE_TOLERANCE


def planner_choice_mask(rate_mask: jax.Array) -> jax.Array:
    """The mask over the planner's choices ``[no change, rate_0, ..., rate_{R-1}]``."""
    return jnp.concatenate([jnp.ones((1,), bool), rate_mask])


def energy_weight(positive_steps, constant) -> jax.Array:
    """Weight of the labor cost, ``1 - exp(-n / C)`` (1 when ``C <= 0``: no warm-up)."""
    return schedules.exponential_warmup(positive_steps, constant)


def planner_entropy(iteration, start, end, begin, duration) -> jax.Array:
    """An entropy coefficient (the planner's, or the agents'): ``start`` until ``begin``, then
    linear to ``end`` over ``duration`` iterations."""
    return schedules.linear(iteration, start, end, begin, duration)
