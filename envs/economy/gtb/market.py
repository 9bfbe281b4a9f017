"""The continuous double auction of Gather-Trade-Build (Foundation ``ContinuousDoubleAuction``,
spec §2), in fixed-size JAX arrays.

Per resource, every agent owns ``M = max_num_orders`` order slots (bids and asks together). A bid
at price ``p`` moves ``p`` coin from the buyer's inventory to escrow; an ask moves one unit of the
resource to escrow. Matching follows Foundation's rule: repeatedly take the highest bid (ties: the
older order) of a buyer not yet ruled out, and the lowest ask (ties: older) of any *other* agent;
if the bid covers the ask they trade at the price of whichever order was placed first (the ask's
price when both arrived on the same step), the buyer gets its excess pre-payment back; otherwise
that buyer cannot trade this step. Unfilled orders expire ``order_duration`` steps after their
creation and their escrow returns to the owner's inventory.

Only matched orders move coin or resources between agents, and a trade moves exactly one unit of
the resource and ``price`` coin, so coin and resources are conserved. Since the book holds no
crossing pair after matching, only orders placed this step can trade: at most ``N`` trades and
``N`` ruled-out buyers per step, so ``2N`` matching rounds always suffice.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

COIN = 2  # inventory column of coin; columns 0 and 1 are wood and stone


@struct.dataclass
class OrderBook:
    """Order slots ``[R, N, M]`` (resource, owner, slot)."""

    active: jax.Array
    is_bid: jax.Array
    price: jax.Array      # int32
    created: jax.Array    # int32 env step of creation
    seq: jax.Array        # int32 global creation order (tie-breaker)

    @classmethod
    def empty(cls, n_resources: int, n_agents: int, slots: int) -> "OrderBook":
        shape = (n_resources, n_agents, slots)
        z = jnp.zeros(shape, jnp.int32)
        return cls(jnp.zeros(shape, bool), jnp.zeros(shape, bool), z, z, z)

    def open_orders(self) -> jax.Array:
        """Open orders per resource and agent ``[R, N]``."""
        return jnp.sum(self.active, axis=-1)


def place_orders(book: OrderBook, inventory: jax.Array, escrow: jax.Array, resource: jax.Array,
                 is_bid: jax.Array, price: jax.Array, wants: jax.Array, order: jax.Array, time,
                 next_seq) -> tuple[OrderBook, jax.Array, jax.Array, jax.Array, jax.Array]:
    """Agents with ``wants[i]`` place one order (resource, side, price), in the sequence ``order``
    (a permutation of the agents, Foundation's random agent order). An order is refused when the
    agent's slots are full, or it lacks the coin (bid) or the unit (ask). Returns the book, the
    inventories, escrows, which orders were placed ``[N]`` and the next sequence number."""
    n = inventory.shape[0]

    def one(k, carry):
        book, inv, esc, placed, seq = carry
        i = order[k]
        r, bid, p = resource[i].astype(jnp.int32), is_bid[i], price[i].astype(jnp.int32)
        free = ~book.active[r, i]
        has_slot = jnp.any(free)
        slot = jnp.argmax(free)
        affordable = jnp.where(bid, inv[i, COIN] >= p, inv[i, r] >= 1)
        ok = wants[i] & has_slot & affordable
        col = jnp.where(bid, COIN, r)
        amount = jnp.where(bid, p, 1).astype(inv.dtype)
        inv = inv.at[i, col].add(jnp.where(ok, -amount, 0.0))
        esc = esc.at[i, col].add(jnp.where(ok, amount, 0.0))
        idx = (r, i, slot)
        book = book.replace(
            active=book.active.at[idx].set(book.active[idx] | ok),
            is_bid=book.is_bid.at[idx].set(jnp.where(ok, bid, book.is_bid[idx])),
            price=book.price.at[idx].set(jnp.where(ok, p, book.price[idx])),
            created=book.created.at[idx].set(jnp.where(ok, time, book.created[idx])),
            seq=book.seq.at[idx].set(jnp.where(ok, seq, book.seq[idx])))
        return book, inv, esc, placed.at[i].set(ok), seq + ok.astype(jnp.int32)

    time = jnp.asarray(time, jnp.int32)
    init = (book, inventory, escrow, jnp.zeros(n, bool), jnp.asarray(next_seq, jnp.int32))
    return jax.lax.fori_loop(0, n, one, init)


def _match_resource(active, is_bid, price, created, seq, n_rounds: int):
    """Foundation's matching on one resource's slots ``[N, M]``. Returns the new ``active`` and
    per-agent deltas of inventory resource, inventory coin, escrow resource and escrow coin, and
    the number of trades and the sum of traded prices."""
    n, m = active.shape
    owner = jnp.broadcast_to(jnp.arange(n)[:, None], (n, m))
    big = jnp.int32(1 << 20)

    def round_(_, carry):
        active, excluded, d_res, d_coin, d_esc_res, d_esc_coin, trades, value = carry
        bid_ok = active & is_bid & ~excluded[owner]
        bid_key = jnp.where(bid_ok, price * big - seq, jnp.iinfo(jnp.int32).min)
        b = jnp.argmax(bid_key.ravel())
        any_bid = jnp.any(bid_ok)
        buyer = owner.ravel()[b]
        ask_ok = active & ~is_bid & (owner != buyer)
        ask_key = jnp.where(ask_ok, -(price * big + seq), jnp.iinfo(jnp.int32).min)
        a = jnp.argmax(ask_key.ravel())
        seller = owner.ravel()[a]
        bid_price, ask_price = price.ravel()[b], price.ravel()[a]
        trade = any_bid & jnp.any(ask_ok) & (bid_price >= ask_price)
        paid = jnp.where(created.ravel()[b] >= created.ravel()[a], ask_price, bid_price)
        t = trade.astype(d_coin.dtype)
        flat = active.ravel()
        flat = flat.at[b].set(flat[b] & ~trade).at[a].set(flat[a] & ~trade)
        d_res = d_res.at[buyer].add(t)
        d_esc_res = d_esc_res.at[seller].add(-t)
        d_esc_coin = d_esc_coin.at[buyer].add(-t * bid_price)
        d_coin = d_coin.at[buyer].add(t * (bid_price - paid)).at[seller].add(t * paid)
        excluded = excluded.at[buyer].set(excluded[buyer] | (any_bid & ~trade))
        return (flat.reshape(n, m), excluded, d_res, d_coin, d_esc_res, d_esc_coin,
                trades + trade.astype(jnp.int32), value + t * paid)

    z = jnp.zeros(n, jnp.float64)
    init = (active, jnp.zeros(n, bool), z, z, z, z, jnp.int32(0), jnp.float64(0.0))
    out = jax.lax.fori_loop(0, n_rounds, round_, init)
    return out


def match(book: OrderBook, inventory: jax.Array, escrow: jax.Array
          ) -> tuple[OrderBook, jax.Array, jax.Array, dict]:
    """Match every resource's book (resources are independent: each trade only touches coin
    already in escrow for that resource's bids). Returns book, inventories, escrows, trade stats."""
    n = inventory.shape[0]
    n_res = book.active.shape[0]
    active, _, d_res, d_coin, d_esc_res, d_esc_coin, trades, value = jax.vmap(
        lambda *x: _match_resource(*x, n_rounds=2 * n))(book.active, book.is_bid, book.price,
                                                         book.created, book.seq)
    inv = inventory.at[:, :n_res].add(d_res.T).at[:, COIN].add(jnp.sum(d_coin, 0))
    esc = escrow.at[:, :n_res].add(d_esc_res.T).at[:, COIN].add(jnp.sum(d_esc_coin, 0))
    return book.replace(active=active), inv, esc, {"trades": trades, "trade_value": value}


def expire(book: OrderBook, inventory: jax.Array, escrow: jax.Array, time, duration
           ) -> tuple[OrderBook, jax.Array, jax.Array]:
    """Remove orders older than ``duration`` steps after this step's matching (Foundation: an order
    lives while ``lifetime <= duration``, its lifetime counting this step) and return their escrow."""
    old = book.active & ((time - book.created + 1) > duration)
    n_res = book.active.shape[0]
    coin_back = jnp.sum(jnp.where(old & book.is_bid, book.price, 0), axis=(0, 2)).astype(inventory.dtype)
    units_back = jnp.sum(old & ~book.is_bid, axis=2).T.astype(inventory.dtype)   # [N, R]
    inv = inventory.at[:, COIN].add(coin_back).at[:, :n_res].add(units_back)
    esc = escrow.at[:, COIN].add(-coin_back).at[:, :n_res].add(-units_back)
    return book.replace(active=book.active & ~old), inv, esc
