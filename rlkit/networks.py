"""Flax networks shared by the deep agents (float32): MLPs and an actor-critic head."""
from __future__ import annotations

from typing import Callable, Sequence

import flax.linen as nn
import jax.numpy as jnp
import numpy as np


def orthogonal(scale: float = float(np.sqrt(2.0))):
    return nn.initializers.orthogonal(scale)


class MLP(nn.Module):
    """Dense layers with a nonlinearity between them, orthogonal init (PPO convention)."""

    features: Sequence[int]
    activation: Callable = nn.tanh
    final_scale: float = 1.0
    activate_final: bool = False

    @nn.compact
    def __call__(self, x):
        x = jnp.asarray(x, jnp.float32)
        for i, width in enumerate(self.features):
            last = i == len(self.features) - 1
            scale = self.final_scale if last else float(np.sqrt(2.0))
            x = nn.Dense(width, kernel_init=orthogonal(scale), bias_init=nn.initializers.zeros,
                         param_dtype=jnp.float32, dtype=jnp.float32)(x)
            if not last or self.activate_final:
                x = self.activation(x)
        return x


class ActorCritic(nn.Module):
    """Separate policy and value MLPs; returns ``(logits [n_actions], value [])``."""

    n_actions: int
    hidden: Sequence[int] = (64, 64)
    activation: Callable = nn.tanh

    @nn.compact
    def __call__(self, obs):
        obs = jnp.asarray(obs, jnp.float32)
        logits = MLP(tuple(self.hidden) + (self.n_actions,), self.activation, final_scale=0.01)(obs)
        value = MLP(tuple(self.hidden) + (1,), self.activation, final_scale=1.0)(obs)
        return logits, value[..., 0]
