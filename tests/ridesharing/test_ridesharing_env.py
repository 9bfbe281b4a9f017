"""The dispatch simulator: bookkeeping invariants, expiry, seats, rewards, the NumPy reference,
and the TLC loader feeding it (spec ospo.md §7.7). One replayed-demand env program serves all
the jitted runs of this module."""
from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from envs.ridesharing import city as city_lib
from envs.ridesharing import demand as demand_lib
from envs.ridesharing import reference, tlc
from envs.ridesharing.env import METRIC_KEYS, RideshareEnv
from envs.ridesharing.fleet import route_orders
from envs.ridesharing.zones import MANHATTAN_ZONES

H, V, NO = 30, 12, 40
MAX_WAIT = 5
WEIGHTS = (3.0, 1.0, 3.0, 1.0, 3.0, 5.0)


def write_trips(path, rng, n_per_minute, day=17, hour=19):
    """A TLC-like parquet: the requested trips in (day, hour) plus noise outside the window."""
    ids = [z for z, _, _ in MANHATTAN_ZONES]
    times, pu, do = [], [], []
    for minute, n in enumerate(n_per_minute):
        for _ in range(n):
            times.append(np.datetime64(f"2024-07-{day:02d}T{hour:02d}:{minute:02d}:{rng.integers(60):02d}"))
            pu.append(int(rng.choice(ids)))
            do.append(int(rng.choice(ids)))
    for _ in range(20):   # another hour and another day: must be ignored
        times.append(np.datetime64(f"2024-07-{day:02d}T{(hour + 1) % 24:02d}:05:00"))
        pu.append(ids[0]); do.append(ids[1])
        times.append(np.datetime64(f"2024-07-{day + 1:02d}T{hour:02d}:05:00"))
        pu.append(ids[0]); do.append(ids[1])
    table = pa.table({"tpep_pickup_datetime": pa.array(np.asarray(times, "datetime64[us]")),
                      "PULocationID": pa.array(pu, pa.int64()), "DOLocationID": pa.array(do, pa.int64()),
                      "fare_amount": pa.array(np.ones(len(pu)))})
    pq.write_table(table, path)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 5, H)
    counts[:3] = [2, 4, 1]
    path = tmp_path_factory.mktemp("tlc") / "trips.parquet"
    write_trips(path, rng, counts)
    origin, dest, valid = tlc.load_trip_windows(path, [(17, 19)], H)
    city = city_lib.manhattan_like_city(None, speed_kmh=20.0)
    env = RideshareEnv(V, max_capacity=3, max_orders=NO, max_arrivals=origin.shape[-1], horizon=H, demand="replay")
    params = env.make_params(city, demand_lib.replay_demand(origin, dest, valid, city.n_zones, sample_rate=1.0),
                             capacity=np.resize([1, 2, 3], V), reward_weights=WEIGHTS, max_wait=MAX_WAIT)

    @jax.jit
    def run(key, idle):
        """H steps; ``idle``: nobody is ever matched, else random (often invalid) assignments."""
        obs, state = env.reset(key, params)

        def body(carry, k):
            obs, state = carry
            k_act, k_env = jax.random.split(k)
            rand = jax.random.randint(k_act, (V,), 0, NO + 1)
            action = jnp.where(idle, NO, rand)
            nobs, nstate, reward, term, trunc, info = env.step(k_env, state, action, params)
            return (nobs, nstate), (obs, state, action, reward, info, nstate)

        _, out = jax.lax.scan(body, (obs, state), jax.random.split(key, H))
        return out

    busy = jax.tree_util.tree_map(np.asarray, run(jax.random.PRNGKey(1), False))
    idle = jax.tree_util.tree_map(np.asarray, run(jax.random.PRNGKey(2), True))
    return dict(env=env, params=params, counts=counts, origin=origin, dest=dest, valid=valid, path=path,
                busy=busy, idle=idle)


def test_loader_bins_trips_per_minute(setup):
    counts, origin, valid = setup["counts"], setup["origin"], setup["valid"]
    assert origin.shape[:2] == (1, H)
    assert np.array_equal(valid[0].sum(1), counts)          # other hours and days ignored
    assert origin[valid].min() >= 0 and origin[valid].max() < len(MANHATTAN_ZONES)


def test_orders_expire_exactly_after_the_max_wait(setup):
    obs, state, action, reward, info, after = setup["idle"]
    arrivals = setup["counts"]
    for t in range(H - 1):
        # an order requested at minute a is lost at the end of minute a + MAX_WAIT - 1
        expected = arrivals[t + 1 - MAX_WAIT] if t + 1 - MAX_WAIT >= 0 else 0
        assert info["expired"][t] == expected and info["lost"][t] == expected, t
        # the open orders at minute t+1 are those requested in the last MAX_WAIT minutes
        assert info["open_orders"][t] == arrivals[max(0, t + 2 - MAX_WAIT): t + 2].sum(), t
    assert np.all(info["served"] == 0) and np.all(reward == 0)


def test_served_plus_lost_plus_open_equals_arrivals(setup):
    for run in ("busy", "idle"):
        obs, state, action, reward, info, after = setup[run]
        assert np.array_equal(info["total_served"] + info["total_lost"] + info["open_orders"],
                              info["total_arrivals"])
        # the per-step sums are complete episode totals (minute 0's orders count at step 0)
        assert info["arrivals"].sum() == setup["counts"].sum()
        assert info["served"].sum() + info["lost"].sum() + info["open_orders"][-1] == info["arrivals"].sum()
    obs, state, action, reward, info, after = setup["busy"]
    assert info["served"].sum() > 0 and info["invalid_actions"].sum() > 0
    assert set(METRIC_KEYS) <= set(info)


def test_seats_capacity_availability_and_one_order_per_vehicle(setup):
    obs, state, action, reward, info, after = setup["busy"]
    f = after.fleet
    seated = f.slot_active.sum(-1)
    assert np.all(seated >= 0) and np.all(seated <= f.capacity)
    assert np.all(f.capacity - seated >= 0)
    avail = obs["available"]
    assert np.all(~avail | (state.fleet.pickup_left == 0))          # picking up -> unavailable
    matched = info["matched"]
    assert np.all(~matched | avail)                                  # only available vehicles match
    for t in range(H):
        orders = action[t][matched[t]]
        assert len(set(orders.tolist())) == len(orders)              # one vehicle per order
        assert matched[t].sum() == info["served"][t]
    # a busy vehicle's request and a duplicate request are ignored (counted invalid)
    requested = (action < NO)
    assert np.all(info["invalid_actions"] == (requested & ~matched).sum(-1))


def test_jax_env_steps_like_the_numpy_reference(setup):
    env, params = setup["env"], setup["params"]
    obs, state, action, reward, info, after = setup["busy"]
    T = np.asarray(params.city.travel_time)
    D = np.asarray(params.city.distance_km)
    checked = 0
    for t in range(H - 1):
        s = reference.NumpyState.from_jax(jax.tree_util.tree_map(lambda x: x[t], state))
        nxt = jax.tree_util.tree_map(lambda x: x[t], after)
        new_orders = np.asarray(nxt.order_active) & (np.asarray(nxt.order_request) == s.time + 1)
        slots = np.flatnonzero(new_orders)
        arrivals = (np.asarray(nxt.order_pickup)[slots], np.asarray(nxt.order_dropoff)[slots], len(slots))
        rew, counts = reference.step(s, action[t], arrivals, T, D, WEIGHTS, 40, MAX_WAIT)
        assert np.allclose(rew, reward[t], atol=1e-4), t
        assert counts["served"] == info["served"][t] and counts["pickup_minutes"] == info["pickup_minutes"][t]
        assert counts["expired"] == info["expired"][t] and counts["delivered"] == info["delivered"][t]
        for name in ("zone", "pickup_left", "slot_active", "slot_dest", "slot_remaining", "slot_total",
                     "slot_detour"):
            assert np.array_equal(getattr(s, name), np.asarray(getattr(nxt.fleet, name))), (t, name)
        assert np.array_equal(s.order_active, np.asarray(nxt.order_active))
        checked += counts["served"]
    assert checked > 10


def test_reward_of_a_solo_match_by_hand(setup):
    params = setup["params"]
    obs, state, action, reward, info, after = setup["busy"]
    T = np.asarray(params.city.travel_time)
    D = np.asarray(params.city.distance_km)
    found = 0
    for t, i in zip(*np.nonzero(info["matched"])):
        if state.fleet.slot_active[t, i].any():
            continue
        j = action[t, i]
        z, p, d = obs["vehicle_zone"][t, i], obs["order_pickup"][t, j], obs["order_dropoff"][t, j]
        pickup, ride = T[z, p], T[p, d]
        total = pickup + ride
        expect = (3.0 + 1.0 * D[p, d] - 3.0 * pickup / 60 - 1.0 * (total > 40) - 3.0 * total / 60
                  - 5.0 * max(0, total - 40) / 60)
        assert np.isclose(reward[t, i], expect, atol=1e-4)
        found += 1
    assert found > 5


def test_route_planner_is_the_shortest_visiting_order():
    rng = np.random.default_rng(3)
    T = rng.integers(0, 9, (6, 6))
    from envs.ridesharing.fleet import plan_routes
    starts = rng.integers(0, 6, 20)
    dests = rng.integers(0, 6, (20, 3))
    active = rng.random((20, 3)) < 0.7
    arrival = np.asarray(jax.jit(plan_routes)(jnp.asarray(starts), jnp.asarray(dests), jnp.asarray(active),
                                              jnp.asarray(T)))
    for v in range(20):
        stops = [(k, dests[v, k]) for k in range(3) if active[v, k]]
        best = min(itertools.permutations(stops),
                   key=lambda perm: sum(T[a, b] for a, b in zip([starts[v]] + [d for _, d in perm],
                                                                  [d for _, d in perm])))
        expect = reference.best_route(int(starts[v]), stops, T)
        assert max(expect.values(), default=0) == max(arrival[v][active[v]], default=0)
        for k, a in expect.items():
            assert arrival[v, k] == a
        assert len(best) == len(stops)
    assert route_orders(3).shape == (6, 3)
