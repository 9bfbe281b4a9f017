"""The per-step rules of Gather-Trade-Build other than the market (spec §2; Foundation ``Build``,
``Gather``, resource regeneration and ``PeriodicBracketTax``), as pure JAX functions of one economy.

Agents' single choice (``n_actions = 50`` by default): ``0`` NO-OP, ``1`` build, then market
orders ``2 + r * 2P + side * P + price`` (resource ``r`` wood/stone, side bid/ask, ``P`` prices
``0..max_bid_ask``), then the four moves left, right, up, down.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from envs.economy import taxes
from envs.economy.gtb.state import COIN, MOVES, N_RESOURCES, STONE, WOOD, GTBParams, GTBState


# ---------------------------------------------------------------------------------------------
# Decoding actions
# ---------------------------------------------------------------------------------------------
def decode(action: jax.Array, params: GTBParams) -> dict:
    """Split agents' choices ``[N]`` into build / order / move parts."""
    p = params.n_prices
    market = (action >= 2) & (action < 2 + N_RESOURCES * 2 * p)
    k = jnp.clip(action - 2, 0, N_RESOURCES * 2 * p - 1)
    move_base = 2 + N_RESOURCES * 2 * p
    return {"build": action == 1, "order": market, "resource": k // (2 * p),
            "is_bid": (k % (2 * p)) < p, "price": k % p,
            "move": action >= move_base, "direction": jnp.clip(action - move_base, 0, len(MOVES) - 1)}


# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
def buildable(state: GTBState, params: GTBParams) -> jax.Array:
    """Agents that may build now ``[N]``: one wood and one stone in the inventory, standing on a
    tile that is not water, not a resource source and has no house."""
    r, c = state.pos[:, 0], state.pos[:, 1]
    empty = ~params.water[r, c] & ~params.wood_source[r, c] & ~params.stone_source[r, c] \
        & (state.house_owner[r, c] < 0)
    return empty & (state.inventory[:, WOOD] >= 1) & (state.inventory[:, STONE] >= 1)


def build(state: GTBState, wants: jax.Array, payment: jax.Array, params: GTBParams) -> tuple[GTBState, jax.Array]:
    """A house costs 1 wood + 1 stone, pays ``payment`` coin and ``build_labor`` labor. Agents
    stand on distinct tiles, so simultaneous builds never conflict."""
    ok = wants & buildable(state, params)
    f = ok.astype(state.inventory.dtype)
    inv = state.inventory.at[:, WOOD].add(-f).at[:, STONE].add(-f).at[:, COIN].add(f * payment)
    r, c = state.pos[:, 0], state.pos[:, 1]
    owner = state.house_owner.at[r, c].set(jnp.where(ok, jnp.arange(ok.shape[0], dtype=jnp.int32), state.house_owner[r, c]))
    return state.replace(inventory=inv, house_owner=owner, labor=state.labor + f * params.build_labor,
                         houses=state.houses + ok.astype(jnp.int32)), ok


# ---------------------------------------------------------------------------------------------
# Move and gather
# ---------------------------------------------------------------------------------------------
def passable(state: GTBState, params: GTBParams, agent, target) -> jax.Array:
    """Whether ``agent`` may step onto ``target`` (in bounds, not water, no other agent, no house of
    another agent)."""
    h, w = params.water.shape
    r, c = target[0], target[1]
    inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
    rc, cc = jnp.clip(r, 0, h - 1), jnp.clip(c, 0, w - 1)
    others = jnp.any(jnp.all(state.pos == jnp.stack([rc, cc]), axis=1) & (jnp.arange(state.pos.shape[0]) != agent))
    owner = state.house_owner[rc, cc]
    return inside & ~params.water[rc, cc] & ~others & ((owner < 0) | (owner == agent))


def move_and_gather(key: jax.Array, state: GTBState, wants: jax.Array, direction: jax.Array,
                    bonus: jax.Array, order: jax.Array, params: GTBParams) -> tuple[GTBState, dict]:
    """Agents in random ``order`` move one tile (``move_labor`` if they moved) and then collect the
    resource on their tile, if any: ``1 + Bernoulli(bonus)`` units for ``collect_labor``."""
    n = state.pos.shape[0]
    deltas = jnp.asarray(MOVES, jnp.int32)
    lucky = jax.random.uniform(key, (n,)) < bonus

    def one(k, carry):
        state, moved, gathered, collections = carry
        i = order[k]
        target = state.pos[i] + deltas[direction[i]]
        go = wants[i] & passable(state, params, i, target)
        pos = state.pos.at[i].set(jnp.where(go, target, state.pos[i]))
        r, c = pos[i, 0], pos[i, 1]
        units = 1.0 + lucky[i].astype(state.inventory.dtype)
        has_wood, has_stone = state.wood[r, c] > 0, state.stone[r, c] > 0
        inv = state.inventory.at[i, WOOD].add(jnp.where(has_wood, units, 0.0))
        inv = inv.at[i, STONE].add(jnp.where(has_stone, units, 0.0))
        collected = has_wood | has_stone
        labor = state.labor.at[i].add(go * params.move_labor + collected * params.collect_labor)
        state = state.replace(pos=pos, inventory=inv, labor=labor,
                              wood=state.wood.at[r, c].set(jnp.where(has_wood, 0, state.wood[r, c])),
                              stone=state.stone.at[r, c].set(jnp.where(has_stone, 0, state.stone[r, c])))
        got = jnp.stack([jnp.where(has_wood, units, 0.0), jnp.where(has_stone, units, 0.0)])
        return state, moved.at[i].set(go), gathered.at[i].add(got), collections.at[i].set(collected)

    init = (state, jnp.zeros(n, bool), jnp.zeros((n, 2)), jnp.zeros(n, bool))
    state, moved, gathered, collections = jax.lax.fori_loop(0, n, one, init)
    return state, {"moved": moved, "gathered": gathered, "collected": collections}


def regenerate(key: jax.Array, state: GTBState, params: GTBParams) -> GTBState:
    """Each empty source tile regrows its resource with probability ``resource_regen_prob``."""
    k_w, k_s = jax.random.split(key)
    grow_w = params.wood_source & (state.wood == 0) & (jax.random.uniform(k_w, state.wood.shape) < params.resource_regen_prob)
    grow_s = params.stone_source & (state.stone == 0) & (jax.random.uniform(k_s, state.stone.shape) < params.resource_regen_prob)
    return state.replace(wood=state.wood + grow_w.astype(state.wood.dtype),
                         stone=state.stone + grow_s.astype(state.stone.dtype))


# ---------------------------------------------------------------------------------------------
# Taxes (PeriodicBracketTax with period > 1)
# ---------------------------------------------------------------------------------------------
def coin_endowment(state: GTBState) -> jax.Array:
    """Inventory plus escrow coin ``[N]`` (what utilities and taxes see)."""
    return state.inventory[:, COIN] + state.escrow[:, COIN]


def enact_taxes(state: GTBState, params: GTBParams) -> tuple[GTBState, dict]:
    """End of a tax period: income = coin endowment minus that at the last enactment; each agent
    pays ``min(taxes_due(income), inventory coin)`` and receives the equal lump sum."""
    endowment = coin_endowment(state)
    income = endowment - state.last_coin
    inv_coin, paid, lump = taxes.collect_and_redistribute(state.inventory[:, COIN], income,
                                                          params.cutoffs, state.rates)
    inv = state.inventory.at[:, COIN].set(inv_coin)
    period = jnp.clip(state.periods_done, 0, params.n_periods - 1)
    new = state.replace(
        inventory=inv, last_coin=inv_coin + state.escrow[:, COIN], last_income=income,
        last_marginal=taxes.marginal_rate(income, params.cutoffs, state.rates),
        income_history=state.income_history.at[period].set(income),
        periods_done=state.periods_done + 1, tax_paid=state.tax_paid + paid)
    return new, {"tax_paid": paid, "lump_sum": lump}
