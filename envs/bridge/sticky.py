"""The sticky-action transformation (Laidlaw et al., ICLR 2024; sqirl spec §3.5).

With probability ``p`` the environment executes the previous executed action instead of the
intended one, except on the first step. The exact model of this process is an MDP over augmented
states ``u * A + prev`` (``u`` the underlying state, ``prev`` the last executed action; the start
is ``(u = 0, prev = 0)``):

- step 0 (never sticky): intended ``a`` -> ``(T[u, a], a)`` with reward ``R[u, a]``;
- steps ``t >= 1``: with probability ``1 - p`` -> ``(T[u, a], a)``, reward ``R[u, a]``;
  with probability ``p`` -> ``(T[u, prev], prev)``, reward ``R[u, prev]``.

Rewards are those of the executed action, the Q-function is over intended actions.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from rlkit.config import ConfigError
from rlkit.sparse_mdp import SparseMDP


def sticky_mdp(base: SparseMDP, p, observe_prev_action: bool = True) -> SparseMDP:
    """The augmented sticky-action model of a deterministic stationary ``base`` model.

    ``p`` may be traced (vmap over stickiness). ``observe_prev_action``: observation index =
    augmented state (the tabular reference's state, spec §1.4); otherwise the underlying state
    only (as the upstream gym wrapper, whose observations omit the previous action).
    """
    if base.K != 1 or base.next_state.shape[0] != 1:
        raise ConfigError("sticky_mdp needs a deterministic stationary base model (K = 1, Ht = 1)")
    S, A = base.S, base.A
    # numpy when everything is concrete (no per-op compilation), jax.numpy when p is traced
    xp = np if isinstance(p, (int, float, np.floating)) and not isinstance(base.next_state, jax.core.Tracer) else jnp
    T = xp.asarray(base.next_state)[0, :, :, 0]       # [S, A]
    R = xp.asarray(base.reward)[0, :, :, 0]
    p = xp.asarray(p, xp.float64)
    u = xp.repeat(xp.arange(S), A)                    # augmented state -> underlying
    prev = xp.tile(xp.arange(A), S)                   # augmented state -> previous action
    a = xp.arange(A)[None, :]
    intended_next = T[u][:, :] * A + a                # [S*A, A]
    intended_reward = R[u]                            # [S*A, A]
    stuck_next = xp.broadcast_to((T[u, prev] * A + prev)[:, None], intended_next.shape)
    stuck_reward = xp.broadcast_to(R[u, prev][:, None], intended_reward.shape)
    later_next = xp.stack([intended_next, stuck_next], -1)
    later_prob = xp.stack([xp.full(intended_next.shape, 1.0 - p), xp.full(intended_next.shape, p)], -1)
    later_reward = xp.stack([intended_reward, stuck_reward], -1)
    first_next = xp.stack([intended_next, intended_next], -1)
    first_prob = xp.stack([xp.ones(intended_next.shape), xp.zeros(intended_next.shape)], -1)
    first_reward = xp.stack([intended_reward, intended_reward], -1)
    observed = xp.arange(S * A) if observe_prev_action else u
    return SparseMDP(
        next_state=jnp.asarray(xp.stack([first_next, later_next]).astype(xp.int32)),
        prob=jnp.asarray(xp.stack([first_prob, later_prob]).astype(xp.float64)),
        reward=jnp.asarray(xp.stack([first_reward, later_reward]).astype(xp.float64)),
        start=jnp.asarray(base.start * A, jnp.int32),
        terminal=jnp.asarray(xp.asarray(base.terminal)[u]),
        observed_as=jnp.asarray(observed.astype(xp.int32)),
        horizon=base.horizon,
        num_obs=S * A if observe_prev_action else base.num_obs,
    )


def augmented_index(u, prev, num_actions: int):
    """Index of the augmented sticky state ``(u, prev)``."""
    return u * num_actions + prev
