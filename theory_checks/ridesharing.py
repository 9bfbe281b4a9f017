"""Ride-sharing dispatch (Zhao & Li 2025, spec ospo.md §7) as checks for ``rlkit verify``.

- ``matching_exact``: the auction matcher equals exhaustive enumeration and scipy's Hungarian
  solver with full padding ``[W | 0_{m x m}]`` on random small cases with probabilities, signed
  and integer weights and masked pairs, and its dual certificate is within ``m * eps``.
  Negative control: the paper code's padding ``[W | 0_{m x n}]`` on signed weights (spec §1.3,
  about 40 of 400 cases disagree) must fail the same "no mismatch" test.
- ``matching_at_scale``: a fleet-sized problem (fast 300 vehicles x 80 orders, full 1000 x 250,
  spec §7.8) of float32 row-softmax probabilities with unavailable vehicles: the auction's
  value is within its guarantee ``min(V, No) * eps`` of scipy's optimum. Negative control: each
  vehicle takes its own most probable order (conflicts to the lowest index), which ignores the
  other rows, must fail the same bound.
- ``learning_vs_baselines``: OSPO trained on a toy grid city (jitted JAX env), deployed
  greedily (no exploration) in the NumPy reference simulator (:mod:`theory_checks.ridesharing_eval`)
  against random matching and the Hungarian minimum-pickup baseline on the same episodes
  (common random numbers): served orders >= random, mean pickup <= random - margin,
  served >= 97 % of Hungarian (spec §7.6). Negative control: random matching must fail the 97 %
  row. Full mode: the spec's 10 x 10 city with 50 vehicles, more seeds, and OSPO >= GRPO - tol.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from agents.ridesharing.grpo import GRPOParams
from agents.ridesharing.ospo import OSPOParams
from envs.ridesharing.config import GridCityConfig
from rlkit.assignment import auction_match, brute_force_match, scipy_match
from rlkit.batch import seed_keys
from rlkit.checks import CheckRow, register
from rlkit.trainer import TrainConfig, make_train
from theory_checks.ridesharing_eval import RULES, evaluate, hungarian_rule, policy_rule, random_rule

SERVED_FRACTION = 0.97        # of the Hungarian min-pickup baseline (spec §7.6 c)
GRPO_TOLERANCE = 0.02         # OSPO >= (1 - tol) GRPO in served orders (spec §7.6)
SERVED_AND_PICKUP = (3.0, 0.0, 3.0, 0.0, 0.0, 0.0)   # beta_0 per order minus a pickup penalty


# ---------------------------------------------------------------------------------------------
# matching
# ---------------------------------------------------------------------------------------------
solve_small_cases = jax.jit(jax.vmap(lambda w, m: auction_match(w, m, eps_rel=1e-9)))
"""The auction on a batch of padded small cases (shared with the tests: one compile)."""


def _small_cases(rng, count, pad):
    cases = []
    for t in range(count):
        m, n = (int(x) for x in rng.integers(1, pad, size=2))
        kind = t % 3
        w = (rng.uniform(1e-3, 1, (m, n)) if kind == 0 else rng.normal(size=(m, n)) if kind == 1
             else rng.integers(-3, 4, (m, n)).astype(float))
        mask = rng.random((m, n)) > 0.2
        cases.append((w, mask))
    return cases


def matching_rows(full: bool) -> list[CheckRow]:
    count, pad = (3000, 7) if full else (400, 6)
    rng = np.random.default_rng(11)
    cases = _small_cases(rng, count, pad)
    W = np.zeros((count, pad, pad))
    M = np.zeros((count, pad, pad), bool)
    for k, (w, mask) in enumerate(cases):
        W[k, : w.shape[0], : w.shape[1]] = w
        M[k, : w.shape[0], : w.shape[1]] = mask
    res = jax.tree_util.tree_map(np.asarray, solve_small_cases(W, M))
    auction_bad = scipy_bad = cert_bad = 0
    for k, (w, mask) in enumerate(cases):
        _, best = brute_force_match(w, mask)
        auction_bad += abs(float(res.value[k]) - best) > 1e-7
        scipy_bad += abs(scipy_match(w, mask, pad="full")[1] - best) > 1e-9
        cert_bad += not (best - 1e-9 <= res.dual_bound[k] <= res.value[k] + pad * res.eps[k] + 1e-9)
    signed = [(w, mask) for w, mask in cases if (w < 0).any()]
    paper_bad = sum(abs(scipy_match(w, None, pad="orders")[1] - brute_force_match(w)[1]) > 1e-9
                    for w, _ in signed)
    inst = f"{count} random cases, m, n <= {pad - 1}"
    return [
        CheckRow("auction = brute force", inst + ", probabilities / signed / integer, masked",
                 "0 mismatches; dual bound within m*eps", f"{auction_bad} mismatches, {cert_bad} certificate misses",
                 auction_bad == 0 and cert_bad == 0),
        CheckRow("scipy [W | 0_(m x m)] = brute force", inst, "0 mismatches", f"{scipy_bad} mismatches", scipy_bad == 0),
        CheckRow("paper padding [W | 0_(m x n)] = brute force", f"{len(signed)} signed cases (control)",
                 "0 mismatches", f"{paper_bad} mismatches", paper_bad == 0, expect=False),
    ]


@register("ridesharing", "matching_exact")
def matching_check(full: bool = False) -> list[CheckRow]:
    """Auction matcher = brute force = scipy (full padding); the paper's padding fails."""
    return matching_rows(full)


def probability_instance(rng: np.random.Generator, v: int, no: int, unavailable: float = 0.3):
    """Row-softmax probabilities of random logits over all open orders; a fraction of the
    vehicles is unavailable (masked rows), as in one dispatch minute."""
    logits = rng.normal(scale=2.0, size=(v, no))
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    mask = np.repeat((rng.random(v) >= unavailable)[:, None], no, axis=1)
    return (p + 1e-8).astype(np.float32), mask


def row_argmax_match(weights: np.ndarray, mask: np.ndarray) -> float:
    """The control: every vehicle names its best order; a contested order goes to the lowest
    index; returns the matched value."""
    best = np.where(mask, weights, -np.inf).argmax(1)
    taken, value = set(), 0.0
    for i, j in enumerate(best):
        if mask[i, j] and j not in taken:
            taken.add(j)
            value += float(weights[i, j])
    return value


def scale_rows(full: bool) -> list[CheckRow]:
    (v, no), instances, eps_rel = ((1000, 250) if full else (300, 80)), 3, 1e-5
    rng = np.random.default_rng(5)
    solve = jax.jit(lambda w, m: auction_match(w, m, eps_rel=eps_rel))
    gaps, bounds, control_gaps, converged = [], [], [], True
    for _ in range(instances):
        w, mask = probability_instance(rng, v, no)
        res = solve(w, mask)
        _, best = scipy_match(w.astype(np.float64), mask)
        bound = min(v, no) * float(res.eps)
        converged &= bool(res.converged)
        gaps.append(best - float(res.value))
        bounds.append(bound)
        control_gaps.append(best - row_argmax_match(w, mask))
    inst = f"{instances} instances, {v} vehicles (30% unavailable) x {no} orders, float32, eps_rel={eps_rel}"
    ok = converged and all(g <= b + 1e-4 for g, b in zip(gaps, bounds))
    return [
        CheckRow("auction within min(V,No)*eps of scipy", inst, f"gap <= {max(bounds):.4f}",
                 f"max gap {max(gaps):.2e}" + ("" if converged else ", not converged"), ok),
        CheckRow("row argmax within min(V,No)*eps of scipy", inst + " (control)", f"gap <= {max(bounds):.4f}",
                 f"min gap {min(control_gaps):.2f}", all(g <= b + 1e-4 for g, b in zip(control_gaps, bounds)),
                 expect=False),
    ]


@register("ridesharing", "matching_at_scale")
def scale_check(full: bool = False) -> list[CheckRow]:
    """The auction on a fleet-sized probability matrix is within its epsilon guarantee."""
    return scale_rows(full)


# ---------------------------------------------------------------------------------------------
# learning
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LearningSetup:
    env: GridCityConfig
    iterations: int
    num_envs: int
    seeds: int
    episodes: int
    hidden: tuple[int, ...]
    learning_rate: float
    pickup_margin: float


FAST = LearningSetup(GridCityConfig(rows=6, cols=6, n_vehicles=20, capacities=(1, 2), max_orders=16,
                                    max_arrivals=8, rate=3.0, hotspots=(7, 28),
                                    reward_weights=SERVED_AND_PICKUP),
                     iterations=25, num_envs=8, seeds=2, episodes=16, hidden=(32, 32),
                     learning_rate=3e-3, pickup_margin=0.5)
FULL = LearningSetup(GridCityConfig(capacities=(1, 2, 3), max_orders=32, rate=6.0,
                                    reward_weights=SERVED_AND_PICKUP),
                     iterations=200, num_envs=8, seeds=4, episodes=32, hidden=(64, 64),
                     learning_rate=3e-3, pickup_margin=1.0)


def train_and_evaluate(setup: LearningSetup, hp, rules=RULES, eval_seed: int = 99) -> dict[str, np.ndarray]:
    """Train ``hp`` for ``setup.seeds`` seeds (one compiled program, seeds in turn), then
    evaluate each seed's greedy policy and the baselines in the NumPy reference simulator on
    common episodes. Returns per-seed, per-rule mean served orders and mean pickup minutes."""
    env = setup.env.make_env()
    params = setup.env.make_params(jax.random.PRNGKey(0))
    trainer = jax.jit(make_train(env, hp.make_agent(), TrainConfig(setup.iterations, setup.num_envs, env.horizon)))
    travel_time = np.asarray(params.city.travel_time)
    served, pickup = [], []
    for key in seed_keys(0, setup.seeds):
        out = trainer(key, hp, params)
        policy = jax.tree_util.tree_map(np.asarray, out.state.agent_state.params)
        makers = {"policy": lambda: policy_rule(hp.hidden, policy, hp.features, travel_time),
                  "hungarian": lambda: hungarian_rule(travel_time), "random": random_rule}
        res = evaluate(env, params, {name: makers[name]() for name in rules}, setup.episodes, eval_seed)
        served.append([res[name]["served"].mean() for name in rules])
        pickup.append([res[name]["pickup_minutes"].sum() / max(res[name]["served"].sum(), 1) for name in rules])
    return {"rules": rules, "served": np.asarray(served), "pickup": np.asarray(pickup)}


def _policy_hp(setup: LearningSetup, cls=OSPOParams):
    return cls(hidden=setup.hidden, learning_rate=setup.learning_rate, minibatch_size=64,
               num_minibatches=4, eval_fraction=0.0)


def learning_rows(full: bool) -> list[CheckRow]:
    setup = FULL if full else FAST
    ospo = train_and_evaluate(setup, _policy_hp(setup))
    served = ospo["served"].mean(0)
    pickup = ospo["pickup"].mean(0)
    o, h, r = 0, 1, 2
    inst = (f"{setup.env.rows}x{setup.env.cols} grid, {setup.env.n_vehicles} vehicles, "
            f"{setup.seeds} seeds x {setup.iterations} it, {setup.episodes} eval episodes")
    rows = [
        CheckRow("OSPO served >= random matching", inst, f">= {served[r]:.1f}", f"{served[o]:.1f}",
                 bool(served[o] >= served[r])),
        CheckRow("OSPO pickup <= random - margin", inst, f"<= {pickup[r]:.2f} - {setup.pickup_margin}",
                 f"{pickup[o]:.2f} min", bool(pickup[o] <= pickup[r] - setup.pickup_margin)),
        CheckRow(f"OSPO served >= {SERVED_FRACTION:.0%} of Hungarian", inst,
                 f">= {SERVED_FRACTION * served[h]:.1f}", f"{served[o]:.1f}",
                 bool(served[o] >= SERVED_FRACTION * served[h])),
        CheckRow(f"random served >= {SERVED_FRACTION:.0%} of Hungarian", inst + " (control)",
                 f">= {SERVED_FRACTION * served[h]:.1f}", f"{served[r]:.1f}",
                 bool(served[r] >= SERVED_FRACTION * served[h]), expect=False),
    ]
    if full:
        grpo = train_and_evaluate(setup, _policy_hp(setup, GRPOParams), rules=("policy",))
        g = grpo["served"].mean()
        rows.append(CheckRow("OSPO served >= GRPO - tol", inst, f">= {(1 - GRPO_TOLERANCE) * g:.1f}",
                             f"{served[o]:.1f} (GRPO {g:.1f})", bool(served[o] >= (1 - GRPO_TOLERANCE) * g)))
    return rows


@register("ridesharing", "learning_vs_baselines")
def learning_check(full: bool = False) -> list[CheckRow]:
    """Greedy OSPO beats random matching and reaches 97 % of the Hungarian baseline."""
    return learning_rows(full)
