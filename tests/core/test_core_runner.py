"""``rlkit.run`` and the command line: run folder, plots, summary, resume, list, verify."""
from __future__ import annotations

import json

import numpy as np
import pytest

import rlkit
from agents.ucbvi import UCBVIParams
from envs.tabular import RandomMDPConfig
from rlkit import ExperimentConfig, RunConfig, TrainConfig
from rlkit.cli import main as cli


def tiny(out_dir, chunks=3):
    return ExperimentConfig(
        name="tiny", env=RandomMDPConfig(S=3, A=2, H=2), agent=UCBVIParams(bonus_scale=0.3),
        baselines={"greedy": UCBVIParams(bonus_scale=0.0)},
        train=TrainConfig(num_iterations=30, rollout_len=2),
        run=RunConfig(seeds=3, chunks=chunks, out_dir=str(out_dir), wandb_mode="disabled", progress=False))


def test_run_writes_folder_with_metrics_summary_and_plots(run_dir):
    result = rlkit.run(tiny(run_dir), quiet=True)
    d = result.run_dir
    assert (d / "config.json").exists() and (d / "summary.json").exists()
    assert json.loads((d / "run.json").read_text())["status"] == "finished"
    for plot in ("return.png", "cumulative_regret.png"):
        assert (d / "plots" / plot).stat().st_size > 1000
    metrics = np.load(d / "metrics" / "UCBVI.npz")
    assert metrics["regret"].shape == (3, 30)
    summary = json.loads((d / "summary.json").read_text())["agents"]
    assert set(summary) == {"UCBVI", "greedy"}
    np.testing.assert_allclose(summary["UCBVI"]["cumulative_regret"], metrics["regret"].sum(1).mean())
    rows = [json.loads(line) for line in (d / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 30 and "UCBVI/regret" in rows[0]


def test_interrupted_run_resumes_bit_identically(run_dir, monkeypatch):
    reference = rlkit.run(tiny(run_dir / "ref"), quiet=True)
    cfg = tiny(run_dir / "cut")
    import rlkit.batch as batch_mod
    original = batch_mod.BatchedTrainer.run_chunk
    calls = {"n": 0}

    def interrupting(self, runner, n):
        calls["n"] += 1
        if calls["n"] == 5:            # UCBVI's 3 chunks done, greedy's 2nd chunk interrupted
            raise KeyboardInterrupt
        return original(self, runner, n)

    monkeypatch.setattr(batch_mod.BatchedTrainer, "run_chunk", interrupting)
    with pytest.raises(KeyboardInterrupt):
        rlkit.run(cfg, quiet=True)
    monkeypatch.setattr(batch_mod.BatchedTrainer, "run_chunk", original)
    cut_dir = next((run_dir / "cut" / "tiny").iterdir())
    assert (cut_dir / "checkpoints" / "greedy.npz").exists()
    resumed = rlkit.run(cfg, resume=cut_dir, quiet=True)
    for label in ("UCBVI", "greedy"):
        for k, v in reference.agents[label].metrics.items():
            np.testing.assert_array_equal(resumed.agents[label].metrics[k], v)


def test_resume_refuses_a_different_config(run_dir):
    result = rlkit.run(tiny(run_dir), quiet=True)
    with pytest.raises(rlkit.ConfigError, match="differs"):
        rlkit.run(tiny(run_dir), {"agent.bonus_scale": 0.9}, resume=result.run_dir, quiet=True)


def test_cli_list_run_and_bad_key(run_dir, capsys):
    assert cli(["list"]) == 0
    out = capsys.readouterr().out
    assert "ucbvi_random_mdp" in out and "core.ucb1_bound" in out
    code = cli(["run", "ucbvi_random_mdp", "--set", "agent.bonus_scael=0.1"])
    assert code == 2
    assert "unknown key 'agent.bonus_scael'" in capsys.readouterr().err
    code = cli(["run", "ucbvi_random_mdp", "--out", str(run_dir), "--no-wandb", "--quiet",
                "--set", "train.num_iterations=20", "--set", "run.seeds=2"])
    assert code == 0
    assert list((run_dir / "ucbvi_random_mdp").iterdir())
