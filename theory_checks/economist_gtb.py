"""Learning checks of the two-level learner in Gather-Trade-Build (issue 9; spec §3-4), small scale.

Setup: a 9x9 Open-Quadrant map (20 resource tiles, regrowth 0.1), 4 agents with the paper's
build-payment ladder, 50-step episodes of 5 tax periods of 10 steps, US-2018 brackets, the 5% rate
grid; the two-phase curriculum of :mod:`agents.economist.gtb_training` (phase 1 agents alone in
the free market with the labor-cost warm-up; phase 2 from the same phase-1 agents, once in the free
market and once with the learned flat-tax planner (tax annealing, planner entropy 0.5 -> 0.01), on the
same seeds). Measured on the stochastic policies' episodes of the last quarter of phase 2.

- **Trained agents earn more coin than random agents**: on every seed, the trained agents' mean
  coin per agent and episode (free market) exceeds that of uniformly random agents (every allowed
  action equally likely) by more than 3 standard errors of the random estimate. Control: the
  learner's untrained initial policy (phase 1, iteration 0) must fail the same test.
- **The planner is no worse than the free market**: the mean over seeds of equality x productivity
  (``(1 - Gini(coin)) * sum(coin)`` at the end of an episode) with the learned planner is at least
  that of the free market on the same seeds. Control: untrained agents (phase 1, iteration 0) in
  the same comparison must fail.

These are statements about this small economy and training budget, never paper numbers
(spec §4: the paper's tables are unconfirmed).
"""
from __future__ import annotations

import functools

import jax
import numpy as np

from agents.economist import gtb_evaluation, gtb_training
from envs.economy.gtb import GTBConfig
from rlkit.checks import CheckRow, register
from rlkit.trainer import TrainConfig

LEARN_ENV = GTBConfig(height=9, width=9, n_wood=10, n_stone=10, episode_length=50, period=10,
                      obs_radius=2, order_duration=10, resource_regen_prob=0.1, tax_model="free-market")
POLICIES = ("free-market", "planner")
SE_MARGIN = 3.0
TAIL = 0.25          # share of phase 2 whose episodes are measured
OPEN_FRACTION = 1.8  # tax annealing: the rate limit rises from 0.1 to 0.6 over phase 2


def scale(full: bool) -> dict:
    """Seeds, phase lengths (iterations), parallel envs, chunk length."""
    return dict(seeds=3, phase1=400, phase2=400, envs=16, chunk=50) if full else \
        dict(seeds=2, phase1=160, phase2=160, envs=8, chunk=40)


def learner(phase1: int, phase2: int, rollout_len: int, episode_length: int):
    """The small-scale learner: Foundation's PPO settings with a smaller network, faster learning
    rates (agents 1e-3, planner 3e-3), the curriculum scaled to the run, and [design] a learned
    flat tax (every bracket tied to one rate: one 21-way choice per period) whose entropy bonus
    starts at 0.5 and decays to 0.01 (Foundation's 2.0 -> 0.125 is set for 50M steps; at this
    budget it keeps the planner uniform over the annealed rates)."""
    return gtb_training.gtb_learner_params(
        phase1, phase2, agent_lr=1e-3, planner_lr=3e-3, agent_ent_coef=0.01, agent_ent_end=0.01,
        planner_ent_start=0.5, planner_ent_end=0.01, flat_tax=1.0,
        agent_hidden=(64, 64), planner_hidden=(32,), conv_features=(8, 16), num_minibatches=2,
        planner_reward_scale=1.0, label="two-level PPO (GTB small)",
        **gtb_training.scaled_schedules(episode_length, rollout_len, phase1, phase2, open_fraction=OPEN_FRACTION))


def env_params(tax_model: str):
    return GTBConfig(**{**LEARN_ENV.__dict__, "tax_model": tax_model}).make_params()


@functools.lru_cache(maxsize=2)
def train(full: bool):
    s = scale(full)
    env = LEARN_ENV.make_env()
    t = LEARN_ENV.episode_length
    hp = learner(s["phase1"], s["phase2"], t, LEARN_ENV.episode_length)
    hp2 = [gtb_training.phase2_params(hp, m == "planner") for m in POLICIES]
    result = gtb_training.train_two_phase(
        env, env_params("free-market"), [env_params(m) for m in POLICIES], gtb_training.phase1_params(hp),
        hp2, s["seeds"], TrainConfig(s["phase1"] + s["phase2"], s["envs"], t, evaluate=False),
        s["phase1"], s["phase2"], chunk=s["chunk"])
    return result


@functools.lru_cache(maxsize=2)
def random_agents(full: bool) -> dict:
    """Uniformly random agents in the free market: per-episode metrics ``[episodes]``."""
    s = scale(full)
    env, params = LEARN_ENV.make_env(), env_params("free-market")
    episodes = s["envs"] * max(1, int(TAIL * s["phase2"])) // 4
    agent = gtb_evaluation.RandomEconomy()
    run = jax.jit(lambda k: gtb_evaluation.episode_metrics(env, agent, None, None, params, k, episodes))
    return {k: np.asarray(v) for k, v in run(jax.random.PRNGKey(12345)).items()}


def tail_means(metrics: dict, name: str, phase2: int) -> np.ndarray:
    """Mean of a per-iteration metric over the last ``TAIL`` of phase 2: ``[S, P]``."""
    k = max(1, int(TAIL * phase2))
    return metrics[name][..., -k:].mean(-1)


def summary(full: bool) -> dict:
    s = scale(full)
    res = train(full)
    rnd = random_agents(full)
    n = LEARN_ENV.n_agents
    m2, m1 = res.phase2_metrics, res.phase1_metrics
    coin = tail_means(m2, "productivity", s["phase2"]) / n               # [S, P] per agent
    eqp = tail_means(m2, "eq_times_productivity", s["phase2"])
    untrained_coin = m1["productivity"][:, 0, 0] / n                      # [S] iteration 0
    untrained_eqp = m1["eq_times_productivity"][:, 0, 0]
    rnd_coin = rnd["coin"].mean(-1)
    return {"coin": coin, "eq_times_productivity": eqp, "untrained_coin": untrained_coin,
            "untrained_eqp": untrained_eqp, "random_coin": float(rnd_coin.mean()),
            "random_coin_se": float(rnd_coin.std(ddof=1) / np.sqrt(rnd_coin.size)),
            "equality": tail_means(m2, "equality", s["phase2"]),
            "productivity": tail_means(m2, "productivity", s["phase2"])}


@register("economist", "gtb_learning")
def gtb_learning(full: bool = False) -> list[CheckRow]:
    """Trained agents out-earn random agents; the learned planner's equality x productivity is at
    least the free market's on the same seeds; untrained controls fail."""
    s = summary(full)
    fm, ai = POLICIES.index("free-market"), POLICIES.index("planner")
    bar = s["random_coin"] + SE_MARGIN * s["random_coin_se"]
    inst = f"9x9 GTB, 4 agents, 50 steps, {scale(full)['seeds']} seeds"
    rows = []
    for label, values, expect in (("trained agents", s["coin"][:, fm], True),
                                  ("control: untrained agents", s["untrained_coin"], False)):
        rows.append(CheckRow("GTB trained agents earn more coin than random agents", f"{label}, {inst}",
                             f"coin/agent > random {s['random_coin']:.2f} + {SE_MARGIN:.0f} SE on every seed",
                             "per seed " + ", ".join(f"{v:.2f}" for v in values), bool(np.all(values > bar)), expect))
    free = s["eq_times_productivity"][:, fm]
    for label, values, expect in (("two-level planner", s["eq_times_productivity"][:, ai], True),
                                  ("control: untrained agents", s["untrained_eqp"], False)):
        rows.append(CheckRow("GTB planner eq x prod >= free market (same seeds)", f"{label}, {inst}",
                             f"mean >= free market {free.mean():.2f} (per seed {', '.join(f'{v:.2f}' for v in free)})",
                             f"mean {values.mean():.2f} (per seed {', '.join(f'{v:.2f}' for v in values)})",
                             bool(values.mean() >= free.mean()), expect))
    return rows
