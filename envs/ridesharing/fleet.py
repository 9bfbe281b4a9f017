"""Vehicles: seats, onboard passengers, routes, the per-assignment reward and the minute clock.

Faithful to the official simulator's ``single_update`` / ``execute`` (spec ospo.md §1.2, §1.4),
with zones in place of OSRM coordinates:

- assigning order ``(p, d)`` to a vehicle at zone ``z``: pickup time ``T[z, p]``; the vehicle is
  placed at ``p`` at once (the code's "teleport" quirk; it is unavailable until the pickup time
  has elapsed); its new route starts at ``p`` and visits the drop-offs of all onboard passengers
  plus ``d`` in the order with the shortest total duration (the OSRM ``trip`` service solves
  this TSP; with at most ``C`` stops we enumerate all ``C!`` orders);
- every onboard order keeps ``remaining`` riding minutes (counted once the pickup is done),
  ``total`` travel minutes from its assignment to its drop-off (estimated) and ``detour``;
- the reward of the match (§1.4): ``b0 + b1 km(p, d) - b2 pickup/60 - b3 n_timeout
  - b4 dt_add/60 - b5 max(0, dt_add - threshold)/60``, ``dt_add`` = sum of new totals - sum of
  old totals, ``n_timeout`` = orders whose new total exceeds ``threshold``;
- each minute: a vehicle still picking up counts down; otherwise it rides one minute and drops
  off every order whose remaining time reached 0, and its zone becomes the last drop-off's.
- available = pickup done and a free seat [design: the code keeps a vehicle with a zero-minute
  pickup busy until its next drop-off; we use the stated rule "pickup done and seats left"].
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct


@struct.dataclass
class Fleet:
    """State of ``V`` vehicles with up to ``C`` seats (leading axis: vehicles)."""

    zone: jax.Array            # [V] int32 current zone (the last stop reached)
    pickup_left: jax.Array     # [V] int32 minutes until the current pickup is done
    capacity: jax.Array        # [V] int32 seats of each vehicle (<= C)
    slot_active: jax.Array     # [V, C] bool: an onboard (or being picked up) order
    slot_dest: jax.Array       # [V, C] int32 drop-off zone
    slot_remaining: jax.Array  # [V, C] int32 riding minutes left after the pickup phase
    slot_total: jax.Array      # [V, C] int32 minutes from assignment to drop-off (estimate)
    slot_detour: jax.Array     # [V, C] int32 minutes beyond the direct trip
    cum_reward: jax.Array      # [V] float32 reward earned this episode

    @property
    def seats_free(self) -> jax.Array:
        return self.capacity - self.slot_active.sum(-1).astype(jnp.int32)

    @property
    def available(self) -> jax.Array:
        """Vehicles that can take an order this minute (pickup done and a free seat)."""
        return (self.pickup_left == 0) & (self.seats_free > 0)


def empty_fleet(zone: jax.Array, capacity: jax.Array, max_capacity: int) -> Fleet:
    v = zone.shape[0]
    zeros = jnp.zeros((v, max_capacity), jnp.int32)
    return Fleet(zone.astype(jnp.int32), jnp.zeros(v, jnp.int32), capacity.astype(jnp.int32),
                 jnp.zeros((v, max_capacity), bool), zeros, zeros, zeros, zeros,
                 jnp.zeros(v, jnp.float32))


def route_orders(max_capacity: int) -> np.ndarray:
    """All visiting orders of the ``C`` seat slots, ``[C!, C]``."""
    return np.asarray(list(itertools.permutations(range(max_capacity))), np.int32).reshape(-1, max_capacity)


class MatchOutcome(NamedTuple):
    """Per vehicle (zero where not matched)."""

    reward: jax.Array      # [V] float32
    pickup: jax.Array      # [V] int32 minutes
    time_add: jax.Array    # [V] int32 minutes added to all onboard orders' totals
    timeouts: jax.Array    # [V] int32 orders over the threshold
    detour: jax.Array      # [V] int32 detour of the new order as planned


def plan_routes(start: jax.Array, dests: jax.Array, active: jax.Array, travel_time: jax.Array
                ) -> jax.Array:
    """Arrival minutes at each slot's drop-off from ``start`` along the shortest visiting order.

    ``start [V]``, ``dests [V, C]``, ``active [V, C]``; returns ``[V, C]`` (0 for inactive).
    Ties between orders of equal duration go to the first in :func:`route_orders`.
    """
    v, c = dests.shape
    travel_time = travel_time.astype(jnp.int32)
    perms = jnp.asarray(route_orders(c))                        # [P, C]
    cur = jnp.broadcast_to(start[:, None], (v, perms.shape[0]))
    clock = jnp.zeros_like(cur)
    arrival = jnp.zeros((v, perms.shape[0], c), jnp.int32)
    for k in range(c):
        slot = perms[:, k]                                      # [P]
        on = active[:, slot]                                    # [V, P]
        dz = dests[:, slot]
        clock = clock + jnp.where(on, travel_time[cur, dz], 0)
        cur = jnp.where(on, dz, cur)
        arrival = arrival.at[:, jnp.arange(perms.shape[0]), slot].set(clock)
    best = jnp.argmin(clock, axis=1)                            # total duration per order
    return jnp.where(active, arrival[jnp.arange(v), best], 0)


def assign_orders(fleet: Fleet, matched: jax.Array, pickup_zone: jax.Array, dest_zone: jax.Array,
                  travel_time: jax.Array, distance_km: jax.Array, weights: jax.Array,
                  threshold: jax.Array) -> tuple[Fleet, MatchOutcome]:
    """Give vehicle ``i`` the order ``(pickup_zone[i], dest_zone[i])`` where ``matched[i]``
    (the caller checks availability); returns the new fleet and the match outcome (§1.4)."""
    v, c = fleet.slot_active.shape
    pickup = travel_time[fleet.zone, pickup_zone]
    new_slot = jnp.argmin(fleet.slot_active, axis=1)            # first free seat slot
    is_new = jnp.arange(c)[None, :] == new_slot[:, None]
    active = fleet.slot_active | is_new
    dests = jnp.where(is_new, dest_zone[:, None], fleet.slot_dest)
    arrival = plan_routes(pickup_zone, dests, active, travel_time)
    elapsed = jnp.where(is_new, 0, fleet.slot_total - fleet.slot_remaining)
    total = jnp.where(active, arrival + pickup[:, None] + elapsed, 0)
    old_total = jnp.where(fleet.slot_active, fleet.slot_total, 0)
    time_add = total.sum(1) - old_total.sum(1)
    timeouts = (active & (total > threshold)).sum(1).astype(jnp.int32)
    direct = travel_time[pickup_zone, dest_zone]
    detour = jnp.where(is_new, total - direct[:, None] - pickup[:, None],
                       fleet.slot_detour + total - fleet.slot_total)
    detour = jnp.where(active, detour, 0)
    b = weights
    over = jnp.maximum(time_add - threshold, 0)
    reward = (b[0] + b[1] * distance_km[pickup_zone, dest_zone] - b[2] * pickup / 60.0
              - b[3] * timeouts - b[4] * time_add / 60.0 - b[5] * over / 60.0).astype(jnp.float32)
    m1 = matched[:, None]
    new = fleet.replace(
        zone=jnp.where(matched, pickup_zone, fleet.zone),
        pickup_left=jnp.where(matched, pickup, fleet.pickup_left),
        slot_active=jnp.where(m1, active, fleet.slot_active),
        slot_dest=jnp.where(m1, dests, fleet.slot_dest),
        slot_remaining=jnp.where(m1, arrival, fleet.slot_remaining),
        slot_total=jnp.where(m1, total, fleet.slot_total),
        slot_detour=jnp.where(m1, detour, fleet.slot_detour),
        cum_reward=fleet.cum_reward + jnp.where(matched, reward, 0.0))
    zero = jnp.zeros(v, jnp.int32)
    outcome = MatchOutcome(jnp.where(matched, reward, 0.0), jnp.where(matched, pickup, zero),
                           jnp.where(matched, time_add, zero), jnp.where(matched, timeouts, zero),
                           jnp.where(matched, (detour * is_new).sum(1), zero))
    return new, outcome


class Deliveries(NamedTuple):
    """Orders dropped off during one minute, per vehicle."""

    count: jax.Array          # [V] int32
    total_minutes: jax.Array  # [V] int32 sum of their travel times (delivery time)
    detour_minutes: jax.Array  # [V] int32 sum of their detours


def advance_minute(fleet: Fleet) -> tuple[Fleet, Deliveries]:
    """One minute of driving: pickups count down, otherwise ride and drop off (module docstring)."""
    riding = fleet.pickup_left == 0
    pickup_left = jnp.maximum(fleet.pickup_left - 1, 0)
    moving = fleet.slot_active & riding[:, None]
    remaining = jnp.where(moving, fleet.slot_remaining - 1, fleet.slot_remaining)
    drop = moving & (remaining <= 0)
    last = jnp.argmax(jnp.where(drop, remaining, jnp.iinfo(jnp.int32).min), axis=1)
    zone = jnp.where(drop.any(1), fleet.slot_dest[jnp.arange(drop.shape[0]), last], fleet.zone)
    deliveries = Deliveries(drop.sum(1).astype(jnp.int32),
                            jnp.where(drop, fleet.slot_total, 0).sum(1),
                            jnp.where(drop, fleet.slot_detour, 0).sum(1))
    keep = ~drop
    new = fleet.replace(
        zone=zone, pickup_left=pickup_left, slot_active=fleet.slot_active & keep,
        slot_dest=jnp.where(keep, fleet.slot_dest, 0), slot_remaining=jnp.where(keep, remaining, 0),
        slot_total=jnp.where(keep, fleet.slot_total, 0), slot_detour=jnp.where(keep, fleet.slot_detour, 0))
    return new, deliveries
