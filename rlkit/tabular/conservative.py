"""Certified lower bounds and mixing rules for conservative exploration (StepMix, EpsMix, Switch).

The pieces shared by the conservative agents of Li, Huang, Shen & Yang, "Near-optimal Conservative
Exploration in Reinforcement Learning under Episode-wise Constraints", ICML 2023 (PMLR key
``li23k``), as specified in ``specs/stepmix.md``. The paper's own formulas could not be checked;
everything here is the spec's [design], chosen to keep the episode-wise constraint

    V^{pi_k}_1(s_1) >= (1 - alpha) V^b   for every episode k, with probability >= 1 - delta

on the good event of the L1 bonus (spec §2.2, step 1).

- :func:`policy_lower_value` is the Policy-Eva subroutine (spec §2.2 step 3, "Algorithm 3:
  Policy-Eva"): ``LCB_clip`` or ``LCB_lin`` of a Markov policy at the initial distribution.
- :func:`mixture_certificate` is ``CERT(rho)`` with the ``(1 - rho)^H`` baseline correction
  (spec §2.2 step 4), :func:`bisect_largest_feasible` the bisection of step 5.
- :func:`epsmix_rho` is EpsMix's closed form (spec §3).
- :func:`count_violations` counts constraint violations on exact values with the spec's 1e-9
  tolerance (spec §8, §10b).

All functions are pure and jittable; values are float64.
"""
from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.tabular.planning import pessimistic_policy_value

#: Tolerance of the violation metric: ``V^{pi_k} < threshold - VIOLATION_TOL`` (spec §8).
VIOLATION_TOL = 1e-9


def union_bound_episodes(episodes, episodes_bound) -> jax.Array:
    """The ``episodes`` argument of :func:`rlkit.tabular.optimistic_plan` for a given union bound.

    ``optimistic_plan`` puts ``K = e (e + 1)`` into the log term ``L`` after ``e`` episodes
    (anytime). With ``episodes_bound = K > 0`` this returns the constant ``e`` with
    ``e (e + 1) = K``, which gives the spec's fixed-``K`` term
    ``L = 2 (S ln 2 + ln(S A H K / delta))`` (spec §2.2 step 1), valid for runs of at most ``K``
    episodes; ``episodes_bound = 0`` keeps the anytime term.
    """
    episodes_bound = jnp.asarray(episodes_bound, jnp.float64)
    fixed = 0.5 * (jnp.sqrt(1.0 + 4.0 * episodes_bound) - 1.0)
    return jnp.where(episodes_bound > 0, fixed, episodes)


def mixture_policy(optimistic: jax.Array, baseline: jax.Array, rho) -> jax.Array:
    """Per-step mixture ``pi(rho)_h(.|s) = rho pi_bar_h(.|s) + (1 - rho) pi^b_h(.|s)`` (spec §2.1).

    ``optimistic`` and ``baseline`` are policy tables ``[H, S, A]``.
    """
    return rho * optimistic + (1.0 - rho) * baseline


def policy_lower_value(P_hat: jax.Array, rewards: jax.Array, bonus: jax.Array, pi: jax.Array,
                       mu: jax.Array, clip: bool) -> jax.Array:
    """Policy-Eva (spec §2.2 step 3): a certified lower bound on ``V^pi_1`` at the initial
    distribution ``mu``.

    ``clip=True`` gives ``LCB_clip`` (values clipped at 0 at every backup), ``clip=False`` gives
    ``LCB_lin``, the exact value of ``pi`` in the signed model ``(P_hat, r - b)``. Both are lower
    bounds of the true value on the good event ``|(P_hat - P) V| <= b`` (simulation lemma).
    """
    return mu @ pessimistic_policy_value(P_hat, rewards, bonus, pi, clip=clip).V[0]


def mixture_certificate(P_hat: jax.Array, rewards: jax.Array, bonus: jax.Array,
                        optimistic: jax.Array, baseline: jax.Array, rho, mu: jax.Array,
                        baseline_lower: jax.Array, baseline_linear: jax.Array) -> jax.Array:
    """``CERT(rho)`` of the per-step mixture (spec §2.2 step 4):

        CERT(rho) = max{ LCB_lin(pi(rho)) + (1 - rho)^H (V^b_low - LCB_lin(pi^b)),  LCB_clip(pi(rho)) }

    where ``V^b_low`` (``baseline_lower``) is the known ``V^b`` (online) or a certified lower
    bound of the baseline's value (offline variant, spec §4), and ``baseline_linear`` is
    ``LCB_lin(pi^b)`` under the same ``(P_hat, bonus)``.

    Proof that ``CERT(rho) <= V^{pi(rho)}`` on the good event: a per-step mixture has the law of
    ``H`` i.i.d. Bernoulli(rho) coins ``z`` drawn up front and the non-stationary policy ``pi^z``
    (``pi_bar`` at steps with ``z_h = 1``, ``pi^b`` elsewhere), so in any MDP
    ``V^{pi(rho)} = sum_z rho^|z| (1 - rho)^(H - |z|) V^{pi^z}``, the signed model included. The
    all-zero pattern has weight ``(1 - rho)^H`` and true value ``V^b >= V^b_low``; every other
    pattern has ``V^{pi^z} >= V^{pi^z}`` of the signed model. Swapping the all-zero term of the
    signed-model decomposition for ``V^b_low`` gives the first branch; the second is the plain
    pessimistic value. ``CERT(0) = V^b_low``.
    """
    H = rewards.shape[0]
    pi = mixture_policy(optimistic, baseline, rho)
    linear = policy_lower_value(P_hat, rewards, bonus, pi, mu, clip=False)
    clipped = policy_lower_value(P_hat, rewards, bonus, pi, mu, clip=True)
    corrected = linear + (1.0 - rho) ** H * (baseline_lower - baseline_linear)
    return jnp.maximum(corrected, clipped)


def bisect_largest_feasible(certificate: Callable[[jax.Array], jax.Array], threshold,
                            steps, at_zero=None) -> tuple[jax.Array, jax.Array]:
    """Choose ``rho`` (spec §2.2 step 5): ``1`` if ``CERT(1) >= threshold``, else ``steps``
    bisection steps on ``[0, 1]`` keeping ``lo`` feasible; returns ``(rho, CERT(rho))``.

    ``rho`` is ``0`` (the baseline, safe by assumption) or a value whose certificate clears the
    threshold, so the choice is safe even when ``CERT`` is not monotone; when ``rho < 1`` the
    point ``rho + 2^-steps`` was tested infeasible. One ``while_loop`` over the candidates (the
    first is ``rho = 1``; it stops there when that is feasible, so a vmapped batch stops as soon
    as every row is done), so ``certificate`` is traced once. ``steps`` may be traced.
    ``at_zero`` is the certificate reported for ``rho = 0`` (``CERT(0)``, computed when not given).
    """
    one = jnp.ones((), jnp.float64)
    zero = jnp.zeros((), jnp.float64)
    last = jnp.asarray(steps)

    def cond(carry):
        i, lo, _, _ = carry
        return (i <= last) & ~((i > 0) & (lo == 1.0))

    def body(carry):
        i, lo, hi, cert_lo = carry
        mid = jnp.where(i == 0, one, 0.5 * (lo + hi))
        cert_mid = certificate(mid)
        ok = cert_mid >= threshold
        return (i + 1, jnp.where(ok, mid, lo), jnp.where(ok, hi, mid), jnp.where(ok, cert_mid, cert_lo))

    at_zero = certificate(zero) if at_zero is None else jnp.asarray(at_zero, jnp.float64)
    _, lo, _, cert_lo = jax.lax.while_loop(cond, body, (jnp.zeros((), last.dtype), zero, one, at_zero))
    return lo, cert_lo


def epsmix_rho(optimistic_lower, baseline_lower, threshold) -> jax.Array:
    """EpsMix's closed form (spec §3; offline form §4 step 4):

        rho = 1                                    if  v_low >= threshold
        rho = (V^b_low - threshold) / (V^b_low - v_low)   otherwise

    with ``v_low = LCB_clip(pi_bar)``. The certified value of the episode-level mixture,
    ``rho v_low + (1 - rho) V^b_low``, then equals the threshold exactly. Online,
    ``V^b_low - threshold = alpha V^b``.
    """
    slack = baseline_lower - threshold
    gap = jnp.maximum(baseline_lower - optimistic_lower, 1e-300)
    mixed = jnp.clip(slack / gap, 0.0, 1.0)
    return jnp.where(optimistic_lower >= threshold, 1.0, mixed)


def episode_mixture_value(rho, optimistic_value, baseline_value) -> jax.Array:
    """Expected return of EpsMix's episode-level coin: ``rho V(pi_bar) + (1 - rho) V^b`` (spec §3)."""
    return rho * optimistic_value + (1.0 - rho) * baseline_value


def violations(values, threshold, tol: float = VIOLATION_TOL):
    """``values < threshold - tol`` elementwise (on exact float64 expected values, spec §8)."""
    return jnp.asarray(values) < jnp.asarray(threshold) - tol


def count_violations(values: np.ndarray, threshold, tol: float = VIOLATION_TOL) -> np.ndarray:
    """Number of violating episodes per row of ``values[..., K]`` (numpy; ``threshold``
    broadcasts against ``values[..., :1]``)."""
    values = np.asarray(values, np.float64)
    threshold = np.asarray(threshold, np.float64)
    if threshold.ndim and threshold.ndim == values.ndim - 1:
        threshold = threshold[..., None]
    return np.sum(values < threshold - tol, axis=-1)


def check_policy_table(pi, H: int | None = None, S: int | None = None, A: int | None = None,
                       name: str = "baseline", atol: float = 1e-6) -> None:
    """Raise :class:`rlkit.ConfigError` unless ``pi`` (concrete) is a policy table ``[H, S, A]``
    of action distributions: nonnegative, finite, rows summing to 1; sizes that are given must
    match."""
    from rlkit.config import ConfigError

    table = np.asarray(pi, np.float64)
    if table.ndim != 3:
        raise ConfigError(f"{name} must be a policy table of shape [H, S, A], got shape {table.shape}")
    want = tuple(x if x is not None else table.shape[i] for i, x in enumerate((H, S, A)))
    if table.shape != want:
        raise ConfigError(f"{name} must have shape [H, S, A] = {list(want)} to match the MDP; "
                          f"got {list(table.shape)}")
    bad = ~np.isfinite(table) | (table < -atol)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ConfigError(f"{name} must be a distribution over actions: entry [h, s, a] = "
                          f"{list(idx)} is {table[idx]}")
    sums = table.sum(-1)
    off = np.abs(sums - 1.0) > atol
    if np.any(off):
        idx = tuple(int(i) for i in np.argwhere(off)[0])
        raise ConfigError(f"{name} must be a distribution over actions: row [h, s] = {list(idx)} "
                          f"sums to {sums[idx]:.6g}, not 1")
