"""Exact finite-horizon planning for LSD bandits: backward DP over reachable joint states (JAX).

Spec §5.1: with known payoffs, transitions are deterministic, so the optimum is a longest path in
the graph of reachable joint states (:mod:`rlkit.lsd.graph`):
``V_0 = 0``, ``V_h(s) = max_j rew[s, j] + V_{h-1}(nxt[s, j])``, ``OPT_T = V_T(s0)``.
The cost is ``O(T |R| k)``; every step is one gather and one max over the ``[S, k]`` table.

All functions are jittable (``horizon`` is static) and vmappable over payoff tables, so the
learners re-plan on their estimates inside the training scan.
"""
from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from rlkit.lsd.model import state_index, transition


def state_rewards(mu: jax.Array, layout: Any) -> jax.Array:
    """``rew[s, j] = mu_j(s_j)`` from ``mu[k, 2m]`` and the graph's ``layout[S, k]``."""
    k = mu.shape[0]
    return mu[jnp.arange(k)[None, :], jnp.asarray(layout)]


def _q_values(rew_t: jax.Array, nxt_t: jax.Array, V: jax.Array) -> list[jax.Array]:
    """``Q[j] = rew[:, j] + V[nxt[:, j]]`` for each action (one backward step), from the
    transposed tables ``[k, S]``: one contiguous gather per action (measured faster on CPU than
    one ``[S, k]`` gather; indices are always in range, so no bounds handling is needed)."""
    return [rew_t[j] + V.at[nxt_t[j]].get(mode="clip") for j in range(rew_t.shape[0])]


def _v_max(rew_t: jax.Array, nxt_t: jax.Array, V: jax.Array) -> jax.Array:
    """``V_h = max_j Q[j]`` (Bellman optimality for the deterministic state graph)."""
    q = _q_values(rew_t, nxt_t, V)
    out = q[0]
    for qj in q[1:]:
        out = jnp.maximum(out, qj)
    return out


@jax.jit
def optimal_value(rew: jax.Array, nxt: Any, horizon: Any) -> jax.Array:
    """``V_T`` for every state (``T = horizon``, a traced scalar: one compile serves every
    horizon); ``OPT_T = V_T[start]`` (spec §5.1)."""
    rew_t, nxt_t = jnp.asarray(rew).T, jnp.asarray(nxt).T
    V0 = jnp.zeros(rew_t.shape[1:], rew_t.dtype)
    return jax.lax.fori_loop(0, horizon, lambda _, V: _v_max(rew_t, nxt_t, V), V0)


@functools.partial(jax.jit, static_argnames=("horizon",))
def value_sequence(rew: jax.Array, nxt: Any, start: Any, horizon: int) -> jax.Array:
    """``[OPT_0, OPT_1, ..., OPT_T]`` from state ``start`` (``OPT_h = V_h[start]``)."""
    rew_t, nxt_t = jnp.asarray(rew).T, jnp.asarray(nxt).T

    def step(V, _):
        V = _v_max(rew_t, nxt_t, V)
        return V, V[start]

    V0 = jnp.zeros(rew.shape[:1], rew.dtype)
    _, opt = jax.lax.scan(step, V0, None, length=horizon)
    return jnp.concatenate([jnp.zeros((1,), rew.dtype), opt])


def action_dtype(k: int) -> Any:
    return jnp.int8 if k <= 127 else jnp.int32


@functools.partial(jax.jit, static_argnames=("horizon",))
def policy_table(rew: jax.Array, nxt: Any, horizon: int) -> jax.Array:
    """``pol[h, s]``: an optimal action in state ``s`` with ``h`` rounds to go (``pol[0]`` unused).

    Stored as int8 (``[horizon + 1, S]``): the finite-horizon optimal closed-loop policy. With
    deterministic transitions it equals the open-loop optimal plan along its own path.
    """
    rew_t, nxt_t = jnp.asarray(rew).T, jnp.asarray(nxt).T
    dtype = action_dtype(rew.shape[1])

    def step(V, _):
        Q = jnp.stack(_q_values(rew_t, nxt_t, V))
        return jnp.max(Q, axis=0), jnp.argmax(Q, axis=0).astype(dtype)

    V0 = jnp.zeros(rew.shape[:1], rew.dtype)
    _, pol = jax.lax.scan(step, V0, None, length=horizon)
    return jnp.concatenate([jnp.zeros((1, rew.shape[0]), dtype), pol])


def optimal_plan(pol: jax.Array, nxt: Any, start: Any, horizon: Any) -> jax.Array:
    """Open-loop actions ``a_0..a_{L-1}`` (``L = pol.shape[0] - 1``) of the optimal plan for
    ``horizon <= L`` rounds from state index ``start``; entries from ``horizon`` on are 0."""
    nxt = jnp.asarray(nxt)
    length = pol.shape[0] - 1

    def step(s, i):
        h = horizon - i
        a = jnp.where(h > 0, pol[jnp.clip(h, 0, length), s].astype(jnp.int32), 0)
        return jnp.where(h > 0, nxt[s, a], s), a

    _, actions = jax.lax.scan(step, jnp.asarray(start, jnp.int32), jnp.arange(length))
    return actions


def rollout_means(mu: jax.Array, init_state: jax.Array, actions: jax.Array) -> jax.Array:
    """Per-round expected rewards ``mu_{a_t}(tau_{a_t}(t))`` of an action sequence (JAX)."""
    m = mu.shape[1] // 2

    def step(tau, a):
        mean = mu[a, state_index(tau[a], m)]
        return transition(tau, a, m), mean

    _, means = jax.lax.scan(step, jnp.asarray(init_state, jnp.int32), jnp.asarray(actions, jnp.int32))
    return means
