"""Sweeps: wandb YAML validated, grid/random/bayes/hyperband driven locally, batched trials,
resumable state, and the wandb-agent entry point."""
from __future__ import annotations

import copy

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rlkit
from agents.ucbvi import UCBVIParams
from envs.bandits import BanditConfig
from envs.tabular import RandomMDPConfig
from rlkit import ConfigError, ExperimentConfig, RunConfig, TrainConfig, sweep as sweep_lib
from rlkit.agent import Agent, HParams, hparams
from rlkit.batch import BatchedTrainer
from rlkit.testing import assert_same_run

CMD = ["${env}", "rlkit", "run", "probe", "${args_no_hyphens}"]


class QuadraticProbe(Agent):
    """A test agent whose metric is a known function of its hyper-parameter:
    ``score = -(log10(lr) + 2)^2`` (maximised at lr = 0.01), reported by ``update``."""

    def init(self, key, spec, hp):
        return jnp.float64(0.0)

    def act(self, key, state, carry, obs, hp):
        return jnp.int32(0), carry, {}

    def update(self, key, state, batch, hp):
        return state, {"score": -(jnp.log10(hp.lr) + 2.0) ** 2}


@hparams
class ProbeParams(HParams):
    lr: float = 0.1
    tag: float = 0.0

    def make_agent(self):
        return QuadraticProbe()


def probe_config(tmp_path) -> ExperimentConfig:
    return ExperimentConfig(name="probe", env=BanditConfig(), agent=ProbeParams(),
                            train=TrainConfig(num_iterations=4), run=RunConfig(
                                seeds=2, chunks=2, out_dir=str(tmp_path), wandb_mode="disabled"))


def ucbvi_config(tmp_path) -> ExperimentConfig:
    return ExperimentConfig(name="tiny", env=RandomMDPConfig(S=3, A=2, H=2), agent=UCBVIParams(),
                            train=TrainConfig(num_iterations=12, rollout_len=2),
                            run=RunConfig(seeds=2, chunks=3, out_dir=str(tmp_path), wandb_mode="disabled"))


def sweep_yaml(method="grid", **params):
    return {"method": method, "metric": {"name": "score", "goal": "maximize"}, "command": CMD,
            "parameters": params or {"agent.lr": {"values": [0.001, 0.01, 0.1]},
                                     "agent.tag": {"values": [0.0, 1.0]}}}


def test_grid_sweep_visits_every_point_exactly_once(tmp_path):
    state = sweep_lib.run_sweep(sweep_yaml(), tmp_path / "grid", batch=4, base_config=probe_config(tmp_path), quiet=True)
    points = sorted((t.params["agent.lr"], t.params["agent.tag"]) for t in state.trials)
    assert points == sorted((lr, tag) for lr in (0.001, 0.01, 0.1) for tag in (0.0, 1.0))
    assert all(t.state == "finished" for t in state.trials)
    best = max(state.trials, key=lambda t: t.summary["score"])
    assert best.params["agent.lr"] == 0.01 and best.summary["score"] == pytest.approx(0.0)
    assert (tmp_path / "grid" / "results.json").exists()
    assert (tmp_path / "grid" / "metric_vs_parameters.png").stat().st_size > 1000


@pytest.mark.parametrize("method", ["random", "bayes"])
def test_random_and_bayes_proposals_are_reproducible_with_a_seed(tmp_path, method):
    spec = sweep_yaml(method, **{"agent.lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1.0}})
    runs = [sweep_lib.run_sweep(copy.deepcopy(spec), tmp_path / f"{method}{i}", count=6, batch=3, seed=seed,
                                base_config=probe_config(tmp_path), quiet=True)
            for i, seed in enumerate((5, 5, 6))]
    lrs = [[t.params["agent.lr"] for t in r.trials] for r in runs]
    assert lrs[0] == lrs[1] and len(lrs[0]) == 6
    assert lrs[0] != lrs[2]


def test_bayes_moves_toward_the_optimum_of_a_known_objective(tmp_path):
    spec = sweep_yaml("bayes", **{"agent.lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 10.0}})
    state = sweep_lib.run_sweep(spec, tmp_path / "bayes", count=16, batch=2, seed=0,
                                base_config=probe_config(tmp_path), quiet=True)
    dist = [abs(np.log10(t.params["agent.lr"]) + 2.0) for t in state.trials]
    assert np.mean(dist[-6:]) < np.mean(dist[:4])          # later proposals are closer to lr = 0.01
    assert min(dist) < 0.3


def test_hyperband_stops_the_worst_trials(tmp_path):
    spec = sweep_yaml("grid", **{"agent.lr": {"values": [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]}})
    spec["early_terminate"] = {"type": "hyperband", "min_iter": 1, "eta": 2}
    cfg = rlkit.apply_overrides(probe_config(tmp_path), {"run.chunks": 4})
    state = sweep_lib.run_sweep(spec, tmp_path / "hb", batch=6, base_config=cfg, quiet=True)
    stopped = {t.params["agent.lr"] for t in state.trials if t.state == "stopped"}
    finished = {t.params["agent.lr"] for t in state.trials if t.state == "finished"}
    assert stopped and 0.01 in finished
    worst = min(state.trials, key=lambda t: t.history[0]["score"])
    assert worst.params["agent.lr"] in stopped


def test_batched_trials_equal_trials_run_one_by_one():
    cfg = TrainConfig(num_iterations=15, rollout_len=2)
    hps = [UCBVIParams(bonus_scale=c) for c in (0.0, 0.3, 1.0)]
    env_cfg = RandomMDPConfig(S=3, A=2, H=2)
    batch = BatchedTrainer(env_cfg, hps, cfg, seeds=2)
    together = batch.split({k: np.asarray(v) for k, v in batch.run_chunk(batch.init(), 15)[1].items()})
    for hp, joint in zip(hps, together):
        one = BatchedTrainer(env_cfg, [hp], cfg, seeds=2)
        alone = {k: np.asarray(v) for k, v in one.run_chunk(one.init(), 15)[1].items()}
        assert_same_run(joint, alone)


def test_killed_sweep_restarts_without_repeating_or_losing_trials(tmp_path, monkeypatch):
    spec = sweep_yaml()
    base = probe_config(tmp_path)
    calls = []
    interrupted = []
    original = sweep_lib.run_group

    def flaky(trials, cfgs, state, sweep_dir, quiet=True):
        calls.append([t.id for t in trials])
        if len(calls) == 2 and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        return original(trials, cfgs, state, sweep_dir, quiet)

    monkeypatch.setattr(sweep_lib, "run_group", flaky)
    with pytest.raises(KeyboardInterrupt):
        sweep_lib.run_sweep(spec, tmp_path / "s", batch=2, base_config=base, quiet=True)
    first = sweep_lib.SweepState.load(tmp_path / "s" / "state.json")
    finished_before = {t.id: t.summary for t in first.trials if t.state == "finished"}
    assert len(finished_before) == 2 and len(first.trials) == 4       # 2 done, 2 proposed and lost mid-run
    calls.clear()
    state = sweep_lib.run_sweep(spec, tmp_path / "s", batch=2, base_config=base, quiet=True)
    rerun = [i for group in calls for i in group]
    assert not set(rerun) & set(finished_before)                       # no finished trial repeated
    assert len(state.trials) == 6 and all(t.state == "finished" for t in state.trials)
    assert len({(t.params["agent.lr"], t.params["agent.tag"]) for t in state.trials}) == 6
    for t in state.trials:
        if t.id in finished_before:
            assert t.summary == finished_before[t.id]


@pytest.mark.parametrize("mutate,message", [
    (lambda s: s.update(metod="grid"), r"unknown sweep key\(s\) \['metod'\]"),
    (lambda s: s.update(method="anneal"), r"method must be one of"),
    (lambda s: s["parameters"].update({"agent.lrate": {"values": [1]}}), r"unknown key 'agent.lrate'"),
    (lambda s: s.update(parameters={"agent.lr": {"distribution": "log_uniform_valuez", "min": 1, "max": 2}}),
     r"parameters.agent.lr"),
    (lambda s: s.update(command=["rlkit", "list"]), r"command. must run an experiment"),
    (lambda s: s.update(metric={"name": "score", "goal": "up"}), r"metric.goal must be minimize or maximize"),
    (lambda s: s.update(parameters={"agent.lr": {"distribution": "uniform", "min": 0.1, "max": 1}}),
     r"grid search needs `values`"),
])
def test_invalid_sweep_files_fail_naming_the_key(tmp_path, mutate, message):
    spec = sweep_yaml()
    mutate(spec)
    with pytest.raises(ConfigError, match=message):
        sweep_lib.run_sweep(spec, tmp_path / "bad", base_config=probe_config(tmp_path), quiet=True)


def test_sweep_metric_must_be_a_summary_key(tmp_path):
    spec = sweep_yaml()
    spec["metric"] = {"name": "scroe", "goal": "maximize"}
    with pytest.raises(ConfigError, match=r"sweep metric 'scroe' is not a summary key.*'score'"):
        sweep_lib.run_sweep(spec, tmp_path / "m", base_config=probe_config(tmp_path), quiet=True)


def test_wandb_style_config_becomes_dotted_overrides(monkeypatch, tmp_path):
    got = sweep_lib.overrides_from_wandb_config({
        "agent.bonus_scale": 0.5, "run": {"seeds": np.int64(3)}, "train.num_iterations": {"value": 7},
        "_wandb": {"cli_version": "0.31.0"}})
    assert got == {"agent.bonus_scale": 0.5, "run.seeds": 3, "train.num_iterations": 7}
    assert isinstance(got["run.seeds"], int)

    # the entry point launched by `wandb agent` (WANDB_SWEEP_ID set) reads wandb.config
    class FakeRun:
        config = {"agent.bonus_scale": 0.25, "train.num_iterations": 6, "run.seeds": 2}
        summary: dict = {}
        id = "fake"

        def log(self, row, step=None):
            pass

    import wandb
    seen = {}
    monkeypatch.setenv("WANDB_SWEEP_ID", "abc123")
    monkeypatch.setattr(wandb, "init", lambda *a, **k: FakeRun())

    def fake_run(cfg, **kwargs):
        seen["cfg"] = cfg
        seen["wandb_run"] = kwargs.get("wandb_run")

    monkeypatch.setattr(rlkit, "run", fake_run)
    from rlkit.cli import main
    assert main(["run", "ucbvi_random_mdp", f"run.out_dir={tmp_path}"]) == 0
    cfg = seen["cfg"]
    assert cfg.agent.bonus_scale == 0.25 and cfg.train.num_iterations == 6 and cfg.run.seeds == 2
    assert cfg.run.out_dir == str(tmp_path) and isinstance(seen["wandb_run"], FakeRun)


# ------------------------------------------------------------------------------------------------
# experiments with their own driver (no standard TrainConfig): trials one by one through main()
# ------------------------------------------------------------------------------------------------
def gtb_base(tmp_path) -> ExperimentConfig:
    from experiments.economist_gtb import build
    cfg = build(phase1=2, phase2=2, seeds=2, chunk=1)
    return rlkit.apply_overrides(cfg, {"run.out_dir": str(tmp_path), "run.wandb_mode": "disabled"})


GTB_SWEEP = {"method": "grid", "metric": {"name": "eq_times_productivity", "goal": "maximize"},
             "command": ["${env}", "rlkit", "run", "economist_gtb", "${args_no_hyphens}"],
             "parameters": {"agent.planner_lr": {"values": [0.0003, 0.001, 0.003]},
                            "agent.planner_ent_end": {"values": [0.05, 0.125]}}}


def fake_gtb_driver(calls, fail_at=None):
    """Stands in for the GTB main(): a known objective of the two swept fields (read from the
    config it is given, as the real driver trains from it), peak at lr = 1e-3, ent_end = 0.05."""
    def driver(cfg, overrides=None, quiet=False):
        calls.append(dict(overrides))
        if fail_at is not None and len(calls) == fail_at:
            raise KeyboardInterrupt
        assert "trials" in cfg.run.out_dir                        # each run writes inside its trial
        lr, ent = cfg.agent.planner_lr, cfg.agent.planner_ent_end
        return {"eq_times_productivity": -(np.log10(lr) + 3) ** 2 - ent, "equality": 0.5}
    return driver


def test_driver_experiments_sweep_one_trial_at_a_time(tmp_path):
    base = gtb_base(tmp_path)
    assert sweep_lib.needs_driver(base) and not sweep_lib.needs_driver(probe_config(tmp_path))
    calls = []
    state = sweep_lib.run_sweep(GTB_SWEEP, tmp_path / "gtb", batch=4, base_config=base,
                                driver=fake_gtb_driver(calls), quiet=True)
    assert len(calls) == 6 and all(len(c) == 2 for c in calls)            # one call per grid point
    points = sorted((t.params["agent.planner_lr"], t.params["agent.planner_ent_end"]) for t in state.trials)
    assert points == sorted((lr, e) for lr in (0.0003, 0.001, 0.003) for e in (0.05, 0.125))
    best = max(state.trials, key=lambda t: t.summary["eq_times_productivity"])
    assert best.params == {"agent.planner_lr": 0.001, "agent.planner_ent_end": 0.05}
    assert all(t.state == "finished" and (tmp_path / "gtb" / "trials" / t.id / "summary.json").exists()
               for t in state.trials)
    assert (tmp_path / "gtb" / "results.json").exists()


def test_killed_driver_sweep_restarts_without_repeating_trials(tmp_path):
    base = gtb_base(tmp_path)
    calls = []
    with pytest.raises(KeyboardInterrupt):
        sweep_lib.run_sweep(GTB_SWEEP, tmp_path / "k", batch=6, base_config=base,
                            driver=fake_gtb_driver(calls, fail_at=4), quiet=True)
    done = {t.id for t in sweep_lib.SweepState.load(tmp_path / "k" / "state.json").trials if t.state == "finished"}
    assert len(done) == 3
    again = []
    state = sweep_lib.run_sweep(GTB_SWEEP, tmp_path / "k", batch=6, base_config=base,
                                driver=fake_gtb_driver(again), quiet=True)
    assert len(again) == 3 and len(state.trials) == 6 and all(t.state == "finished" for t in state.trials)


def test_driver_must_return_the_summary(tmp_path):
    with pytest.raises(ConfigError, match="returned int, not a summary mapping"):
        sweep_lib.run_sweep(GTB_SWEEP, tmp_path / "bad", batch=2, base_config=gtb_base(tmp_path),
                            driver=lambda cfg, overrides=None, quiet=False: 0, quiet=True)


def test_wandb_agent_run_of_a_driver_experiment_logs_its_summary(monkeypatch, tmp_path):
    """`wandb agent` launching `rlkit run economist_gtb`: wandb.config reaches the driver's config
    and the summary the driver returns is logged to the agent's run (the sweep's metric)."""
    class FakeRun:
        config = {"agent.planner_lr": 0.003}
        id = "fake"

        def __init__(self):
            self.summary, self.logged, self.finished = {}, [], False

        def log(self, row, step=None):
            self.logged.append(row)

        def finish(self):
            self.finished = True

    import wandb

    import experiments.economist_gtb as gtb_module
    run = FakeRun()
    seen = {}
    monkeypatch.setenv("WANDB_SWEEP_ID", "abc123")
    monkeypatch.setattr(wandb, "init", lambda *a, **k: run)

    def driver(cfg, overrides=None, resume=None, quiet=False):
        seen["lr"] = cfg.agent.planner_lr
        return {"eq_times_productivity": 1.5}

    monkeypatch.setattr(gtb_module, "main", driver)
    from rlkit.cli import main
    assert main(["run", "economist_gtb", f"run.out_dir={tmp_path}"]) == 0
    assert seen["lr"] == 0.003
    assert run.summary == {"eq_times_productivity": 1.5} and run.logged == [{"eq_times_productivity": 1.5}]
    assert run.finished
