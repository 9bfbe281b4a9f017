"""The per-state oracle of cascading RL: ``max_{A} f(A, u, w)`` over lists of 1..m items.

Two exact oracles with the same output and the same tie-breaking:

- :func:`best_perm`: the paper's BestPerm (Algorithm 1; spec §2.2), ``O(N log N + N m)`` per state
  (``O(N^2 + N m)`` here for ``N <= 64``, see :func:`rank_order`);
- :func:`exhaustive_search`: enumeration of all ``|A| = O(N^m)`` lists (the oracle of
  CascadingVI-Oracle, spec §3.4, and the reference of the tests).

Both are jittable and batched: ``u``, ``w`` are ``[..., N]`` and ``w_bot`` ``[...]`` for any
leading (state) shape, and they return :class:`OracleResult` (value ``[...]``, list ``[..., m]``).

**Tie-breaking** [design] (the paper's is unconfirmed). Items are ranked by descending ``w``, ties
by the lower item index ("rank order"). Among optimal lists the oracles return the *canonical* one:

- ``J >= 1`` (some item has ``w > w_bot``): lists whose items all have ``w > w_bot`` and appear in
  rank order (Lemma 1 of the paper, spec §2.1, says one of them is optimal); among those, the
  lexicographic maximum of ``(f(A), -pos(A_1), f(A[2:]), -pos(A_2), ...)``: the earliest-ranked
  first item that starts an optimal list, then the best remainder, and so on. BestPerm gets this
  by preferring "take" on DP ties and rebuilding the list front to back.
- ``J = 0`` (degenerate case, spec §2.5): a single item, the first in rank order among the best.

Values within :data:`TIE_TOL` count as ties, and weights are compared on a grid of
:data:`TIE_GRID` (:func:`quantize`), so that rounding noise never reorders items. With this rule
CascadingVI and CascadingVI-Oracle play identical lists (spec T7).

**Degenerate case** ``J = 0`` [design, spec §2.5 rule (b)]: lists are non-empty, so the best list is
the single item maximising ``u(a) w(a) + (1 - u(a)) w_bot``. ``u_degenerate`` (default ``u``) is the
attraction used in that branch only: CascadingVI passes its *lower* bound ``q_low`` there, because
when every ``w(a) <= w_bot`` the value decreases in ``u`` and ``q_low`` is the optimistic choice.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.cascading.lists import PAD, enumerate_lists, gather_items

TIE_TOL = 1e-12
TIE_GRID = 1e-10


class OracleResult(NamedTuple):
    value: jax.Array  # [...] the optimal value max_A f(A, u, w)
    lists: jax.Array  # [..., m] the canonical optimal list, padded with PAD


def quantize(x: jax.Array) -> jax.Array:
    """``x`` on a grid of :data:`TIE_GRID`: weights that differ by rounding noise compare equal.

    The optimistic weights of two items are often equal in exact arithmetic (both capped at
    ``H - h + 1``, for instance) but computed with different rounding by different programs
    (BestPerm vs exhaustive search, a vmapped vs a single run); comparing quantised weights makes
    the order and the candidate set identical across programs (spec T7).
    """
    return jnp.round(x / TIE_GRID)


def rank_positions(w: jax.Array) -> jax.Array:
    """Position of every item in the rank order: the number of items ranked before it (larger
    quantised ``w``, or equal ``w`` and a lower index). ``O(N^2)`` comparisons, which vectorise
    far better than a sort for the small N of list recommendation."""
    key = quantize(w)
    idx = jnp.arange(w.shape[-1])
    ahead = (key[..., None, :] > key[..., :, None]) | (
        (key[..., None, :] == key[..., :, None]) & (idx[None, :] < idx[:, None]))
    return jnp.sum(ahead, axis=-1).astype(jnp.int32)


def rank_order(w: jax.Array) -> jax.Array:
    """Items by descending ``w`` (quantised), ties by lower index (Lemma 1's ordering; spec §2.1).

    For one state (``w`` ``[N]``; vmap for batches). ``N <= 64``: the inverse of
    :func:`rank_positions` by a scatter (a sort is several times slower on CPU); above, a stable
    argsort.
    """
    N = w.shape[-1]
    if N > 64:
        return jnp.argsort(-quantize(w), stable=True).astype(jnp.int32)
    return jnp.zeros((N,), jnp.int32).at[rank_positions(w)].set(jnp.arange(N, dtype=jnp.int32))


def candidates(w: jax.Array, w_bot: jax.Array) -> jax.Array:
    """Lemma 1's inclusion test ``w(a) > w(a_bot)`` on quantised weights (items within
    ``TIE_GRID / 2`` of ``w_bot`` add at most that much value and are left out)."""
    return quantize(w) > quantize(jnp.asarray(w_bot))[..., None]


def _degenerate_single(u_sorted, w_sorted, order, w_bot, m):
    """J = 0 branch of Algorithm 1: the best single item, first in rank order on ties (selects,
    not scatters: a scatter per state is slow on CPU)."""
    value = u_sorted * w_sorted + (1.0 - u_sorted) * w_bot
    first = value >= jnp.max(value) - TIE_TOL
    best = jnp.argmax(first)
    item = jnp.sum(jnp.where(jnp.arange(order.shape[0]) == best, order, 0)).astype(jnp.int32)
    best_value = jnp.sum(jnp.where(jnp.arange(order.shape[0]) == best, value, 0.0))
    return best_value, jnp.where(jnp.arange(m) == 0, item, PAD).astype(jnp.int32)


def _code_dtype(base: int, m: int):
    """Integer type holding a list of up to ``m`` items as a base-``(N + 1)`` code (int32 when it
    fits: int64 arithmetic is several times slower on CPU)."""
    if base ** m < 2 ** 31:
        return jnp.int32
    if base ** m < 2 ** 62:
        return jnp.int64
    raise ValueError(f"BestPerm encodes lists as base-(N+1) integers: (N+1)^m = {base}^{m} exceeds int64")


def _best_perm_one(u, w, w_bot, u_degenerate, length, m: int):
    """BestPerm (spec §2.2) for one state: ``u``, ``w``, ``u_degenerate`` ``[N]``, ``w_bot`` ``[]``;
    lists of at most ``length <= m`` items (``m`` static)."""
    order = rank_order(w)
    u_s, w_s, ud_s = jnp.stack([u, w, u_degenerate], axis=1)[order].T   # one gather of rows
    candidate = candidates(w_s, w_bot)   # C = {a : w(a) > w_bot}, a prefix of the rank order

    base = w.shape[-1] + 1
    code_dtype = _code_dtype(base, m)

    def dp_step(carry, x):
        # F_next[k] = F[i+1][k] (k = 0..m, F[.][0] = w_bot); code_next[k] encodes its list.
        F_next, code_next = carry
        u_i, w_i, c_i, item = x
        take = u_i * w_i + (1.0 - u_i) * F_next[:-1]
        skip = F_next[1:]
        choose = c_i & (take >= skip - TIE_TOL)      # ties: take (canonical rule)
        F = jnp.concatenate([F_next[:1], jnp.where(choose, take, skip)])
        taken = (item + 1) + base * code_next[:-1]    # a_i prepended to the list of F[i+1][k-1]
        code = jnp.concatenate([code_next[:1], jnp.where(choose, taken, code_next[1:])])
        return (F, code), None

    # The list of each DP cell is carried along as a base-(N+1) code (a_i prepended on "take"):
    # the usual front-to-back reconstruction from the recorded choices, in the same backward pass.
    F0 = jnp.full((m + 1,), w_bot, w.dtype)
    code0 = jnp.zeros((m + 1,), code_dtype)
    (F1, code1), _ = jax.lax.scan(dp_step, (F0, code0), (u_s, w_s, candidate, order.astype(code_dtype)),
                                  reverse=True)
    digits = (code1[length] // jnp.asarray([base ** j for j in range(m)], code_dtype)) % base
    lst = (digits - 1).astype(jnp.int32)             # digit 0 (no item) -> PAD
    d_value, d_list = _degenerate_single(ud_s, w_s, order, w_bot, m)
    nondegenerate = jnp.any(candidate)
    return (jnp.where(nondegenerate, F1[length], d_value), jnp.where(nondegenerate, lst, d_list))


def _batched(fn, u, w, w_bot, u_degenerate, m, length):
    u, w = jnp.asarray(u), jnp.asarray(w)
    w_bot = jnp.asarray(w_bot, w.dtype)
    ud = u if u_degenerate is None else jnp.asarray(u_degenerate)
    batch = w.shape[:-1]
    N = w.shape[-1]
    u, ud = jnp.broadcast_to(u, w.shape), jnp.broadcast_to(ud, w.shape)
    w_bot = jnp.broadcast_to(w_bot, batch)
    length = jnp.broadcast_to(jnp.asarray(m if length is None else length, jnp.int32), batch)
    flat = jax.vmap(lambda a, b, c, d, k: fn(a, b, c, d, k, m))(
        u.reshape(-1, N), w.reshape(-1, N), w_bot.reshape(-1), ud.reshape(-1, N), length.reshape(-1))
    return OracleResult(flat[0].reshape(batch), flat[1].reshape(batch + (m,)))


def best_perm(u: jax.Array, w: jax.Array, w_bot: jax.Array, m: int,
              u_degenerate: jax.Array | None = None, length: jax.Array | None = None
              ) -> OracleResult:
    """BestPerm (paper Algorithm 1; spec §2.2), batched over leading axes.

    Sort the items with ``w > w_bot`` by descending ``w`` (Lemma 1) and run the DP
    ``F[i][k] = max{F[i+1][k], u(a_i) w(a_i) + (1 - u(a_i)) F[i+1][k-1]}`` with
    ``F[J+1][.] = F[.][0] = w_bot``; the list of every DP cell travels with it (a base-(N+1)
    code), so one backward pass gives value and list. Cost ``O(N m)`` for the DP plus the rank
    order: ``O(N^2)`` vectorised comparisons for ``N <= 64`` (faster than a sort on CPU for the
    sizes of list recommendation), the paper's ``O(N log N)`` sort above. Tie-breaking and the ``J = 0`` branch: see the module
    docstring. ``m`` is static (the output has ``m`` slots); ``length`` (default ``m``, traced,
    broadcast over the batch) optionally caps the list length below ``m``, so instances with
    different list lengths share one compiled function.
    """
    return _batched(_best_perm_one, u, w, w_bot, u_degenerate, m, length)


def _canonical_lists(table, w, w_bot):
    """For each enumerated list: is it canonical, and the rank positions of its items (pads: N)."""
    N = w.shape[-1]
    order = rank_order(w)
    rank_pos = jnp.zeros((N,), jnp.int32).at[order].set(jnp.arange(N, dtype=jnp.int32))
    valid = table >= 0
    idx = jnp.clip(table, 0, N - 1)
    pos = jnp.where(valid, rank_pos[idx], N)
    in_c = candidates(w, w_bot)
    increasing = jnp.all(~valid[:, 1:] | (pos[:, 1:] > pos[:, :-1]), axis=1)
    canonical_j = jnp.all(~valid | in_c[idx], axis=1) & increasing
    canonical_0 = jnp.sum(valid, axis=1) == 1
    return jnp.where(jnp.any(in_c), canonical_j, canonical_0), pos


def _suffix_values(table, u, w, w_bot):
    """``f(A[j:], u, w)`` for every list and every start ``j`` ``[|A|, m]`` (one backward pass)."""
    u_l, valid = gather_items(u[None, :], table)
    w_l, _ = gather_items(w[None, :], table)
    g = jnp.full(table.shape[:1], w_bot, w.dtype)
    out = []
    for i in range(table.shape[1] - 1, -1, -1):
        g = jnp.where(valid[:, i], u_l[:, i] * w_l[:, i] + (1.0 - u_l[:, i]) * g, g)
        out.append(g)
    return jnp.stack(out[::-1], axis=1)


def _exhaustive_one(u, w, w_bot, u_degenerate, length, m: int, table):
    """Enumerate every list; keep the maximisers; break ties as BestPerm's DP does.

    BestPerm takes, at each step, the earliest-ranked item that starts an optimal remainder, and the
    remainder is itself optimal for its suffix problem. So among canonical lists it returns the
    lexicographic maximum of ``(f(A), -pos(A_1), f(A[2:]), -pos(A_2), ...)``; the same filter is
    applied here to the enumerated lists (values within ``TIE_TOL`` are equal).
    """
    u_eff = jnp.where(jnp.any(candidates(w, w_bot)), u, u_degenerate)
    suffix = _suffix_values(table, u_eff, w, w_bot)
    canonical, pos = _canonical_lists(table, w, w_bot)
    short = jnp.sum(table >= 0, axis=1) <= length
    eligible = canonical & short
    for j in range(m):
        best = jnp.max(jnp.where(eligible, suffix[:, j], -jnp.inf))
        eligible = eligible & (suffix[:, j] >= best - TIE_TOL)
        first = jnp.min(jnp.where(eligible, pos[:, j], jnp.iinfo(jnp.int32).max))
        eligible = eligible & (pos[:, j] == first)
    pick = jnp.argmax(eligible)
    return jnp.max(jnp.where(short, suffix[:, 0], -jnp.inf)), table[pick]


def exhaustive_search(u: jax.Array, w: jax.Array, w_bot: jax.Array, m: int,
                      u_degenerate: jax.Array | None = None, length: jax.Array | None = None
                      ) -> OracleResult:
    """Exact ``max_A f(A, u, w)`` by enumerating all ``|A| = sum_k N!/(N-k)!`` lists (spec §2.3).

    Same interface, value and tie-breaking as :func:`best_perm` (the value is the maximum over all
    lists; the returned list is the canonical one among the lists within ``TIE_TOL`` of it).
    Cost ``O(|A| m)`` per state: the oracle of CascadingVI-Oracle and of the tests.
    """
    N = jnp.shape(w)[-1]
    table = jnp.asarray(enumerate_lists(N, m))
    return _batched(lambda a, b, c, d, k, mm: _exhaustive_one(a, b, c, d, k, mm, table),
                    u, w, w_bot, u_degenerate, m, length)


ORACLES = {"bestperm": best_perm, "exhaustive": exhaustive_search}


def get_oracle(name: str):
    """The oracle function by name (``bestperm`` or ``exhaustive``)."""
    if name not in ORACLES:
        raise ValueError(f"unknown oracle {name!r}; allowed: {sorted(ORACLES)}")
    return ORACLES[name]


def lists_to_numpy(lists) -> list[tuple[int, ...]]:
    """Padded lists ``[B, m]`` -> Python tuples without padding (for printing and tests)."""
    return [tuple(int(a) for a in row if a >= 0) for row in np.asarray(lists).reshape(-1, np.shape(lists)[-1])]
