"""The exact model of a cascading MDP (Du, Srikant & Chen, ICLR 2024; spec §1).

``CascadingModel(q, r, P, mu, H, m)``:

- ``q[S, N]``: attraction probability of item ``a`` in state ``s``;
- ``r[S, N]``: reward in [0, 1] when ``a`` is clicked in ``s`` (the no-click item pays 0);
- ``P[S, N + 1, S]``: next-state distribution after clicking ``a`` (``P[:, N]`` is the no-click
  item ``a_bot``);
- ``mu[S]``: initial distribution (a point mass on ``s1`` [design: fixed ``s1``]);
- ``H`` steps per episode and lists of 1..``m`` items (static).

The model is stationary (``q, r, p`` do not depend on the step, as in the paper). Values are
float64. ``optimal_value()`` is the trainer's reference for pseudo-regret.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from rlkit.config import ConfigError


@struct.dataclass
class CascadingModel:
    q: jax.Array   # [S, N]
    r: jax.Array   # [S, N]
    P: jax.Array   # [S, N + 1, S]; index N is the no-click item a_bot
    mu: jax.Array  # [S]
    H: int = struct.field(pytree_node=False, default=1)
    m: int = struct.field(pytree_node=False, default=1)

    @property
    def S(self) -> int:
        return self.q.shape[-2]

    @property
    def N(self) -> int:
        return self.q.shape[-1]

    def optimal_value(self) -> jax.Array:
        """``V* = mu . V*_1`` by cascading value iteration with BestPerm (spec §1.3)."""
        from rlkit.cascading.planning import cascading_value_iteration
        return self.mu @ cascading_value_iteration(self).V[0]


def check_cascading_model(q, r, P, mu=None, H: int = 1, m: int = 1, atol: float = 1e-6) -> None:
    """Validate a concrete cascading model; raise :class:`ConfigError` naming what is wrong."""
    if not isinstance(H, (int, np.integer)) or H < 1:
        raise ConfigError(f"horizon H must be an integer >= 1, got {H!r}")
    q, r, P = (np.asarray(x, np.float64) for x in (q, r, P))
    if q.ndim != 2:
        raise ConfigError(f"attraction probabilities q must have shape [S, N], got shape {q.shape}")
    S, N = q.shape
    if S < 1 or N < 1:
        raise ConfigError(f"need at least one state and one item, got S={S}, N={N}")
    if not isinstance(m, (int, np.integer)) or not 1 <= m <= N:
        raise ConfigError(f"list length m must be an integer with 1 <= m <= N = {N} items, got m={m!r}")
    if r.shape != (S, N):
        raise ConfigError(f"rewards r must have shape [S, N] = [{S}, {N}] like q, got {r.shape}")
    if P.shape != (S, N + 1, S):
        raise ConfigError(f"transitions P must have shape [S, N + 1, S] = [{S}, {N + 1}, {S}] "
                          f"(index N is the no-click item), got {P.shape}")
    for name, x in (("q", q), ("r", r), ("P", P)):
        if not np.all(np.isfinite(x)):
            raise ConfigError(f"{name} must be finite (found NaN or inf)")
    for name, x in (("attraction probability q", q), ("reward r", r), ("transition probability P", P)):
        bad = np.argwhere((x < -atol) | (x > 1 + atol))
        if bad.size:
            idx = tuple(int(i) for i in bad[0])
            raise ConfigError(f"{name} must lie in [0, 1]; {name.split()[-1]}{list(idx)} = {x[idx]:.6g}")
    sums = P.sum(-1)
    bad = np.argwhere(np.abs(sums - 1.0) > atol)
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        raise ConfigError(f"P[s, a, :] must sum to 1; P{list(idx)} sums to {sums[idx]:.6g}")
    if mu is not None:
        mu = np.asarray(mu, np.float64)
        if mu.shape != (S,) or np.any(mu < -atol) or abs(mu.sum() - 1) > atol:
            raise ConfigError(f"initial distribution mu must be a distribution over {S} states")


def make_cascading_model(q, r, P, H: int, m: int, mu=None, s1: int = 0,
                         validate: bool = True) -> CascadingModel:
    """Build a float64 :class:`CascadingModel` (validated unless ``validate=False``, e.g. under jit);
    ``mu`` defaults to a point mass on ``s1``."""
    if validate:
        check_cascading_model(q, r, P, mu, H, m)
        S = np.shape(q)[0]
        if mu is None and not 0 <= s1 < S:
            raise ConfigError(f"initial state s1 must be in 0..{S - 1}, got {s1}")
    q = jnp.asarray(q, jnp.float64)
    S = q.shape[0]
    mu = jax.nn.one_hot(s1, S, dtype=jnp.float64) if mu is None else jnp.asarray(mu, jnp.float64)
    return CascadingModel(q, jnp.asarray(r, jnp.float64), jnp.asarray(P, jnp.float64), mu, H=int(H), m=int(m))
