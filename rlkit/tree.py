"""Small pytree helpers shared across rlkit."""
from __future__ import annotations

from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def tree_where(cond: jax.Array, on_true: Any, on_false: Any) -> Any:
    """Elementwise select between two pytrees of the same structure (``cond`` broadcasts)."""
    return jax.tree_util.tree_map(lambda a, b: jnp.where(cond, a, b), on_true, on_false)


def tree_stack(trees: Sequence[Any]) -> Any:
    """Stack a list of same-structure pytrees along a new leading axis."""
    return jax.tree_util.tree_map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *trees)


def tree_index(tree: Any, i: Any) -> Any:
    """Take index ``i`` of the leading axis of every leaf."""
    return jax.tree_util.tree_map(lambda x: x[i], tree)


def tree_to_numpy(tree: Any) -> Any:
    """Copy every leaf of a pytree to host numpy (blocking)."""
    return jax.tree_util.tree_map(np.asarray, jax.device_get(tree))


def tree_concat(trees: Sequence[Any], axis: int = 0) -> Any:
    """Concatenate same-structure pytrees of numpy or jax arrays along ``axis``."""
    return jax.tree_util.tree_map(lambda *xs: np.concatenate([np.asarray(x) for x in xs], axis), *trees)
