"""Cascading RL benchmark (issue 5): the cost of the per-state oracle.

1. Per-episode planning time (one full optimistic backward induction over H steps and S states,
   the work CascadingVI's ``update`` does after each episode) of CascadingVI (BestPerm),
   CascadingVI-Oracle (exhaustive search over all lists) and AdaptVI (UCBVI over lists as atomic
   actions) in the paper's MovieLens sizes S = 20, H = 3, m = 3, for N = 6..25 items, on the same
   statistics (counts drawn from a random instance). Printed as ratios to CascadingVI (larger =
   CascadingVI faster).
2. BestPerm against exhaustive search alone on 2000 random states (spec T4: >= 5x at N = 8).
3. BestPerm on 10^5 random states (N = 10, m = 3): the jitted, state-batched JAX BestPerm against
   the same algorithm vectorised over states in numpy (:func:`rlkit.cascading.reference.best_perm_numpy`),
   timed in the same run; outputs are checked to be identical.

All JAX timings are steady state: every function is compiled and run once on the same shapes
before timing (compile time excluded); the best of ``--repeats`` calls is kept. Run as
``python -m experiments.bench.cascading`` (``--quick`` for a smoke test).
"""
from __future__ import annotations

import argparse
import functools

import jax
import jax.numpy as jnp
import numpy as np

import rlkit  # noqa: F401
from agents.cascading import AdaptVIParams, CascadingVIOracleParams, CascadingVIParams
from agents.cascading.adapt_vi import ucbvi_over_lists
from agents.cascading.optimistic import optimistic_cascading_plan
from agents.cascading.statistics import ItemStats
from envs.cascading import random_cascading_model_np
from experiments.bench._common import header, result_line, timed
from rlkit.cascading import best_perm, click_distribution, enumerate_lists, exhaustive_search, num_lists
from rlkit.cascading.reference import best_perm_numpy
from rlkit.tabular import Counts

S, H, M = 20, 3, 3
NS = (6, 8, 10, 12, 15, 20, 25)
TARGETS = {"bestperm_vs_exhaustive_N8": 5.0, "oracle_vs_cascadingvi_N25": 20.0,
           "adaptvi_vs_cascadingvi_N25": 20.0, "bestperm_vs_numpy": 1.0}


def item_statistics(model, episodes: float, rng: np.random.Generator) -> ItemStats:
    """Per-item counts of about ``episodes`` episodes spread over states and items."""
    S_, N = model.q.shape
    H = model.H
    examined = rng.poisson(episodes * H / (S_ * N) * 2.0, size=(S_, N)).astype(np.float64) + 1.0
    clicks = rng.binomial(examined.astype(int), np.asarray(model.q)).astype(np.float64)
    n_p = np.concatenate([clicks, rng.poisson(episodes * H / S_ * 0.3, size=(S_, 1)) + 1.0], axis=1)
    n_next = np.stack([[rng.multinomial(int(n), p) for n, p in zip(n_p[s], np.asarray(model.P)[s])]
                       for s in range(S_)]).astype(np.float64)
    counts = Counts(n=jnp.asarray(n_p)[None], n_next=jnp.asarray(n_next)[None],
                    r_sum=jnp.zeros((1, S_, N + 1)), r_sq_sum=jnp.zeros((1, S_, N + 1)))
    return ItemStats(jnp.asarray(examined), jnp.asarray(clicks), counts)


def list_counts(model, episodes: float, rng: np.random.Generator) -> Counts:
    """List-level counts (AdaptVI's statistics) for the same number of episodes."""
    S, H, M = model.S, model.H, model.m
    table = jnp.asarray(enumerate_lists(model.N, M))
    L = table.shape[0]
    n = rng.poisson(episodes * H / (S * L), size=(S, L)).astype(np.float64)
    probs = np.asarray(click_distribution(jnp.broadcast_to(table, (S, L, M)), model.q[:, None, :]))
    clicked = np.where(np.asarray(table) >= 0, np.asarray(table), model.N)
    items = np.concatenate([clicked, np.full((L, 1), model.N)], axis=1)
    P_list = np.einsum("slk,slkt->slt", probs, np.asarray(model.P)[:, items, :])
    n_next = n[..., None] * P_list                      # expected transition counts
    return Counts(n=jnp.asarray(n)[None], n_next=jnp.asarray(n_next)[None],
                  r_sum=jnp.asarray(0.5 * n)[None], r_sq_sum=jnp.zeros((1, S, L)))


@functools.lru_cache(maxsize=None)
def _cascading_planner(oracle: str, H: int, m: int):
    hp = CascadingVIOracleParams() if oracle == "exhaustive" else CascadingVIParams()
    return jax.jit(lambda stats, r: optimistic_cascading_plan(stats, r, 1000.0, hp, H, m).lists)


@functools.lru_cache(maxsize=None)
def _adapt_planner(H: int):
    hp = AdaptVIParams()
    return jax.jit(lambda counts: ucbvi_over_lists(counts, 1000.0, hp, H))


def planning_seconds(N: int, repeats: int, episodes: float = 1000.0, seed: int = 0,
                     S: int = S, H: int = H, m: int = M) -> dict[str, float]:
    """Steady-state seconds of one per-episode plan of each algorithm at ``N`` items."""
    rng = np.random.default_rng(seed)
    model = random_cascading_model_np(seed, S=S, N=N, m=m, H=H)
    stats = item_statistics(model, episodes, rng)
    out = {}
    for name, oracle in (("CascadingVI", "bestperm"), ("CascadingVI-Oracle", "exhaustive")):
        fn = _cascading_planner(oracle, H, m)
        jax.block_until_ready(fn(stats, model.r))                     # compile + warm-up
        out[name] = timed(lambda: fn(stats, model.r), repeats)[0]
    counts = list_counts(model, episodes, rng)
    fn = _adapt_planner(H)
    jax.block_until_ready(fn(counts))
    out["AdaptVI"] = timed(lambda: fn(counts), repeats)[0]
    return out


def oracle_seconds(N: int, states: int = 2000, repeats: int = 5, seed: int = 0) -> tuple[float, float]:
    """Seconds of BestPerm and of exhaustive search on the same ``states`` random states (spec T4)."""
    rng = np.random.default_rng(seed)
    u, w, wb = (jnp.asarray(x) for x in (rng.uniform(size=(states, N)), rng.uniform(0, 3, size=(states, N)),
                                         rng.uniform(0, 3, size=states)))
    out = []
    for oracle in (best_perm, exhaustive_search):
        fn = jax.jit(lambda a, b, c, oracle=oracle: oracle(a, b, c, M).value)
        jax.block_until_ready(fn(u, w, wb))
        out.append(timed(lambda: fn(u, w, wb), repeats)[0])
    return out[0], out[1]


def bestperm_vs_numpy(states: int, N: int = 10, repeats: int = 3, seed: int = 0) -> tuple[float, float, bool]:
    """Seconds of the jitted JAX BestPerm and of the numpy one on ``states`` random states."""
    rng = np.random.default_rng(seed)
    u, w, wb = rng.uniform(size=(states, N)), rng.uniform(0, 3, size=(states, N)), rng.uniform(0, 3, size=states)
    u_j, w_j, wb_j = jnp.asarray(u), jnp.asarray(w), jnp.asarray(wb)
    fn = jax.jit(lambda a, b, c: best_perm(a, b, c, M))
    jax.block_until_ready(fn(u_j, w_j, wb_j))
    t_jax, out = timed(lambda: fn(u_j, w_j, wb_j), repeats)
    t_np, (values, lists) = timed(lambda: best_perm_numpy(u, w, wb, M), repeats)
    same = bool(np.array_equal(np.asarray(out.lists), lists) and np.allclose(np.asarray(out.value), values))
    return t_jax, t_np, same


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=25, help="best of this many timed calls")
    p.add_argument("--states", type=int, default=100_000)
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke test of the script)")
    args = p.parse_args(argv)
    ns = (6, 8) if args.quick else NS
    states = 2_000 if args.quick else args.states
    header("cascading")
    print(f"\n1. per-episode planning time, S={S}, H={H}, m={M} (steady state, compile excluded)")
    print(f"{'N':>4} {'|A| lists':>10} {'CascadingVI':>13} {'Oracle':>12} {'AdaptVI':>12} "
          f"{'Oracle/CVI':>11} {'AdaptVI/CVI':>12}")
    ratios = {}
    for N in ns:
        t = planning_seconds(N, args.repeats)
        r_oracle = t["CascadingVI-Oracle"] / t["CascadingVI"]
        r_adapt = t["AdaptVI"] / t["CascadingVI"]
        ratios[f"oracle_vs_cascadingvi_N{N}"] = r_oracle
        ratios[f"adaptvi_vs_cascadingvi_N{N}"] = r_adapt
        print(f"{N:>4} {num_lists(N, M):>10} {1e3 * t['CascadingVI']:>10.2f} ms "
              f"{1e3 * t['CascadingVI-Oracle']:>9.2f} ms {1e3 * t['AdaptVI']:>9.2f} ms "
              f"{r_oracle:>10.1f}x {r_adapt:>11.1f}x", flush=True)
    print(f"\n2. the oracle alone on 2000 random states, m={M} (spec T4)")
    for N in ns[:3]:
        t_bp, t_ex = oracle_seconds(N, repeats=args.repeats)
        ratios[f"bestperm_vs_exhaustive_N{N}"] = t_ex / t_bp
        print(f"   N={N:>2}: BestPerm {1e3 * t_bp:.2f} ms, exhaustive {1e3 * t_ex:.2f} ms: {t_ex / t_bp:.1f}x", flush=True)
    t_jax, t_np, same = bestperm_vs_numpy(states, repeats=3)
    ratios["bestperm_vs_numpy"] = t_np / t_jax
    print(f"\n3. BestPerm on {states} random states (N=10, m={M}): jitted JAX {1e3 * t_jax:.1f} ms, "
          f"numpy (vectorised over states) {1e3 * t_np:.1f} ms: {t_np / t_jax:.1f}x; "
          f"identical outputs: {same}")
    targets = {k: v for k, v in TARGETS.items() if k in ratios}
    line = result_line("cascading", ratios, targets, {"identical_outputs": same})
    if not same:
        import json
        obj = json.loads(line)
        obj["passed"] = False
        line = json.dumps(obj)
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
