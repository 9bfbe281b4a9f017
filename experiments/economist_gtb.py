"""AI Economist, Gather-Trade-Build, scaled down for a CPU (tens of minutes): an 11x11
Open-Quadrant map, 4 agents, 100-step episodes of 5 tax periods; two-phase curriculum, then free
market, US federal, Saez and the learned planner on 3 seeds; table and plots."""
from __future__ import annotations

from agents.economist import gtb_training
from envs.economy.gtb import GTBConfig
from experiments.economist_gtb_common import main, make_config  # noqa: F401  (main: the driver)

PHASE1, PHASE2 = 200, 200
OPEN_FRACTION = 1.8     # [design] tax annealing: the rate limit rises from 0.1 to 0.6 over phase 2


def build(phase1: int = PHASE1, phase2: int = PHASE2, seeds: int = 3, chunk: int = 50):
    """The experiment with its curriculum scaled to the given phase lengths (iterations)."""
    env = GTBConfig(height=11, width=11, n_wood=12, n_stone=12, episode_length=100, period=20,
                    obs_radius=3, order_duration=20, resource_regen_prob=0.05)
    train = gtb_training.TwoPhaseConfig(phase1, phase2, num_envs=8, rollout_len=100, chunk=chunk)
    agent = gtb_training.gtb_learner_params(
        phase1, phase2, agent_lr=1e-3, planner_lr=3e-3, agent_ent_coef=0.01, agent_ent_end=0.01,
        planner_ent_start=0.5, planner_ent_end=0.01,     # [design] 2.0 -> 0.125 is set for 50M steps
        agent_hidden=(64, 64), planner_hidden=(32,), conv_features=(8, 16), num_minibatches=2,
        planner_reward_scale=1.0,
        **gtb_training.scaled_schedules(100, 100, phase1, phase2, open_fraction=OPEN_FRACTION))
    return make_config("economist_gtb", env, agent, train, seeds=seeds, description=__doc__.splitlines()[0])


def config():
    return build()
