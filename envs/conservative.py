"""Tabular MDPs that come with a known baseline policy: the conservative-exploration setting.

In the StepMix setting (Li et al., ICML 2023; spec ``specs/stepmix.md`` §1) the learner knows a
safe baseline policy ``pi^b`` and its value ``V^b = V^{pi^b}_1(s_1)``, and must keep the expected
return of every episode above ``(1 - alpha) V^b``. :class:`ConservativeMDP` is
:class:`rlkit.tabular.TabularMDP` whose params also carry the baseline; its spec reveals
``known["baseline"]`` (``[H, S, A]``), ``known["baseline_value"]`` (``V^b``), ``known["mu"]``
(the initial distribution) and the reward table. The baseline is part of the *instance*: the
paper's baseline ``0.8 pi* + 0.2 Uniform`` needs the true model, so it is built here, per
instance, never inside an agent.

Configs: :class:`ConservativeRandomMDPConfig` (the paper's random MDPs, one per seed, instances
I-A, I-B and I-D of spec §9), :class:`ConservativeToyTextConfig` (gymnasium FrozenLake & co. via
the toolkit's importer) and :class:`ConservativeTabularConfig` (explicit arrays, validated).
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit.batch import INSTANCE_SALT, seed_keys
from rlkit.config import ConfigError, EnvConfig
from rlkit.env import EnvSpec
from rlkit.tabular.conservative import check_policy_table
from rlkit.tabular import (TOY_TEXT, TabularModel, TabularMDP, TabularParams, check_model,
                           from_gymnasium, make_model, optimal_policy, policy_value, tabular_params)

BASELINE_KINDS = ("mixed", "deterministic")


@struct.dataclass
class ConservativeParams(TabularParams):
    """:class:`TabularParams` plus the known baseline ``pi^b[H, S, A]`` and its exact value."""

    baseline: jax.Array = None
    baseline_value: jax.Array = None


class ConservativeMDP(TabularMDP):
    """A tabular MDP whose spec also reveals the baseline policy and its value (module docstring)."""

    def spec(self, params: ConservativeParams) -> EnvSpec:
        spec = super().spec(params)
        known = dict(spec.known)
        known.update(baseline=params.baseline, baseline_value=params.baseline_value,
                     mu=params.model.mu)
        return dataclasses.replace(spec, known=known)


def conservative_params(model: TabularModel, baseline: jax.Array) -> ConservativeParams:
    """Params of :class:`ConservativeMDP`: the sampling tables, the baseline and ``V^b``."""
    base = tabular_params(model)
    baseline = jnp.asarray(baseline, jnp.float64)
    return ConservativeParams(base.model, base.P_cdf, base.mu_cdf, start_state=base.start_state,
                              baseline=baseline, baseline_value=policy_value(model, baseline))


def paper_random_mdp(key: jax.Array, S: int, A: int, H: int) -> TabularModel:
    """The paper's random MDP family (spec ``specs/stepmix.md`` §6): ``P_h(.|s, a) ~
    Dirichlet(1, ..., 1)`` independently per ``(h, s, a)``, ``r_h(s, a) ~ U[0, 1]``, start state 0.
    Jittable (``rlkit run`` vmaps it over the seeds' instance keys).

    [design] Dirichlet(1, ..., 1) is drawn as i.i.d. ``Exp(1) = -log U`` normalised to sum 1 (the
    same distribution as ``jax.random.dirichlet``), from ONE uniform draw traced with
    ``jax.threefry_partitionable(False)``: on CPU the gamma sampler of ``jax.random.dirichlet``
    and the partitionable threefry lowering made this program take about 7 s to compile, and the
    runner compiles it once per agent; this one compiles in about 1.4 s (measured on the 2-core
    machine). The draws differ from :func:`rlkit.tabular.random_mdp`'s for the same key, not the
    family.
    """
    with jax.threefry_partitionable(False):
        u = jax.random.uniform(key, (H, S, A, S + 1), jnp.float64,
                               minval=jnp.finfo(jnp.float64).tiny)
    weights = -jnp.log(u[..., :S])
    return make_model(weights / weights.sum(-1, keepdims=True), u[..., S], s1=0)


# ---------------------------------------------------------------------------------------------
# Baselines built from the true model (instance layer)
# ---------------------------------------------------------------------------------------------
def mixed_optimal_baseline(model: TabularModel, weight: float = 0.8) -> jax.Array:
    """``weight pi* + (1 - weight) Uniform(A)`` per step (instance I-A, spec §9)."""
    return weight * optimal_policy(model) + (1.0 - weight) / model.A


def deterministic_baseline(model: TabularModel, key: jax.Array, low: float = 0.8,
                           high: float = 0.9, candidates: int = 4096) -> jax.Array:
    """A deterministic baseline with ``V^b / V*`` in ``[low, high]`` by seeded random search over
    deterministic policies (instance I-D, spec §9).

    ``candidates`` policies with uniformly random actions per ``(h, s)`` are drawn from ``key``;
    the first whose ratio lies in the range is returned, or, if none does, the one closest to the
    middle of the range (check the ratio of the result when the range is narrow). On the paper's
    random MDPs (S = A = 5, H = 3) 2-14% of random policies fall in [0.8, 0.9]. Jittable.
    """
    H, S, A = model.H, model.S, model.A
    actions = jax.random.randint(key, (candidates, H, S), 0, A)
    tables = jax.nn.one_hot(actions, A, dtype=jnp.float64)
    ratio = jax.vmap(lambda pi: policy_value(model, pi))(tables) / model.optimal_value()
    inside = (ratio >= low) & (ratio <= high)
    closest = jnp.argmin(jnp.abs(ratio - 0.5 * (low + high)))
    index = jnp.where(jnp.any(inside), jnp.argmax(inside), closest)
    return tables[index]


def _check_kind(kind: str, weight: float, ratio: tuple[float, float]) -> None:
    if kind not in BASELINE_KINDS:
        raise ConfigError(f"baseline must be one of {list(BASELINE_KINDS)}, got {kind!r}")
    if not 0.0 <= weight <= 1.0:
        raise ConfigError(f"baseline_weight must be in [0, 1], got {weight}")
    if not 0.0 < ratio[0] <= ratio[1] <= 1.0:
        raise ConfigError(f"baseline_ratio must be (low, high) with 0 < low <= high <= 1, got {ratio}")


def build_baseline(model: TabularModel, key: jax.Array, kind: str, weight: float,
                   ratio: tuple[float, float]) -> jax.Array:
    """The baseline of ``kind`` (``mixed``: :func:`mixed_optimal_baseline`; ``deterministic``:
    :func:`deterministic_baseline`)."""
    if kind == "mixed":
        return mixed_optimal_baseline(model, weight)
    return deterministic_baseline(model, key, *ratio)


# ---------------------------------------------------------------------------------------------
# Env configs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConservativeRandomMDPConfig(EnvConfig):
    """The paper's random MDPs (Dirichlet(1) kernels, U[0, 1] rewards, s_1 = 0) with a baseline.

    ``instance_seed = None`` draws one MDP per run seed (the paper's "10 trials"), with
    :func:`paper_random_mdp` (the family of :class:`envs.tabular.RandomMDPConfig`, other draws for
    the same keys). ``baseline``: ``mixed``
    (``baseline_weight pi* + (1 - baseline_weight) U``, instance I-A) or ``deterministic``
    (random search for ``V^b / V*`` in ``baseline_ratio``, instance I-D).
    """

    S: int = 5
    A: int = 5
    H: int = 3
    instance_seed: int | None = None
    baseline: str = "mixed"
    baseline_weight: float = 0.8
    baseline_ratio: tuple[float, float] = (0.8, 0.9)

    @property
    def instance_per_seed(self) -> bool:
        return self.instance_seed is None

    def make_env(self) -> ConservativeMDP:
        return ConservativeMDP()

    def make_params(self, key: jax.Array) -> ConservativeParams:
        if self.instance_seed is not None:
            key = jax.random.PRNGKey(self.instance_seed)
        model = paper_random_mdp(key, self.S, self.A, self.H)
        baseline = build_baseline(model, jax.random.fold_in(key, 1), self.baseline,
                                  self.baseline_weight, self.baseline_ratio)
        return conservative_params(model, baseline)

    def validate(self) -> None:
        for name in ("S", "A", "H"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        _check_kind(self.baseline, self.baseline_weight, self.baseline_ratio)


@dataclass(frozen=True)
class ConservativeToyTextConfig(EnvConfig):
    """A gymnasium toy-text env (FrozenLake by default) imported as an exact tabular MDP with
    horizon ``H`` (:func:`rlkit.tabular.from_gymnasium`), with a ``mixed`` or ``deterministic``
    baseline built from its optimal policy."""

    env_id: str = "FrozenLake-v1"
    H: int = 15
    is_slippery: bool = True
    baseline: str = "mixed"
    baseline_weight: float = 0.8
    baseline_ratio: tuple[float, float] = (0.8, 0.9)
    baseline_seed: int = 0

    def model(self) -> TabularModel:
        slippery = self.env_id.startswith(("FrozenLake", "CliffWalking"))
        kwargs = {"is_slippery": self.is_slippery} if slippery else {}
        return from_gymnasium(self.env_id, self.H, **kwargs)

    def make_env(self) -> ConservativeMDP:
        return ConservativeMDP()

    def make_params(self, key: jax.Array) -> ConservativeParams:
        model = self.model()
        baseline = build_baseline(model, jax.random.PRNGKey(self.baseline_seed), self.baseline,
                                  self.baseline_weight, self.baseline_ratio)
        return conservative_params(model, baseline)

    def validate(self) -> None:
        if self.env_id not in TOY_TEXT:
            raise ConfigError(f"env_id must be one of {list(TOY_TEXT)}, got {self.env_id!r}")
        if not isinstance(self.H, int) or self.H < 1:
            raise ConfigError(f"H must be an integer >= 1, got {self.H!r}")
        _check_kind(self.baseline, self.baseline_weight, self.baseline_ratio)


@dataclass(frozen=True)
class ConservativeTabularConfig(EnvConfig):
    """An explicit MDP and baseline: ``P[H, S, A, S]`` (or stationary ``[S, A, S]``),
    ``r[H, S, A]``, ``baseline[H, S, A]`` as nested lists or arrays, start state ``s1``.
    ``validate`` rejects shapes that disagree and a baseline that is not a distribution."""

    P: Any = None
    r: Any = None
    baseline: Any = None
    s1: int = 0

    def model(self) -> TabularModel:
        return make_model(np.asarray(self.P, np.float64), np.asarray(self.r, np.float64), s1=self.s1)

    def make_env(self) -> ConservativeMDP:
        return ConservativeMDP()

    def make_params(self, key: jax.Array) -> ConservativeParams:
        return conservative_params(self.model(), np.asarray(self.baseline, np.float64))

    def validate(self) -> None:
        if self.P is None or self.r is None or self.baseline is None:
            raise ConfigError("ConservativeTabularConfig needs P [H, S, A, S], r [H, S, A] and "
                              "baseline [H, S, A]")
        check_model(self.P, self.r)
        H, S, A = np.shape(self.r)
        if not 0 <= self.s1 < S:
            raise ConfigError(f"s1 must be a state in 0..{S - 1}, got {self.s1}")
        check_policy_table(self.baseline, H, S, A)


def seed_instances(env_cfg: EnvConfig, seeds: int, base_seed: int = 0) -> ConservativeParams:
    """The params of the instances that ``rlkit run`` (:class:`rlkit.batch.BatchedTrainer`) gives
    seeds ``0..seeds-1`` of a run with base seed ``base_seed``, stacked along a leading axis (to
    read their exact ``V*`` and ``V^b`` after a run)."""
    keys = seed_keys(base_seed, seeds)
    if getattr(env_cfg, "instance_per_seed", False):
        instance_keys = jax.vmap(lambda k: jax.random.fold_in(k, INSTANCE_SALT))(keys)
        return jax.jit(jax.vmap(env_cfg.make_params))(instance_keys)
    one = env_cfg.make_params(jax.random.PRNGKey(base_seed))
    return jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, (seeds,) + jnp.shape(x)), one)


def spec_random_mdp(S: int, A: int, H: int, seed: int) -> TabularModel:
    """The spec's ``make_random_mdp(S, A, H, seed)`` (``specs/stepmix.md`` §8, Appendix A):
    ``numpy.random.default_rng(seed)`` draws ``P ~ Dirichlet(1)`` for every ``(h, s, a)``, then
    ``r ~ U[0, 1]``; start state 0. The instances I-A, I-B and I-D of spec §9 are its seeds
    ``0, 1, ...``. (Plain numpy: no compile, unlike the jittable :func:`rlkit.tabular.random_mdp`
    that ``ConservativeRandomMDPConfig`` uses inside ``rlkit run``.)"""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(H, S, A))
    r = rng.uniform(0.0, 1.0, size=(H, S, A))
    return make_model(P, r, s1=0)


def spec_deterministic_baseline(model: TabularModel, seed: int, low: float = 0.8, high: float = 0.9,
                                max_tries: int = 100_000) -> np.ndarray:
    """The spec's I-D baseline (§9): seeded random search over deterministic policies,
    ``rng = numpy.random.default_rng(seed)`` drawing ``rng.integers(0, A, (H, S))`` until
    ``V^b / V*`` lies in ``[low, high]``. (This reading reproduces the spec's calibration: on
    seeds 0-3 the baseline's regret over 3000 episodes is 891-1499, as in spec §10.)"""
    H, S, A = model.H, model.S, model.A
    P, r = np.asarray(model.kernel()), np.asarray(model.r)
    mu = np.asarray(model.mu)

    def value(pi):
        V = np.zeros(S)
        for h in range(H - 1, -1, -1):
            V = (pi[h] * (r[h] + P[h] @ V)).sum(-1)
        return mu @ V

    V = np.zeros(S)
    for h in range(H - 1, -1, -1):      # V* by backward induction (numpy: nothing to compile)
        V = (r[h] + P[h] @ V).max(-1)
    optimal = float(mu @ V)
    rng = np.random.default_rng(seed)
    for _ in range(max_tries):
        pi = np.eye(A)[rng.integers(0, A, size=(H, S))]
        if low <= value(pi) / optimal <= high:
            return pi
    raise ConfigError(f"no deterministic policy with V^b/V* in [{low}, {high}] in {max_tries} random draws")


@jax.jit
def _stacked_params(models: TabularModel, baselines: jax.Array) -> ConservativeParams:
    return jax.vmap(conservative_params)(models, baselines)


@jax.jit
def _mixed_params(models: TabularModel, weight) -> ConservativeParams:
    return jax.vmap(lambda m: conservative_params(m, mixed_optimal_baseline(m, weight)))(models)


def spec_instances(seeds: int, S: int = 5, A: int = 5, H: int = 3, baseline: str = "mixed",
                   weight: float = 0.8, ratio: tuple[float, float] = (0.8, 0.9)) -> ConservativeParams:
    """Stacked params of the spec's instances ``spec_random_mdp(S, A, H, seed)`` for
    ``seed = 0..seeds-1`` with the ``mixed`` baseline ``weight pi* + (1 - weight) U`` (I-A, I-B)
    or the ``deterministic`` one of :func:`spec_deterministic_baseline` (I-D)."""
    _check_kind(baseline, weight, ratio)
    models = [spec_random_mdp(S, A, H, seed) for seed in range(seeds)]
    stacked = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *models)
    if baseline == "mixed":
        return _mixed_params(stacked, weight)
    tables = [spec_deterministic_baseline(m, seed, *ratio) for seed, m in enumerate(models)]
    return _stacked_params(stacked, jnp.asarray(np.stack(tables)))
