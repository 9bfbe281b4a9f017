"""One-step economy throughput (issue 8): env steps per second of the rlkit env batched over many
economies in one jitted ``vmap``/``lax.scan`` call, against (a) a vectorised numpy implementation of
the same rules (same batch, same observations, masks and rewards; checked equal to the JAX env on
the same actions) and (b) Salesforce Foundation's ``one-step-economy`` (optional, one process,
one env, as it runs in the paper's RLlib workers). Actions are uniform over the allowed ones
(rlkit and numpy draw them the same way: uniform integers); sampling is included in every timing. Steady state: the jitted function runs once before timing
(compile time excluded). ``--quick`` runs small sizes.
"""
from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np

import rlkit  # noqa: F401  (float64)
from envs.economy import OneStepEconomyConfig, taxes
from experiments.bench._common import header, result_line, throughput_table, timed
from experiments.bench._foundation import run_snippet

TARGETS = {"vs_numpy": 1.0, "vs_foundation": 10.0}


# ------------------------------------------------------------------------------------------------
# rlkit
# ------------------------------------------------------------------------------------------------
def rlkit_runner(cfg: OneStepEconomyConfig, batch: int, episodes: int):
    env, params = cfg.make_env(), cfg.make_params()

    n, b, r, a = params.n_agents, params.n_brackets, params.n_rates, params.max_labor + 1

    def random_action(key, obs):
        """Uniform over the allowed actions, drawn as the numpy reference draws them: hours
        uniform in 0..100 on the labor step (NO-OP on the tax step), a uniform grid rate per bracket."""
        k1, k2 = jax.random.split(key)
        labor_step = obs["agents"]["action_mask"][0, 1]
        agents = jnp.where(labor_step, jax.random.randint(k1, (n,), 0, a), 0)
        planner = jax.random.randint(k2, (b,), 1, r + 1)
        return {"agents": agents, "planner": planner}

    def one(key):
        k0, k1 = jax.random.split(key)
        obs, state = env.reset(k0, params)

        def step(carry, k):
            state, obs, total = carry
            ka, ks = jax.random.split(k)
            obs, state, reward, *_ = env.step(ks, state, random_action(ka, obs), params)
            return (state, obs, total + reward["planner"]), None

        (_, _, total), _ = jax.lax.scan(step, (state, obs, 0.0), jax.random.split(k1, 2 * episodes))
        return total

    run = jax.jit(lambda key: jax.vmap(one)(jax.random.split(key, batch)).sum())
    return run, 2 * episodes * batch


# ------------------------------------------------------------------------------------------------
# numpy reference (the same rules, vectorised over economies)
# ------------------------------------------------------------------------------------------------
def numpy_settle(skills, cutoffs, rates, labor, kappa, delta):
    """Incomes, taxes, lump sum, utilities and inverse-income-weighted welfare ``[batch, N]``."""
    income = labor * skills
    sizes = np.concatenate([np.diff(cutoffs), [np.inf]])
    due = (np.minimum(sizes, np.maximum(0.0, income[..., None] - cutoffs)) * rates[:, None, :]).sum(-1)
    paid = np.minimum(due, income)
    coin = income - paid + paid.sum(-1, keepdims=True) / income.shape[-1]
    utility = coin - kappa * labor ** delta
    w = 1.0 / np.maximum(income, 1.0)
    welfare = (w / w.sum(-1, keepdims=True) * utility).sum(-1)
    return coin, utility, welfare


def numpy_observe(skills, scale, rates, coin, income, time, n_labor, n_rates):
    """Observations and masks as the env builds them (agents' and planner's features and masks)."""
    batch, n = coin.shape
    phase = np.stack([time == 0, time == 1], -1).astype(np.float32)
    agent = np.concatenate([np.broadcast_to(skills / scale, (batch, n))[..., None],
                            np.broadcast_to(phase[:, None], (batch, n, 2)),
                            np.broadcast_to(rates[:, None], (batch, n, rates.shape[-1]))], -1)
    agent_mask = (np.arange(n_labor) == 0) | (time == 1)[:, None, None]
    diff = np.abs(coin[:, :, None] - coin[:, None, :]).sum((1, 2))
    eq = 1.0 - diff / (2 * n * coin.sum(-1) + 1e-10) / ((n - 1) / n)
    planner = np.concatenate([np.stack([coin.sum(-1) / n / 1000, eq], -1), phase, rates, np.sort(income, -1) / 100], -1)
    row = np.where((time == 0)[:, None], np.arange(n_rates + 1) > 0, np.arange(n_rates + 1) == 0)
    return agent, np.broadcast_to(agent_mask, (batch, n, n_labor)), planner, row


def numpy_run(cfg: OneStepEconomyConfig, batch: int, episodes: int, seed: int = 0) -> float:
    params = cfg.make_params()
    skills, cutoffs = np.asarray(params.skills), np.asarray(params.cutoffs)
    grid = np.asarray(params.rate_grid)
    kappa, delta, scale = float(params.labor_cost), float(params.labor_exponent), float(params.skill_scale)
    n, b, r = skills.size, cutoffs.size, grid.size
    n_labor = params.max_labor + 1
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(episodes):
        rates = np.zeros((batch, b))
        coin = income = np.zeros((batch, n))
        numpy_observe(skills, scale, rates, coin, income, np.zeros(batch, int), n_labor, r)
        # step 1: the planner sets rates, the agents can only NO-OP
        rates = grid[rng.integers(0, r, (batch, b))]
        numpy_observe(skills, scale, rates, coin, income, np.ones(batch, int), n_labor, r)
        # step 2: labor, taxes, redistribution, rewards
        labor = rng.integers(0, n_labor, (batch, n)).astype(np.float64)
        coin, utility, welfare = numpy_settle(skills, cutoffs, rates, labor, kappa, delta)
        income = labor * skills
        numpy_observe(skills, scale, rates, coin, income, np.full(batch, 2), n_labor, r)
        total += welfare.sum()
    return total


def check_numpy_matches_env(cfg: OneStepEconomyConfig) -> float:
    """Max |welfare difference| between the numpy rules and the env on random schedules and labor."""
    from envs.economy import settle
    params = cfg.make_params()
    rng = np.random.default_rng(1)
    rates = taxes.rate_grid()[rng.integers(0, 21, (64, params.n_brackets))]
    labor = rng.integers(0, 101, (64, params.n_agents)).astype(np.float64)
    jx = jax.vmap(lambda rt, lb: settle(params, rt, lb)["welfare"])(jnp.asarray(rates), jnp.asarray(labor))
    _, _, npw = numpy_settle(np.asarray(params.skills), np.asarray(params.cutoffs), rates, labor,
                             float(params.labor_cost), float(params.labor_exponent))
    return float(np.max(np.abs(np.asarray(jx) - npw)))


# ------------------------------------------------------------------------------------------------
# Foundation
# ------------------------------------------------------------------------------------------------
FOUNDATION_SNIPPET = """
import json, time, numpy as np
from ai_economist import foundation
env = foundation.make_env_instance(
    scenario_name="one-step-economy",
    components=[("SimpleLabor", {}), ("PeriodicBracketTax", {"period": 2, "bracket_spacing": "us-federal",
                 "usd_scaling": 1000})],
    n_agents=4, world_size=[1, 1], episode_length=2, multi_action_mode_agents=False,
    multi_action_mode_planner=True, flatten_observations=True, flatten_masks=True,
    labor_cost=0.012, labor_exponent=2.0)
rng = np.random.default_rng(0)
def act(obs):
    out = {}
    for k, o in obs.items():
        m = np.asarray(o["action_mask"])
        if k == "p":
            heads = env.get_agent("p").action_spaces
            sizes = np.atleast_1d(heads)
            acts, start = [], 0
            for size in sizes:
                allowed = np.flatnonzero(m[start:start + size]) if m.size >= start + size else np.arange(size)
                acts.append(int(rng.choice(allowed)) if allowed.size else 0)
                start += size
            out[k] = acts
        else:
            out[k] = int(rng.choice(np.flatnonzero(m)))
    return out
EPISODES = __EPISODES__
obs = env.reset()
for _ in range(20):
    obs = env.reset(); obs, *_ = env.step(act(obs)); env.step(act(obs))
t = time.perf_counter()
for _ in range(EPISODES):
    obs = env.reset()
    obs, *_ = env.step(act(obs))
    obs, *_ = env.step(act(obs))
dt = time.perf_counter() - t
print(json.dumps({"steps_per_s": 2 * EPISODES / dt}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    args = parser.parse_args(argv)
    header("economy")
    batch, episodes = (256, 8) if args.quick else (4096, 64)
    cfg = OneStepEconomyConfig()  # N = 4, US-2018 brackets, kappa = 0.012
    gap = check_numpy_matches_env(cfg)
    print(f"numpy rules vs env welfare on 64 random profiles: max |diff| = {gap:.2e}")
    assert gap < 1e-9, "the numpy reference does not implement the env's rules"
    run, steps = rlkit_runner(cfg, batch, episodes)
    timed(lambda: run(jax.random.PRNGKey(0)))           # compile + warm-up (excluded)
    t_jax, _ = timed(lambda: run(jax.random.PRNGKey(1)), repeats=3)
    t_np, _ = timed(lambda: numpy_run(cfg, batch, episodes), repeats=2)
    rows = [("rlkit (jit, vmap over economies)", steps / t_jax), ("numpy (vectorised, same rules)", steps / t_np)]
    ratios = {"vs_numpy": t_np / t_jax}
    fdn = run_snippet(FOUNDATION_SNIPPET.replace("__EPISODES__", str(100 if args.quick else 1000)))
    if fdn is not None:
        rows.append(("Foundation one-step-economy (1 env)", fdn["steps_per_s"]))
        ratios["vs_foundation"] = (steps / t_jax) / fdn["steps_per_s"]
    throughput_table(rows)
    print(f"(batch {batch} economies x {episodes} episodes x 2 steps; 4 agents; US-2018 brackets)")
    targets = {k: v for k, v in TARGETS.items() if k in ratios}
    print(result_line("economy", ratios, targets))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
