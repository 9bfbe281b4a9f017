"""Run-level tests (spec ``specs/stepmix.md`` §11 tests 7, 17, 18), validation of bad input, and
no recompilation. They reuse the compiled programs of the checks (same 12-row shape)."""
from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rlkit
from agents.conservative import (EpsMixParams, InsufficientData, StepMixParams, certify_offline)
from agents.conservative.ucbvi import BoundedUCBVIParams
from envs.conservative import (ConservativeRandomMDPConfig, ConservativeTabularConfig,
                               ConservativeToyTextConfig)
from rlkit import ConfigError, ExperimentConfig, TrainConfig
from rlkit.batch import seed_keys
from rlkit.tabular.datasets import EpisodeDataset
from theory_checks.stepmix_common import (CHUNK, MAIN_ROWS, ROWS, _env, batch_run, compiled_programs,
                                          paper_instances, stack_rows, train_rows)

K = 1000


@pytest.fixture(scope="module")
def main_rows():
    inst = paper_instances(ROWS)
    return inst, seed_keys(0, ROWS)


def _train(params_cls, main_rows, **kw):
    inst, keys = main_rows
    kw.setdefault("episodes_bound", float(K))
    hps = [params_cls(bonus_scale=0.2, **kw)] * ROWS
    return train_rows(_env(), keys, hps, inst.params, K)


@pytest.mark.stepmix_runs
def test_alpha_extremes(main_rows):
    """Test 7: alpha = 1 gives rho = 1 and episode values identical to UCBVI with the same seed;
    alpha = 0 (rejected by config validation, but well defined) gives rho = 0."""
    inst, keys = main_rows
    ucbvi = train_rows(_env(), keys, [BoundedUCBVIParams(bonus_scale=0.2, episodes_bound=float(K))] * ROWS,
                       inst.params, K)
    for cls in (StepMixParams, EpsMixParams):
        half = ROWS // 2
        hps = ([cls(alpha=1.0, bonus_scale=0.2, episodes_bound=float(K))] * half
               + [cls(alpha=0.0, bonus_scale=0.2, episodes_bound=float(K))] * half)
        m = train_rows(_env(), keys, hps, inst.params, K)
        assert np.all(m["rho"][:half] == 1.0)
        np.testing.assert_array_equal(m["value"][:half], ucbvi["value"][:half])
        np.testing.assert_array_equal(m["return"][:half], ucbvi["return"][:half])
        assert np.all(m["rho"][half:] == 0.0)
        np.testing.assert_allclose(m["value"][half:], np.broadcast_to(inst.baseline[half:, None], (half, K)),
                                   rtol=0, atol=1e-12)


@pytest.mark.stepmix_runs
def test_reproducible(main_rows):
    """Test 17: the same seed gives bit-identical (rho_k, V^{pi_k}) sequences (a fresh run of
    1000 episodes against the first 1000 of the checks' run of 4000)."""
    for name, cls in (("stepmix", StepMixParams), ("epsmix", EpsMixParams)):
        again = _train(cls, main_rows, episodes_bound=4000.0)
        first = batch_run(name, MAIN_ROWS, 4000).metrics
        for key in ("rho", "value", "return", "certificate"):
            np.testing.assert_array_equal(again[key], first[key][:, :K])
        assert not np.array_equal(again["value"][0], again["value"][1])


@pytest.mark.stepmix_runs
@pytest.mark.parametrize("name", ["stepmix", "epsmix", "ucbvi"])
def test_runtime_budget(name, main_rows):
    """Test 18, on the larger instance I-A and 12 runs at once: 2000 episodes within 2 s and
    4000 within 10 s (process CPU time, so other load on the machine does not count; compile
    excluded: the program is compiled ahead of time). The cost of a chunk does not depend on the
    episode index, so 4000 episodes cost twice the 2000 measured. The background runs of the
    checks are joined first (process CPU time counts every thread)."""
    from theory_checks.stepmix_common import agent_params, join_prefetch
    join_prefetch()
    inst, keys = main_rows
    hps = [agent_params(name, episodes_bound=4000.0)] * ROWS
    train_rows(_env(), keys, hps, inst.params, CHUNK)            # compiled (once per process)
    t0 = time.process_time()
    train_rows(_env(), seed_keys(3, ROWS), hps, inst.params, 2 * CHUNK)
    seconds = time.process_time() - t0
    assert seconds < 2.0 and 2 * seconds < 10.0


@pytest.mark.stepmix_runs
def test_no_recompilation(main_rows):
    """Chunks, leaf hyper-parameters (alpha, c, delta, episodes_bound, bisection_steps) and
    instances (I-A, I-D) reuse one compiled program per agent: every run of the checks went
    through ahead-of-time compiled executables (which refuse other input types instead of
    recompiling), each chunk function was traced once (``chex.assert_max_traces(n=1)``)."""
    from theory_checks.stepmix_common import MIXED_ROWS, SWITCH_ROWS, THEORY_ROWS
    for rows, K_rows in ((MAIN_ROWS, 4000), (THEORY_ROWS, 2000), (MIXED_ROWS, 3000)):
        batch_run("stepmix", rows, K_rows)
    batch_run("switch", SWITCH_ROWS, 3000)
    _train(StepMixParams, main_rows, alpha=0.3, delta=0.01, episodes_bound=123.0)
    programs = compiled_programs()
    stepmix = [p for key, p in programs.items() if key[1].__name__ == "StepMix" and key[2] is StepMixParams]
    assert len(stepmix) == 1
    assert all(len(p.traces) == 1 for p in programs.values())
    inst, keys = main_rows
    with pytest.raises(TypeError):     # other input types: an error, never a silent recompile
        stepmix[0].init(keys.astype(jnp.uint8), stack_rows([StepMixParams()] * ROWS), inst.params)


# --- bad input ---------------------------------------------------------------------------------
def _experiment(agent, env=None):
    return ExperimentConfig(name="t", env=env or ConservativeRandomMDPConfig(), agent=agent,
                            train=TrainConfig(num_iterations=10, rollout_len=3))


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5, float("nan")])
def test_alpha_outside_unit_interval_rejected(alpha):
    with pytest.raises(ConfigError, match="alpha must be in"):
        rlkit.apply_overrides(_experiment(StepMixParams()), {"agent.alpha": alpha})
    rlkit.apply_overrides(_experiment(EpsMixParams()), {"agent.alpha": 1.0})


def test_bad_baseline_rejected():
    P = np.full((2, 2, 2, 2), 0.5)
    r = np.zeros((2, 2, 2))
    good = np.full((2, 2, 2), 0.5)
    rlkit.apply_overrides(_experiment(StepMixParams(), ConservativeTabularConfig(P, r, good)), {})
    with pytest.raises(ConfigError, match="sums to 0.9"):
        bad = good.copy()
        bad[1, 0] = [0.4, 0.5]
        rlkit.apply_overrides(_experiment(StepMixParams(), ConservativeTabularConfig(P, r, bad)), {})
    with pytest.raises(ConfigError, match="distribution over actions"):
        bad = good.copy()
        bad[0, 1] = [1.5, -0.5]
        rlkit.apply_overrides(_experiment(StepMixParams(), ConservativeTabularConfig(P, r, bad)), {})
    with pytest.raises(ConfigError, match="baseline"):
        rlkit.apply_overrides(_experiment(StepMixParams(baseline=good * 1.1, baseline_value=1.0)), {})
    with pytest.raises(ConfigError, match="go together"):
        rlkit.apply_overrides(_experiment(StepMixParams(baseline=good)), {})
    with pytest.raises(ConfigError, match="baseline must be one of"):
        rlkit.apply_overrides(_experiment(StepMixParams(), ConservativeRandomMDPConfig(baseline="best")), {})


def test_disagreeing_shapes_rejected():
    P = np.full((2, 2, 2, 2), 0.5)
    r = np.zeros((2, 2, 2))
    with pytest.raises(ConfigError, match=r"shape \[H, S, A\] = \[2, 2, 2\]"):
        rlkit.apply_overrides(_experiment(StepMixParams(), ConservativeTabularConfig(P, r, np.full((2, 2, 3), 1 / 3))), {})
    with pytest.raises(ConfigError, match="transitions P must have shape"):
        rlkit.apply_overrides(_experiment(StepMixParams(), ConservativeTabularConfig(np.full((2, 3, 2, 3), 1 / 3), r, np.full((2, 2, 2), 0.5))), {})
    with pytest.raises(ConfigError, match="ToyText|env_id"):
        rlkit.apply_overrides(_experiment(StepMixParams(), ConservativeToyTextConfig(env_id="Pong")), {})
    # a hyper-parameter baseline of the wrong shape fails while tracing, before any compile
    from envs.conservative import ConservativeMDP
    from rlkit.trainer import make_train
    cfg = ConservativeTabularConfig(P, r, np.full((2, 2, 2), 0.5))
    hp = StepMixParams(baseline=np.full((3, 2, 2), 0.5), baseline_value=0.0)
    train = make_train(ConservativeMDP(), hp.make_agent(), TrainConfig(num_iterations=2, rollout_len=2))
    with pytest.raises(ConfigError, match="baseline has shape"):
        jax.jit(train).trace(jax.random.PRNGKey(0), hp, cfg.make_params(None))


def test_offline_refusal_names_size_and_bound():
    from theory_checks.stepmix_offline import datasets
    inst = paper_instances(ROWS)
    model = jax.tree_util.tree_map(lambda x: x[0], inst.params.model)
    data = jax.tree_util.tree_map(lambda x: x[0, :50], datasets(3, 10_000))
    with pytest.raises(InsufficientData, match=r"N=50 episodes.*LB_0 = LCB_lin\(pi_hat\).*gamma_up"):
        certify_offline(data, model.r, model.mu, 0.1, 0.05, 0.2)
    z = jnp.zeros((50, 3), jnp.int32)
    with pytest.raises(ConfigError, match="length"):
        certify_offline(EpisodeDataset(z[:, :2], z[:, :2], z[:, :2], jnp.zeros((50, 2)), z[:, :2]),
                        model.r, model.mu, 0.1, 0.05, 0.2)
    assert issubclass(InsufficientData, ConfigError)


def test_baseline_from_hyperparameters_on_a_plain_tabular_env():
    """A fixed baseline given as hyper-parameters works on any TabularMDP (traced, not compiled);
    without one, an env that reveals none is rejected with a clear message."""
    from envs.conservative import mixed_optimal_baseline, spec_random_mdp
    from rlkit.tabular import TabularMDP, policy_value, tabular_params
    from rlkit.trainer import make_train
    env, params = TabularMDP(), tabular_params(spec_random_mdp(5, 5, 3, seed=3))
    pi = mixed_optimal_baseline(params.model)
    hp = StepMixParams(baseline=np.asarray(pi), baseline_value=float(policy_value(params.model, pi)))
    hp.validate()
    train = make_train(env, hp.make_agent(), TrainConfig(num_iterations=3, rollout_len=3))
    out = jax.eval_shape(train, jax.random.PRNGKey(0), hp, params)
    assert out.metrics["value"].shape == (3,) and out.metrics["rho"].shape == (3,)
    with pytest.raises(ConfigError, match="needs a known baseline"):
        jax.eval_shape(train, jax.random.PRNGKey(0), StepMixParams(), params)
