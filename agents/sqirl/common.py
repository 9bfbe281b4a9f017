"""Pieces shared by the SQIRL family's agents: exact evaluation of policies over observations."""
from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


def exact_policy_value(model: Any, pi: jax.Array) -> jax.Array:
    """Expected return of ``pi[H, S_obs, A]`` in an exact model: a
    :class:`rlkit.sparse_mdp.SparseMDP` (``policy_value``) or a :class:`rlkit.tabular.TabularModel`."""
    if hasattr(model, "policy_value"):
        return model.policy_value(pi)
    from rlkit.tabular import policy_value
    return policy_value(model, pi)


def exact_actions_value(model: Any, actions: jax.Array, num_actions: int) -> jax.Array:
    """Expected return of the deterministic non-stationary policy ``actions[H, S_obs]``."""
    return exact_policy_value(model, jax.nn.one_hot(actions, num_actions, dtype=jnp.float64))


def observation_table(model: Any) -> Any:
    """Every ``(h, index)`` observation of the model, leaves ``[H, S_obs, ...]``."""
    if not hasattr(model, "observation_table"):
        raise ValueError("exact evaluation of a network policy needs a model with observation_table() "
                         "(rlkit.sparse_mdp.SparseMDP, e.g. a BRIDGE env)")
    return model.observation_table()
