"""Confidence bonuses of CascadingVI and CascadingBPI (spec §3.2, §4, §7).

The paper's exact bonus shapes and constants are [unconfirmed]; two presets are built [design]:

- ``prototype`` (spec §7, used by the calibrated tests T8-T12), with scale ``c``:
  ``b_q = c (sqrt(2 q_hat (1 - q_hat) L / n) + 3 L / n)`` and
  ``b_pV = c (sqrt(2 Var_{p_hat}(V_up) L / n) + 3 span L / n)``;
- ``reconstructed`` (spec §3.2, EULER-style):
  ``b_q = min(2 sqrt(q_hat (1 - q_hat) L / n) + 5 L / n, 1)`` and
  ``b_pV = min(2 sqrt(Var L / n) + 2 sqrt(E_{p_hat}[(V_up - V_low)^2] L / n) + 5 H L / n, H)``
  (times ``c`` as well).

Both attraction bonuses are variance-aware (the empirical Bernoulli variance ``q_hat (1 - q_hat)``,
paper line 351 [unconfirmed]); ``hoeffding`` replaces it with ``c sqrt(L / (2 n))`` (the
CascadingVI-Bonus ablation, spec §3.4 [design]). ``span = H - h - 1`` at 0-based step ``h`` is
the range of ``V_{h+1}``.

Log terms: ``L = log(6 S N H K / delta)`` with ``K`` the number of episodes, or, when ``K = 0``
(anytime), ``K`` replaced by ``k (k + 1)`` after ``k`` episodes. CascadingBPI can use the
BPI-UCBVI thresholds (Menard et al. 2021) ``beta(n) = log(3 S N H / delta) + d log(8 e (n + 1))``
with ``d = S`` for transitions and ``d = 1`` for attractions (spec §4).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

PRESETS = ("prototype", "reconstructed")
ATTRACTION_BONUSES = ("bernstein", "hoeffding")
CONFIDENCE = ("regret", "bpi")


def regret_log_term(S: int, N: int, H: int, episodes, delta, K) -> jax.Array:
    """``L = log(6 S N H K / delta)``; ``K = 0`` means anytime (``K -> k (k + 1)``)."""
    k = jnp.maximum(episodes, 1.0)
    K_eff = jnp.where(K > 0, K, k * (k + 1.0))
    return jnp.log(6.0 * S * N * H * K_eff / delta)


def bpi_log_term(S: int, N: int, H: int, n: jax.Array, delta, dimension: int) -> jax.Array:
    """``beta(n, delta) = log(3 S N H / delta) + dimension log(8 e (n + 1))`` (BPI-UCBVI style)."""
    return jnp.log(3.0 * S * N * H / delta) + dimension * jnp.log(8.0 * jnp.e * (n + 1.0))


def attraction_bounds(examined: jax.Array, clicks: jax.Array, L: jax.Array, scale,
                      preset: str = "prototype", kind: str = "bernstein"
                      ) -> tuple[jax.Array, jax.Array, jax.Array]:
    """``(q_hat, q_low, q_up)`` per (state, item) (Algorithm 2, line 6 [paper: optimistic and
    pessimistic attraction estimates]). Never examined: ``q_low = 0``, ``q_up = 1``."""
    n = jnp.maximum(examined, 1.0)
    q_hat = clicks / n
    if kind == "hoeffding":
        b = scale * jnp.sqrt(L / (2.0 * n))
    elif preset == "prototype":
        b = scale * (jnp.sqrt(2.0 * q_hat * (1.0 - q_hat) * L / n) + 3.0 * L / n)
    else:
        b = jnp.minimum(scale * (2.0 * jnp.sqrt(q_hat * (1.0 - q_hat) * L / n) + 5.0 * L / n), 1.0)
    seen = examined > 0
    q_up = jnp.where(seen, jnp.minimum(q_hat + b, 1.0), 1.0)
    q_low = jnp.where(seen, jnp.maximum(q_hat - b, 0.0), 0.0)
    return q_hat, q_low, q_up


def transition_bonus(n: jax.Array, variance: jax.Array, gap_sq: jax.Array, span, H: int,
                     L: jax.Array, scale, preset: str = "prototype") -> jax.Array:
    """``b^{pV}(s, a)`` for the term ``p(.|s, a)^T V_{h+1}`` (spec §3.2 / §7), per (state, item)
    including ``a_bot``. ``variance = Var_{p_hat}(V_up_{h+1})``, ``gap_sq = E_{p_hat}[(V_up -
    V_low)^2]`` (used by ``reconstructed`` only)."""
    n = jnp.maximum(n, 1.0)
    if preset == "prototype":
        return scale * (jnp.sqrt(2.0 * variance * L / n) + 3.0 * span * L / n)
    b = 2.0 * jnp.sqrt(variance * L / n) + 2.0 * jnp.sqrt(gap_sq * L / n) + 5.0 * H * L / n
    return jnp.minimum(scale * b, float(H))


def reward_bonus(n: jax.Array, L: jax.Array, scale) -> jax.Array:
    """Hoeffding bonus ``c sqrt(L / (2 n))`` on an empirical click reward in [0, 1] (only when
    rewards are not known [design])."""
    return jnp.minimum(scale * jnp.sqrt(L / (2.0 * jnp.maximum(n, 1.0))), 1.0)
