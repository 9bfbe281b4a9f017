"""The offline-data variant (Li et al., ICML 2023: the baseline "is not given a priori but must be
learned from an offline dataset"; spec ``specs/stepmix.md`` §4). All of it is the spec's [design]:
the paper's dataset model, reference threshold and size condition are unconfirmed.

From ``N`` episodes of an unknown behaviour policy ``pi^beta``:

1. ``V^beta_up = mean return + H sqrt(ln(2/delta) / (2N))`` and the threshold
   ``gamma_up = (1 - alpha) V^beta_up``, which is ``>= (1 - alpha) V^{pi^beta}`` w.p. ``>= 1 - delta``;
2. the learned baseline ``pi_hat^b`` by behaviour cloning;
3. ``LB_0 = LCB_lin(pi_hat^b)`` from the offline counts alone. :func:`certify_offline` raises
   :class:`InsufficientData` when ``LB_0 < gamma_up`` (the implementable "dataset is sufficiently
   large" condition) before any training;
4. online, StepMix or EpsMix run with ``pi^b := pi_hat^b``, the offline counts as a warm start,
   ``V^b_low,k = max(LB_0, LCB_lin,k(pi_hat^b))`` in place of ``V^b`` and ``gamma := gamma_up``.

Both confidence events (the return bound and the L1 model bound, each at level ``delta``) hold
together with probability ``>= 1 - 2 delta``; on them ``V^{pi_k} >= gamma_up >= (1 - alpha) V^{pi^beta}``
in every episode. The model bound is the anytime one of :func:`rlkit.tabular.optimistic_plan`
(episodes counted from the ``N`` offline ones), so ``LB_0`` and the online bounds live on one event.
"""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from agents.conservative.common import ConservativeParams
from agents.conservative.epsmix import EpsMix
from agents.conservative.stepmix import StepMix, StepMixParams
from rlkit.agent import hparams
from rlkit.config import ConfigError
from rlkit.env import EnvSpec
from rlkit.tabular import Counts, optimistic_plan
from rlkit.tabular.conservative import policy_lower_value, union_bound_episodes
from rlkit.tabular.datasets import (EpisodeDataset, behaviour_cloning, check_dataset,
                                    dataset_counts, return_upper_bound)


class InsufficientData(ConfigError):
    """The offline dataset is too small to certify the learned baseline (spec §4 step 3)."""


@struct.dataclass
class OfflineCertificate:
    """What the offline data certify (spec §4 steps 1-3); all leaves, so it rides in hparams."""

    policy: jax.Array          # pi_hat^b [H, S, A] (behaviour cloning)
    counts: Counts             # offline counts, the online warm start
    episodes: jax.Array        # N
    lower_bound: jax.Array     # LB_0 = LCB_lin(pi_hat^b) from the offline counts
    value_upper: jax.Array     # V^beta_up
    threshold: jax.Array       # gamma_up = (1 - alpha) V^beta_up
    alpha: jax.Array
    delta: jax.Array
    bonus_scale: jax.Array
    episodes_bound: jax.Array


@jax.jit
def offline_bounds(counts: Counts, episodes, mean_return, rewards, mu, alpha, delta, bonus_scale,
                   episodes_bound) -> OfflineCertificate:
    """Steps 1-3 of the module docstring from the dataset's counts, size ``N`` and mean return
    (no shape depends on ``N``, so one compiled program serves every dataset size)."""
    H = rewards.shape[0]
    policy = behaviour_cloning(counts)
    plan = optimistic_plan(counts, rewards, union_bound_episodes(episodes, episodes_bound), delta,
                           bonus_scale, "l1")
    lower = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, policy, mu, clip=False)
    upper = return_upper_bound(mean_return, episodes, H, delta)
    return OfflineCertificate(policy, counts, episodes, lower, upper, (1.0 - alpha) * upper,
                              alpha, delta, bonus_scale, episodes_bound)


def certify_offline(data: EpisodeDataset, rewards, mu, alpha: float, delta: float,
                    bonus_scale: float, episodes_bound: float = 0.0) -> OfflineCertificate:
    """Steps 1-3 of the module docstring; raise :class:`InsufficientData` when
    ``LB_0 < gamma_up``. ``rewards`` ``[H, S, A]`` is the known reward table, ``mu`` the initial
    distribution; ``episodes_bound`` as in :class:`ConservativeParams` (it must cover the offline
    and the online episodes). Concrete: call it before training."""
    rewards = jnp.asarray(rewards, jnp.float64)
    H, S, A = rewards.shape
    check_dataset(data, H, S, A)
    ConservativeParams(alpha=alpha, delta=delta, bonus_scale=bonus_scale,
                       episodes_bound=episodes_bound).validate()
    N = data.num_episodes
    if N < 1:
        raise InsufficientData("the offline dataset is empty (N=0 episodes)")
    f = jnp.float64
    cert = offline_bounds(dataset_counts(data, H, S, A), f(N), jnp.mean(data.returns()), rewards,
                          jnp.asarray(mu, jnp.float64), f(alpha), f(delta), f(bonus_scale),
                          f(episodes_bound))
    lower, threshold = float(cert.lower_bound), float(cert.threshold)
    if not lower >= threshold:
        raise InsufficientData(
            f"offline dataset of N={N} episodes is too small to certify the cloned baseline: "
            f"LB_0 = LCB_lin(pi_hat) = {lower:.4f} < gamma_up = (1 - alpha) V^beta_up = "
            f"{threshold:.4f} (V^beta_up = {float(cert.value_upper):.4f}, alpha={alpha}, "
            f"delta={delta}, bonus_scale={bonus_scale}); collect more episodes")
    return cert


class OfflineMixin:
    """Overrides of :class:`ConservativeAgent` for a baseline certified from offline data."""

    def resolve_baseline(self, spec: EnvSpec, hp: Any):
        cert = hp.offline
        H, S, A = spec.sizes["H"], spec.sizes["S"], spec.sizes["A"]
        if cert.policy.shape != (H, S, A):
            raise ConfigError(f"offline certificate's baseline has shape {list(cert.policy.shape)}; "
                              f"the MDP has [H, S, A] = [{H}, {S}, {A}]")
        return cert.policy, cert.lower_bound, cert.threshold

    def initial_counts(self, spec: EnvSpec, hp: Any):
        return hp.offline.counts, hp.offline.episodes

    def baseline_lower(self, state, baseline_linear):
        """``V^b_low,k = max(LB_0, LCB_lin,k(pi_hat^b))`` (spec §4 step 3)."""
        return jnp.maximum(state.baseline_floor, baseline_linear)


class OfflineStepMix(OfflineMixin, StepMix):
    name = "offline_stepmix"


class OfflineEpsMix(OfflineMixin, EpsMix):
    name = "offline_epsmix"


def _validate_offline(hp) -> None:
    if hp.offline is None:
        raise ConfigError("offline must be an OfflineCertificate from certify_offline(dataset, ...)")
    if hp.baseline is not None:
        raise ConfigError("an offline agent learns its baseline from data: leave baseline unset")
    for name in ("alpha", "delta", "bonus_scale", "episodes_bound"):
        mine, theirs = float(getattr(hp, name)), float(np.asarray(getattr(hp.offline, name)))
        if mine != theirs:
            raise ConfigError(f"{name}={mine} differs from the {name}={theirs} the offline "
                              f"certificate was computed with")


@hparams
class OfflineStepMixParams(StepMixParams):
    """StepMix against an offline-certified baseline; ``offline`` from :func:`certify_offline`."""

    offline: Any = None

    def make_agent(self):
        return OfflineStepMix()

    def validate(self):
        super().validate()
        _validate_offline(self)


@hparams
class OfflineEpsMixParams(ConservativeParams):
    """EpsMix against an offline-certified baseline; ``offline`` from :func:`certify_offline`."""

    offline: Any = None

    def make_agent(self):
        return OfflineEpsMix()

    def validate(self):
        super().validate()
        _validate_offline(self)


def offline_params(cert: OfflineCertificate, algorithm: str = "stepmix", **kwargs):
    """Hyper-parameters of the offline ``stepmix`` or ``epsmix`` agent consistent with ``cert``."""
    common = dict(alpha=float(cert.alpha), delta=float(cert.delta),
                  bonus_scale=float(cert.bonus_scale), episodes_bound=float(cert.episodes_bound),
                  offline=cert, **kwargs)
    if algorithm == "stepmix":
        return OfflineStepMixParams(**common)
    if algorithm == "epsmix":
        return OfflineEpsMixParams(**common)
    raise ConfigError(f"algorithm must be 'stepmix' or 'epsmix', got {algorithm!r}")
