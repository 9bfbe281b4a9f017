"""LSD agents: exact behaviour on noiseless instances, the block oracle, the vmap-friendly
conditional, no recompilation across chunks, and the runner path (batched runner state)."""
from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.lsd.combucb import block_scores, block_sequences, combucb1, isi_combucb1
from agents.lsd.common import exploration_schedule, rested_graph, run_if
from agents.lsd.etc import ETCParams, exploration_rounds
from agents.lsd.greedy import OracleGreedyParams
from agents.lsd.mirrored import MirroredPlannerParams
from agents.lsd.ucb_replan import ReplanParams
from envs.lsd import LSDBandit, LSDConfig, make_params
from rlkit import ConfigError, ExperimentConfig, RunConfig, TrainConfig, hparams, make_train
from rlkit.lsd import rested_state, sequence_means, state_index, transition
from theory_checks.lsd_oracles import dp_numpy


def test_exploration_schedule_samples_every_state_and_erases_the_start():
    for k, m in [(2, 2), (3, 3), (4, 2)]:
        schedule = exploration_schedule(k, m)
        ends = set()
        for start in (rested_state(k, m), -np.ones(k, np.int32), np.arange(1, k + 1).clip(1, m)):
            tau, seen = np.asarray(start), set()
            for a in schedule:
                seen.add((int(a), int(tau[a])))
                tau = transition(tau, a, m, np)
            assert {(i, s) for i in range(k) for s in [*range(-m, 0), *range(1, m + 1)]} <= seen
            ends.add(tuple(tau))
        assert len(ends) == 1                      # history-determined: independent of the start
        rested_graph(k, m).index_of(ends.pop())    # and inside the graph the learners plan on


def test_run_if_computes_only_when_needed_under_vmap():
    calls = []

    def expensive(x):
        jax.debug.callback(lambda: calls.append(1))
        return x + 1.0

    f = jax.jit(jax.vmap(lambda p, x: run_if(p, expensive, x)))
    out = f(jnp.array([False, False, False]), jnp.zeros(3))
    jax.block_until_ready(out)
    assert calls == [] and np.all(np.asarray(out) == 0.0)
    out = f(jnp.array([False, True, False]), jnp.zeros(3))
    jax.block_until_ready(out)
    assert len(calls) == 1 and np.asarray(out).tolist() == [0.0, 1.0, 0.0]


@hparams
class TracedETCParams(ETCParams):
    """ETC whose ``update`` may be traced once only (catches recompilation inside the run)."""

    def make_agent(self):
        agent = super().make_agent()
        agent.update = chex.assert_max_traces(agent.update, n=1)
        return agent


def test_etc_is_exact_and_compiles_once_on_the_runner_path(tmp_path):
    """ETC through ``rlkit.run``: a batched runner state (every leaf has a seed axis, so the commit
    predicate of ``run_if`` is batched), equal chunks compiled once (``update`` traced once), the
    report table. Noiseless rewards make the estimates exact after exploration, so ETC's total is
    the exploration's reward plus the optimum of the remaining rounds from where it ends."""
    import rlkit
    from experiments.lsd_common import report

    k = m = 2
    T, seeds = 400, 3
    env = LSDConfig(instance="random_general", k=k, m=m, horizon=T, noise="gaussian", sigma=0.0)
    cfg = ExperimentConfig(
        name="lsd_etc_exact", env=env, agent=TracedETCParams(explore_scale=1.0),
        train=TrainConfig(num_iterations=T), run=RunConfig(seeds=seeds, chunks=4, out_dir=str(tmp_path),
                                                           wandb_mode="disabled", progress=False))
    result = rlkit.run(cfg, report=report, quiet=True)
    metrics = next(iter(result.agents.values())).metrics
    rewards, committed = metrics["expected_reward"], metrics["committed"]

    mu, _ = env.payoffs()
    L = int(exploration_rounds(T, 1.0, k, m, len(exploration_schedule(k, m))))
    schedule = np.resize(exploration_schedule(k, m), L)
    tau = rested_state(k, m)
    for a in schedule:
        tau = transition(tau, a, m, np)
    expected = sequence_means(mu, rested_state(k, m), schedule).sum() + dp_numpy(mu, T - L, tau)
    np.testing.assert_allclose(rewards.sum(1), expected, atol=1e-9)
    assert np.all(committed[:, L - 1] == 1.0) and np.all(committed[:, L - 2] == 0.0)

    table = result.extra["lsd_table"]
    assert table["opt"] == pytest.approx(dp_numpy(mu, T), abs=1e-9)
    row = next(iter(table["agents"].values()))
    assert row["expected_total"] == pytest.approx(expected, abs=1e-9)
    assert row["pseudo_regret"] == pytest.approx(table["opt"] - expected, abs=1e-9)
    assert (result.run_dir / "lsd_table.txt").exists()
    assert (result.run_dir / "plots" / "lsd_cumulative_pseudo_regret.png").exists()


def test_block_oracle_scores_match_a_direct_simulation():
    rng = np.random.default_rng(1)
    k, m, L = 3, 3, 4
    index = rng.uniform(size=(k, 2 * m))
    start = np.array([2, -1, 3])
    seqs = block_sequences(k, L)
    for isi in (False, True):
        scores = np.asarray(block_scores(jnp.asarray(index), jnp.asarray(start), jnp.asarray(seqs),
                                         (m, m), score_first=not isi))
        for n in rng.integers(0, len(seqs), size=20):
            tau, seen, total = start.copy(), set(), 0.0
            for a in seqs[n]:
                if not (isi and a not in seen):
                    total += index[a, state_index(tau[a], m, np)]
                seen.add(a)
                tau = transition(tau, a, m, np)
            assert scores[n] == pytest.approx(total)
    with pytest.raises(ConfigError, match="sequences"):
        block_sequences(10, 8)


def test_agents_refuse_bad_settings():
    with pytest.raises(ConfigError, match="block"):
        isi_combucb1(1).validate()
    with pytest.raises(ConfigError, match="explore_scale"):
        ETCParams(explore_scale=-1.0).validate()
    params = make_params(np.full((2, 4), 0.5), horizon=10)          # full_information=False
    with pytest.raises(ConfigError, match="full_information"):
        make_train(LSDBandit(params), OracleGreedyParams().make_agent(), TrainConfig(5)).init(
            jax.random.PRNGKey(0), OracleGreedyParams(), params)




@pytest.mark.parametrize("hp", [ETCParams(planner="mirrored"), ReplanParams(), isi_combucb1(3),
                                combucb1(2, delay_model=True), MirroredPlannerParams(), OracleGreedyParams()],
                         ids=lambda hp: hp.label)
def test_every_agent_traces_through_the_trainer(hp):
    """Shape-level run of every agent through the trainer (traced, not compiled: cheap)."""
    params = make_params(np.full((3, 4), 0.5), horizon=12, full_information=True)
    trainer = make_train(LSDBandit(params), hp.make_agent(), TrainConfig(num_iterations=6, rollout_len=2))
    out = jax.eval_shape(trainer, jax.random.PRNGKey(0), hp, params)
    assert out.metrics["expected_reward"].shape == (6,)
    assert out.metrics["regret"].shape == (6,)


def test_experiment_configs_validate_and_pick_horizons():
    from experiments import lsd_laforgue1, lsd_laforgue2, lsd_random
    from experiments.lsd_common import horizons_to_run
    from rlkit import apply_overrides

    for module in (lsd_laforgue1, lsd_laforgue2, lsd_random):
        cfg = apply_overrides(module.config(), {})
        assert len(cfg.agents()) >= 4
    assert horizons_to_run("laforgue1", {}) == [3600, 5112]
    assert horizons_to_run("laforgue2", {}) == [3300, 5060]
    assert horizons_to_run("laforgue2", {"env.horizon": 660}) == [660]
    with pytest.raises(ConfigError, match="m must be"):
        apply_overrides(lsd_random.config(), {"env.m": 0})
