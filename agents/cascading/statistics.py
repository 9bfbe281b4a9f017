"""Per-item statistics of cascading RL, updated from cascading semi-bandit feedback (spec §3.2).

Kept per (state, item), never per list, which is why CascadingVI's bounds depend on N and not on
the number of lists:

- ``examined[s, a]`` = n^q(s, a): times item ``a`` was examined in ``s`` (it sat at or before the
  click, or anywhere in a list that got no click);
- ``clicks[s, a]`` = c(s, a): times ``a`` was clicked in ``s`` (``q_hat = c / n^q``);
- ``transitions``: :class:`rlkit.tabular.Counts` with one step (stationary model) and ``N + 1``
  actions, the last being the no-click item ``a_bot``: ``n^p(s, a)`` (= c(s, a) for items),
  next-state counts and reward sums of the clicked item.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit.cascading import gather_items
from rlkit.tabular import Counts, add_transitions, zero_counts


@struct.dataclass
class ItemStats:
    examined: jax.Array   # [S, N]
    clicks: jax.Array     # [S, N]
    transitions: Counts   # n [1, S, N + 1], n_next [1, S, N + 1, S], reward sums


def zero_item_stats(S: int, N: int) -> ItemStats:
    z = jnp.zeros((S, N), jnp.float64)
    return ItemStats(z, z, zero_counts(1, S, N + 1))


def examined_mask(action: jax.Array, click_pos: jax.Array) -> jax.Array:
    """Positions whose attraction outcome was observed: up to and including the click, or the
    whole list when nothing was clicked (cascading feedback, spec §1.1). ``action`` ``[..., m]``."""
    positions = jnp.arange(action.shape[-1])
    _, valid = gather_items(jnp.zeros((1,)), action)
    seen = (click_pos[..., None] < 0) | (positions <= click_pos[..., None])
    return valid & seen


def add_feedback(stats: ItemStats, s: jax.Array, action: jax.Array, click_pos: jax.Array,
                 clicked_item: jax.Array, reward: jax.Array, s_next: jax.Array) -> ItemStats:
    """Add steps with leading shape ``[...]`` (``action`` ``[..., m]``); scatter-adds, jittable."""
    N = stats.clicks.shape[1]
    seen = examined_mask(action, click_pos).astype(jnp.float64)
    s_items = jnp.broadcast_to(s[..., None], action.shape)
    examined = stats.examined.at[s_items.ravel(), jnp.clip(action, 0, N - 1).ravel()].add(seen.ravel())
    clicked = (clicked_item < N).astype(jnp.float64)
    clicks = stats.clicks.at[s.ravel(), jnp.minimum(clicked_item, N - 1).ravel()].add(clicked.ravel())
    transitions = add_transitions(stats.transitions, jnp.zeros_like(s), s, clicked_item, reward, s_next)
    return ItemStats(examined, clicks, transitions)


def add_batch(stats: ItemStats, batch) -> ItemStats:
    """Add every step of a trajectory batch from :class:`envs.cascading.CascadingMDP`
    (obs ``[..., 2] = (h, s)``, info ``click_pos`` / ``clicked_item``)."""
    return add_feedback(stats, batch.obs[..., 1], batch.action, batch.info["click_pos"],
                        batch.info["clicked_item"], batch.reward, batch.next_obs[..., 1])
