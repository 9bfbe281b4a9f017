"""Tabular SQIRL (k = 1, 2, 3; m = 300) on sticky-action freeway (BRIDGE, p = 0.25), exact values."""
from __future__ import annotations

from agents.sqirl import episodic_train_config
from agents.sqirl.tabular import SQIRLParams
from envs.bridge import BridgeConfig
from rlkit import ExperimentConfig, RunConfig


def config() -> ExperimentConfig:
    return ExperimentConfig(
        name="sqirl_freeway",
        env=BridgeConfig("freeway_10_fs30", sticky=0.25),
        agent=SQIRLParams(planning_depth=1),
        baselines={"SQIRL k=2": SQIRLParams(planning_depth=2), "SQIRL k=3": SQIRLParams(planning_depth=3)},
        train=episodic_train_config(horizon=10, episodes_per_iteration=300),
        run=RunConfig(seeds=5, chunks=1, plot_metrics=("value", "regret")),
        description=__doc__,
    )
