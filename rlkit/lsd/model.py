"""The last-switch-dependent (LSD) bandit model: state layout, transitions, input validation.

Spec: ``specs/lsd_bandits.md`` §1 (Foussoul et al., ICML 2023; Laforgue et al., AISTATS 2022).

- ``k`` arms, each with a signed state ``tau`` in ``{-m..-1} ∪ {+1..+m}`` (no state 0).
  **Negative** = the arm was played in each of the last ``|tau|`` rounds (satiation);
  **positive** = the arm has been idle for ``tau`` rounds since it was last switched out
  (deprivation). This is the sign convention of Laforgue et al.'s code (spec §1.2, [paper]);
  the papers' text is [unconfirmed], so this is the [design] choice.
- Playing arm ``j`` pays ``mu_j(tau_j)`` (the state *before* the transition), then
  ``tau_j <- max(tau_j - 1, -m)`` if ``tau_j < 0`` else ``-1``, and every other arm
  ``tau_i <- min(tau_i + 1, m)`` if ``tau_i > 0`` else ``+1`` (spec §1.2 transition rule).
- Array layout of ``mu[k, 2m]``: index ``tau + m`` for ``tau < 0`` and ``tau + m - 1`` for
  ``tau > 0`` (spec §7), so the ordered state line ``-m < ... < -1 < +1 < ... < +m`` is the
  column order and the strong monotonicity of (a) is "every row is non-decreasing".

Every function taking ``xp`` works with ``numpy`` (exact oracles, BFS) and ``jax.numpy`` (the
env and the agents) alike, so there is one implementation of the transition.
"""
from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from rlkit.config import ConfigError

MONOTONE_VARIANTS = ("strong", "weak")


# ---------------------------------------------------------------------------------------------
# Layout and transitions
# ---------------------------------------------------------------------------------------------
def state_index(tau: Any, m: int, xp: Any = jnp) -> Any:
    """Column of state ``tau`` in ``mu[:, 2m]``: ``tau + m`` if ``tau < 0`` else ``tau + m - 1``."""
    return xp.where(tau < 0, tau + m, tau + m - 1)


def index_state(index: Any, m: int, xp: Any = jnp) -> Any:
    """Inverse of :func:`state_index`: the signed state of column ``index``."""
    return xp.where(index < m, index - m, index - m + 1)


def transition(tau: Any, action: Any, m: int, xp: Any = jnp) -> Any:
    """Joint state after playing ``action`` (spec §1.2).

    ``tau`` is ``[..., k]`` and ``action`` broadcasts against ``tau[..., 0]``. The played arm goes
    one step deeper into satiation (``-1`` if it was idle), capped at ``-m``; every other arm one
    step further into rest (``+1`` if it was just switched out), capped at ``+m``.
    """
    k = tau.shape[-1]
    played = xp.arange(k) == xp.asarray(action)[..., None]
    played_next = xp.where(tau < 0, xp.maximum(tau - 1, -m), -1)
    idle_next = xp.where(tau > 0, xp.minimum(tau + 1, m), 1)
    return xp.where(played, played_next, idle_next).astype(tau.dtype)


def arm_means(mu: Any, tau: Any, xp: Any = jnp) -> Any:
    """``mu_i(tau_i)`` for every arm: ``[..., k]`` from ``mu[k, 2m]`` and ``tau[..., k]``."""
    m = mu.shape[1] // 2
    k = mu.shape[0]
    return mu[xp.arange(k), state_index(tau, m, xp)]


def expected_reward(mu: Any, tau: Any, action: Any, xp: Any = jnp) -> Any:
    """Mean payoff ``mu_a(tau_a)`` of playing ``action`` in one joint state ``tau[k]``."""
    m = mu.shape[1] // 2
    return mu[action, state_index(tau[action], m, xp)]


def rested_state(k: int, m: int) -> np.ndarray:
    """The default initial state: every arm fully rested at ``+m`` (spec §1.2, [design])."""
    return np.full((k,), m, np.int32)


def sequence_means(mu: np.ndarray, init_state: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """Per-round expected rewards of an open-loop action sequence (numpy, exact)."""
    mu = np.asarray(mu, np.float64)
    m = mu.shape[1] // 2
    tau = np.asarray(init_state, np.int64).copy()
    out = np.empty(len(actions), np.float64)
    for t, a in enumerate(np.asarray(actions)):
        out[t] = mu[a, state_index(tau[a], m, np)]
        tau = transition(tau, a, m, np)
    return out


# ---------------------------------------------------------------------------------------------
# The recharging / delay-dependent special case (spec §1.3)
# ---------------------------------------------------------------------------------------------
def recharging_mu(r: Any) -> np.ndarray:
    """LSD payoffs of a recharging bandit with recharging functions ``r[k, delta_max]``.

    ``r[i, d - 1]`` is arm ``i``'s mean at delay ``d`` (rounds since its last pull; ``d = 1`` if
    it was pulled in the previous round), constant beyond ``delta_max``. With
    ``m = delta_max - 1``: ``mu_i(-l) = r_i(1)`` for every ``l`` (a replay always has delay 1) and
    ``mu_i(+g) = r_i(min(g + 1, delta_max))`` (idle ``g`` rounds = delay ``g + 1``), spec §1.3.
    """
    r = np.asarray(r, np.float64)
    if r.ndim != 2 or r.shape[1] < 2:
        raise ConfigError(f"recharging functions r must have shape [k, delta_max] with "
                          f"delta_max >= 2 (so that m = delta_max - 1 >= 1); got shape {r.shape}")
    m = r.shape[1] - 1
    return np.concatenate([np.repeat(r[:, :1], m, axis=1), r[:, 1:]], axis=1)


def delay_state(delay: Any) -> np.ndarray:
    """The LSD state of an arm with the given delay: ``-1`` for delay 1, ``+(delay - 1)`` above.

    Laforgue et al.'s experiments start every arm at delay 1 (their "state 1"), which is LSD
    state ``-1`` for every arm (spec §1.3, §4)."""
    delay = np.asarray(delay, np.int64)
    if np.any(delay < 1):
        raise ConfigError(f"delays must be >= 1, got {delay.tolist()}")
    return np.where(delay == 1, -1, delay - 1).astype(np.int32)


# ---------------------------------------------------------------------------------------------
# Validation of instances (concrete values; raises ConfigError naming the problem)
# ---------------------------------------------------------------------------------------------
def check_m(m: Any) -> int:
    """The state cap ``m`` must be an integer >= 1."""
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or int(m) < 1:
        raise ConfigError(f"the state cap m must be an integer >= 1, got {m!r}")
    return int(m)


def check_mu(mu: Any, k: int | None = None, m: int | None = None) -> np.ndarray:
    """Validate a payoff table ``mu[k, 2m]`` with entries in ``[0, 1]``; return it as float64."""
    arr = np.asarray(mu, dtype=np.float64) if not isinstance(mu, np.ndarray) else mu.astype(np.float64)
    if arr.ndim != 2 or arr.shape[1] < 2 or arr.shape[1] % 2:
        raise ConfigError(f"mu must have shape [k, 2m] (one row per arm, 2m states -m..-1, +1..+m "
                          f"with m >= 1), got shape {arr.shape}")
    if arr.shape[0] < 1:
        raise ConfigError("mu must have at least one arm (k >= 1)")
    if k is not None and arr.shape[0] != k:
        raise ConfigError(f"mu must have k = {k} rows, got {arr.shape[0]}")
    if m is not None and arr.shape[1] != 2 * check_m(m):
        raise ConfigError(f"mu must have 2m = {2 * m} columns for m = {m}, got {arr.shape[1]}")
    if not np.all(np.isfinite(arr)):
        raise ConfigError("mu must be finite (found NaN or inf)")
    bad = np.argwhere((arr < 0.0) | (arr > 1.0))
    if bad.size:
        i, c = bad[0]
        tau = int(index_state(c, arr.shape[1] // 2, np))
        raise ConfigError(f"mu must lie in [0, 1] (mean payoffs of rewards in [0, 1]); "
                          f"mu[arm {i}, state {tau:+d}] = {arr[i, c]:.6g}")
    return arr


def check_init_state(init_state: Any, k: int, m: int) -> np.ndarray:
    """Validate an initial joint state: ``k`` integers in ``{-m..-1, +1..+m}`` (no 0)."""
    arr = np.asarray(init_state)
    if arr.shape != (k,):
        raise ConfigError(f"initial state must list one state per arm (shape [{k}]), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ConfigError(f"initial states must be integers, got {arr.tolist()}")
        arr = arr.astype(np.int64)
    if np.any(arr == 0):
        raise ConfigError(f"initial state 0 is not an LSD state (states are -m..-1 and +1..+{m}); "
                          f"got {arr.tolist()}")
    if np.any(np.abs(arr) > m):
        raise ConfigError(f"initial states must lie in -{m}..-1 or +1..+{m} (|tau| <= m = {m}); "
                          f"got {arr.tolist()}")
    return arr.astype(np.int32)


# ---------------------------------------------------------------------------------------------
# Monotonicity assumptions of Foussoul et al. (spec §1.4, test 11)
# ---------------------------------------------------------------------------------------------
def monotone_violation(mu: Any, variant: str = "strong", xp: Any = np) -> Any:
    """Largest decrease that breaks the ``variant`` monotonicity assumption (0 = it holds).

    - ``strong`` [unconfirmed]: ``mu_i`` non-decreasing along ``-m < ... < -1 < +1 < ... < +m``
      (each row of the layout non-decreasing).
    - ``weak`` [unconfirmed]: non-increasing in consecutive plays (the negative half of the row
      non-decreasing in the layout) and non-decreasing in rest (the positive half), with no
      condition across the sign change.
    """
    if variant not in MONOTONE_VARIANTS:
        raise ConfigError(f"monotonicity variant must be one of {list(MONOTONE_VARIANTS)}, got {variant!r}")
    mu = xp.asarray(mu)
    m = mu.shape[-1] // 2
    drops = mu[..., :-1] - mu[..., 1:]           # > 0 where the row decreases
    if variant == "weak":
        drops = xp.concatenate([drops[..., : m - 1], drops[..., m:]], axis=-1)
    if drops.shape[-1] == 0:
        return xp.zeros(mu.shape[:-2], mu.dtype)
    return xp.maximum(xp.max(drops, axis=(-2, -1)), 0.0)


def is_monotone(mu: Any, variant: str = "strong", atol: float = 1e-12) -> bool:
    """Whether ``mu`` satisfies the ``variant`` monotonicity assumption (spec §1.4)."""
    return bool(monotone_violation(np.asarray(mu, np.float64), variant, np) <= atol)
