"""Gather-Trade-Build throughput (issue 9; spec §5.2, §6 G5): env steps per second of rlkit's JAX
env with 4 agents x 1024 economies (jit, vmap over economies, ``lax.scan`` over steps, uniformly
random allowed actions sampled inside the program), against two references timed in the same run:

- ``vs_sequential``: the same jitted env stepping ONE economy, called from a Python loop (what a
  non-batched port of the JAX env does);
- ``vs_foundation`` (optional): Salesforce Foundation's ``layout_from_file/simple_wood_and_stone``
  (the paper's 25x25 Open-Quadrant GTB, 4 agents, random valid actions, one process), run in its own
  interpreter when installed (``experiments/bench/_foundation.py``); skipped otherwise. The spec
  records about 500 steps/s for it on 2 cores.

Compile time is excluded (every program is warmed up first). Run: ``python -m experiments.bench.gtb
[--quick]``; the last line is the JSON result.
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp

from envs.economy.gtb import GTBConfig
from experiments.bench._common import header, result_line, throughput_table, timed
from experiments.bench._foundation import run_snippet

TARGETS = {"vs_sequential": 10.0, "vs_foundation": 10.0}


def random_action(key, obs, n_brackets: int):
    k_a, k_p = jax.random.split(key)
    agents = jax.random.categorical(k_a, jnp.where(obs["agents"]["action_mask"], 0.0, -1e9)).astype(jnp.int32)
    planner = jax.random.categorical(k_p, jnp.where(obs["planner"]["action_mask"], 0.0, -1e9)).astype(jnp.int32)
    return {"agents": agents, "planner": planner}


def batched_runner(cfg: GTBConfig, batch: int, steps: int):
    env, params = cfg.make_env(), cfg.make_params()

    @jax.jit
    def run(key):
        k0, k1 = jax.random.split(key)
        obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(k0, batch), params)

        def body(carry, k):
            state, obs = carry
            ka, ks = jax.random.split(k)
            action = jax.vmap(random_action, in_axes=(0, 0, None))(jax.random.split(ka, batch), obs, params.n_brackets)
            obs, state, reward, *_ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
                jax.random.split(ks, batch), state, action, params)
            return (state, obs), jnp.sum(reward["agents"])

        (state, _), rewards = jax.lax.scan(body, (state, obs), jax.random.split(k1, steps))
        return jnp.sum(rewards) + jnp.sum(state.inventory)      # keeps every step's work alive

    return run, batch * steps


def sequential_runner(cfg: GTBConfig, steps: int):
    env, params = cfg.make_env(), cfg.make_params()

    @jax.jit
    def one(key, state, obs):
        ka, ks = jax.random.split(key)
        obs, state, reward, *_ = env.step(ks, state, random_action(ka, obs, params.n_brackets), params)
        return state, obs

    obs, state = jax.jit(env.reset)(jax.random.PRNGKey(0), params)

    def run():
        s, o = state, obs
        for k in jax.random.split(jax.random.PRNGKey(1), steps):
            s, o = one(k, s, o)
        return s.inventory

    return run, steps


FOUNDATION_SNIPPET = """
import json, time, numpy as np
np.int = int      # Foundation's fixed_four_skill_and_loc uses the removed alias (spec 5.4)
from ai_economist import foundation
env = foundation.make_env_instance(
    scenario_name="layout_from_file/simple_wood_and_stone",
    components=[("Build", {"skill_dist": "pareto", "payment_max_skill_multiplier": 3, "build_labor": 10, "payment": 10}),
                ("ContinuousDoubleAuction", {"max_bid_ask": 10, "order_labor": 0.25, "max_num_orders": 5, "order_duration": 50}),
                ("Gather", {"move_labor": 1, "collect_labor": 1, "skill_dist": "pareto"}),
                ("PeriodicBracketTax", {"period": 100, "bracket_spacing": "us-federal", "usd_scaling": 1000})],
    env_layout_file="quadrant_25x25_20each_30clump.txt", starting_agent_coin=10, fixed_four_skill_and_loc=True,
    n_agents=4, world_size=[25, 25], episode_length=1000, multi_action_mode_agents=False,
    multi_action_mode_planner=True, flatten_observations=True, flatten_masks=True)
rng = np.random.default_rng(0)
def act(obs):
    out = {}
    for k, o in obs.items():
        if k == "p":
            out[k] = [0] * len(np.atleast_1d(env.get_agent("p").action_spaces))
        else:
            out[k] = int(rng.choice(np.flatnonzero(np.asarray(o["action_mask"]))))
    return out
STEPS = __STEPS__
obs = env.reset()
for _ in range(20):
    obs, *_ = env.step(act(obs))
t = time.perf_counter()
for _ in range(STEPS):
    obs, rew, done, info = env.step(act(obs))
    if done["__all__"]:
        obs = env.reset()
dt = time.perf_counter() - t
print(json.dumps({"steps_per_s": STEPS / dt}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    args = parser.parse_args(argv)
    header("gtb")
    cfg = GTBConfig()                         # 25x25 Open-Quadrant, 4 agents (the paper's setting)
    batch, steps, seq_steps = (64, 20, 50) if args.quick else (1024, 100, 300)
    run, total = batched_runner(cfg, batch, steps)
    t0 = time.perf_counter()
    timed(lambda: run(jax.random.PRNGKey(0)))             # compile + warm-up (excluded)
    print(f"compiled the batched program in {time.perf_counter() - t0:.0f} s (excluded)")
    t_batch, _ = timed(lambda: run(jax.random.PRNGKey(1)), repeats=2)
    seq, seq_total = sequential_runner(cfg, seq_steps)
    timed(seq)                                            # compile + warm-up (excluded)
    t_seq, _ = timed(seq, repeats=2)
    batched_sps, seq_sps = total / t_batch, seq_total / t_seq
    rows = [(f"rlkit jit+vmap, {batch} economies", batched_sps), ("rlkit jit, 1 economy, Python loop", seq_sps)]
    ratios = {"vs_sequential": batched_sps / seq_sps}
    fdn = run_snippet(FOUNDATION_SNIPPET.replace("__STEPS__", str(200 if args.quick else 2000)))
    if fdn is not None:
        rows.append(("Foundation GTB (1 env, 1 process)", fdn["steps_per_s"]))
        ratios["vs_foundation"] = batched_sps / fdn["steps_per_s"]
    throughput_table(rows)
    print(f"(4 agents, 25x25 Open-Quadrant, random allowed actions; one env step moves all 4 agents)")
    targets = {k: v for k, v in TARGETS.items() if k in ratios}
    print(result_line("gtb", ratios, targets))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
