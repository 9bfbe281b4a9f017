"""The action space of a cascading MDP: ordered lists of 1..m distinct items out of N."""
from __future__ import annotations

from dataclasses import dataclass

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np

from rlkit.cascading.lists import PAD
from rlkit.spaces import Space


@dataclass(frozen=True)
class ItemListSpace(Space):
    """Int arrays of length ``m``: 1..m distinct items in ``0..N-1``, then :data:`PAD` (-1)."""

    N: int
    m: int
    dtype: object = jnp.int32

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.m,)

    def sample(self, key: jax.Array) -> jax.Array:
        """A uniformly random length in 1..m, then a uniformly random ordered choice of items."""
        k_len, k_perm = jax.random.split(key)
        length = jax.random.randint(k_len, (), 1, self.m + 1)
        items = jax.random.permutation(k_perm, self.N)[: self.m].astype(self.dtype)
        return jnp.where(jnp.arange(self.m) < length, items, PAD).astype(self.dtype)

    def contains(self, x) -> jax.Array:
        x = jnp.asarray(x)
        if x.shape != (self.m,):
            return jnp.asarray(False)
        valid = x >= 0
        prefix = jnp.all(valid == (jnp.cumsum(~valid) == 0))
        in_range = jnp.all(~valid | (x < self.N))
        same = (x[:, None] == x[None, :]) & valid[:, None] & valid[None, :]
        distinct = jnp.sum(same) == jnp.sum(valid)
        return prefix & valid[0] & in_range & distinct

    def to_gymnasium(self) -> gymnasium.spaces.Space:
        return gymnasium.spaces.Box(low=PAD, high=self.N - 1, shape=(self.m,), dtype=np.int64)
