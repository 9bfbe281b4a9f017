"""The machinery shared by the conservative agents (StepMix, EpsMix, Switch, offline variants).

Every episode ``k`` (Li et al., ICML 2023; spec ``specs/stepmix.md`` §2.2 and §3):

1. the optimistic UCBVI plan ``pi_bar_k`` on the counts so far, with the L1 bonus of scale ``c``
   (:func:`rlkit.tabular.optimistic_plan`, kind ``"l1"``);
2. a certified lower bound ``V^b_low`` of the baseline's value (the known ``V^b`` online; a
   data-driven bound offline, spec §4) and the threshold ``gamma`` (``(1 - alpha) V^b`` online);
3. a mixing coefficient ``rho_k`` whose certified value clears ``gamma``: the subclass's
   :meth:`ConservativeAgent.decide` (bisection on ``CERT`` for StepMix, a closed form for EpsMix,
   all-or-nothing for Switch);
4. the episode is played with the mixture; ``update`` adds its transitions and re-plans.

The decision for the next episode is made in ``update`` (and ``init`` for the first), stored in
the state, and reported by ``evaluate`` together with the exact expected value of the deployed
policy, so each iteration's metrics describe the episode played in it: ``value``, ``rho``,
``certificate`` (the certified lower bound on ``value``), ``threshold`` and ``violation``
(``value < threshold - 1e-9`` on exact float64 values, spec §8/§10b).

Where the baseline comes from: the hyper-parameters ``baseline`` / ``baseline_value`` when set
(one fixed instance), else the env's ``spec.known["baseline"]`` / ``["baseline_value"]`` (the
instance carries its baseline, see ``envs/conservative.py``; needed when every seed has its own
MDP). The initial distribution is ``spec.known["mu"]``, or a point mass on state 0 (the paper's
fixed ``s_1``, and the start state of every toolkit generator) when the env does not reveal it.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from agents.ucbvi import add_episode_batch
from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from rlkit.env import EnvSpec
from rlkit.tabular import (Counts, OptimisticPlan, cumulative, deterministic_policy,
                           optimistic_plan, policy_value, sample_cdf, zero_counts)
from rlkit.tabular.conservative import (check_policy_table, mixture_policy, policy_lower_value,
                                        union_bound_episodes, violations)


@struct.dataclass
class ConservativeState:
    counts: Counts
    rewards: jax.Array | None    # known reward table [H, S, A], or None (learned)
    mu: jax.Array                # [S] initial distribution
    baseline: jax.Array          # pi^b [H, S, A], float64
    baseline_cdf: jax.Array      # cumulative rows of pi^b (sampling)
    baseline_floor: jax.Array    # V^b (online) or the offline certified bound LB_0
    threshold: jax.Array         # gamma
    episodes: jax.Array          # episodes in the counts (offline data included)
    optimistic: jax.Array        # [H, S] actions of pi_bar for the next episode
    policy_cdf: jax.Array        # [H, S, A] cumulative rows of the deployed per-step policy
    rho: jax.Array               # mixing coefficient of the next episode
    certificate: jax.Array       # certified lower bound on the next episode's expected value


class Context(NamedTuple):
    """What a mixing rule sees in one episode."""

    plan: OptimisticPlan         # P_hat, bonus, optimistic actions
    optimistic: jax.Array        # pi_bar as a table [H, S, A]
    baseline: jax.Array          # pi^b [H, S, A]
    mu: jax.Array
    baseline_lower: jax.Array    # certified lower bound of V^b (V^b itself online)
    baseline_linear: jax.Array   # LCB_lin(pi^b)
    threshold: jax.Array         # gamma


@hparams
class ConservativeParams(HParams):
    """Hyper-parameters shared by the conservative agents.

    Attributes:
      alpha: conservative slack; the constraint is ``V^{pi_k} >= (1 - alpha) V^b``, in (0, 1].
      delta: confidence of the good event, in (0, 1).
      bonus_scale: the L1 bonus scale ``c``; ``c = 1`` is the valid bound (spec §2.2), ``c < 1``
        a practical shrinking without the guarantee.
      episodes_bound: ``K`` of the union bound in the bonus's log term: ``> 0`` gives the spec's
        ``L = 2 (S ln 2 + ln(S A H K / delta))``, valid for runs of at most ``K`` episodes; ``0``
        the toolkit's anytime term (``K = k (k + 1)`` after ``k`` episodes), valid for any length.
      baseline: optional policy table ``[H, S, A]`` (overrides the env's known baseline).
      baseline_value: ``V^b`` of ``baseline`` (required with it: the setting reveals ``V^b``).
    """

    alpha: float = 0.1
    delta: float = 0.05
    bonus_scale: float = 1.0
    episodes_bound: float = 0.0
    baseline: Any = None
    baseline_value: Any = None

    def validate(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ConfigError(f"alpha must be in (0, 1], got {self.alpha}")
        if not 0.0 < self.delta < 1.0:
            raise ConfigError(f"delta must be in (0, 1), got {self.delta}")
        if not self.bonus_scale >= 0.0:
            raise ConfigError(f"bonus_scale must be >= 0, got {self.bonus_scale}")
        check_episodes_bound(self.episodes_bound)
        if (self.baseline is None) != (self.baseline_value is None):
            raise ConfigError("baseline and baseline_value go together: set both (a fixed known "
                              "baseline and its value V^b) or neither (the env's baseline)")
        if self.baseline is not None:
            check_policy_table(self.baseline, name="baseline")
            value = np.asarray(self.baseline_value, np.float64)
            if value.shape != () or not np.isfinite(value) or value < 0:
                raise ConfigError(f"baseline_value must be a finite number >= 0 (V^b), got {self.baseline_value!r}")


def check_episodes_bound(value) -> None:
    """``episodes_bound`` is 0 (anytime) or a number of episodes ``K >= 2``."""
    if not (value == 0 or value >= 2):
        raise ConfigError(f"episodes_bound must be 0 (anytime log term) or the number of episodes "
                          f"K >= 2 of the union bound, got {value}")


class ConservativeAgent(Agent):
    """Base class; subclasses implement :meth:`decide` (see the module docstring)."""

    name = "conservative"

    # --- hooks ---------------------------------------------------------------------------------
    def decide(self, ctx: Context, hp: Any) -> tuple[jax.Array, jax.Array]:
        """``(rho, certificate)`` for the next episode."""
        raise NotImplementedError

    def resolve_baseline(self, spec: EnvSpec, hp: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
        """``(pi^b, V^b_floor, threshold)``: online, the known baseline, ``V^b`` and
        ``(1 - alpha) V^b``."""
        H, S, A = spec.sizes["H"], spec.sizes["S"], spec.sizes["A"]
        if hp.baseline is not None:
            policy, value = hp.baseline, hp.baseline_value
        elif "baseline" in spec.known and "baseline_value" in spec.known:
            policy, value = spec.known["baseline"], spec.known["baseline_value"]
        else:
            raise ConfigError(f"{type(self).__name__} needs a known baseline: set the "
                              f"hyper-parameters baseline and baseline_value, or use an env that "
                              f"reveals one (envs.conservative.ConservativeMDP)")
        policy = jnp.asarray(policy, jnp.float64)
        if policy.shape != (H, S, A):
            raise ConfigError(f"baseline has shape {list(policy.shape)} but the MDP has "
                              f"[H, S, A] = [{H}, {S}, {A}]")
        value = jnp.asarray(value, jnp.float64)
        return policy, value, (1.0 - hp.alpha) * value

    def initial_counts(self, spec: EnvSpec, hp: Any) -> tuple[Counts, jax.Array]:
        """Counts (and their number of episodes) before the first episode: none online."""
        return zero_counts(spec.sizes["H"], spec.sizes["S"], spec.sizes["A"]), jnp.float64(0)

    def baseline_lower(self, state: ConservativeState, baseline_linear: jax.Array) -> jax.Array:
        """Certified lower bound of the baseline's value this episode: ``V^b`` itself online."""
        return state.baseline_floor

    # --- the agent ----------------------------------------------------------------------------
    def plan(self, counts: Counts, rewards, episodes, hp) -> OptimisticPlan:
        """The UCBVI step with the L1 bonus (spec §2.2 steps 1-2)."""
        return optimistic_plan(counts, rewards, union_bound_episodes(episodes, hp.episodes_bound),
                               hp.delta, hp.bonus_scale, "l1")

    def prepare(self, state: ConservativeState, hp: Any) -> ConservativeState:
        """Plan, certify and choose ``rho`` for the next episode (module docstring, steps 1-3)."""
        plan = self.plan(state.counts, state.rewards, state.episodes, hp)
        A = state.baseline.shape[-1]
        optimistic = deterministic_policy(plan.actions, A)
        linear = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, state.baseline,
                                    state.mu, clip=False)
        ctx = Context(plan, optimistic, state.baseline, state.mu,
                      self.baseline_lower(state, linear), linear, state.threshold)
        rho, certificate = self.decide(ctx, hp)
        policy_cdf = cumulative(mixture_policy(optimistic, state.baseline, rho))
        return state.replace(optimistic=plan.actions, policy_cdf=policy_cdf, rho=rho,
                             certificate=certificate)

    def init(self, key, spec: EnvSpec, hp: Any) -> ConservativeState:
        H, S = spec.sizes["H"], spec.sizes["S"]
        baseline, floor, threshold = self.resolve_baseline(spec, hp)
        counts, episodes = self.initial_counts(spec, hp)
        mu = spec.known.get("mu")
        mu = jax.nn.one_hot(0, S, dtype=jnp.float64) if mu is None else jnp.asarray(mu, jnp.float64)
        state = ConservativeState(
            counts=counts, rewards=spec.known.get("r"), mu=mu, baseline=baseline,
            baseline_cdf=cumulative(baseline), baseline_floor=floor, threshold=threshold,
            episodes=episodes, optimistic=jnp.zeros((H, S), jnp.int32),
            policy_cdf=cumulative(baseline), rho=jnp.float64(0), certificate=floor)
        return self.prepare(state, hp)

    def act(self, key, state: ConservativeState, carry, obs, hp):
        """Per-step mixture: sample ``a ~ rho pi_bar_h(.|s) + (1 - rho) pi^b_h(.|s)``."""
        return sample_cdf(key, state.policy_cdf[obs[0], obs[1]]), carry, {}

    def update(self, key, state: ConservativeState, batch, hp):
        counts = add_episode_batch(state.counts, batch)
        state = state.replace(counts=counts, episodes=state.episodes + jnp.sum(batch.done))
        return self.prepare(state, hp), {}

    def deployed_value(self, state: ConservativeState, model) -> jax.Array:
        """Exact expected return of the policy played next (per-step mixture)."""
        optimistic = deterministic_policy(state.optimistic, model.A)
        return policy_value(model, mixture_policy(optimistic, state.baseline, state.rho))

    def evaluate(self, state: ConservativeState, hp: Any, model) -> dict:
        value = self.deployed_value(state, model)
        return {"value": value, "rho": state.rho, "certificate": state.certificate,
                "threshold": state.threshold,
                "violation": violations(value, state.threshold).astype(jnp.float64)}
