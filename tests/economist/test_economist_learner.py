"""The two-level learner: curriculum sanity (spec §6 L6), one short jitted training run (shapes,
freezing, no retrace across hyper-parameters), the flat-tax tying, the bad-hyper-parameter errors,
the experiment's report, and (slow) the registered learning check L1/L3/L4."""
from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from agents.economist import curriculum
from agents.economist.presets import one_step_params
from agents.economist.two_level import TwoLevelParams
from envs.economy import OneStepEconomyConfig
from rlkit.batch import seed_keys, stack_hparams
from rlkit.config import ConfigError
from rlkit.trainer import TrainConfig, make_train

ITERATIONS, ENVS = 12, 8
ENV = OneStepEconomyConfig(bracket_spacing="custom", cutoffs=(0.0, 93.25))


def test_energy_warmup_monotone_and_reaches_full_cost():
    n = jnp.linspace(0.0, 60_000.0, 200)
    w = np.asarray(curriculum.energy_weight(n, 10_000.0))
    assert np.all(np.diff(w) >= 0) and w[0] == 0.0 and w[-1] >= 0.99
    assert float(curriculum.energy_weight(0.0, 0.0)) == 1.0            # no warm-up: full cost


@pytest.fixture(scope="module")
def planner_sampler():
    """The planner's sampled choices at the tax step of a fresh learner (annealing on, no warm-up,
    0 completions), one jitted function for every hyper-parameter value."""
    env, params = ENV.make_env(), ENV.make_params()
    hp = one_step_params(ITERATIONS, anneal_taxes=True, agent_warmup=0.0)
    agent = hp.make_agent()
    spec = env.spec(params)
    state = jax.jit(lambda key, hp: agent.init(key, spec, hp))(jax.random.PRNGKey(0), hp)
    obs, _ = env.reset(jax.random.PRNGKey(1), params)

    @jax.jit
    def sample(hp, key):
        keys = jax.random.split(key, 256)
        return jax.vmap(lambda k: agent.act(k, state, None, obs, hp)[0]["planner"])(keys)

    return hp, agent, state, obs, params, sample


def test_tax_annealing_masks_the_planner(planner_sampler):
    """L6: sampled planner choices never exceed the annealed limit (0 completions: rates <= 0.1)."""
    hp, agent, state, obs, params, sample = planner_sampler
    actions = np.asarray(sample(hp, jax.random.PRNGKey(2)))
    rates = np.asarray(params.rate_grid)[actions - 1]
    assert np.all(actions >= 1) and rates.max() <= 0.1 + 1e-9 and rates.min() == 0.0
    # after 900 completed episodes per replica every rate is allowed
    late = agent.planner_mask(state.replace(completions=jnp.float64(900.0)), obs["planner"]["action_mask"], hp)
    assert bool(late[:, 1:].all())


def test_flat_tax_ties_every_bracket(planner_sampler):
    hp, *_, sample = planner_sampler
    untied = np.asarray(sample(hp, jax.random.PRNGKey(3)))
    tied = np.asarray(sample(hp.replace(flat_tax=1.0), jax.random.PRNGKey(3)))
    assert np.any(untied[:, 0] != untied[:, 1])
    assert np.all(tied[:, 0] == tied[:, 1]) and np.unique(tied[:, 0]).size > 1


@pytest.fixture(scope="module")
def short_runs():
    """Four short runs (two seeds x {learning planner, fixed tau = 0.3}) in one jitted program,
    called twice with different hyper-parameter values: it must trace once."""
    env, params = ENV.make_env(), ENV.make_params()
    hps = [one_step_params(ITERATIONS), one_step_params(ITERATIONS, fixed_rate_index=6.0)] * 2
    trainer = make_train(env, hps[0].make_agent(), TrainConfig(ITERATIONS, ENVS, 2, evaluate=False))

    @chex.assert_max_traces(n=1)
    def train(keys, hp):
        return jax.vmap(trainer, in_axes=(0, 0, None))(keys, hp, params)

    # a tiny run: compile time dominates, so XLA's backend optimisations are turned off
    train = jax.jit(train, compiler_options={"xla_backend_optimization_level": 0})

    keys = seed_keys(0, 2)[jnp.array([0, 0, 1, 1])]
    out = train(keys, stack_hparams(hps))
    other = stack_hparams([one_step_params(ITERATIONS, planner_lr=0.0)] * 4)
    train(keys, other)                                   # new leaf values: no retrace
    return hps, out


def test_short_run_metrics_and_curriculum(short_runs):
    hps, out = short_runs
    m = {k: np.asarray(v) for k, v in out.metrics.items()}
    for key in ("social_welfare", "equality", "productivity", "planner/rate_mean_0", "agents/policy_loss"):
        assert m[key].shape == (4, ITERATIONS) and np.all(np.isfinite(m[key])), key
    warmup = int(hps[0].agent_warmup)
    assert warmup >= 1
    np.testing.assert_array_equal(m["planner/frozen"][0, :warmup], 1.0)    # phase 1: agents only
    np.testing.assert_array_equal(m["planner/frozen"][0, warmup:], 0.0)
    np.testing.assert_array_equal(m["planner/frozen"][1], 1.0)             # a fixed rate never learns
    np.testing.assert_allclose(m["planner/rate_mode_0"][1], 0.3)           # and plays its rate
    ent = m["planner/ent_coef"][0]
    assert ent[0] == pytest.approx(2.0) and ent[-1] == pytest.approx(0.01)   # entropy decays
    assert np.all(np.diff(ent) <= 1e-7) and ent[warmup + 1] < ent[warmup]
    # runs 0 and 1 share a seed (same initial planner): only the learning one moved
    for leaf in jax.tree_util.tree_leaves(out.state.agent_state.planner.params):
        assert np.abs(np.asarray(leaf[0]) - np.asarray(leaf[1])).max() > 0


@pytest.mark.parametrize("kwargs,needle", [
    (dict(agent_head="gaussian"), "agent_head"), (dict(warmup_taxes="some"), "warmup_taxes"),
    (dict(gamma=1.5), "gamma"), (dict(clip_eps=0.0), "clip_eps"), (dict(agent_lr=-1.0), "agent_lr"),
])
def test_bad_hyper_parameters(kwargs, needle):
    with pytest.raises(ConfigError) as err:
        TwoLevelParams(**kwargs).validate()
    assert needle in str(err.value)


def test_experiment_configs_validate_and_sweep_loads():
    from rlkit.config import validate
    from rlkit.sweep import check_parameters, load_sweep
    import experiments.economist_one_step as small
    import experiments.economist_one_step_many as many
    for module in (small, many):
        validate(module.config())
    sweep = load_sweep("experiments/sweeps/economist_planner.yaml")
    check_parameters(sweep, small.config())


@pytest.mark.slow
def test_two_level_learning_check():
    """The registered L1/L3/L4 check (fast mode): every row matches its expectation."""
    from theory_checks.economist_learning import two_level_learning
    rows = two_level_learning(False)
    bad = [r for r in rows if not r.ok]
    assert not bad, bad
