"""Greedy evaluation of dispatch rules in the NumPy reference simulator, on common random numbers.

The learned policy is trained in the jitted JAX env; it is evaluated here in
:mod:`envs.ridesharing.reference` (the same rules, checked step by step against the JAX env in
the tests), together with the baselines, matching with scipy's ``linear_sum_assignment`` on the
fully padded matrix ``[W | 0_{V x V}]``. Every rule replays the same episodes: initial vehicle
zones and the order stream are drawn once per episode from a seeded NumPy generator. Nothing is
compiled apart from the policy's forward pass, which keeps the learning check cheap.

Rules (weights over available vehicle x open order):
``policy`` ``P + 1e-8`` (row softmax of the learned scores, no exploration: the paper's greedy
evaluation); ``hungarian`` ``BIG - pickup ETA`` (minimum total pickup among maximum matchings);
``random`` a uniformly random maximum matching.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import numpy as np
from scipy.optimize import linear_sum_assignment

from agents.ridesharing.scorer import PairScorer, pair_inputs
from envs.ridesharing import reference

RULES = ("policy", "hungarian", "random")


def match(weights: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Max-weight matching with full padding: vehicle -> order slot, or -1."""
    v, no = weights.shape
    w = np.where(valid, weights, -1e9)
    rows, cols = linear_sum_assignment(np.concatenate([w, np.zeros((v, v))], 1), maximize=True)
    out = np.full(v, -1)
    for i, j in zip(rows, cols):
        if j < no and valid[i, j]:
            out[i] = j
    return out


def policy_rule(hidden: Sequence[int], params: Any, features: str, travel_time: np.ndarray) -> Callable:
    """The learned policy's weights (one jitted forward pass per minute)."""
    apply = jax.jit(PairScorer(tuple(hidden)).apply)

    def weights(obs, valid, rng):
        pair = pair_inputs(features, obs["vehicle_zone"], obs["order_pickup"], travel_time)
        logits = np.asarray(apply(params, obs["vehicle"], obs["order"], pair), np.float64)
        logits = np.where(valid, logits, -np.inf)
        z = logits - logits.max(1, keepdims=True, initial=-1e300)
        e = np.where(valid, np.exp(z), 0.0)
        p = e / np.maximum(e.sum(1, keepdims=True), 1e-300)
        return p + 1e-8
    return weights


def hungarian_rule(travel_time: np.ndarray) -> Callable:
    def weights(obs, valid, rng):
        eta = travel_time[obs["vehicle_zone"][:, None], obs["order_pickup"][None, :]].astype(np.float64)
        return (min(eta.shape) + 1) * (travel_time.max() + 1.0) - eta
    return weights


def random_rule() -> Callable:
    def weights(obs, valid, rng):
        return 1.0 + 0.01 * rng.random(valid.shape)
    return weights


def evaluate(env, params, rules: dict[str, Callable], episodes: int, seed: int = 0) -> dict[str, dict]:
    """Per rule: per-episode sums of served orders, pickup minutes and lost orders."""
    T = np.asarray(params.city.travel_time)
    D = np.asarray(params.city.distance_km)
    coords = np.asarray(params.city.coords)
    beta = np.asarray(params.reward_weights, np.float64)
    threshold, max_wait = int(params.timeout_threshold), int(params.max_wait)
    cap = np.asarray(params.capacity)
    start_p = reference.probabilities(np.asarray(params.start_cdf, np.float64))
    origin_p = reference.probabilities(np.asarray(params.demand.origin_cdf, np.float64))
    dest_p = reference.probabilities(np.asarray(params.demand.dest_cdf, np.float64))
    rates = np.asarray(params.demand.rates, np.float64)
    out = {name: {"served": [], "pickup_minutes": [], "lost": [], "arrivals": []} for name in rules}
    for ep in range(episodes):
        rng = np.random.default_rng([seed, ep])
        start = reference.reset(rng, env.n_vehicles, cap, env.max_capacity, env.max_orders, start_p)
        stream = [reference.poisson_arrivals(rng, rates[min(t, len(rates) - 1)], origin_p, dest_p, env.max_arrivals)
                  for t in range(env.horizon)]
        for name, rule in rules.items():
            s = start.copy()
            lost = reference.admit(s, *stream[0])
            served = pickup = 0
            rule_rng = np.random.default_rng([seed, ep, 7])
            for t in range(env.horizon):
                obs = reference.observe(s, coords, env.max_capacity)
                valid = obs["available"][:, None] & obs["order_mask"][None, :]
                choice = match(rule(obs, valid, rule_rng), valid) if valid.any() else np.full(env.n_vehicles, -1)
                action = np.where(choice >= 0, choice, env.max_orders)
                nxt = stream[t + 1] if t + 1 < env.horizon else (np.zeros(0, int), np.zeros(0, int), 0)
                _, info = reference.step(s, action, nxt, T, D, beta, threshold, max_wait)
                served += info["served"]
                pickup += info["pickup_minutes"]
                lost += info["lost"]
            out[name]["served"].append(served)
            out[name]["pickup_minutes"].append(pickup)
            out[name]["lost"].append(lost)
            out[name]["arrivals"].append(sum(c for _, _, c in stream))
    return {name: {k: np.asarray(v) for k, v in d.items()} for name, d in out.items()}
