"""The StepMix experiments: configs validate, the union bound follows the number of episodes,
bad overrides fail before any compile; a tiny end-to-end run of the paper experiment (slow)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import rlkit
from rlkit import ConfigError


def test_experiment_configs_validate():
    from experiments import stepmix_alpha, stepmix_frozenlake, stepmix_paper
    for module in (stepmix_paper, stepmix_alpha, stepmix_frozenlake):
        cfg = rlkit.apply_overrides(module.config(), {})
        assert cfg.train.rollout_len == cfg.env.H
        for hp in cfg.agents().values():
            if hasattr(hp, "episodes_bound"):
                assert hp.episodes_bound == cfg.train.num_iterations


def test_episode_bound_follows_num_iterations():
    from experiments.stepmix_common import sync_episodes_bound
    from experiments.stepmix_paper import config
    overrides = {"train.num_iterations": 2000, "baselines.UCBVI.episodes_bound": 0.0}
    cfg = sync_episodes_bound(rlkit.apply_overrides(config(), overrides), overrides)
    assert cfg.agent.episodes_bound == 2000.0
    assert cfg.baselines["EpsMix"].episodes_bound == 2000.0
    assert cfg.baselines["UCBVI"].episodes_bound == 0.0        # an explicit override wins
    cfg = sync_episodes_bound(rlkit.apply_overrides(config(), {"env.H": 4}), {"env.H": 4})
    assert cfg.train.rollout_len == 4


def test_bad_overrides_fail_fast():
    from experiments.stepmix_paper import config
    with pytest.raises(ConfigError, match="alpha must be in"):
        rlkit.apply_overrides(config(), {"agent.alpha": 1.2})
    with pytest.raises(ConfigError, match="baselines.EpsMix.alpha|alpha must be in"):
        rlkit.apply_overrides(config(), {"baselines.EpsMix.alpha": 0.0})
    with pytest.raises(ConfigError, match="episodes_bound"):
        rlkit.apply_overrides(config(), {"agent.episodes_bound": 1.0})
    with pytest.raises(ConfigError, match="unknown key"):
        rlkit.apply_overrides(config(), {"agent.alpah": 0.2})


@pytest.mark.slow
def test_paper_experiment_end_to_end(tmp_path):
    """The README-style run, shortened: tables, plots and the violation counts."""
    from experiments import stepmix_paper
    overrides = {"train.num_iterations": 400, "run.seeds": 3, "run.chunks": 2,
                 "run.out_dir": str(tmp_path), "run.wandb_mode": "disabled"}
    cfg = rlkit.apply_overrides(stepmix_paper.config(), overrides)
    stepmix_paper.main(cfg, overrides=overrides, quiet=True)
    run_dir = next((tmp_path / "stepmix_paper").iterdir())
    assert (run_dir / "plots" / "expected_return_vs_threshold.png").exists()
    assert (run_dir / "plots" / "cumulative_regret.png").exists()
    import json
    extra = json.loads((run_dir / "summary.json").read_text())["extra"]["conservative"]
    assert extra["StepMix"]["violations"] == 0 and extra["EpsMix"]["violations"] == 0
    assert extra["Baseline"]["min_margin"] == pytest.approx(0.1, abs=1e-9)
    assert np.isfinite(extra["UCBVI"]["cumulative_regret"])


def test_alpha_sweep_file_validates():
    """The alpha sweep is a valid sweep for ``rlkit sweep`` (and ``wandb sweep``): it runs the
    ``stepmix_alpha`` experiment, every swept key accepts its values, the metric is a summary key."""
    from experiments import stepmix_alpha
    from rlkit.runner import summarize
    from rlkit.sweep import check_parameters, experiment_name, load_sweep
    sweep = load_sweep(Path(__file__).resolve().parents[2] / "experiments/sweeps/stepmix_alpha.yaml")
    assert experiment_name(sweep) == "stepmix_alpha"
    check_parameters(sweep, stepmix_alpha.config())
    assert sweep["parameters"]["agent.alpha"]["values"] == sorted(sweep["parameters"]["agent.alpha"]["values"])
    assert sweep["metric"]["name"] in summarize({"regret": np.ones((2, 3))})
    with pytest.raises(ConfigError, match="alpha must be in"):
        check_parameters({"parameters": {"agent.alpha": {"values": [1.5]}}}, stepmix_alpha.config())
