"""The ride-sharing dispatch environment: a fleet, open orders and one central matching a minute.

One env step is one minute (spec ospo.md §1.3, §1.6). The action is the joint assignment of the
whole fleet: ``action[i]`` is the open-order slot given to vehicle ``i``, or ``max_orders`` for
none (``MultiDiscrete``: one entry per vehicle). The step

1. applies the assignment: a pair counts only if the vehicle is available and the order open;
   if two vehicles name the same order the lower index gets it (the rest are counted
   ``invalid_actions``); each matched vehicle gets the reward of spec §1.4;
2. drives every vehicle one minute (:func:`envs.ridesharing.fleet.advance_minute`);
3. drops the orders that waited ``max_wait`` minutes: an order requested at minute ``a`` can be
   matched at minutes ``a .. a + max_wait - 1`` and is lost at the end of the last one (the
   code drops ``minute <= t - wait`` when the clock reaches ``t``);
4. adds the orders of the next minute (rejected and counted lost when the pool is full).

The episode ends (``terminated``) after ``horizon`` minutes [design: the 30-minute window is
the whole problem, nothing after it counts]. The reward is per vehicle (``[V]``: the match
reward for matched vehicles, 0 for the others); ``info["matched"]`` marks the vehicles that got
an order. Additive per-step metrics are declared in ``EnvSpec.metric_keys`` (the trainer sums
them per rollout). The cumulative counters obey ``served + lost + open = arrivals`` at every step.

Observation (a dict, leading axis vehicles or order slots), following the paper's 28 features:
``vehicle [V, 8 + 5C]``: x, y of the zone; free seats / C; pickup minutes left / 60;
unavailable flag; minute / 60; own episode reward / 10; fleet mean / 10; then per seat slot the
drop-off x, y, remaining / 60, total / 60, detour / 60. ``order [No, 5]``: pickup x, y, drop-off
x, y, request minute / 60. Plus integer zones (``vehicle_zone``, ``order_pickup``,
``order_dropoff``), ``available [V]``, ``order_mask [No]`` and ``time``. Agents that need travel
times read them from ``EnvSpec.known["travel_time"]`` (the platform's routing engine).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs.ridesharing import demand as demand_lib
from envs.ridesharing.city import City
from envs.ridesharing.demand import Demand
from envs.ridesharing.fleet import Fleet, advance_minute, assign_orders, empty_fleet
from rlkit import spaces
from rlkit.config import ConfigError
from rlkit.distributions import inverse_cdf
from rlkit.env import Env, EnvSpec

PAPER_REWARD_WEIGHTS = (3.0, 1.0, 3.0, 1.0, 3.0, 5.0)   # beta_0..beta_5 (spec §1.4)
PAPER_TIMEOUT_MINUTES = 40
METRIC_KEYS = ("served", "pickups", "arrivals", "lost", "expired", "rejected", "pickup_minutes",
               "confirmation_minutes", "platform_reward", "delivered", "delivery_minutes",
               "detour_minutes", "invalid_actions")
VEHICLE_FEATURES = 8
SLOT_FEATURES = 5
ORDER_FEATURES = 5


@struct.dataclass
class RideshareParams:
    city: City
    demand: Demand
    capacity: jax.Array          # [V] int32 seats per vehicle (1 <= capacity <= max_capacity)
    start_cdf: jax.Array         # [Z] cumulative distribution of initial vehicle zones
    reward_weights: jax.Array    # [6] beta_0 .. beta_5
    timeout_threshold: jax.Array  # [] minutes (the paper's order_threshold, 40)
    max_wait: jax.Array          # [] minutes an order waits before it is lost (5)


@struct.dataclass
class RideshareState:
    fleet: Fleet
    order_pickup: jax.Array      # [No] int32
    order_dropoff: jax.Array     # [No] int32
    order_request: jax.Array     # [No] int32 request minute
    order_active: jax.Array      # [No] bool open
    time: jax.Array              # [] int32 minute
    window: jax.Array            # [] int32 replay window
    total_arrivals: jax.Array    # [] int32 episode counters
    total_served: jax.Array
    total_lost: jax.Array


class RideshareEnv(Env):
    """See the module docstring. Static sizes are constructor arguments; arrays are params."""

    def __init__(self, n_vehicles: int, max_capacity: int = 3, max_orders: int = 64,
                 max_arrivals: int = 16, horizon: int = 30, demand: str = "poisson"):
        for name, value, low in (("n_vehicles", n_vehicles, 1), ("max_capacity", max_capacity, 1),
                                 ("max_orders", max_orders, 1), ("max_arrivals", max_arrivals, 1),
                                 ("horizon", horizon, 1)):
            if not isinstance(value, int) or value < low:
                raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
        if max_arrivals > max_orders:
            raise ConfigError(f"max_arrivals ({max_arrivals}) cannot exceed max_orders ({max_orders})")
        if demand not in ("poisson", "replay"):
            raise ConfigError(f"demand must be 'poisson' or 'replay', got {demand!r}")
        self.n_vehicles = n_vehicles
        self.max_capacity = max_capacity
        self.max_orders = max_orders
        self.max_arrivals = max_arrivals
        self.horizon = horizon
        self.demand_mode = demand

    # --- params ------------------------------------------------------------------------------
    def default_params(self) -> RideshareParams:
        from envs.ridesharing.city import grid_city
        city = grid_city(10)
        rates = demand_lib.profile_rates(6.0, self.horizon, profile=None)
        uniform = jnp.ones(city.n_zones)
        return self.make_params(city, demand_lib.poisson_demand(rates, uniform, uniform))

    def make_params(self, city: City, demand: Demand, capacity=None, start_weights=None,
                    reward_weights=PAPER_REWARD_WEIGHTS, timeout_threshold: int = PAPER_TIMEOUT_MINUTES,
                    max_wait: int = 5) -> RideshareParams:
        """Validated params (concrete values; raises :class:`ConfigError`)."""
        import numpy as np
        z = city.n_zones
        cap = np.full(self.n_vehicles, self.max_capacity) if capacity is None else np.asarray(capacity)
        cap = np.broadcast_to(cap, (self.n_vehicles,))
        if np.any(cap < 1) or np.any(cap > self.max_capacity) or np.any(cap != np.floor(cap)):
            raise ConfigError(f"vehicle capacity must be an integer in 1..max_capacity="
                              f"{self.max_capacity}, got values {sorted(set(cap.tolist()))}")
        w = np.ones(z) if start_weights is None else np.asarray(start_weights, np.float64)
        if w.shape != (z,) or np.any(w < 0) or not w.sum() > 0:
            raise ConfigError(f"start_weights must be [Z]={z} non-negative weights with a positive sum")
        beta = np.asarray(reward_weights, np.float64)
        if beta.shape != (6,) or not np.all(np.isfinite(beta)):
            raise ConfigError(f"reward_weights must be 6 finite numbers (beta_0..beta_5), got {beta}")
        if not isinstance(max_wait, (int, np.integer)) or max_wait < 1:
            raise ConfigError(f"max_wait must be an integer number of minutes >= 1, got {max_wait!r}")
        if timeout_threshold < 0:
            raise ConfigError(f"timeout_threshold must be >= 0 minutes, got {timeout_threshold}")
        if demand.origin_cdf.shape[-1] != z:
            raise ConfigError(f"the demand has {demand.origin_cdf.shape[-1]} zones, the city {z}")
        if self.demand_mode == "poisson" and demand.rates.shape[0] < self.horizon:
            raise ConfigError(f"Poisson demand needs {self.horizon} per-minute rates, got {demand.rates.shape[0]}")
        if self.demand_mode == "replay" and demand.trip_origin.shape[-1] > self.max_arrivals:
            raise ConfigError(f"replayed trips have up to {demand.trip_origin.shape[-1]} orders a minute; "
                              f"max_arrivals={self.max_arrivals} must be at least that")
        cdf = np.cumsum(w / w.sum())
        cdf[-1] = 1.0
        return RideshareParams(city, demand, jnp.asarray(cap, jnp.int32), jnp.asarray(cdf, jnp.float32),
                               jnp.asarray(beta, jnp.float32), jnp.int32(timeout_threshold),
                               jnp.int32(max_wait))

    def spec(self, params: RideshareParams) -> EnvSpec:
        v, no, c = self.n_vehicles, self.max_orders, self.max_capacity
        z = params.city.travel_time.shape[-1]
        box = lambda shape, low=0.0, high=jnp.inf, dtype=jnp.float32: spaces.Box(low, high, shape, dtype)
        obs = spaces.Dict({
            "vehicle": box((v, VEHICLE_FEATURES + SLOT_FEATURES * c), -jnp.inf),
            "vehicle_zone": box((v,), 0, z - 1, jnp.int32),
            "available": box((v,), 0, 1, jnp.bool_),
            "order": box((no, ORDER_FEATURES), -jnp.inf),
            "order_pickup": box((no,), 0, z - 1, jnp.int32),
            "order_dropoff": box((no,), 0, z - 1, jnp.int32),
            "order_mask": box((no,), 0, 1, jnp.bool_),
            "time": box((), 0, self.horizon, jnp.int32),
        })
        return EnvSpec(
            observation_space=obs, action_space=spaces.MultiDiscrete((no + 1,) * v),
            horizon=self.horizon, n_agents=v,
            sizes={"V": v, "No": no, "C": c, "Z": z, "H": self.horizon, "none": no},
            metric_keys=METRIC_KEYS, known={"travel_time": params.city.travel_time})

    # --- dynamics ----------------------------------------------------------------------------
    def _arrivals(self, key, params: RideshareParams, state: RideshareState, minute):
        if self.demand_mode == "poisson":
            origin, dest, valid, count = demand_lib.poisson_arrivals(key, params.demand, minute, self.max_arrivals)
        else:
            origin, dest, valid, count = demand_lib.replayed_arrivals(key, params.demand, state.window, minute)
            k = self.max_arrivals - origin.shape[0]
            origin, dest, valid = (jnp.pad(a, (0, k)) for a in (origin, dest, valid))
        in_episode = minute < self.horizon
        return origin, dest, valid & in_episode, jnp.where(in_episode, count, 0)

    def _admit(self, state: RideshareState, origin, dest, valid, count, minute):
        """Put the new orders into free pool slots; returns (state, admitted, rejected)."""
        free = ~state.order_active
        free_rank = jnp.cumsum(free) - 1
        n_new = jnp.minimum(valid.sum(), free.sum()).astype(jnp.int32)
        fill = free & (free_rank < n_new)
        src = jnp.clip(free_rank, 0, self.max_arrivals - 1)
        state = state.replace(
            order_pickup=jnp.where(fill, origin[src], state.order_pickup),
            order_dropoff=jnp.where(fill, dest[src], state.order_dropoff),
            order_request=jnp.where(fill, minute, state.order_request),
            order_active=state.order_active | fill)
        return state, n_new, count - n_new

    def reset_env(self, key, params: RideshareParams):
        k_start, k_arr = jax.random.split(key)
        u = jax.random.uniform(k_start, (self.n_vehicles + 1,))
        zones = inverse_cdf(u[1:], params.start_cdf)
        fleet = empty_fleet(zones, params.capacity, self.max_capacity)
        no = self.max_orders
        zeros = jnp.zeros(no, jnp.int32)
        n_windows = params.demand.trip_origin.shape[0]
        window = jnp.minimum(jnp.floor(u[0] * n_windows), n_windows - 1)
        state = RideshareState(fleet, zeros, zeros, zeros, jnp.zeros(no, bool), jnp.int32(0),
                               window.astype(jnp.int32), jnp.int32(0), jnp.int32(0), jnp.int32(0))
        origin, dest, valid, count = self._arrivals(k_arr, params, state, jnp.int32(0))
        state, _, rejected = self._admit(state, origin, dest, valid, count, jnp.int32(0))
        state = state.replace(total_arrivals=count, total_lost=rejected)
        return self.observe(state, params), state

    def step_env(self, key, state: RideshareState, action, params: RideshareParams):
        v, no = self.n_vehicles, self.max_orders
        fleet = state.fleet
        action = jnp.asarray(action, jnp.int32)
        wants = (action >= 0) & (action < no)
        slot = jnp.clip(action, 0, no - 1)
        ok = wants & fleet.available & state.order_active[slot]
        rows = jnp.arange(v, dtype=jnp.int32)
        first = jnp.full(no + 1, v, jnp.int32).at[jnp.where(ok, slot, no)].min(rows)[:no]
        matched = ok & (first[slot] == rows)
        taken = first < v
        fleet, outcome = assign_orders(fleet, matched, state.order_pickup[slot], state.order_dropoff[slot],
                                       params.city.travel_time, params.city.distance_km,
                                       params.reward_weights, params.timeout_threshold)
        confirmation = jnp.where(matched, state.time - state.order_request[slot], 0).sum()
        instant_pickups = (matched & (outcome.pickup == 0)).sum()
        finishing = (fleet.pickup_left == 1).sum()
        fleet, delivered = advance_minute(fleet)
        minute = state.time + 1
        active = state.order_active & ~taken
        expired = active & (state.order_request <= minute - params.max_wait)
        state = state.replace(fleet=fleet, order_active=active & ~expired, time=minute)
        origin, dest, valid, count = self._arrivals(key, params, state, minute)
        state, _, rejected = self._admit(state, origin, dest, valid, count, minute)
        served = matched.sum().astype(jnp.int32)
        lost = expired.sum().astype(jnp.int32) + rejected
        # the orders of minute 0 (admitted or rejected at reset) count in the first step's info,
        # so that per-episode sums of ``arrivals`` and ``lost`` are complete
        first = state.time == 1
        step_arrivals = count + jnp.where(first, state.total_arrivals, 0)
        step_lost = lost + jnp.where(first, state.total_lost, 0)
        state = state.replace(total_arrivals=state.total_arrivals + count,
                              total_served=state.total_served + served,
                              total_lost=state.total_lost + lost)
        info = {
            "served": served, "pickups": (instant_pickups + finishing).astype(jnp.int32),
            "arrivals": step_arrivals, "lost": step_lost, "expired": expired.sum().astype(jnp.int32),
            "rejected": rejected, "pickup_minutes": outcome.pickup.sum(),
            "confirmation_minutes": confirmation, "platform_reward": outcome.reward.sum(),
            "delivered": delivered.count.sum(), "delivery_minutes": delivered.total_minutes.sum(),
            "detour_minutes": delivered.detour_minutes.sum(),
            "invalid_actions": (wants & ~matched).sum().astype(jnp.int32),
            "matched": matched, "open_orders": state.order_active.sum().astype(jnp.int32),
            "total_arrivals": state.total_arrivals, "total_served": state.total_served,
            "total_lost": state.total_lost,
        }
        terminated = minute >= self.horizon
        return self.observe(state, params), state, outcome.reward, terminated, info

    # --- observation -------------------------------------------------------------------------
    def observe(self, state: RideshareState, params: RideshareParams) -> dict:
        f = state.fleet
        xy = params.city.coords
        c = self.max_capacity
        minute = state.time.astype(jnp.float32)
        vehicle = jnp.concatenate([
            xy[f.zone],
            (f.seats_free / c)[:, None].astype(jnp.float32),
            (f.pickup_left / 60.0)[:, None].astype(jnp.float32),
            (~f.available)[:, None].astype(jnp.float32),
            jnp.full((self.n_vehicles, 1), minute / 60.0),
            (f.cum_reward / 10.0)[:, None],
            jnp.full((self.n_vehicles, 1), f.cum_reward.mean() / 10.0),
        ], axis=1)
        on = f.slot_active[..., None].astype(jnp.float32)
        slots = jnp.concatenate([xy[f.slot_dest], f.slot_remaining[..., None] / 60.0,
                                 f.slot_total[..., None] / 60.0, f.slot_detour[..., None] / 60.0], -1)
        vehicle = jnp.concatenate([vehicle, (slots * on).reshape(self.n_vehicles, -1)], 1)
        mask = state.order_active
        order = jnp.concatenate([xy[state.order_pickup], xy[state.order_dropoff],
                                 (state.order_request / 60.0)[:, None]], 1) * mask[:, None]
        return {"vehicle": vehicle.astype(jnp.float32), "vehicle_zone": f.zone,
                "available": f.available, "order": order.astype(jnp.float32),
                "order_pickup": state.order_pickup, "order_dropoff": state.order_dropoff,
                "order_mask": mask, "time": state.time}
