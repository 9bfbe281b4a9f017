"""The sample-complexity experiment's bookkeeping: censoring, Spearman, budgets, outputs, sources."""
from __future__ import annotations

import math

import numpy as np
import pytest

import envs.bridge as bridge
from experiments import sqirl_sample_complexity as exp
from rlkit.config import ConfigError


def row(H, sqirl, ppo, dqn, budgets=(3000.0, 10240.0, 10240.0)):
    return {"H": H, "A": 3, "SQIRL": sqirl, "SQIRL (k, m)": "-" if math.isinf(sqirl) else "k=1, m=10",
            "PPO": ppo, "DQN": dqn, "SQIRL budget": budgets[0], "PPO budget": budgets[1],
            "DQN budget": budgets[2]}


def hand_spearman(x, y):
    """1 - 6 sum d^2 / (n (n^2 - 1)) for distinct values."""
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    n = len(x)
    return 1 - 6 * np.sum((rx - ry) ** 2) / (n * (n * n - 1))


def test_censored_spearman_is_finite_and_correct():
    results = {"a": row(10, 100.0, 300.0, 50.0), "b": row(10, 200.0, math.inf, 70.0),
               "c": row(10, math.inf, 500.0, 60.0), "d": row(10, 50.0, 400.0, math.inf)}
    summary = exp.summarize(results)
    # censored at the budgets: SQIRL [100, 200, 3000, 50], PPO [300, 10240, 500, 400]
    assert summary["spearman_sqirl_ppo"] == pytest.approx(hand_spearman([100, 200, 3000, 50], [300, 10240, 500, 400]))
    assert summary["spearman_sqirl_dqn"] == pytest.approx(hand_spearman([100, 200, 3000, 50], [50, 70, 60, 10240]))
    assert summary["censored_sqirl"] == 1 and summary["censored_ppo"] == 1 and summary["censored_dqn"] == 1
    # only MDPs a and d (PPO) / a and b (DQN) were reached by both: fewer than 3, undefined
    assert summary["n_both_ppo"] == 2 and summary["spearman_sqirl_ppo_both_reached"] is None
    assert "censored" in exp.table(results) and "Spearman" in exp.describe_correlation(summary, "PPO")


def test_spearman_undefined_is_none_never_nan():
    assert exp.spearman([1.0, 2.0], [2.0, 1.0]) is None                     # n < 3
    assert exp.spearman([5.0, 5.0, 5.0], [1.0, 2.0, 3.0]) is None           # constant ranks
    assert exp.spearman([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == pytest.approx(1.0)
    censored = exp.censor(np.array([1.0, np.inf]), np.array([7.0, 9.0]))
    np.testing.assert_array_equal(censored, [1.0, 9.0])


def test_budgets_bound_every_measured_cost():
    budgets = exp.Budgets()
    assert exp.m_groups([10, 30, 100, 300, 1000], 100) == [[10, 30, 100], [300], [1000]]
    # SQIRL: H^2 m_max over the m with m H <= max_episode_steps (maze, H = 30: m <= 2000 -> 1000)
    assert exp.sqirl_budget(30, budgets) == 30 * 30 * 1000
    train = exp.deep_train_config(8, 128, budgets)
    assert exp.deep_budget(train) >= budgets.deep_steps > exp.deep_budget(train) - 8 * 128
    # first optimal iteration: the steps before it; never optimal -> inf
    steps = np.array([[10.0, 20.0, 30.0], [5.0, 5.0, 5.0]])
    values = np.array([[0.0, 1.0, 1.0], [0.0, 0.5, 0.9]])
    np.testing.assert_array_equal(exp.first_optimal(steps, values, 1.0, 1e-6), [10.0, np.inf])


def test_config_errors():
    with pytest.raises(ConfigError, match="SOURCE@H"):
        exp.parse_source("grid:empty-5@x")
    assert exp.parse_source("grid:empty-5@12") == ("grid:empty-5", 12)
    with pytest.raises(ConfigError, match="ascending"):
        exp.Budgets(ms=(30, 10)).validate()
    with pytest.raises(ConfigError, match="sticky"):
        exp.MDPSet(sticky=1.0).validate()
    with pytest.raises(ConfigError, match="at least one"):
        exp.MDPSet(sources=()).validate()


def test_outputs_round_trip(tmp_path):
    results = {"grid:corridor-7": row(10, 1700.0, 990.0, 6500.0), "grid:empty-5": row(10, math.inf, 900.0, 500.0),
               "minigrid:MiniGrid-Empty-5x5-v0@10": row(10, 800.0, math.inf, 400.0)}
    exp.write_outputs(tmp_path, results, 3, exp.MDPSet(sources=tuple(results)), exp.Budgets(), 1.0)
    loaded, data = exp.load_results(tmp_path / "sample_complexity.json")
    assert loaded == results
    assert data["summary"]["spearman_sqirl_ppo"] is not None
    assert (tmp_path / "sample_complexity.png").stat().st_size > 0
    assert "censored" in (tmp_path / "sample_complexity.md").read_text()
    assert exp.short_name("minigrid:MiniGrid-Empty-5x5-v0@10") == "Empty-5x5@10"


def test_local_gridworlds_fall_back_to_own_worlds():
    own = bridge.local_gridworlds(use_minigrid=False)
    assert [s for s, _ in own] == [f"grid:{name}" for name in bridge.LAYOUTS]
    for source, horizon in own:
        mdp = bridge.resolve(source, horizon)
        assert mdp.horizon == horizon and mdp.num_actions in (3, 6)
    default = bridge.local_gridworlds()
    assert all(s.startswith("minigrid:" if bridge.minigrid_available() else "grid:") for s, _ in default)
    assert exp.DEFAULT_MDPS[:2] == exp.FIXTURES and len(exp.DEFAULT_MDPS) == 2 + len(default)


def test_merge_runs_fills_algorithms_not_run(tmp_path):
    nan = math.nan
    first = {"a": row(10, 100.0, nan, 50.0), "b": row(10, 200.0, 300.0, 70.0)}
    second = {"a": row(10, nan, 900.0, nan), "c": row(10, math.inf, 500.0, 60.0)}
    assert exp.summarize(first)["n_ppo"] == 1 and exp.summarize(first)["n_dqn"] == 2
    assert "not run" in exp.table(first)
    for i, results in enumerate((first, second)):
        (tmp_path / str(i)).mkdir()
        exp.write_outputs(tmp_path / str(i), results, 3, exp.MDPSet(sources=tuple(results)), exp.Budgets(), 1.0)
    exp.merge_runs([tmp_path / "0" / "sample_complexity.json", tmp_path / "1" / "sample_complexity.json"],
                   tmp_path / "merged")
    merged, data = exp.load_results(tmp_path / "merged" / "sample_complexity.json")
    assert [merged[n][k] for n in "abc" for k in exp.ALGORITHMS] == [100.0, 900.0, 50.0, 200.0, 300.0, 70.0,
                                                                       math.inf, 500.0, 60.0]
    assert data["summary"]["n_ppo"] == 3
    with pytest.raises(ConfigError, match="algorithms"):
        exp.Budgets(algorithms=("SQIRL", "A2C")).validate()
