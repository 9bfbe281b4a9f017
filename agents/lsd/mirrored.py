"""The constant-factor planner: relaxation + randomised rounding that mirrors virtual states.

Foussoul et al. (ICML 2023) plan LSD bandits with "a novel higher-dimensional relaxation" and a
rounding based on "mirroring the evolution of virtual states"; the details are [unconfirmed], so
this is the spec's [design] reconstruction (§3.3):

1. Solve the relaxation (:mod:`agents.lsd.relaxation`): each arm gets rates ``x_{i,o}`` of
   episodes ``o = (g, l)`` (``g`` idle rounds, then ``l`` plays) and of extra saturated plays
   ``y``; the unused part of the arm's timeline is idle slack (one-round idle episodes).
2. Virtual states: every arm runs an independent renewal process over its episodes, choosing each
   next episode with probability proportional to its rate, started in its stationary regime
   (random episode and offset). The arm *requests* a play in every round of a virtual run.
3. Contention: each round plays one requesting arm (``contention``: the one paying most now,
   ``greedy``, or a uniformly random one, ``random``); when nobody requests, a ``filler`` arm
   (``net``: the arm paying most now net of what the extra play costs its next virtual request,
   see :func:`filler_loss`; ``greedy``: the arm paying most now; ``furthest``: the arm whose
   next request is furthest away, ties by current payoff).

The virtual processes never wait for the real plays (mirroring). Under the strong monotonicity
assumption an arm whose request is denied only rests longer or breaks its run, which cannot lower
its later payoffs; that is where the guarantee needs monotonicity, and why the planner reports
``monotone_violation`` and :func:`check_instance` refuses or warns on non-monotone instances.
The ratio to ``OPT`` is measured by the theory check ``lsd.planner_ratio`` (spec test 7).
"""
from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit.agent import Agent, HParams, hparams, static
from rlkit.config import ConfigError
from rlkit.lsd import MONOTONE_VARIANTS, arm_means, is_monotone, monotone_violation
from rlkit.tabular import cumulative, sample_cdf
from agents.lsd.common import known_mu, lsd_sizes, tie_break_argmax
from agents.lsd.relaxation import options, solve_relaxation

CONTENTION = ("greedy", "random")
FILLERS = ("net", "greedy", "furthest")
ON_VIOLATION = ("raise", "warn", "ignore")


class MonotonicityError(ConfigError):
    """The instance breaks the monotonicity the planner's guarantee relies on."""


def check_instance(mu, assumption: str = "strong", on_violation: str = "warn") -> bool:
    """Check concrete payoffs against the planner's assumption (spec §1.4, test 11).

    Returns whether the assumption holds; on a violation raises :class:`MonotonicityError`
    (``raise``), emits a ``UserWarning`` (``warn``) or stays silent (``ignore``).
    """
    if assumption == "none":
        return True
    if on_violation not in ON_VIOLATION:
        raise ConfigError(f"on_violation must be one of {list(ON_VIOLATION)}, got {on_violation!r}")
    mu = np.asarray(mu, np.float64)
    if is_monotone(mu, assumption):
        return True
    message = (f"the mirrored-rounding planner's guarantee assumes {assumption} monotone payoffs; "
               f"this instance breaks it by {float(monotone_violation(mu, assumption)):.3g} "
               f"(its approximation ratio is then not guaranteed)")
    if on_violation == "raise":
        raise MonotonicityError(message)
    if on_violation == "warn":
        warnings.warn(message, UserWarning, stacklevel=2)
    return False


class VirtualPlan(struct.PyTreeNode):
    """Per-arm renewal distributions over extended options (``O`` episode types, then idle)."""

    renewal_cdf: jax.Array     # [k, O + 1] next-episode distribution (cumulative)
    stationary_cdf: jax.Array  # [k, O + 1] time-share distribution (cumulative), for the start
    lp_value: jax.Array
    violation: jax.Array


def extended_options(m: int):
    """``(gap, plays, length)`` of the ``m^2`` episodes, ``y`` and the one-round idle episode."""
    opts = options(m)
    gap = np.concatenate([opts.gap, [1]]).astype(np.int32)
    plays = np.concatenate([opts.plays, [0]]).astype(np.int32)
    length = np.concatenate([opts.length, [1]]).astype(np.int32)
    return gap, plays, length


def virtual_plan(mu: jax.Array, assumption: str = "strong") -> VirtualPlan:
    """Relaxation -> renewal distributions of the virtual processes (steps 1-2 of the module)."""
    m = mu.shape[1] // 2
    relax = solve_relaxation(mu)
    _, _, length = extended_options(m)
    length = jnp.asarray(length, mu.dtype)
    occupancy = jnp.sum(relax.rates * length[:-1], axis=1)
    rates = jnp.concatenate([relax.rates, jnp.maximum(1.0 - occupancy, 0.0)[:, None]], axis=1)
    violation = (monotone_violation(mu, assumption, jnp) if assumption in MONOTONE_VARIANTS
                 else jnp.float64(0.0))
    return VirtualPlan(cumulative(rates), cumulative(rates * length), relax.value, violation)


@struct.dataclass
class PlannerState:
    mu: jax.Array
    plan: VirtualPlan


@struct.dataclass
class VirtualCarry:
    option: jax.Array    # [k] current virtual episode of each arm
    position: jax.Array  # [k] rounds elapsed in it


def _sample(keys: jax.Array, cdf: jax.Array) -> jax.Array:
    """One inverse-CDF draw per row of ``cdf`` (``keys`` one per row)."""
    return jax.vmap(sample_cdf)(keys, cdf)


def start_virtual(key: jax.Array, plan: VirtualPlan, m: int) -> VirtualCarry:
    """Stationary start: an episode drawn by time share, a uniform offset inside it."""
    k = plan.renewal_cdf.shape[0]
    k_opt, k_pos = jax.random.split(key)
    option = _sample(jax.random.split(k_opt, k), plan.stationary_cdf)
    length = jnp.asarray(extended_options(m)[2])[option]
    position = jnp.floor(jax.random.uniform(k_pos, (k,)) * length).astype(jnp.int32)
    return VirtualCarry(option, jnp.minimum(position, length - 1))


def requests(carry: VirtualCarry, m: int) -> tuple[jax.Array, jax.Array]:
    """``(requesting [k], rounds until the next request [k])`` of the virtual processes."""
    gap, plays, _ = (jnp.asarray(a) for a in extended_options(m))
    g, p = gap[carry.option], plays[carry.option]
    in_run = (carry.position >= g) & (carry.position < g + p)
    wait = jnp.where(p > 0, jnp.maximum(g - carry.position, 0), m + 1)
    return in_run, wait


def advance(key: jax.Array, carry: VirtualCarry, plan: VirtualPlan, m: int) -> VirtualCarry:
    """Every virtual process moves one round on; finished episodes renew (independently of the
    real plays: the virtual states are mirrored, never delayed)."""
    length = jnp.asarray(extended_options(m)[2])
    position = carry.position + 1
    done = position >= length[carry.option]
    fresh = _sample(jax.random.split(key, done.shape[0]), plan.renewal_cdf)
    return VirtualCarry(jnp.where(done, fresh, carry.option), jnp.where(done, 0, position))


def filler_loss(mu: jax.Array, tau: jax.Array, wait: jax.Array, m: int) -> jax.Array:
    """What an extra (filler) play now costs each arm at its next virtual request, ``wait``
    rounds ahead: its payoff there if left idle minus its payoff there if played now [design].

    Left idle, arm ``i`` reaches ``min(tau_i + wait, m)`` (or ``min(wait, m)`` if it is satiated
    now); played now, it is at ``-1`` (one round later, deeper if already satiated) or at
    ``+(wait - 1)``. Arms without a pending request in their current episode lose nothing.
    """
    idle = jnp.where(tau > 0, jnp.minimum(tau + wait, m), jnp.minimum(wait, m))
    satiated = jnp.where(tau < 0, jnp.maximum(tau - 1, -m), -1)
    played = jnp.where(wait <= 1, satiated, jnp.minimum(wait - 1, m))
    pending = wait <= m
    return jnp.where(pending, arm_means(mu, idle) - arm_means(mu, played), 0.0)


def choose(key: jax.Array, mu: jax.Array, tau: jax.Array, carry: VirtualCarry, m: int,
           contention: str, filler: str) -> jax.Array:
    """The real play of one round (step 3 of the module docstring)."""
    k_req, k_fill = jax.random.split(key)
    now = arm_means(mu, tau)
    want, wait = requests(carry, m)
    if contention == "greedy":
        served = tie_break_argmax(k_req, now, want)
    else:
        served = tie_break_argmax(k_req, jnp.zeros_like(now), want)
    if filler == "net":
        fill = tie_break_argmax(k_fill, now - filler_loss(mu, tau, wait, m))
    elif filler == "greedy":
        fill = tie_break_argmax(k_fill, now)
    else:
        fill = tie_break_argmax(k_fill, wait + now / 2.0)   # furthest request first, then payoff
    return jnp.where(jnp.any(want), served, fill)


class MirroredPlanner(Agent):
    """Full-information planner (see the module docstring); its carry holds the virtual states."""

    name = "mirrored_lp"

    def init(self, key, spec, hp):
        lsd_sizes(spec)
        mu = known_mu(spec, "the mirrored-rounding planner")
        if not isinstance(mu, jax.core.Tracer):
            check_instance(np.asarray(mu), hp.assumption, hp.on_violation)
        return PlannerState(mu, virtual_plan(mu, hp.assumption))

    def start_episode(self, key, state, hp):
        return start_virtual(key, state.plan, state.mu.shape[1] // 2)

    def act(self, key, state, carry, obs, hp):
        m = state.mu.shape[1] // 2
        k_choose, k_advance = jax.random.split(key)
        action = choose(k_choose, state.mu, obs["state"], carry, m, hp.contention, hp.filler)
        return action, advance(k_advance, carry, state.plan, m), {}

    def update(self, key, state, batch, hp):
        return state, {"lp_value": state.plan.lp_value, "monotone_violation": state.plan.violation}


@hparams
class MirroredPlannerParams(HParams):
    """``contention`` and ``filler`` rules (static, module docstring); ``assumption`` the
    monotonicity the guarantee needs (``strong``, ``weak`` or ``none``) and ``on_violation``
    what :func:`check_instance` does when it fails (``raise``, ``warn``, ``ignore``)."""

    contention: str = static("greedy")
    filler: str = static("net")
    assumption: str = static("strong")
    on_violation: str = static("warn")
    label = "LP + mirrored rounding"

    def make_agent(self):
        return MirroredPlanner()

    def validate(self):
        if self.contention not in CONTENTION:
            raise ConfigError(f"contention must be one of {list(CONTENTION)}, got {self.contention!r}")
        if self.filler not in FILLERS:
            raise ConfigError(f"filler must be one of {list(FILLERS)}, got {self.filler!r}")
        if self.assumption not in MONOTONE_VARIANTS + ("none",):
            raise ConfigError(f"assumption must be one of {list(MONOTONE_VARIANTS) + ['none']}, "
                              f"got {self.assumption!r}")
        if self.on_violation not in ON_VIOLATION:
            raise ConfigError(f"on_violation must be one of {list(ON_VIOLATION)}, got {self.on_violation!r}")
