"""Item lists of a cascading MDP and the cascade value ``f(A, u, w)``.

An *item list* (an action of the cascading MDP, Du, Srikant & Chen, ICLR 2024, §1.1 of the spec)
is an ordered set of 1..m distinct items out of N, stored as an int array of length ``m`` padded
with :data:`PAD` (``-1``) after its last item: ``(3, 0, -1)`` is the list "item 3, then item 0".

The no-click item ``a_bot`` sits after every list with attraction 1 and weight ``w_bot``; the
value of a list is the paper's ``f(A, u, w)`` (spec §1.3)::

    f(A, u, w) = sum_i prod_{j<i} (1 - u(A_j)) u(A_i) w(A_i) + prod_j (1 - u(A_j)) w_bot

computed here by the backward recursion ``g <- u(A_i) w(A_i) + (1 - u(A_i)) g`` from
``g = w_bot``, the same arithmetic as BestPerm's DP, so both give bit-identical values.
"""
from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

PAD = -1


def num_lists(N: int, m: int) -> int:
    """``|A| = sum_{k=1..m} N! / (N - k)!``: the number of ordered lists of 1..m distinct items."""
    return sum(math.perm(N, k) for k in range(1, m + 1))


def enumerate_lists(N: int, m: int) -> np.ndarray:
    """All item lists of length 1..m as a table ``[|A|, m]`` padded with :data:`PAD`.

    Order: by length, then lexicographically. Built in numpy once per ``(N, m)`` (static shapes).
    """
    rows = []
    for k in range(1, m + 1):
        for perm in itertools.permutations(range(N), k):
            rows.append(list(perm) + [PAD] * (m - k))
    return np.asarray(rows, np.int32).reshape(-1, m)


def list_length(lists: jax.Array) -> jax.Array:
    """Number of items of each list (entries before the first pad)."""
    return jnp.sum(jnp.cumprod(lists >= 0, axis=-1), axis=-1)


def gather_items(values: jax.Array, lists: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``values[..., A_i]`` for the entries of ``lists`` ``[..., m]`` and the mask of real items.

    ``values`` is ``[..., N]`` with the same leading shape as ``lists`` (or broadcastable).
    Entries after the first pad are masked out.
    """
    valid = jnp.cumprod(lists >= 0, axis=-1).astype(bool)
    idx = jnp.clip(lists, 0, values.shape[-1] - 1)
    values = jnp.broadcast_to(values, lists.shape[:-1] + values.shape[-1:])
    return jnp.take_along_axis(values, idx, axis=-1), valid


def cascade_value(lists: jax.Array, u: jax.Array, w: jax.Array, w_bot: jax.Array) -> jax.Array:
    """The paper's ``f(A, u, w)`` for every list (spec §1.3, the "weight notation").

    ``lists`` ``[..., m]``; ``u``, ``w`` ``[..., N]``; ``w_bot`` ``[...]`` (broadcast to the
    lists' leading shape). Backward recursion over positions, identical to BestPerm's DP.
    """
    u_l, valid = gather_items(u, lists)
    w_l, _ = gather_items(w, lists)
    g = jnp.broadcast_to(jnp.asarray(w_bot, w_l.dtype), lists.shape[:-1])
    for i in range(lists.shape[-1] - 1, -1, -1):
        g = jnp.where(valid[..., i], u_l[..., i] * w_l[..., i] + (1.0 - u_l[..., i]) * g, g)
    return g


def cascade_value_box(lists: jax.Array, u_low: jax.Array, u_high: jax.Array, w: jax.Array,
                      w_bot: jax.Array, lower: bool = True) -> jax.Array:
    """``min`` (``lower=True``) or ``max`` of ``f(A, u, w)`` over ``u`` in the box ``[u_low, u_high]``.

    [derived] For a fixed list ``f`` is *not* monotone in ``u`` (spec §2.5), so plugging the lower
    attraction bound into ``f`` does not lower-bound it. But ``f = u_1 w_1 + (1 - u_1) f(A[2:])``
    with ``1 - u_1 >= 0``, so the extremum over the box is the same backward recursion choosing, at
    each position, the endpoint ``u_i`` that moves ``u_i w_i + (1 - u_i) g`` the desired way
    (``u_low`` when ``w_i >= g`` for the minimum). Used for pessimistic list values (CascadingVI's
    ``V_low`` and CascadingBPI's stopping rule).
    """
    lo, valid = gather_items(u_low, lists)
    hi, _ = gather_items(u_high, lists)
    w_l, _ = gather_items(w, lists)
    g = jnp.broadcast_to(jnp.asarray(w_bot, w_l.dtype), lists.shape[:-1])
    for i in range(lists.shape[-1] - 1, -1, -1):
        a = lo[..., i] * w_l[..., i] + (1.0 - lo[..., i]) * g
        b = hi[..., i] * w_l[..., i] + (1.0 - hi[..., i]) * g
        g = jnp.where(valid[..., i], jnp.minimum(a, b) if lower else jnp.maximum(a, b), g)
    return g


def click_distribution(lists: jax.Array, u: jax.Array) -> jax.Array:
    """Probability of a click at each position ``[..., m]`` and of no click (last entry).

    Spec §1.2: position ``i`` is clicked with probability ``prod_{j<i}(1 - u_j) u_i``; no click
    with ``prod_j (1 - u_j)``. Returns ``[..., m + 1]``.
    """
    u_l, valid = gather_items(u, lists)
    u_l = jnp.where(valid, u_l, 0.0)
    survive = jnp.cumprod(1.0 - u_l, axis=-1)
    before = jnp.concatenate([jnp.ones_like(survive[..., :1]), survive[..., :-1]], axis=-1)
    return jnp.concatenate([before * u_l, survive[..., -1:]], axis=-1)
