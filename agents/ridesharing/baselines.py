"""Non-learning dispatch baselines (spec ospo.md §2, §8): random matching and greedy dispatch.

- :class:`RandomMatchingParams`: a uniformly random maximum-cardinality matching of the
  available vehicles and the open orders (the paper's training episodes with epsilon ~ 1: every
  entry of the matrix is 1e8, so any maximum matching is optimal);
- :class:`GreedyParams` ``mode="hungarian"``: the minimum total pickup time among the matchings
  of maximum cardinality (RideGym's ``HungarianDispatch``: ``linear_sum_assignment`` on the
  rectangular pickup-time matrix), solved with the auction on ``BIG - eta``, ``BIG`` larger than
  any sum of pickup times so that cardinality comes first; integer weights and ``eps = 0.5 / min(V, No)``
  make it exact (``min(V, No) * eps < 1``);
- :class:`GreedyParams` ``mode="nearest"``: orders in request order (oldest first) each take the
  nearest available vehicle (RideGym's ``NearestDistanceDispatch``), as one ``lax.scan``.

They learn nothing; ``update`` only reports the evaluation sums (every episode is greedy).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from agents.ridesharing import dispatch
from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError


@struct.dataclass
class KnownCity:
    travel_time: jax.Array


class _Baseline(Agent):
    def init(self, key, spec, hp):
        return KnownCity(jnp.asarray(spec.known["travel_time"]))

    def update(self, key, state, batch, hp):
        everything = jnp.ones(batch.done.shape, bool)
        return state, dispatch.episode_sums(batch, everything)


def random_maximum_matching(key: jax.Array, available: jax.Array, open_orders: jax.Array) -> jax.Array:
    """Pair the k-th available vehicle with the k-th open order, both in a random order."""
    k_v, k_o = jax.random.split(key)
    v, no = available.shape[0], open_orders.shape[0]
    vehicle_rank = jnp.argsort(jnp.argsort(jnp.where(available, jax.random.uniform(k_v, (v,)), 2.0)))
    order_by_rank = jnp.argsort(jnp.where(open_orders, jax.random.uniform(k_o, (no,)), 2.0))
    n = jnp.minimum(available.sum(), open_orders.sum())
    gets = available & (vehicle_rank < n)
    return jnp.where(gets, order_by_rank[jnp.minimum(vehicle_rank, no - 1)], no).astype(jnp.int32)


class RandomMatching(_Baseline):
    name = "random_matching"

    def act(self, key, state, carry, obs, hp):
        return random_maximum_matching(key, obs["available"], obs["order_mask"]), carry, {}


@hparams
class RandomMatchingParams(HParams):
    label: str = static("random")

    def make_agent(self):
        return RandomMatching()


def pickup_eta(obs: dict, travel_time: jax.Array) -> jax.Array:
    return travel_time[obs["vehicle_zone"][:, None], obs["order_pickup"][None, :]]


def hungarian_min_pickup(obs: dict, travel_time: jax.Array) -> jax.Array:
    """Max-cardinality matching of minimum total pickup time (module docstring)."""
    eta = pickup_eta(obs, travel_time).astype(jnp.float64)
    mask = dispatch.valid_pairs(obs)
    k = min(eta.shape)
    big = (k + 1) * (travel_time.max().astype(jnp.float64) + 1.0)
    # integer weights: a gap below 1 is no gap, so eps = 0.5 / k suffices (auction guarantee
    # k * eps < 1); a smaller eps only lengthens the price wars among equal ETAs
    action, _ = dispatch.assignment_action(big - eta, mask, eps_rel=0.5 / (k * big))
    return action


def nearest_vehicle(obs: dict, travel_time: jax.Array) -> jax.Array:
    """Oldest order first, each to the nearest free vehicle (ties: lowest index)."""
    eta = pickup_eta(obs, travel_time)
    v, no = eta.shape
    order_queue = jnp.lexsort((jnp.arange(no), obs["order"][:, 4], ~obs["order_mask"]))

    def take(free, j):
        is_open = obs["order_mask"][j]
        cand = jnp.where(free, eta[:, j], jnp.iinfo(jnp.int32).max)
        i = jnp.argmin(cand)
        ok = is_open & free[i]
        return free.at[i].set(free[i] & ~ok), jnp.where(ok, i, v)

    _, chosen = jax.lax.scan(take, obs["available"], order_queue)
    action = jnp.full(v + 1, no, jnp.int32).at[chosen].set(order_queue.astype(jnp.int32))
    return action[:v]


class GreedyDispatch(_Baseline):
    name = "greedy_dispatch"

    def act(self, key, state, carry, obs, hp):
        if hp.mode == "hungarian":
            return hungarian_min_pickup(obs, state.travel_time), carry, {}
        return nearest_vehicle(obs, state.travel_time), carry, {}


@hparams
class GreedyParams(HParams):
    mode: str = static("hungarian")
    label: str = static("greedy")

    def make_agent(self):
        return GreedyDispatch()

    def validate(self):
        if self.mode not in ("hungarian", "nearest"):
            raise ConfigError(f"mode must be 'hungarian' or 'nearest', got {self.mode!r}")
