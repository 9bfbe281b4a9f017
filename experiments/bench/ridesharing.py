"""Ride-sharing dispatch benchmark (issue 7): the jitted fleet simulator against a plain NumPy
simulator of the same rules, timed in the same run.

1. Simulator throughput: ``cities`` Manhattan-like cities (69 zones) with ``vehicles`` vehicles
   of capacity 3 each (default 64 x 1000), Poisson demand, random assignments every minute; the
   jitted env stepped with ``vmap`` over cities and ``lax.scan`` over ``steps`` minutes, against
   :mod:`envs.ridesharing.reference` (Python loops over vehicles, one city at a time) on the
   same-size city and demand. Ratio ``sim_vs_numpy`` = NumPy seconds per city-minute / JAX
   seconds per city-minute.
2. One dispatch minute of a 1000-vehicle fleet in one jitted call, as in training: the shared
   pair-scoring MLP on every (vehicle, order) pair, the row softmax, sampled exploration (each
   vehicle's sampled order gets +1), the auction matching and the env step, against the same
   minute done by scipy's ``linear_sum_assignment`` (fully padded) on the same weight matrix plus
   the NumPy reference step. The ratio ``dispatch_vs_scipy`` compares like with like: the jitted
   auction + env step against scipy + the NumPy step on the same weights (the network's forward
   pass, most of the minute on a CPU, is printed but counted on neither side).
3. One OSPO training iteration (rollout of one 30-minute episode in each of 8 grid cities with 50
   vehicles, then the update) on the ``ridesharing_grid`` setting: seconds per iteration,
   reported for information (no reference, no target).

JAX timings are steady state: every function is compiled and run once on the same shapes before
timing (compile time excluded, printed separately); the best of ``--repeats`` calls is kept.
Run as ``python -m experiments.bench.ridesharing`` (``--quick``: 8 cities x 200 vehicles and no
training iteration, a smoke test).
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import linear_sum_assignment

import rlkit  # noqa: F401
from agents.ridesharing import dispatch
from agents.ridesharing.scorer import PairScorer, pair_inputs
from envs.ridesharing import reference
from envs.ridesharing.config import ManhattanConfig
from experiments.bench._common import header, result_line, timed
from rlkit import candidates
from rlkit.assignment import auction_match

TARGETS = {"sim_vs_numpy": 5.0, "dispatch_vs_scipy": 1.0}


def setting(vehicles: int, rate: float, max_orders: int, max_arrivals: int):
    cfg = ManhattanConfig(n_vehicles=vehicles, rate=rate, max_orders=max_orders, max_arrivals=max_arrivals)
    env = cfg.make_env()
    return env, cfg.make_params(jax.random.PRNGKey(0))


def jax_simulator(env, params, cities: int, steps: int):
    """``steps`` minutes in ``cities`` cities (vmap), random assignments; returns a jitted fn."""
    no = env.max_orders

    @jax.jit
    def run(key):
        obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(key, cities), params)

        def body(state, k):
            k_act, k_env = jax.random.split(k)
            action = jax.random.randint(k_act, (cities, env.n_vehicles), 0, no + 1)
            _, state, reward, _, _, info = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(k_env, cities), state, action, params)
            return state, info["served"].sum()

        state, served = jax.lax.scan(body, state, jax.random.split(key, steps))
        return served.sum()
    return run


class NumpyCity:
    """The reference simulator with its tables, for one city."""

    def __init__(self, env, params, seed: int):
        self.env = env
        self.T = np.asarray(params.city.travel_time)
        self.D = np.asarray(params.city.distance_km)
        self.beta = np.asarray(params.reward_weights, np.float64)
        self.cap = np.asarray(params.capacity)
        self.origin_p = reference.probabilities(np.asarray(params.demand.origin_cdf, np.float64))
        self.dest_p = reference.probabilities(np.asarray(params.demand.dest_cdf, np.float64))
        self.rates = np.asarray(params.demand.rates, np.float64)
        self.start_p = reference.probabilities(np.asarray(params.start_cdf, np.float64))
        self.rng = np.random.default_rng(seed)
        self.state = reference.reset(self.rng, env.n_vehicles, self.cap, env.max_capacity, env.max_orders,
                                     self.start_p)
        reference.admit(self.state, *self.arrivals(0))

    def arrivals(self, minute: int):
        rate = self.rates[min(minute, len(self.rates) - 1)]
        return reference.poisson_arrivals(self.rng, rate, self.origin_p, self.dest_p, self.env.max_arrivals)

    def step(self, action: np.ndarray) -> dict:
        nxt = self.arrivals(self.state.time + 1)
        _, info = reference.step(self.state, action, nxt, self.T, self.D, self.beta, 40, 5)
        return info


def numpy_simulator_seconds(env, params, steps: int) -> float:
    """Seconds per city-minute of the reference simulator with random assignments."""
    city = NumpyCity(env, params, seed=0)
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    for _ in range(steps):
        city.step(rng.integers(0, env.max_orders + 1, env.n_vehicles))
    return (time.perf_counter() - t0) / steps


def jax_dispatch_minute(env, params, hidden=(128, 128)):
    """One dispatch minute (scores, softmax, auction, env step) as one jitted function."""
    scorer = PairScorer(hidden)
    travel_time = params.city.travel_time
    obs0, state0 = env.reset(jax.random.PRNGKey(0), params)
    net = scorer.init(jax.random.PRNGKey(1), obs0["vehicle"][:1], obs0["order"][:1],
                      pair_inputs("eta", obs0["vehicle_zone"][:1], obs0["order_pickup"][:1], travel_time))

    def match_and_step_fn(key, state, weights, mask):
        """The part the NumPy side also does: the matching and the env step."""
        match = auction_match(weights, mask, eps_rel=1e-4)      # as dispatch.assignment_action
        action = jnp.where(match.row_to_col >= 0, match.row_to_col, env.max_orders)
        obs, state, *_ = env.step(key, state, action, params)
        return obs, state, match.rounds

    @jax.jit
    def minute(key, state, obs):
        # the training-time acting path (dispatch.act with sampled exploration), the auction inlined
        k_explore, k_env = jax.random.split(key)
        mask = dispatch.valid_pairs(obs)
        logp = candidates.masked_log_softmax(dispatch.policy_logits(scorer.apply, net, obs, travel_time, "eta"), mask)
        probs = jnp.where(mask, jnp.exp(logp), 0.0) + 1e-8 * mask
        weights = dispatch.exploration_weights(k_explore, probs, logp, mask, "sample", 1.0, 0.0)
        obs, state, rounds = match_and_step_fn(k_env, state, weights, mask)
        return state, obs, weights, rounds

    match_and_step = jax.jit(lambda key, state, weights, mask: match_and_step_fn(key, state, weights, mask)[1:])
    return minute, match_and_step, state0, obs0


def scipy_dispatch_seconds(env, params, probs: np.ndarray, obs: dict, state, repeats: int) -> float:
    """linear_sum_assignment on ``[P | 0_{V x V}]`` plus the reference step, best of repeats."""
    T = np.asarray(params.city.travel_time)
    D = np.asarray(params.city.distance_km)
    beta = np.asarray(params.reward_weights, np.float64)
    valid = np.asarray(obs["available"])[:, None] & np.asarray(obs["order_mask"])[None, :]
    best = float("inf")
    for _ in range(repeats):
        s = reference.NumpyState.from_jax(state)
        t0 = time.perf_counter()
        w = np.where(valid, probs, -1e9)
        rows, cols = linear_sum_assignment(np.concatenate([w, np.zeros((len(w), len(w)))], 1), maximize=True)
        action = np.full(env.n_vehicles, env.max_orders)
        ok = (cols < env.max_orders)
        ok[ok] &= valid[rows[ok], cols[ok]]
        action[rows[ok]] = cols[ok]
        reference.step(s, action, (np.zeros(0, int), np.zeros(0, int), 0), T, D, beta, 40, 5)
        best = min(best, time.perf_counter() - t0)
    return best


def training_iteration_seconds(repeats: int) -> tuple[float, float]:
    """(compile seconds, seconds per iteration) of OSPO on the ridesharing_grid setting."""
    from experiments.ridesharing_grid import config
    from rlkit.trainer import TrainConfig, make_train

    cfg = config()
    env = cfg.env.make_env()
    params = cfg.env.make_params(jax.random.PRNGKey(0))
    hp = cfg.agent
    iters = 4
    train = jax.jit(make_train(env, hp.make_agent(), TrainConfig(iters, cfg.train.num_envs, env.horizon)))
    t0 = time.perf_counter()
    jax.block_until_ready(train(jax.random.PRNGKey(0), hp, params))
    first = time.perf_counter() - t0
    t, _ = timed(lambda: train(jax.random.PRNGKey(1), hp, params), repeats)
    return first - t, t / iters


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cities", type=int, default=64)
    ap.add_argument("--vehicles", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.cities, args.vehicles, args.steps, args.repeats = 8, 200, 10, 2
    header("ridesharing")
    rate = 0.125 * args.vehicles                       # the paper's ~125 orders a minute per 1000 vehicles
    max_orders = max(64, int(2 * rate))
    env, params = setting(args.vehicles, rate, max_orders, max(16, int(rate)))
    ratios = {}

    print(f"\n1. simulator: {args.cities} cities x {args.vehicles} vehicles (capacity 3), {rate:.0f} orders/min, "
          f"{args.steps} minutes, random assignments")
    run = jax_simulator(env, params, args.cities, args.steps)
    t0 = time.perf_counter()
    jax.block_until_ready(run(jax.random.PRNGKey(0)))
    compile_s = time.perf_counter() - t0
    t_jax, _ = timed(lambda: run(jax.random.PRNGKey(1)), args.repeats)
    per_jax = t_jax / (args.cities * args.steps)
    per_np = numpy_simulator_seconds(env, params, args.steps)
    ratios["sim_vs_numpy"] = per_np / per_jax
    print(f"   JAX (jit + vmap + scan): {t_jax:.3f} s per call = {1e3 * per_jax:.3f} ms per city-minute, "
          f"{1 / per_jax:,.0f} city-minutes/s, {args.vehicles / per_jax:,.0f} vehicle-minutes/s "
          f"(first call incl. compile {compile_s:.1f} s)")
    print(f"   NumPy reference: {1e3 * per_np:.2f} ms per city-minute: ratio {ratios['sim_vs_numpy']:.1f}x")

    print(f"\n2. one dispatch minute, {args.vehicles} vehicles x {max_orders} order slots "
          f"(scores + softmax + sampled exploration + auction + step)")
    minute, match_and_step, state, obs = jax_dispatch_minute(env, params)
    # a minute with a full pool: warm the pool up with a few dispatch-free minutes
    for k in range(3):
        obs, state, *_ = jax.jit(env.step)(jax.random.PRNGKey(10 + k), state,
                                           jnp.full(env.n_vehicles, env.max_orders), params)
    t0 = time.perf_counter()
    jax.block_until_ready(minute(jax.random.PRNGKey(2), state, obs))
    compile_d = time.perf_counter() - t0
    t_d, (_, _, weights, rounds) = timed(lambda: minute(jax.random.PRNGKey(2), state, obs), args.repeats)
    mask = dispatch.valid_pairs(obs)
    jax.block_until_ready(match_and_step(jax.random.PRNGKey(3), state, weights, mask))
    t_m, _ = timed(lambda: match_and_step(jax.random.PRNGKey(3), state, weights, mask), args.repeats)
    t_s = scipy_dispatch_seconds(env, params, np.asarray(weights, np.float64), obs, state, args.repeats)
    ratios["dispatch_vs_scipy"] = t_s / t_m
    print(f"   open orders {int(np.asarray(obs['order_mask']).sum())}, available vehicles "
          f"{int(np.asarray(obs['available']).sum())}, auction rounds {int(rounds)}")
    print(f"   JAX whole minute in one jitted call: {1e3 * t_d:.1f} ms (first call incl. compile {compile_d:.1f} s)")
    print(f"   JAX matching + step: {1e3 * t_m:.1f} ms; scipy linear_sum_assignment + NumPy step: {1e3 * t_s:.1f} ms: "
          f"ratio {ratios['dispatch_vs_scipy']:.2f}x")
    extra = {"dispatch_minute_s": round(t_d, 4)}
    if not args.quick:
        print("\n3. one OSPO training iteration, ridesharing_grid setting (8 cities x 50 vehicles, 30 minutes)")
        c, per_iter = training_iteration_seconds(args.repeats)
        extra["train_iteration_s"] = round(per_iter, 4)
        print(f"   {per_iter:.3f} s per iteration (rollout + update), compile {c:.1f} s")
    targets = {k: v for k, v in TARGETS.items() if k in ratios}
    print(result_line("ridesharing", ratios, targets, extra))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
