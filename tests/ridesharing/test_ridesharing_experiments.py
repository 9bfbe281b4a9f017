"""The ride-sharing experiments, sweep file and report table (no training: configs and arithmetic)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from experiments import ridesharing_grid, ridesharing_manhattan
from experiments.ridesharing_common import dispatch_metrics, dispatch_table, format_table
from rlkit import config as config_lib
from rlkit import sweep
from rlkit.config import ConfigError
from rlkit.runner import AgentResult, RunResult

SWEEP = Path(__file__).resolve().parents[2] / "experiments" / "sweeps" / "ridesharing_ospo.yaml"


@pytest.mark.parametrize("module", [ridesharing_grid, ridesharing_manhattan])
def test_experiment_configs_validate_with_the_whole_line_up(module):
    cfg = module.config()
    config_lib.validate(cfg)
    labels = list(cfg.agents())
    assert labels[0] == "OSPO" and {"GRPO", "PPO (critic)", "Random matching"} <= set(labels)
    assert cfg.train.rollout_len == cfg.env.horizon      # one episode per env per iteration
    assert cfg.run.seeds >= 2
    longer = config_lib.apply_overrides(cfg, {"train.num_iterations": 7, "agent.learning_rate": 0.01})
    assert longer.train.num_iterations == 7 and longer.agent.learning_rate == 0.01
    with pytest.raises(ConfigError):
        config_lib.validate(config_lib.apply_overrides(cfg, {"env.capacities": (0,)}))


def test_sweep_file_loads_and_its_keys_are_config_keys():
    s = sweep.load_sweep(SWEEP)
    assert sweep.experiment_name(s) == "ridesharing_grid"
    sweep.check_parameters(s, ridesharing_grid.config())
    bad = dict(s, parameters={"agent.no_such_rate": {"values": [1.0]}})
    with pytest.raises(ConfigError):
        sweep.check_parameters(bad, ridesharing_grid.config())


def _metrics(served, arrivals, pickup, detour, delivered, episodes, lost):
    """Constant per-iteration sums for 2 seeds x 10 iterations."""
    full = lambda x: np.full((2, 10), float(x))
    return {"eval_served_sum": full(served), "eval_arrivals_sum": full(arrivals),
            "eval_pickup_minutes_sum": full(pickup), "eval_detour_minutes_sum": full(detour),
            "eval_delivered_sum": full(delivered), "eval_episodes": full(episodes), "eval_lost_sum": full(lost),
            "served": full(served / max(episodes, 1)), "pickup_minutes": full(pickup / max(episodes, 1))}


def test_dispatch_table_arithmetic():
    m = _metrics(served=90, arrivals=100, pickup=180, detour=40, delivered=80, episodes=2, lost=10)
    per_seed = dispatch_metrics(m, tail=0.2)
    assert np.allclose(per_seed["served"], 45.0) and np.allclose(per_seed["service_rate"], 0.9)
    assert np.allclose(per_seed["pickup"], 2.0) and np.allclose(per_seed["detour"], 0.5)
    assert np.allclose(per_seed["lost"], 5.0) and np.allclose(per_seed["episodes"], 4.0)
    cfg = ridesharing_grid.config()
    result = RunResult(cfg, None, {"OSPO": AgentResult("OSPO", cfg.agent, m, 0.0)})
    rows = dispatch_table(result)
    assert rows["OSPO"]["served"] == pytest.approx(45.0) and rows["OSPO"]["served_se"] == 0.0
    assert rows["OSPO"]["greedy_episodes"] == pytest.approx(8.0)
    assert "OSPO" in format_table(rows, "t")


def test_tlc_experiment_names_the_missing_trip_file():
    from experiments import ridesharing_tlc

    with pytest.raises(ConfigError, match="trip_file"):
        config_lib.validate(ridesharing_tlc.config())
