"""A jittable assignment solver: the forward/reverse auction with epsilon-scaling.

The problem is the bipartite matching with outside options on both sides::

    maximise   sum_ij w_ij x_ij
    subject to sum_j x_ij <= 1 (rows),  sum_i x_ij <= 1 (columns),  x_ij = 0 where not mask_ij

Any row or column may stay unmatched (value 0), so it equals the rectangular assignment with
*full* padding ``[W | 0_{m x m}]`` (each row has a private zero-valued "stay idle" column). Its
optimum never takes a negative weight; padding with fewer dummy columns (``[W | 0_{m x n}]``,
the ride-sharing paper's code) can force negative matches when ``n < m`` (spec ospo.md §1.3).

Method (Bertsekas 1979/1988 auction; Bertsekas, Castanon & Tsaknakis 1993 for the reverse
auction and asymmetric problems), run as a Jacobi (all bidders at once) loop in ``lax.while_loop``:

* profits ``pi_i`` of the bidding side (rows), prices ``p_j`` of the other side (columns).
  Epsilon-complementary slackness (eps-CS): ``pi_i + p_j >= w_ij - eps`` for every valid pair,
  ``pi_i >= -eps``, ``p_j >= 0``; a matched pair has ``pi_i + p_j = w_ij``; an unmatched row has
  ``pi_i = 0``; an unmatched column has ``p_j = 0``.
* **Theorem** (the guarantee). Under eps-CS, ``(pi + eps, p)`` is dual feasible, so
  ``OPT <= sum_i (pi_i + eps) + sum_j p_j = value(x) + m eps``: the matching is within
  ``m * eps`` of the optimum (``m`` = rows of the side that bids). With weights on a grid of
  step ``delta`` and ``m eps < delta`` it is exactly optimal.
* forward round: every unmatched row whose best net value ``w1 = max_j (w_ij - p_j)`` exceeds
  eps bids for its best column ``j1`` (exact ties spread by a fixed pseudo-random key), raising
  ``p_j1`` to ``w_ij1 - w2 + eps`` where ``w2 = max(second best, 0)`` (0: staying unmatched);
  each column takes its highest bid, displacing its previous row. Keeps all row conditions.
* reverse round: every unmatched column with ``p_j > 0`` (possible only with warm prices) looks
  for its best row ``i1 = argmax_i (w_ij - pi_i)``; if that gain is at most eps it sets
  ``p_j = 0``, else it takes row ``i1`` (freeing the row's old column) at price
  ``max(0, second best - eps)``, which raises ``pi_i1`` by at least eps. Keeps all conditions.
* a phase runs forward rounds until no row bids, then reverse rounds until no column violates;
  it ends in eps-CS. Phase 0 starts from zero prices at the final eps (then reverse rounds are
  no-ops: the plain forward auction); if it takes more than ``patience`` rounds (a price war),
  the solver switches to eps-scaling: eps = scale / 4, then divided by ``theta`` per phase down
  to the final eps, keeping prices and clearing the matching at each phase start. The
  guarantee holds for any starting prices, so scaling is safe for this asymmetric problem.
* the side that bids is the one with fewer rows/columns that have a valid entry (the problem is
  symmetric), chosen per call by transposing a square-padded copy (one loop, one compile); a
  far-from-square problem lets its smaller side bid (eps-scaling bounds any price war).

Every result carries a certificate: ``dual_bound = sum_i max(0, max_j (w_ij - p_j)) + sum_j p_j``
is an upper bound on the optimum for any prices ``p >= 0``, so ``dual_bound - value`` bounds the
sub-optimality; at convergence it is at most ``m * eps``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

NEG = -jnp.inf
_FWD, _REV, _DONE = 0, 1, 2


class Matching(NamedTuple):
    """Result of :func:`auction_match` (leading batch axes allowed when vmapped).

    ``row_to_col[i]`` is the column matched to row ``i`` or -1; ``col_to_row[j]`` likewise;
    ``value`` the total matched weight; ``dual_bound`` an upper bound on the optimum (so
    ``dual_bound - value`` certifies the gap); ``eps`` the final epsilon (gap <= bidders * eps
    at convergence); ``rounds`` the auction rounds used; ``converged`` whether it ended in
    eps-CS before ``max_rounds``.
    """

    row_to_col: jax.Array
    col_to_row: jax.Array
    value: jax.Array
    dual_bound: jax.Array
    eps: jax.Array
    rounds: jax.Array
    converged: jax.Array


class _State(NamedTuple):
    prices: jax.Array     # [n] column prices
    profits: jax.Array    # [m] row profits
    assigned: jax.Array   # [m] column of each row, -1
    owner: jax.Array      # [n] row of each column, -1
    eps: jax.Array
    stage: jax.Array      # _FWD, _REV, _DONE
    scaled: jax.Array     # eps-scaling started
    phase_rounds: jax.Array
    rounds: jax.Array


def tie_keys(m: int, n: int) -> jax.Array:
    """A fixed pseudo-random key per entry, used to spread exact ties between bidders."""
    i = jnp.arange(m, dtype=jnp.uint32)[:, None]
    j = jnp.arange(n, dtype=jnp.uint32)[None, :]
    h = i * jnp.uint32(0x9E3779B1) ^ (j * jnp.uint32(0x85EBCA77) + jnp.uint32(0x165667B1))
    h = (h ^ (h >> 15)) * jnp.uint32(0x2C1B3C6D)
    h = h ^ (h >> 13)
    return (h >> 8).astype(jnp.int32)


def _best_two(values: jax.Array, keys: jax.Array, axis: int):
    """Best value, its index (exact ties broken by the largest key) and ``max(second best, 0)``."""
    best = values.max(axis)
    at_best = values >= jnp.expand_dims(best, axis)
    idx = jnp.argmax(jnp.where(at_best, keys, -1), axis).astype(jnp.int32)
    others = jnp.where(jnp.arange(values.shape[axis]).reshape(
        (-1, 1) if axis == 0 else (1, -1)) == jnp.expand_dims(idx, axis), NEG, values)
    second = jnp.maximum(others.max(axis), 0.0)
    return best, idx, second


def _clear(s: _State, m: int, n: int) -> _State:
    return s._replace(assigned=jnp.full(m, -1, jnp.int32), owner=jnp.full(n, -1, jnp.int32),
                      profits=jnp.zeros(m, s.profits.dtype), phase_rounds=jnp.int32(0),
                      stage=jnp.int32(_FWD))


def _forward_round(s: _State, w: jax.Array, valid: jax.Array, keys: jax.Array) -> tuple[_State, jax.Array]:
    """One Jacobi round of forward bids (rows bid for columns); returns (state, any_bid)."""
    m, n = w.shape
    net = jnp.where(valid, w - s.prices[None, :], NEG)
    w1, j1, w2 = _best_two(net, keys, axis=1)
    bidding = (s.assigned < 0) & (w1 > s.eps)
    bid = jnp.where(bidding, s.prices[j1] + w1 - w2 + s.eps, NEG)
    target = jnp.where(bidding, j1, n)                       # n: a dropped dummy column
    best = jnp.full(n + 1, NEG, w.dtype).at[target].max(bid)[:n]
    rows = jnp.arange(m, dtype=jnp.int32)
    top = bidding & (bid >= best[jnp.minimum(j1, n - 1)])
    winner = jnp.full(n + 1, m, jnp.int32).at[jnp.where(top, j1, n)].min(rows)[:n]   # lowest row
    sold = winner < m
    won = bidding & (winner[j1] == rows)
    lost = (s.assigned >= 0) & sold[jnp.maximum(s.assigned, 0)]
    assigned = jnp.where(won, j1, jnp.where(lost, -1, s.assigned))
    profits = jnp.where(won, w1 + s.prices[j1] - bid, jnp.where(lost, 0.0, s.profits))
    owner = jnp.where(sold, winner, s.owner)
    prices = jnp.where(sold, best, s.prices)
    return s._replace(prices=prices, profits=profits, assigned=assigned, owner=owner), bidding.any()


def _reverse_round(s: _State, w: jax.Array, valid: jax.Array, keys: jax.Array) -> tuple[_State, jax.Array]:
    """One Jacobi round of reverse bids (unmatched columns with a positive price look for rows)."""
    m, n = w.shape
    gain = jnp.where(valid, w - s.profits[:, None], NEG)
    b1, i1, b2 = _best_two(gain, keys, axis=0)
    violating = (s.owner < 0) & (s.prices > 0)
    to_zero = violating & (b1 <= s.eps)
    bidding = violating & (b1 > s.eps)
    new_price = jnp.maximum(b2 - s.eps, 0.0)
    offer = jnp.where(bidding, b1 + s.profits[i1] - new_price, NEG)   # the row's new profit
    target = jnp.where(bidding, i1, m)
    best = jnp.full(m + 1, NEG, w.dtype).at[target].max(offer)[:m]
    cols = jnp.arange(n, dtype=jnp.int32)
    top = bidding & (offer >= best[jnp.minimum(i1, m - 1)])
    winner = jnp.full(m + 1, n, jnp.int32).at[jnp.where(top, i1, m)].min(cols)[:m]
    taken = winner < n
    won = bidding & (winner[i1] == cols)
    freed = jnp.zeros(n + 1, bool).at[jnp.where(taken & (s.assigned >= 0), s.assigned, n)].set(True)[:n]
    owner = jnp.where(won, i1, jnp.where(freed, -1, s.owner))
    prices = jnp.where(won, new_price, jnp.where(to_zero, 0.0, s.prices))
    assigned = jnp.where(taken, winner, s.assigned)
    profits = jnp.where(taken, best, s.profits)
    return s._replace(prices=prices, profits=profits, assigned=assigned, owner=owner), violating.any()


def _solve(w: jax.Array, valid: jax.Array, eps_final: jax.Array, eps_start: jax.Array,
           active: jax.Array, patience: int, theta: float, max_rounds: int) -> _State:
    """The auction with rows bidding (see the module docstring); inactive problems do nothing."""
    m, n = w.shape
    keys = tie_keys(m, n)
    s = _State(prices=jnp.zeros(n, w.dtype), profits=jnp.zeros(m, w.dtype),
               assigned=jnp.full(m, -1, jnp.int32), owner=jnp.full(n, -1, jnp.int32),
               eps=eps_final, stage=jnp.where(active, _FWD, _DONE).astype(jnp.int32),
               scaled=jnp.asarray(False), phase_rounds=jnp.int32(0), rounds=jnp.int32(0))

    def body(s: _State) -> _State:
        fwd, any_bid = _forward_round(s, w, valid, keys)
        rev, any_violation = _reverse_round(s, w, valid, keys)
        in_fwd = s.stage == _FWD
        nxt = jax.tree_util.tree_map(lambda a, b: jnp.where(in_fwd, a, b), fwd, rev)
        # forward stage finished: go to the reverse stage
        stage = jnp.where(in_fwd & ~any_bid, _REV, s.stage)
        # reverse stage finished: done at the final eps, else the next (smaller) eps phase
        phase_done = (s.stage == _REV) & ~any_violation
        finished = phase_done & (s.eps <= eps_final)
        nxt = nxt._replace(stage=jnp.where(finished, _DONE, stage),
                           phase_rounds=s.phase_rounds + 1, rounds=s.rounds + 1)
        next_phase = _clear(nxt, m, n)._replace(eps=jnp.maximum(s.eps / theta, eps_final))
        nxt = jax.tree_util.tree_map(lambda a, b: jnp.where(phase_done & ~finished, a, b), next_phase, nxt)
        # a price war in the zero-price phase: switch to eps-scaling (prices are kept)
        war = ~s.scaled & (s.phase_rounds >= patience) & (nxt.stage != _DONE)
        escalated = _clear(nxt, m, n)._replace(eps=eps_start, scaled=jnp.asarray(True))
        return jax.tree_util.tree_map(lambda a, b: jnp.where(war, a, b), escalated, nxt)

    def cond(s: _State) -> jax.Array:
        return (s.stage != _DONE) & (s.rounds < max_rounds)

    return jax.lax.while_loop(cond, body, s)


def _dual_bound(w: jax.Array, valid: jax.Array, prices: jax.Array) -> jax.Array:
    """``sum_i max(0, max_j (w_ij - p_j)) + sum_j p_j``: an upper bound on the optimum (p >= 0)."""
    net = jnp.where(valid, w - prices[None, :], NEG)
    return jnp.maximum(net.max(1), 0.0).sum() + prices.sum()


def auction_match(weights: jax.Array, mask: jax.Array | None = None, *, eps_rel: float = 1e-7,
                  patience: int = 40, theta: float = 8.0, max_rounds: int = 20_000) -> Matching:
    """Maximum-weight bipartite matching of ``weights [m, n]`` over the ``mask`` entries.

    Args:
      weights: any real weights (both signs; a row or column may stay unmatched at value 0).
      mask: valid pairs (default: all).
      eps_rel: the final epsilon relative to ``max |w_ij|`` over valid pairs; the result is within
        ``min(m, n) * eps`` of the optimum (module docstring) and certified by ``dual_bound``.
      patience: rounds of the zero-price phase before switching to eps-scaling.
      theta: eps reduction factor between scaling phases.
      max_rounds: a safety cap; ``converged`` is false if it was hit (the certificate still holds).

    Computed in the weights' float type (at least float32): float64 inputs give an exact oracle;
    with float32 keep ``eps_rel >= 1e-6``. Near-square problems (``max(m, n) <= 2 min(m, n)``)
    are padded to a square ``k x k`` (padding invalid) and transposed when fewer columns than
    rows have a valid entry, so that one loop serves both orientations; far-from-square ones let
    the smaller side bid.
    """
    w = jnp.asarray(weights)
    w = w.astype(jnp.promote_types(w.dtype, jnp.float32))
    m, n = w.shape
    valid = jnp.ones((m, n), bool) if mask is None else jnp.asarray(mask, bool)
    valid = valid & jnp.isfinite(w)
    w = jnp.where(valid, w, 0.0)
    scale = jnp.where(valid, jnp.abs(w), 0.0).max()
    scale = jnp.where(scale > 0, scale, 1.0)
    eps_final = scale * eps_rel
    eps_start = jnp.maximum(scale / 4.0, eps_final)
    if max(m, n) > 2 * min(m, n):
        # far from square: the smaller static side bids (no padding)
        flip = n < m
        w_b, valid_b = (w.T, valid.T) if flip else (w, valid)
        s = _solve(w_b, valid_b, eps_final, eps_start, jnp.asarray(True), patience, theta, max_rounds)
        row_to_col, col_to_row = (s.owner, s.assigned) if flip else (s.assigned, s.owner)
        bound = _dual_bound(w_b, valid_b, s.prices)
    else:
        # near square: pad to k x k and let the side with fewer valid entries bid
        k = max(m, n)
        w_sq = jnp.zeros((k, k), w.dtype).at[:m, :n].set(w)
        valid_sq = jnp.zeros((k, k), bool).at[:m, :n].set(valid)
        transpose = valid.any(0).sum() < valid.any(1).sum()
        w_sq = jnp.where(transpose, w_sq.T, w_sq)
        valid_sq = jnp.where(transpose, valid_sq.T, valid_sq)
        s = _solve(w_sq, valid_sq, eps_final, eps_start, jnp.asarray(True), patience, theta, max_rounds)
        row_to_col = jnp.where(transpose, s.owner, s.assigned)[:m]
        col_to_row = jnp.where(transpose, s.assigned, s.owner)[:n]
        bound = _dual_bound(w_sq, valid_sq, s.prices)
    matched = row_to_col >= 0
    value = jnp.where(matched, w[jnp.arange(m), jnp.maximum(row_to_col, 0)], 0.0).sum()
    return Matching(row_to_col, col_to_row, value, bound, eps_final, s.rounds, s.stage == _DONE)


# ---------------------------------------------------------------------------------------------
# Exact references (numpy, for tests, checks and benchmarks)
# ---------------------------------------------------------------------------------------------
def padded_weights(weights: np.ndarray, mask: np.ndarray | None = None, pad: str = "full",
                   forbidden: float = -1e9) -> np.ndarray:
    """The rectangular matrix handed to a Hungarian solver: ``[W | 0]`` with ``m`` dummy columns
    (``pad="full"``, exact for the matching problem) or ``n`` (``pad="orders"``, the paper code's
    ``[P | 0_{Nv x No}]``, which can force negative matches); invalid pairs get ``forbidden``."""
    w = np.asarray(weights, np.float64)
    m, n = w.shape
    w = np.where(np.ones_like(w, bool) if mask is None else np.asarray(mask, bool), w, forbidden)
    k = {"full": m, "orders": n}[pad]
    return np.concatenate([w, np.zeros((m, k))], axis=1)


def scipy_match(weights: np.ndarray, mask: np.ndarray | None = None, pad: str = "full",
                forbidden: float = -1e9) -> tuple[np.ndarray, float]:
    """``scipy.optimize.linear_sum_assignment`` on the padded matrix (maximising); returns
    ``row_to_col`` (-1 for a dummy column or a forbidden pair) and the matched value."""
    from scipy.optimize import linear_sum_assignment

    w = np.asarray(weights, np.float64)
    m, n = w.shape
    valid = np.ones_like(w, bool) if mask is None else np.asarray(mask, bool)
    rows, cols = linear_sum_assignment(padded_weights(w, valid, pad, forbidden), maximize=True)
    out = np.full(m, -1, np.int64)
    for i, j in zip(rows, cols):
        if j < n and valid[i, j]:
            out[i] = j
    return out, float(sum(w[i, j] for i, j in enumerate(out) if j >= 0))


def brute_force_match(weights: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Exhaustive enumeration of all matchings (each row <= 1 column, each column <= 1 row):
    the exact oracle for small cases (m, n <= 6)."""
    w = np.asarray(weights, np.float64)
    m, n = w.shape
    valid = np.ones_like(w, bool) if mask is None else np.asarray(mask, bool)
    best_value, best = 0.0, np.full(m, -1, np.int64)

    def search(i: int, used: int, value: float, choice: list[int]) -> None:
        nonlocal best_value, best
        if i == m:
            if value > best_value + 1e-12:
                best_value, best = value, np.asarray(choice, np.int64)
            return
        search(i + 1, used, value, choice + [-1])
        for j in range(n):
            if valid[i, j] and not used >> j & 1:
                search(i + 1, used | 1 << j, value + w[i, j], choice + [j])

    search(0, 0, 0.0, [])
    return best, best_value
