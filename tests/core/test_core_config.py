"""Configs: dotted overrides, type coercion, clear errors before any compile."""
from __future__ import annotations

import time

import pytest

import rlkit
from agents.ucbvi import UCBVIParams
from envs.bandits import BanditConfig
from envs.tabular import RandomMDPConfig
from rlkit import ConfigError, ExperimentConfig, RunConfig, TrainConfig
from rlkit.config import apply_overrides, flatten, parse_assignments


def base_config():
    return ExperimentConfig(name="t", env=RandomMDPConfig(S=3, A=2, H=2), agent=UCBVIParams(),
                            train=TrainConfig(num_iterations=10, rollout_len=2),
                            run=RunConfig(seeds=2, wandb_mode="disabled"),
                            baselines={"greedy": UCBVIParams(bonus_scale=0.0)})


def test_overrides_coerce_and_reach_nested_fields():
    cfg = apply_overrides(base_config(), parse_assignments(
        ["agent.bonus_scale=0.5", "run.seeds=3", "env.instance_seed=7", "baselines.greedy.delta=0.1",
         "agent.bonus=hoeffding"]))
    assert cfg.agent.bonus_scale == 0.5 and isinstance(cfg.agent.bonus_scale, float)
    assert cfg.run.seeds == 3 and cfg.env.instance_seed == 7
    assert cfg.baselines["greedy"].delta == 0.1 and cfg.agent.bonus == "hoeffding"
    assert flatten(cfg)["agent.bonus_scale"] == 0.5


@pytest.mark.parametrize("key,value,message", [
    ("agent.learning_rate", 0.1, r"unknown key 'agent.learning_rate'.*allowed: \['bonus', 'bonus_scale', 'delta'\]"),
    ("agnt.bonus_scale", 0.1, r"unknown key 'agnt.bonus_scale'.*allowed: .*'agent'"),
    ("run.seeds", "many", r"run.seeds must be an integer, got 'many'"),
    ("run.seeds", 0, r"run.seeds must be an integer >= 1"),
    ("agent.delta", 2.0, r"agent: delta must be in \(0, 1\), got 2.0"),
    ("agent.bonus", "gaussian", r"bonus must be one of \['l1', 'hoeffding', 'bernstein'\]"),
    ("run.wandb_mode", "cloud", r"wandb_mode must be one of"),
    ("baselines.optimist.delta", 0.1, r"no entry 'optimist'; allowed: \['greedy'\]"),
])
def test_bad_override_names_key_and_allowed_values(key, value, message):
    with pytest.raises(ConfigError, match=message):
        apply_overrides(base_config(), {key: value})


def test_bad_config_fails_before_any_compile(tmp_path):
    bad = ExperimentConfig(name="t", env=BanditConfig(means=(0.5, 1.5)), agent=UCBVIParams(),
                           train=TrainConfig(num_iterations=5),
                           run=RunConfig(out_dir=str(tmp_path), wandb_mode="disabled"))
    t0 = time.perf_counter()
    with pytest.raises(ConfigError, match=r"means must lie in \[0, 1\]"):
        rlkit.run(bad, quiet=True)
    assert time.perf_counter() - t0 < 1.0          # no tracing or compiling happened
    assert not any(tmp_path.iterdir())              # and no run folder was written
    with pytest.raises(ConfigError, match="train.num_iterations must be an integer >= 1"):
        rlkit.run(base_config(), {"train.num_iterations": 0}, quiet=True)
