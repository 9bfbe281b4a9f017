"""The Q-network of the deep agents: an MLP with ``k`` heads of ``A`` values (float32)."""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

from rlkit.networks import MLP


class MultiHeadQNetwork(nn.Module):
    """``obs -> Q[..., num_heads, num_actions]``; one network with ``k A`` outputs, as the released
    SQIRL's default (``separate_networks=False``; sqirl spec §1.2). ReLU hidden layers
    (SB3's ``MlpPolicy``); ``hidden = ()`` is linear in the observation (tabular for one-hot
    inputs). DQN is the ``num_heads = 1`` case."""

    num_actions: int
    num_heads: int = 1
    hidden: Sequence[int] = (64, 64)

    @nn.compact
    def __call__(self, obs):
        obs = jnp.asarray(obs, jnp.float32)
        out = MLP(tuple(self.hidden) + (self.num_heads * self.num_actions,), nn.relu)(obs)
        return out.reshape(out.shape[:-1] + (self.num_heads, self.num_actions))
