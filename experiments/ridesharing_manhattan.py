"""Ride-sharing dispatch on the Manhattan-like city (spec ospo.md §5): the 69 Manhattan taxi
zones (real TLC centroids, street-grid travel times at 20 km/h), Poisson demand with the NYC
time-of-day profile from 19:00 and Midtown hot spots, vehicles of capacity 3, 5-minute maximum
wait, 30 one-minute steps, the paper's reward (§1.4). The paper runs 1000 vehicles and about
125 orders a minute; the default here is a fifth of both (200 vehicles, 25 orders a minute) so
that it runs on a CPU in a few minutes. Same line-up and report as ``ridesharing_grid``.

    rlkit run ridesharing_manhattan
    rlkit run ridesharing_manhattan --set env.n_vehicles=1000 --set env.rate=125 \\
        --set env.max_orders=512 --set env.max_arrivals=256      # the paper's scale (GPU)
"""
from __future__ import annotations

from envs.ridesharing.config import ManhattanConfig
from experiments.ridesharing_common import baselines, learners, report  # noqa: F401  (report hook)
from rlkit import ExperimentConfig, RunConfig, TrainConfig


def config() -> ExperimentConfig:
    env = ManhattanConfig(n_vehicles=200, capacities=(3,), max_orders=96, max_arrivals=48, rate=25.0)
    main, *others = learners(hidden=(64, 64), learning_rate=3e-3).items()
    return ExperimentConfig(
        name="ridesharing_manhattan",
        env=env,
        agent=main[1],
        train=TrainConfig(num_iterations=60, num_envs=4, rollout_len=env.horizon),
        run=RunConfig(seeds=2, chunks=3, plot_metrics=("served", "pickup_minutes", "platform_reward")),
        baselines={**dict(others), **baselines()},
        description=__doc__,
    )
