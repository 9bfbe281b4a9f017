"""A fixed-capacity circular replay buffer as a pytree (DQN and deep SQIRL).

``add`` writes the entries of a batch selected by a mask (compacted in order; unselected entries
are dropped by an out-of-range scatter), ``sample`` draws uniformly among the stored entries.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass
class ReplayBuffer:
    data: Any          # pytree, leaves [capacity, ...]
    ptr: jax.Array     # next write position
    size: jax.Array    # number of valid entries

    @property
    def capacity(self) -> int:
        return jax.tree_util.tree_leaves(self.data)[0].shape[0]


def empty_buffer(example: Any, capacity: int) -> ReplayBuffer:
    """A buffer for entries shaped like ``example`` (one entry, no batch axis)."""
    data = jax.tree_util.tree_map(
        lambda x: jnp.zeros((capacity,) + jnp.shape(x), jnp.asarray(x).dtype), example)
    return ReplayBuffer(data, jnp.int32(0), jnp.int32(0))


def add(buffer: ReplayBuffer, items: Any, mask: jax.Array | None = None) -> ReplayBuffer:
    """Append the entries ``items[i]`` (leading axis) with ``mask[i]`` true, overwriting the oldest."""
    n = jax.tree_util.tree_leaves(items)[0].shape[0]
    mask = jnp.ones(n, bool) if mask is None else mask
    capacity = buffer.capacity
    offset = jnp.cumsum(mask) - 1
    position = jnp.where(mask, (buffer.ptr + offset) % capacity, capacity)   # capacity = dropped
    data = jax.tree_util.tree_map(lambda d, x: d.at[position].set(x.astype(d.dtype), mode="drop"),
                                  buffer.data, items)
    count = jnp.sum(mask).astype(jnp.int32)
    return ReplayBuffer(data, (buffer.ptr + count) % capacity, jnp.minimum(buffer.size + count, capacity))


def sample(buffer: ReplayBuffer, key: jax.Array, batch_size: int) -> Any:
    """``batch_size`` entries drawn uniformly (with replacement) from the stored ones."""
    idx = jax.random.randint(key, (batch_size,), 0, jnp.maximum(buffer.size, 1))
    return jax.tree_util.tree_map(lambda d: d[idx], buffer.data)
