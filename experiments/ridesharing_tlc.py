"""Ride-sharing dispatch on replayed NYC TLC yellow-taxi trips (spec ospo.md §1.1, §5): the
paper's setting with real demand. Needs a TLC trip-record parquet file (not shipped; e.g.
``yellow_tripdata_2024-07.parquet`` from the TLC trip-record page) and, optionally, a zone table
CSV ``LocationID,lat,lon`` (default: the built-in 69 Manhattan zones). Each episode replays one
``(day, hour)`` window's first 30 minutes, keeping each trip with probability 0.95; trips with a
zone outside the table are dropped (the paper's Manhattan-to-Manhattan filter). 1000 vehicles of
capacity 3 as in the paper: a GPU-sized run.

    rlkit run ridesharing_tlc --set env.trip_file=/data/yellow_tripdata_2024-07.parquet \\
        --set env.max_arrivals=256
"""
from __future__ import annotations

from envs.ridesharing.config import TLCReplayConfig
from experiments.ridesharing_common import baselines, learners, report  # noqa: F401  (report hook)
from rlkit import ExperimentConfig, RunConfig, TrainConfig


def config() -> ExperimentConfig:
    env = TLCReplayConfig(trip_file="", windows=((17, 19),), n_vehicles=1000, capacities=(3,),
                          max_orders=512, max_arrivals=256)
    main, *others = learners(hidden=(128, 128), learning_rate=1e-3).items()
    return ExperimentConfig(
        name="ridesharing_tlc",
        env=env,
        agent=main[1],
        train=TrainConfig(num_iterations=300, num_envs=4, rollout_len=env.horizon),
        run=RunConfig(seeds=3, chunks=10, plot_metrics=("served", "pickup_minutes", "platform_reward")),
        baselines={**dict(others), **baselines()},
        description=__doc__,
    )
