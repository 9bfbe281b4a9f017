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

import jax.numpy as jnp

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
    T = base.next_state[0, :, :, 0]                   # [S, A]
    R = base.reward[0, :, :, 0]
    p = jnp.asarray(p, jnp.float64)
    u = jnp.repeat(jnp.arange(S), A)                  # augmented state -> underlying
    prev = jnp.tile(jnp.arange(A), S)                 # augmented state -> previous action
    a = jnp.arange(A)[None, :]
    intended_next = T[u][:, :] * A + a                # [S*A, A]
    intended_reward = R[u]                            # [S*A, A]
    stuck_next = jnp.broadcast_to((T[u, prev] * A + prev)[:, None], intended_next.shape)
    stuck_reward = jnp.broadcast_to(R[u, prev][:, None], intended_reward.shape)
    later_next = jnp.stack([intended_next, stuck_next], -1)
    later_prob = jnp.stack([jnp.full(intended_next.shape, 1.0 - p), jnp.full(intended_next.shape, p)], -1)
    later_reward = jnp.stack([intended_reward, stuck_reward], -1)
    first_next = jnp.stack([intended_next, intended_next], -1)
    first_prob = jnp.stack([jnp.ones(intended_next.shape), jnp.zeros(intended_next.shape)], -1)
    first_reward = jnp.stack([intended_reward, intended_reward], -1)
    observed = jnp.arange(S * A) if observe_prev_action else u
    return SparseMDP(
        next_state=jnp.stack([first_next, later_next]).astype(jnp.int32),
        prob=jnp.stack([first_prob, later_prob]).astype(jnp.float64),
        reward=jnp.stack([first_reward, later_reward]).astype(jnp.float64),
        start=(base.start * A).astype(jnp.int32),
        terminal=base.terminal[u],
        observed_as=observed.astype(jnp.int32),
        horizon=base.horizon,
        num_obs=S * A if observe_prev_action else base.num_obs,
    )


def augmented_index(u, prev, num_actions: int):
    """Index of the augmented sticky state ``(u, prev)``."""
    return u * num_actions + prev
