"""Observations and action masks of Gather-Trade-Build.

Agent ``i`` (spec §2, [design] channel layout): an egocentric ``(2r+1) x (2r+1)`` window
``spatial [N, 2r+1, 2r+1, 8]`` with channels water, wood, stone, resource source tile, own house,
other houses, other agents, outside the map; and ``features [N, 28 + B + N]``: inventory and
escrow (wood and stone x 0.1, coin x 0.01), build payment / 30, gather bonus, position, time
fraction, tax-period phase / first day / tax day, current rates, own income this period and its
marginal rate, everyone's sorted last-period incomes, and per resource its own open bids and asks
and the best other-agent bid and ask. The planner sees per agent coin, wood, stone, escrowed coin,
last income, last marginal rate, income so far; the rates, phase, time, equality and coin per
capita (``features [7N + B + 6]``).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from envs.economy import taxes, welfare
from envs.economy.gtb import rules
from envs.economy.gtb.state import COIN, MOVES, N_RESOURCES, STONE, TAX_PLANNER, WOOD, GTBParams, GTBState

N_CHANNELS = 8


def phase(state: GTBState, params: GTBParams) -> jax.Array:
    t = state.time
    return jnp.stack([(t % params.period) / params.period, (t % params.period) == 0,
                      (t % params.period) == params.period - 1]).astype(jnp.float32)


def spatial(state: GTBState, params: GTBParams) -> jax.Array:
    n = state.pos.shape[0]
    r = params.obs_radius
    here = jnp.zeros(params.water.shape, jnp.float32).at[state.pos[:, 0], state.pos[:, 1]].add(1.0)
    common = jnp.stack([params.water, state.wood > 0, state.stone > 0,
                        params.wood_source | params.stone_source], axis=-1).astype(jnp.float32)

    def window(i):
        own = (state.house_owner == i).astype(jnp.float32)
        other = ((state.house_owner >= 0) & (state.house_owner != i)).astype(jnp.float32)
        me = jnp.zeros_like(here).at[state.pos[i, 0], state.pos[i, 1]].set(1.0)
        grid = jnp.concatenate([common, jnp.stack([own, other, here - me, jnp.zeros_like(here)], -1)], -1)
        outside = jnp.zeros((1, 1, N_CHANNELS), jnp.float32).at[..., -1].set(1.0)
        padded = jnp.pad(grid, ((r, r), (r, r), (0, 0)))
        frame = jnp.pad(jnp.zeros(grid.shape[:2] + (1,)), ((r, r), (r, r), (0, 0)), constant_values=1.0)
        padded = padded + frame * outside
        return jax.lax.dynamic_slice(padded, (state.pos[i, 0], state.pos[i, 1], jnp.int32(0)), (2 * r + 1, 2 * r + 1, N_CHANNELS))

    return jax.vmap(window)(jnp.arange(n))


def market_features(state: GTBState, params: GTBParams) -> jax.Array:
    """Per agent and resource: own bids / M, own asks / M, best other bid / P (+ flag), best other
    ask / P (+ flag): ``[N, 12]``."""
    book = state.book
    n = state.pos.shape[0]
    m, p = params.max_num_orders, params.max_bid_ask
    owner = jnp.arange(n)[None, :, None]
    feats = []
    for res in range(N_RESOURCES):
        bids = book.active[res] & book.is_bid[res]
        asks = book.active[res] & ~book.is_bid[res]
        price = book.price[res]

        def best(i, side, highest, res=res, price=price):
            mine = jnp.arange(n)[:, None] == i
            ok = side & ~mine
            val = jnp.where(ok, price, -1 if highest else p + 1)
            v = jnp.max(val) if highest else jnp.min(val)
            return jnp.stack([jnp.where(jnp.any(ok), v / p, 0.0), jnp.any(ok).astype(jnp.float32)])

        best_bid = jax.vmap(lambda i: best(i, bids, True))(jnp.arange(n))
        best_ask = jax.vmap(lambda i: best(i, asks, False))(jnp.arange(n))
        feats.append(jnp.concatenate([jnp.sum(bids, 1, keepdims=True) / m, jnp.sum(asks, 1, keepdims=True) / m,
                                      best_bid, best_ask], axis=1))
    del owner
    return jnp.concatenate(feats, axis=1).astype(jnp.float32)


def agent_features(state: GTBState, params: GTBParams) -> jax.Array:
    n = state.pos.shape[0]
    h, w = params.water.shape
    scale = jnp.asarray([0.1, 0.1, 0.01])
    income = rules.coin_endowment(state) - state.last_coin
    own_rate = taxes.marginal_rate(income, params.cutoffs, state.rates)
    per_agent = jnp.concatenate([
        state.inventory * scale, state.escrow * scale,
        (params.build_payment[state.rank] / 30.0)[:, None], params.gather_bonus[state.rank][:, None],
        state.pos / jnp.asarray([max(h - 1, 1), max(w - 1, 1)]),
        (income * 0.01)[:, None], own_rate[:, None]], axis=1).astype(jnp.float32)
    shared = jnp.concatenate([
        jnp.asarray([state.time / params.episode_length], jnp.float32), phase(state, params),
        state.rates.astype(jnp.float32), (jnp.sort(state.last_income) * 0.01).astype(jnp.float32)])
    return jnp.concatenate([per_agent, jnp.broadcast_to(shared, (n, shared.shape[0])),
                            market_features(state, params)], axis=1)


def planner_features(state: GTBState, params: GTBParams) -> jax.Array:
    coin = rules.coin_endowment(state)
    per_agent = jnp.stack([
        state.inventory[:, COIN] * 0.01, state.inventory[:, WOOD] * 0.1, state.inventory[:, STONE] * 0.1,
        state.escrow[:, COIN] * 0.01, state.last_income * 0.01, state.last_marginal,
        (coin - state.last_coin) * 0.01], axis=1).ravel()
    eq = welfare.equality(coin, params.foundation_gini)
    return jnp.concatenate([per_agent, state.rates, phase(state, params),
                            jnp.stack([state.time / params.episode_length, eq, jnp.mean(coin) * 0.01])]
                           ).astype(jnp.float32)


def agent_mask(state: GTBState, params: GTBParams) -> jax.Array:
    """Allowed choices ``[N, n_actions]``: NO-OP; build when possible; an order when a slot is
    free and the coin (bid at that price) or a unit (ask) is there; moves onto passable tiles."""
    n = state.pos.shape[0]
    p = params.n_prices
    open_orders = state.book.open_orders()                    # [R, N]
    prices = jnp.arange(p)
    orders = []
    for res in range(N_RESOURCES):
        room = open_orders[res] < params.max_num_orders
        bid = room[:, None] & (state.inventory[:, COIN][:, None] >= prices[None, :])
        ask = jnp.broadcast_to((room & (state.inventory[:, res] >= 1))[:, None], (n, p))
        orders += [bid, ask]
    deltas = jnp.asarray(MOVES, jnp.int32)
    moves = jax.vmap(lambda i: jax.vmap(lambda d: rules.passable(state, params, i, state.pos[i] + d))(deltas))(jnp.arange(n))
    return jnp.concatenate([jnp.ones((n, 1), bool), rules.buildable(state, params)[:, None]] + orders + [moves], axis=1)


def planner_mask(state: GTBState, params: GTBParams) -> jax.Array:
    """``[B, 1 + R]``: on the first step of a period (planner tax model) every rate and not "no
    change"; otherwise only "no change"."""
    r = params.n_rates
    setting = ((state.time % params.period) == 0) & (params.tax_mode == TAX_PLANNER)
    row = jnp.where(setting, jnp.arange(r + 1) > 0, jnp.arange(r + 1) == 0)
    return jnp.broadcast_to(row, (params.n_brackets, r + 1))


def observe(state: GTBState, params: GTBParams) -> dict:
    return {"agents": {"spatial": spatial(state, params), "features": agent_features(state, params),
                       "action_mask": agent_mask(state, params)},
            "planner": {"features": planner_features(state, params), "action_mask": planner_mask(state, params)}}
