"""LSD benchmark: ``python -m experiments.bench.lsd [--quick]``.

(a) The exact DP over reachable joint states (k = 6, m = 8, T = 1000: 55,699 states), jitted JAX
    against the plain numpy DP of ``theory_checks.lsd_oracles`` on the same instance.
(b) The LP + mirrored-rounding planner as k grows (m = k, k = 2..10, T = 500): its time (LP and
    rounding, every seed) and its ratio to OPT_T (exact DP while |R| <= 2e5 states; beyond that
    to T LP*, a lower bound on the true ratio since OPT_T <= (T + m) LP*).
(c) The learners on 10^5 rounds x 32 seeds (k = m = 3), through the rlkit trainer, against a
    numpy per-round loop of explore-then-commit (the same algorithm) timed on one seed.

Every JAX timing is steady state: each program is compiled (and run once) before it is timed.
The last line is the JSON result; ratios are larger-is-better.
"""
from __future__ import annotations

import argparse
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from agents.lsd.combucb import combucb1, isi_combucb1
from agents.lsd.common import exploration_schedule
from agents.lsd.etc import ETCParams, exploration_rounds
from agents.lsd.greedy import OracleGreedyParams
from agents.lsd.mirrored import MirroredPlannerParams
from agents.lsd.relaxation import solve_relaxation
from agents.lsd.ucb_replan import ReplanParams
from envs.lsd import random_general, random_monotone
from experiments.bench._common import header, result_line, timed
from rlkit.lsd import (optimal_value, reachable_count, reachable_graph, rested_state, state_index,
                       transition)
from theory_checks.lsd_oracles import dp_numpy, lp_bound, opt_sequence
from theory_checks.lsd_runs import expected_totals, instance_params, run_keys, stack_runs, train_runs

TARGETS = {"dp_vs_numpy": 2.0, "planner_vs_opt_min": 1.0 - 1.0 / np.e - 0.05, "etc_vs_numpy_loop": 10.0}
DP_STATE_LIMIT = 200_000


def bench_dp(k: int = 6, m: int = 8, T: int = 1000) -> float:
    mu = random_monotone(np.random.default_rng(0), k, m)
    graph = reachable_graph(k, m)
    rew, nxt = jnp.asarray(graph.rewards(mu)), jnp.asarray(graph.nxt)
    optimal_value(rew, nxt, 2).block_until_ready()                       # compile (warm-up)
    t_jax, V = timed(lambda: optimal_value(rew, nxt, T), repeats=3)
    t_np = timed(lambda: dp_numpy(mu, T, graph=graph))[0]
    opt_np = dp_numpy(mu, T, graph=graph)
    assert abs(float(V[graph.start]) - opt_np) < 1e-8, "JAX and numpy DP disagree"
    print(f"(a) exact DP, k = {k}, m = {m}, T = {T}, |R| = {graph.size:,}: JAX {t_jax:.3f} s, "
          f"numpy {t_np:.3f} s, OPT_T = {opt_np:.6f} (equal)")
    return t_np / t_jax


def bench_planner(ks: list[int], T: int = 500, seeds: int = 8) -> tuple[float, list[dict]]:
    rows = []
    rng = np.random.default_rng(1)
    planner = MirroredPlannerParams(on_violation="ignore")
    for k in ks:
        m = k
        mu = random_monotone(rng, k, m)
        solve = jax.jit(solve_relaxation)
        jax.block_until_ready(solve(jnp.asarray(mu)))
        t_lp, sol = timed(lambda: solve(jnp.asarray(mu)), repeats=3)
        assert abs(float(sol.value) - lp_bound(mu).value) < 1e-9
        params = stack_runs(instance_params([mu], T), seeds)
        jax.block_until_ready(train_runs(planner, params, run_keys(seeds), T, opt_level=None))  # warm-up
        t_plan, out = timed(lambda: train_runs(planner, params, run_keys(seeds, 1), T, opt_level=None))
        alg = float(expected_totals(out).mean())
        size = reachable_count(k, m)
        row = {"k": k, "m": m, "states": size, "lp_s": t_lp, "planner_s": t_plan, "alg": alg}
        if size <= DP_STATE_LIMIT:
            graph = reachable_graph(k, m)
            rew, nxt = jnp.asarray(graph.rewards(mu)), jnp.asarray(graph.nxt)
            optimal_value(rew, nxt, 2).block_until_ready()
            t_dp, V = timed(lambda: optimal_value(rew, nxt, T))
            row.update(dp_s=t_dp, reference="OPT_T", ratio=alg / float(V[graph.start]))
        else:
            row.update(dp_s=float("nan"), reference="T LP*", ratio=alg / (T * float(sol.value)))
        rows.append(row)
        print(f"    k = {k:2d}  m = {m:2d}  |R| = {size:>13,}  LP {t_lp * 1e3:7.2f} ms  planner "
              f"({seeds} seeds x {T}) {t_plan:6.3f} s  DP {row['dp_s']:7.3f} s  "
              f"ALG / {row['reference']:5s} = {row['ratio']:.3f}", flush=True)
    return min(r["ratio"] for r in rows), rows


def numpy_etc(mu: np.ndarray, T: int, seed: int, scale: float = 1.0) -> float:
    """Explore-then-commit in a plain numpy per-round loop (the reference of (c)); returns the
    total expected reward. Same schedule, estimates and exact DP plan as the JAX agent."""
    rng = np.random.default_rng(seed)
    k, m = mu.shape[0], mu.shape[1] // 2
    schedule = exploration_schedule(k, m)
    explore = int(exploration_rounds(T, scale, k, m, len(schedule)))
    graph = reachable_graph(k, m)
    counts, sums = np.zeros_like(mu), np.zeros_like(mu)
    tau, total, policy = rested_state(k, m).astype(np.int64), 0.0, None
    for t in range(T):
        if t < explore:
            a = int(schedule[t % len(schedule)])
        else:
            if policy is None:
                rew = graph.rewards(sums / np.maximum(counts, 1.0))
                V, policy = np.zeros(graph.size), np.zeros((T - t + 1, graph.size), np.int8)
                for h in range(1, T - t + 1):
                    Q = rew + V[graph.nxt]
                    policy[h], V = np.argmax(Q, axis=1), np.max(Q, axis=1)
            a = int(policy[T - t, graph.index_of(tau)])
        col = int(state_index(tau[a], m, np))
        mean = mu[a, col]
        counts[a, col] += 1.0
        sums[a, col] += float(rng.random() < mean)
        total += mean
        tau = transition(tau, a, m, np)
    return total


def bench_learners(T: int, seeds: int, numpy_rounds: int) -> tuple[float, list[dict]]:
    k = m = 3
    mu = random_general(np.random.default_rng(2), k, m)
    opt = opt_sequence(mu, T)[T]
    params = stack_runs(instance_params([mu], T), seeds)
    learners = {"ETC (exact DP)": ETCParams(), "ETC (LP + mirrored)": ETCParams(planner="mirrored"),
                "UCB re-plan (exact DP)": ReplanParams(),
                "ISI-CombUCB1 (L=4)": isi_combucb1(4), "CombUCB1 (L=3)": combucb1(3),
                "Oracle Greedy": OracleGreedyParams(),
                "LP + mirrored rounding": MirroredPlannerParams(on_violation="ignore")}
    rows = []
    for label, hp in learners.items():
        t0 = time.perf_counter()
        jax.block_until_ready(train_runs(hp, params, run_keys(seeds), T, opt_level=None))  # warm-up
        first = time.perf_counter() - t0
        t_run, out = timed(lambda: train_runs(hp, params, run_keys(seeds, 1), T, opt_level=None))
        regret = opt - expected_totals(out)
        rows.append({"agent": label, "seconds": t_run, "rounds_per_s": T * seeds / t_run,
                     "regret_per_round": float(regret.mean() / T)})
        print(f"    {label:26s} {t_run:7.2f} s  ({T * seeds / t_run / 1e6:6.2f} M rounds/s; compile + "
              f"first run {first:6.1f} s)  pseudo-regret/T = {regret.mean() / T:.4f}", flush=True)
    t0 = time.perf_counter()
    numpy_etc(mu, numpy_rounds, 0)
    t_np = time.perf_counter() - t0
    np_rate = numpy_rounds / t_np
    etc_rate = rows[0]["rounds_per_s"]
    print(f"    numpy ETC loop (1 seed x {numpy_rounds:,} rounds): {t_np:.2f} s ({np_rate / 1e3:.1f} k rounds/s)")
    return etc_rate / np_rate, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)
    header("lsd")
    if args.quick:
        dp_ratio = bench_dp(5, 6, 300)
        ks, T, seeds, np_rounds = [2, 3, 4], 20_000, 8, 5_000
    else:
        dp_ratio = bench_dp()
        ks, T, seeds, np_rounds = list(range(2, 11)), 100_000, 32, 20_000
    print(f"(b) planner (LP + mirrored rounding), m = k, T = 500:")
    planner_ratio, _ = bench_planner(ks)
    print(f"(c) learners, k = m = 3, {T:,} rounds x {seeds} seeds (one vmapped trainer call each):")
    etc_ratio, _ = bench_learners(T, seeds, np_rounds)
    ratios = {"dp_vs_numpy": dp_ratio, "planner_vs_opt_min": planner_ratio, "etc_vs_numpy_loop": etc_ratio}
    print(f"ratios: DP {dp_ratio:.2f}x numpy; planner min ALG/OPT {planner_ratio:.3f} "
          f"(target >= {TARGETS['planner_vs_opt_min']:.3f}); ETC {etc_ratio:.1f}x the numpy loop")
    print(result_line("lsd", ratios, TARGETS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
