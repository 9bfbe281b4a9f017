"""Action and observation spaces (gymnax style), convertible to gymnasium spaces.

A space describes one environment's (unbatched) observation or action. Spaces are plain Python
objects: their sizes are static, so they can be read while tracing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np


class Space:
    """Base class: ``sample(key)`` draws a value, ``contains(x)`` checks one (shape and range)."""

    def sample(self, key: jax.Array) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def contains(self, x: Any) -> jax.Array:  # pragma: no cover - interface
        raise NotImplementedError

    def to_gymnasium(self) -> gymnasium.spaces.Space:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Discrete(Space):
    """Integers ``0..n-1``."""

    n: int
    dtype: Any = jnp.int32

    def __post_init__(self):
        if int(self.n) < 1:
            raise ValueError(f"Discrete space needs n >= 1, got n={self.n}")

    @property
    def shape(self) -> tuple[int, ...]:
        return ()

    def sample(self, key):
        return jax.random.randint(key, (), 0, self.n, dtype=self.dtype)

    def contains(self, x):
        x = jnp.asarray(x)
        return (x.shape == ()) & (x >= 0) & (x < self.n)

    def to_gymnasium(self):
        return gymnasium.spaces.Discrete(int(self.n))


@dataclass(frozen=True)
class MultiDiscrete(Space):
    """An array of integers, entry ``i`` in ``0..nvec[i]-1`` (e.g. one action per agent)."""

    nvec: tuple[int, ...]
    dtype: Any = jnp.int32

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.nvec),)

    def sample(self, key):
        n = jnp.asarray(self.nvec)
        return jax.random.randint(key, n.shape, 0, n, dtype=self.dtype)

    def contains(self, x):
        x = jnp.asarray(x)
        n = jnp.asarray(self.nvec)
        return (x.shape == n.shape) & jnp.all((x >= 0) & (x < n))

    def to_gymnasium(self):
        return gymnasium.spaces.MultiDiscrete(np.asarray(self.nvec, dtype=np.int64))


@dataclass(frozen=True)
class Box(Space):
    """A real array of ``shape`` with elementwise bounds ``low <= x <= high``."""

    low: Any
    high: Any
    shape: tuple[int, ...]
    dtype: Any = jnp.float32

    def sample(self, key):
        low = jnp.broadcast_to(jnp.asarray(self.low, self.dtype), self.shape)
        high = jnp.broadcast_to(jnp.asarray(self.high, self.dtype), self.shape)
        finite_low = jnp.where(jnp.isfinite(low), low, -1.0)
        finite_high = jnp.where(jnp.isfinite(high), high, 1.0)
        if jnp.issubdtype(self.dtype, jnp.integer):
            return jax.random.randint(key, self.shape, finite_low, finite_high + 1, self.dtype)
        return jax.random.uniform(key, self.shape, self.dtype, finite_low, finite_high)

    def contains(self, x):
        x = jnp.asarray(x)
        return (x.shape == tuple(self.shape)) & jnp.all((x >= self.low) & (x <= self.high))

    def to_gymnasium(self):
        dtype = np.dtype(self.dtype)
        low = np.broadcast_to(np.asarray(self.low, dtype), self.shape)
        high = np.broadcast_to(np.asarray(self.high, dtype), self.shape)
        return gymnasium.spaces.Box(low=low, high=high, shape=tuple(self.shape), dtype=dtype)


@dataclass(frozen=True)
class Dict(Space):
    """A mapping of named sub-spaces (e.g. ``{"agents": ..., "planner": ...}``)."""

    spaces: Mapping[str, Space] = field(default_factory=dict)

    def sample(self, key):
        keys = jax.random.split(key, len(self.spaces))
        return {name: sp.sample(k) for (name, sp), k in zip(self.spaces.items(), keys)}

    def contains(self, x):
        ok = jnp.asarray(set(x) == set(self.spaces))
        for name, sp in self.spaces.items():
            ok = ok & sp.contains(x[name])
        return ok

    def to_gymnasium(self):
        return gymnasium.spaces.Dict({k: v.to_gymnasium() for k, v in self.spaces.items()})
