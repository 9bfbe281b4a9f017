"""AI Economist, Gather-Trade-Build at the paper's scale (for accelerators): the 25x25 Open-Quadrant
map, 4 agents, 1000-step episodes of 10 tax periods of 100 steps, Foundation's network sizes and
PPO settings, phase 1 of 25M agent-steps and phase 2 of 50M (spec §3), 5 seeds x 4 policies."""
from __future__ import annotations

from agents.economist import gtb_training
from envs.economy.gtb import GTBConfig
from experiments.economist_gtb_common import main, make_config  # noqa: F401  (main: the driver)

ENVS, ROLLOUT = 30, 200                       # Foundation: 30 env replicas, fragments of 200 steps
PHASE1 = 25_000_000 // (ENVS * ROLLOUT) // 100 * 100 + 100      # 4200 iterations (25.2M steps)
PHASE2 = 50_000_000 // (ENVS * ROLLOUT) // 100 * 100 + 100      # 8400 iterations (50.4M steps)


def config():
    env = GTBConfig()                           # the paper's defaults (spec §2)
    train = gtb_training.TwoPhaseConfig(PHASE1, PHASE2, num_envs=ENVS, rollout_len=ROLLOUT, chunk=100)
    schedules = gtb_training.scaled_schedules(1000, ROLLOUT, PHASE1, PHASE2)
    schedules.update(energy_warmup_constant=10_000.0, tax_anneal_warmup=-100.0, tax_anneal_slope=0.001,
                     planner_ent_anneal=float(PHASE2))   # Foundation's constants (spec §3.2)
    agent = gtb_training.gtb_learner_params(PHASE1, PHASE2, planner_hidden=(256, 256), num_minibatches=4,
                                            **schedules)
    return make_config("economist_gtb_full", env, agent, train, seeds=5, description=__doc__.splitlines()[0])
