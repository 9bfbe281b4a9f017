"""Exact planning on a :class:`TabularModel`: backward induction, policy evaluation, Q-functions.

All functions are jittable and vmappable over models. A policy is a table ``pi[H, S, A]`` of
action probabilities; :func:`deterministic_policy` turns ``a[H, S]`` into one.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from rlkit.reductions import argmax_last, dot_last, max_last, sum_last
from rlkit.tabular.model import TabularModel

UNROLL_HORIZON = 8  # backward inductions over at most this many steps are unrolled


class Values(NamedTuple):
    Q: jax.Array  # [H, S, A]
    V: jax.Array  # [H + 1, S], V[H] = 0


def _identity(h, Q):
    return Q


def _backward(P: Any, r: jax.Array, backup, transform=_identity, expect=dot_last) -> Values:
    """Generic backward induction: ``Q_h = transform(h, r_h + P_h V_{h+1})``, ``V_h = backup(h, Q_h)``.

    ``P`` is ``[H, S, A, S]`` (already broadcast), ``r`` ``[H, S, A]``, ``V_H = 0``; with
    ``expect`` given, ``P`` is any pytree with a leading ``H`` axis and ``expect(P_h, V_next)``
    the ``[S, A]`` expectation (e.g. :func:`count_expectation`).
    Expectations are elementwise products and sums rather than ``@``: a batched matmul under
    ``vmap`` may sum in another order, and exact metrics must be bit-identical whether seeds are
    vmapped or run one by one (:mod:`rlkit.reductions` sums short axes left to right).
    """
    H, S = r.shape[0], r.shape[1]
    V_last = jnp.zeros((S,), r.dtype)

    def body(V_next, xs):
        h, P_h, r_h = xs
        Q_h = transform(h, r_h + expect(P_h, V_next))
        V_h = backup(h, Q_h)
        return V_h, (Q_h, V_h)

    if H <= UNROLL_HORIZON:  # static slices: no time-major copies of P for a scan
        V_next, Qs, Vs = V_last, [None] * H, [None] * H
        for h in reversed(range(H)):
            V_next, (Qs[h], Vs[h]) = body(V_next, (jnp.int32(h), jax.tree_util.tree_map(
                lambda x: x[h], P), r[h]))
        return Values(jnp.stack(Qs), jnp.stack(Vs + [V_last]))
    _, (Q, V) = jax.lax.scan(body, V_last, (jnp.arange(H), P, r), reverse=True)
    return Values(Q, jnp.concatenate([V, V_last[None]], axis=0))


def count_expectation(counts_h: tuple[jax.Array, jax.Array], V_next: jax.Array) -> jax.Array:
    """``P_hat V`` straight from counts ``(n_next[S, A, S], n[S, A])`` (``P_hat`` of
    :func:`rlkit.tabular.empirical_kernel`: uniform where unvisited) without forming ``P_hat``:
    one division per ``(s, a)`` instead of one per ``(s, a, s')``."""
    n_next, n = counts_h
    return jnp.where(n > 0, dot_last(n_next, V_next) / jnp.maximum(n, 1.0),
                     sum_last(V_next) / V_next.shape[-1])


def _max(h, Q):
    return max_last(Q)


def value_iteration(model: TabularModel) -> Values:
    """Optimal ``Q*`` and ``V*`` by backward induction (Bellman optimality, finite horizon)."""
    return _backward(model.kernel(), model.r, _max)


def evaluate_policy(model: TabularModel, pi: jax.Array) -> Values:
    """``Q^pi`` and ``V^pi`` of a (stochastic, non-stationary) policy ``pi[H, S, A]``."""
    return _backward(model.kernel(), model.r, lambda h, Q: dot_last(pi[h], Q))


def policy_value(model: TabularModel, pi: jax.Array) -> jax.Array:
    """Expected return ``mu . V^pi_0`` of the policy."""
    return dot_last(model.mu, evaluate_policy(model, pi).V[0])


def greedy_actions(Q: jax.Array) -> jax.Array:
    """``argmax_a Q[h, s, a]`` with ties broken by the lowest index."""
    return argmax_last(Q)


def deterministic_policy(actions: jax.Array, A: int) -> jax.Array:
    """One-hot policy table ``pi[H, S, A]`` from actions ``a[H, S]``."""
    return jax.nn.one_hot(actions, A, dtype=jnp.float64)


def optimal_policy(model: TabularModel) -> jax.Array:
    """A deterministic optimal policy as a table ``pi[H, S, A]``."""
    return deterministic_policy(greedy_actions(value_iteration(model).Q), model.A)


def optimistic_values(P_hat: Any, r: jax.Array, bonus: jax.Array, expect=dot_last) -> Values:
    """UCBVI planning (Azar et al. 2017, Alg. 1): ``Q_h = min(r_h + b_h + P_h V_{h+1}, H - h)``.

    ``P_hat`` ``[H, S, A, S]`` (or, with ``expect=count_expectation``, the counts
    ``(n_next, n)``), ``r`` and ``bonus`` ``[H, S, A]``; step ``h`` is 0-based, so the cap
    ``H - h`` is the number of steps left including this one.
    """
    H = r.shape[0]
    return _backward(P_hat, r + bonus, _max, lambda h, Q: jnp.minimum(Q, (H - h).astype(Q.dtype)),
                     expect)


def pessimistic_policy_value(P_hat: jax.Array, r: jax.Array, bonus: jax.Array, pi: jax.Array,
                             clip: bool = True) -> Values:
    """Lower-confidence evaluation of ``pi`` in the model ``(P_hat, r - bonus)``.

    ``clip=True``: ``V_h(s) = sum_a pi(a|s) max(0, r - b + P_hat V_{h+1})`` (StepMix spec §2.2,
    LCB_clip); ``clip=False``: the exact value in the signed model (LCB_lin).
    """
    value = lambda h, Q: dot_last(pi[h], Q)  # noqa: E731
    if clip:
        return _backward(P_hat, r - bonus, value, lambda h, Q: jnp.maximum(Q, 0.0))
    return _backward(P_hat, r - bonus, value)


def occupancy(model: TabularModel, pi: jax.Array) -> jax.Array:
    """State-action occupancy ``d[h, s, a] = P(s_h = s, a_h = a)`` under ``pi`` from ``mu``."""
    P = model.kernel()

    def body(d_s, xs):
        P_h, pi_h = xs
        d_sa = d_s[:, None] * pi_h
        return jnp.einsum("sa,sat->t", d_sa, P_h), d_sa

    _, d = jax.lax.scan(body, model.mu, (P, pi))
    return d
