"""Exact planning in a cascading MDP: value iteration with an oracle, policy evaluation.

A policy is a table of item lists ``lists[H, S, m]`` (padded with -1). Bellman equations (spec
§1.3, the paper's Eq. 1-2 [unconfirmed typography])::

    w_h(s, a)     = r(s, a) + p(.|s, a)^T V_{h+1}      w_h(s, a_bot) = p(.|s, a_bot)^T V_{h+1}
    Q_h(s, A)     = f(A, q(s, .), w_h(s, .))           V*_h(s) = max_A Q*_h(s, A)

All functions are jittable (``H`` and ``m`` are static fields of the model).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.cascading.lists import cascade_value, click_distribution, enumerate_lists
from rlkit.cascading.model import CascadingModel
from rlkit.cascading.oracles import get_oracle


class CascadingValues(NamedTuple):
    V: jax.Array      # [H + 1, S], V[H] = 0
    lists: jax.Array  # [H, S, m] the (canonical) optimal lists


def item_weights(r: jax.Array, P: jax.Array, V_next: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``w(s, a) = r(s, a) + p(.|s, a)^T V_next`` ``[S, N]`` and ``w(s, a_bot) = p(.|s, a_bot)^T V_next``
    ``[S]`` (the paper's weights, spec §1.3)."""
    N = r.shape[-1]
    pv = P @ V_next
    return r + pv[..., :N], pv[..., N]


def cascading_value_iteration(model: CascadingModel, oracle: str = "bestperm") -> CascadingValues:
    """``V*`` and an optimal policy by backward induction, one oracle call per ``(h, s)``
    (the exact counterpart of CascadingVI's planning step)."""
    solve = get_oracle(oracle)

    def body(V_next, _):
        w, w_bot = item_weights(model.r, model.P, V_next)
        out = solve(model.q, w, w_bot, model.m)
        return out.value, (out.value, out.lists)

    V_last = jnp.zeros((model.S,), jnp.float64)
    _, (V, lists) = jax.lax.scan(body, V_last, None, length=model.H, reverse=True)
    return CascadingValues(jnp.concatenate([V, V_last[None]], axis=0), lists)


def evaluate_lists(model: CascadingModel, lists: jax.Array) -> jax.Array:
    """``V^pi[H + 1, S]`` of the deterministic list policy ``lists[H, S, m]`` (spec §1.3)."""

    def body(V_next, lists_h):
        w, w_bot = item_weights(model.r, model.P, V_next)
        V_h = cascade_value(lists_h, model.q, w, w_bot)
        return V_h, V_h

    V_last = jnp.zeros((model.S,), jnp.float64)
    _, V = jax.lax.scan(body, V_last, lists, reverse=True)
    return jnp.concatenate([V, V_last[None]], axis=0)


def lists_value(model: CascadingModel, lists: jax.Array) -> jax.Array:
    """Expected return ``mu . V^pi_1`` of a list policy: the exact value the trainer logs."""
    return model.mu @ evaluate_lists(model, lists)[0]


def atomic_list_tables(model: CascadingModel, table: np.ndarray | None = None
                       ) -> tuple[jax.Array, jax.Array]:
    """The cascading MDP seen with whole lists as atomic actions (AdaptVI's view, spec §3.4).

    Returns the expected reward ``R[S, |A|]`` and kernel ``P[S, |A|, S]`` of every list of
    ``table`` (default: all lists of 1..m items). Standard value iteration on these tables equals
    cascading value iteration (an independent exact oracle for the tests).
    """
    table = jnp.asarray(enumerate_lists(model.N, model.m) if table is None else table)
    lists = jnp.broadcast_to(table[None], (model.S,) + table.shape)      # [S, L, m]
    probs = click_distribution(lists, model.q[:, None, :])               # [S, L, m + 1]
    clicked = jnp.where(table >= 0, table, model.N)                      # pads -> a_bot slot (prob 0)
    r_pad = jnp.concatenate([model.r, jnp.zeros((model.S, 1))], axis=1)  # [S, N + 1]
    items = jnp.concatenate([clicked, jnp.full((table.shape[0], 1), model.N)], axis=1)  # [L, m + 1]
    R = jnp.sum(probs * r_pad[:, items], axis=-1)
    P = jnp.einsum("slk,slkt->slt", probs, model.P[:, items, :])
    return R, P
