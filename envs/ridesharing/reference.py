"""A straightforward NumPy simulator of the same dispatch rules, one city at a time.

Written independently of the JAX env, with plain Python loops over vehicles and
``itertools.permutations`` for routes, as a reference: tests step it next to
:class:`envs.ridesharing.env.RideshareEnv` from the same state and compare, and the benchmark
times it against the jitted, vmapped env (``experiments/bench/ridesharing.py``). The rules are
those of :mod:`envs.ridesharing.env` and :mod:`envs.ridesharing.fleet` (spec ospo.md §1).
State arrays mirror :class:`envs.ridesharing.env.RideshareState` (numpy copies).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np


@dataclass
class NumpyState:
    zone: np.ndarray
    pickup_left: np.ndarray
    capacity: np.ndarray
    slot_active: np.ndarray
    slot_dest: np.ndarray
    slot_remaining: np.ndarray
    slot_total: np.ndarray
    slot_detour: np.ndarray
    cum_reward: np.ndarray
    order_pickup: np.ndarray
    order_dropoff: np.ndarray
    order_request: np.ndarray
    order_active: np.ndarray
    time: int

    @classmethod
    def from_jax(cls, state) -> "NumpyState":
        f = state.fleet
        arr = lambda x: np.array(x)
        return cls(arr(f.zone), arr(f.pickup_left), arr(f.capacity), arr(f.slot_active), arr(f.slot_dest),
                   arr(f.slot_remaining), arr(f.slot_total), arr(f.slot_detour), arr(f.cum_reward),
                   arr(state.order_pickup), arr(state.order_dropoff), arr(state.order_request),
                   arr(state.order_active), int(state.time))

    def copy(self) -> "NumpyState":
        return replace(self, **{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(self).items()})


def available(s: NumpyState) -> np.ndarray:
    return (s.pickup_left == 0) & (s.capacity - s.slot_active.sum(1) > 0)


def best_route(start: int, stops: list[tuple[int, int]], T: np.ndarray) -> dict[int, int]:
    """Arrival minute per slot along the shortest visiting order (first one on ties, in the
    order of ``itertools.permutations`` over slot indices)."""
    best, best_len = None, None
    for perm in itertools.permutations(stops):
        cur, clock, arrival = start, 0, {}
        for slot, dest in perm:
            clock += int(T[cur, dest])
            cur = dest
            arrival[slot] = clock
        if best_len is None or clock < best_len:
            best, best_len = arrival, clock
    return best


def assign(s: NumpyState, i: int, p: int, d: int, T: np.ndarray, D: np.ndarray, beta, threshold: int) -> dict:
    """Give order (p, d) to vehicle i (in place); returns the match outcome."""
    pickup = int(T[s.zone[i], p])
    new = int(np.flatnonzero(~s.slot_active[i])[0])
    old = [k for k in range(s.slot_active.shape[1]) if s.slot_active[i, k]]
    dests = {k: int(s.slot_dest[i, k]) for k in old}
    dests[new] = d
    arrival = best_route(p, sorted(dests.items()), T)
    total_old = sum(int(s.slot_total[i, k]) for k in old)
    totals = {}
    for k, a in arrival.items():
        elapsed = 0 if k == new else int(s.slot_total[i, k] - s.slot_remaining[i, k])
        totals[k] = a + pickup + elapsed
    time_add = sum(totals.values()) - total_old
    timeouts = sum(t > threshold for t in totals.values())
    for k in old:
        s.slot_detour[i, k] += totals[k] - s.slot_total[i, k]
    s.slot_detour[i, new] = totals[new] - int(T[p, d]) - pickup
    reward = (beta[0] + beta[1] * D[p, d] - beta[2] * pickup / 60.0 - beta[3] * timeouts
              - beta[4] * time_add / 60.0 - beta[5] * max(0, time_add - threshold) / 60.0)
    for k in arrival:
        s.slot_active[i, k] = True
        s.slot_dest[i, k] = dests[k]
        s.slot_remaining[i, k] = arrival[k]
        s.slot_total[i, k] = totals[k]
    s.zone[i] = p
    s.pickup_left[i] = pickup
    s.cum_reward[i] += np.float32(reward)
    return {"reward": reward, "pickup": pickup}


def advance(s: NumpyState) -> int:
    """One minute for every vehicle (in place); returns the number of drop-offs."""
    drops = 0
    for i in range(len(s.zone)):
        if s.pickup_left[i] > 0:
            s.pickup_left[i] -= 1
            continue
        dropped = []
        for k in range(s.slot_active.shape[1]):
            if s.slot_active[i, k]:
                s.slot_remaining[i, k] -= 1
                if s.slot_remaining[i, k] <= 0:
                    dropped.append(k)
        if dropped:
            last = max(dropped, key=lambda k: (s.slot_remaining[i, k], -k))
            s.zone[i] = s.slot_dest[i, last]
        for k in dropped:
            s.slot_active[i, k] = False
            s.slot_dest[i, k] = s.slot_remaining[i, k] = s.slot_total[i, k] = s.slot_detour[i, k] = 0
        drops += len(dropped)
    return drops


def step(s: NumpyState, action: np.ndarray, arrivals: tuple[np.ndarray, np.ndarray, int], T, D, beta,
         threshold: int, max_wait: int) -> tuple[np.ndarray, dict]:
    """One minute: assignment, driving, expiry, then the new orders ``(origin, dest, count)``
    admitted into free pool slots in slot order. Returns per-vehicle rewards and counters."""
    n_orders = len(s.order_active)
    can = available(s)
    taken = set()
    rewards = np.zeros(len(s.zone), np.float32)
    served = pickup_minutes = 0
    for i, a in enumerate(action):
        if 0 <= a < n_orders and can[i] and s.order_active[a] and a not in taken:
            taken.add(int(a))
            out = assign(s, i, int(s.order_pickup[a]), int(s.order_dropoff[a]), T, D, beta, threshold)
            rewards[i] = out["reward"]
            served += 1
            pickup_minutes += out["pickup"]
    for a in taken:
        s.order_active[a] = False
    delivered = advance(s)
    s.time += 1
    expired = s.order_active & (s.order_request <= s.time - max_wait)
    s.order_active &= ~expired
    lost = int(expired.sum()) + admit(s, *arrivals)
    return rewards, {"served": served, "pickup_minutes": pickup_minutes, "lost": lost,
                     "delivered": delivered, "expired": int(expired.sum())}


def poisson_arrivals(rng: np.random.Generator, rate: float, origin_p: np.ndarray, dest_p: np.ndarray,
                     max_arrivals: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Poisson(rate) orders with origins ``~ origin_p`` and destinations ``~ dest_p[origin]``."""
    count = int(rng.poisson(rate))
    n = min(count, max_arrivals)
    origin = rng.choice(len(origin_p), size=n, p=origin_p)
    dest = np.array([rng.choice(len(origin_p), p=dest_p[o]) for o in origin], dtype=np.int64)
    return origin, dest, count


def observe(s: NumpyState, coords: np.ndarray, max_capacity: int) -> dict:
    """The env's observation (:meth:`envs.ridesharing.env.RideshareEnv.observe`) in numpy."""
    v = len(s.zone)
    seats_free = s.capacity - s.slot_active.sum(1)
    avail = available(s)
    vehicle = np.concatenate([
        coords[s.zone], (seats_free / max_capacity)[:, None], (s.pickup_left / 60.0)[:, None],
        (~avail)[:, None].astype(float), np.full((v, 1), s.time / 60.0), (s.cum_reward / 10.0)[:, None],
        np.full((v, 1), s.cum_reward.mean() / 10.0)], axis=1)
    slots = np.concatenate([coords[s.slot_dest], s.slot_remaining[..., None] / 60.0,
                            s.slot_total[..., None] / 60.0, s.slot_detour[..., None] / 60.0], -1)
    vehicle = np.concatenate([vehicle, (slots * s.slot_active[..., None]).reshape(v, -1)], 1)
    order = np.concatenate([coords[s.order_pickup], coords[s.order_dropoff],
                            (s.order_request / 60.0)[:, None]], 1) * s.order_active[:, None]
    return {"vehicle": vehicle.astype(np.float32), "vehicle_zone": s.zone.copy(), "available": avail,
            "order": order.astype(np.float32), "order_pickup": s.order_pickup.copy(),
            "order_dropoff": s.order_dropoff.copy(), "order_mask": s.order_active.copy(), "time": s.time}


def reset(rng: np.random.Generator, n_vehicles: int, capacity: np.ndarray, max_capacity: int, max_orders: int,
          start_p: np.ndarray) -> NumpyState:
    """An empty fleet at zones drawn from ``start_p`` and an empty order pool at minute 0."""
    zone = rng.choice(len(start_p), size=n_vehicles, p=start_p)
    zc = np.zeros((n_vehicles, max_capacity), np.int64)
    zo = np.zeros(max_orders, np.int64)
    return NumpyState(zone, np.zeros(n_vehicles, np.int64), np.asarray(capacity).copy(),
                      np.zeros((n_vehicles, max_capacity), bool), zc.copy(), zc.copy(), zc.copy(), zc.copy(),
                      np.zeros(n_vehicles, np.float32), zo.copy(), zo.copy(), zo.copy(),
                      np.zeros(max_orders, bool), 0)


def admit(s: NumpyState, origin: np.ndarray, dest: np.ndarray, count: int) -> int:
    """Put new orders (requested now) into free pool slots in slot order; returns the rejected."""
    free = np.flatnonzero(~s.order_active)
    admitted = min(len(origin), len(free))
    for k in range(admitted):
        j = free[k]
        s.order_pickup[j], s.order_dropoff[j], s.order_request[j] = origin[k], dest[k], s.time
        s.order_active[j] = True
    return count - admitted


def probabilities(cdf: np.ndarray) -> np.ndarray:
    """Probabilities from the env's cumulative tables (last axis), renormalised in float64."""
    cdf = np.asarray(cdf, np.float64)
    p = np.diff(np.concatenate([np.zeros(cdf.shape[:-1] + (1,)), cdf], axis=-1), axis=-1)
    p = np.clip(p, 0.0, None)
    return p / p.sum(-1, keepdims=True)
