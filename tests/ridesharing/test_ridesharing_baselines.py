"""The JAX dispatch baselines against exact references (spec ospo.md §8)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import linear_sum_assignment

from agents.ridesharing.baselines import hungarian_min_pickup, nearest_vehicle, random_maximum_matching
from envs.ridesharing.city import grid_city

V, NO = 9, 6


def random_obs(rng, n_zones):
    available = rng.random(V) < 0.8
    mask = rng.random(NO) < 0.8
    return {"vehicle_zone": jnp.asarray(rng.integers(0, n_zones, V), jnp.int32),
            "order_pickup": jnp.asarray(rng.integers(0, n_zones, NO), jnp.int32),
            "available": jnp.asarray(available), "order_mask": jnp.asarray(mask),
            "order": jnp.asarray(np.c_[np.zeros((NO, 4)), rng.integers(0, 5, NO) / 60.0], jnp.float32)}


def test_hungarian_baseline_is_max_cardinality_min_pickup_and_others_are_valid():
    city = grid_city(5)
    T = np.asarray(city.travel_time)
    solve = jax.jit(lambda o: (hungarian_min_pickup(o, city.travel_time), nearest_vehicle(o, city.travel_time),
                               random_maximum_matching(jax.random.PRNGKey(0), o["available"], o["order_mask"])))
    rng = np.random.default_rng(0)
    for _ in range(20):
        obs = random_obs(rng, city.n_zones)
        hung, near, rand = (np.asarray(a) for a in solve(obs))
        avail, open_ = np.asarray(obs["available"]), np.asarray(obs["order_mask"])
        vz, op = np.asarray(obs["vehicle_zone"]), np.asarray(obs["order_pickup"])
        # exact reference: scipy on the rectangular pickup matrix (a largest matching of least
        # total pickup time, RideGym's HungarianDispatch)
        vi, oj = np.flatnonzero(avail), np.flatnonzero(open_)
        size = min(len(vi), len(oj))
        best = 0
        if size:
            rows, cols = linear_sum_assignment(T[np.ix_(vz[vi], op[oj])])
            best = T[vz[vi[rows]], op[oj[cols]]].sum()
        for action, name in ((hung, "hungarian"), (near, "nearest"), (rand, "random")):
            matched = action < NO
            assert np.all(avail[matched]) and np.all(open_[action[matched]]), name
            assert len(set(action[matched])) == matched.sum(), name           # no double assignment
            assert matched.sum() == size, name                                 # maximum cardinality
        assert T[vz[hung < NO], op[hung[hung < NO]]].sum() == best
