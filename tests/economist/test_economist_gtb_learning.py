"""The Gather-Trade-Build learner: curriculum scaling, the two-phase config, the phase-2 hand-over
(host-side, no compile), and the learning check (slow: minutes of compile and training on a CPU)."""
from __future__ import annotations

import dataclasses

import pytest

from agents.economist import gtb_training
from rlkit.config import ConfigError


def test_scaled_schedules_follow_foundation_shape():
    s = gtb_training.scaled_schedules(episode_length=50, rollout_len=50, phase1_iterations=100,
                                      phase2_iterations=400)
    # energy warm-up constant: a tenth of phase 1's steps per env
    assert s["energy_warmup_constant"] == pytest.approx(100 * 50 / 10)
    # tax annealing: 10% of the rates open at 0 completions, all of them after 3/4 of phase 2's episodes
    limit = lambda c: min(max(s["tax_anneal_slope"] * (c - s["tax_anneal_warmup"]), 0.0), 1.0)  # noqa: E731
    assert limit(0) == pytest.approx(0.1) and limit(0.75 * 400) == pytest.approx(1.0)
    assert limit(0.3 * 400) < 1.0
    assert s["planner_ent_anneal"] == pytest.approx(266)


def test_phase_params_freeze_the_planner_and_drop_the_warmup():
    hp = gtb_training.gtb_learner_params(10, 10, energy_warmup_constant=50.0, planner_lr=1e-3)
    p1 = gtb_training.phase1_params(hp)
    assert p1.planner_lr == 0.0 and p1.energy_warmup_constant == 50.0
    trained, frozen = gtb_training.phase2_params(hp, True), gtb_training.phase2_params(hp, False)
    assert trained.planner_lr == 1e-3 and frozen.planner_lr == 0.0
    assert trained.energy_warmup_constant == 0.0 and frozen.energy_warmup_constant == 0.0
    # the two phases differ only in leaves: one compiled program serves both
    from rlkit.batch import stack_hparams
    stack_hparams([p1, trained, frozen])
    with pytest.raises(ConfigError):
        stack_hparams([p1, dataclasses.replace(trained, agent_hidden=(8,))])


def test_two_phase_config_validation():
    gtb_training.TwoPhaseConfig(100, 200, chunk=50).validate()
    with pytest.raises(ConfigError, match="multiple of train.chunk"):
        gtb_training.TwoPhaseConfig(100, 120, chunk=50).validate()
    with pytest.raises(ConfigError, match="num_envs"):
        gtb_training.TwoPhaseConfig(num_envs=0).validate()


@pytest.mark.slow
def test_gtb_learning_check_fast_mode():
    from theory_checks.economist_gtb import gtb_learning
    rows = gtb_learning(full=False)
    assert len(rows) == 4
    for row in rows:
        assert row.passed == row.expect, row
