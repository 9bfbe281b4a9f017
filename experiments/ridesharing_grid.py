"""Ride-sharing dispatch on the grid city (spec ospo.md §6-§7, the CPU test bed): a 10 x 10 grid
of one-minute blocks, 50 vehicles of capacity 1-3, Poisson demand of 6 orders a minute with two
hot-spot origins, 5-minute maximum wait, 30 one-minute steps per episode, the paper's reward
(§1.4). OSPO, GRPO and PPO with a critic learn with the same network and sample budget; the
Hungarian minimum-pickup, greedy nearest-vehicle and random-matching baselines run on the same
seeds. The report prints served orders, service rate, mean pickup time and detour per method
(greedy episodes of the last iterations) and writes learning curves.

    rlkit run ridesharing_grid                      # default scale: a few minutes on a 2-core CPU
    rlkit run ridesharing_grid --set train.num_iterations=300 --set run.seeds=8   # longer
"""
from __future__ import annotations

from envs.ridesharing.config import GridCityConfig
from experiments.ridesharing_common import baselines, learners, report  # noqa: F401  (report hook)
from rlkit import ExperimentConfig, RunConfig, TrainConfig


def config() -> ExperimentConfig:
    env = GridCityConfig(rows=10, cols=10, n_vehicles=50, capacities=(1, 2, 3), max_orders=32,
                         max_arrivals=16, rate=6.0)
    main, *others = learners(hidden=(64, 64), learning_rate=3e-3).items()
    return ExperimentConfig(
        name="ridesharing_grid",
        env=env,
        agent=main[1],
        train=TrainConfig(num_iterations=60, num_envs=8, rollout_len=env.horizon),
        run=RunConfig(seeds=3, chunks=4, plot_metrics=("served", "pickup_minutes", "platform_reward")),
        baselines={**dict(others), **baselines()},
        description=__doc__,
    )
