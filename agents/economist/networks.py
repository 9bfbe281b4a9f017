"""Actor-critic networks of the two-level learner (spec §3.1), float32 flax.

Foundation's ``keras_conv_lstm``: an optional spatial encoder (two 3x3 stride-2 ReLU convolutions,
16 then 32 filters) whose flattened output is concatenated with the flat observations, two dense
ReLU layers, LayerNorm, an LSTM and linear policy / value heads, with separate policy and value
networks. Here the feed-forward variant (:class:`EconomyActorCritic`) replaces the LSTM by the
dense stack; :mod:`rlkit.recurrent` holds the LSTM variant used by ``recurrent=True``.
[design] The index-map embedding of Foundation is replaced by one-hot ownership channels in the
env's spatial observation.

Initialisation: orthogonal (PPO convention) through :func:`rlkit.initializers.orthogonal`, which
needs no LAPACK QR: ``rlkit.networks.MLP``'s QR-based init deadlocks XLA:CPU when seeds are
initialised inside ``vmap`` on 2 cores, so the dense stack is defined here.

An observation is a dict with ``features [..., F]`` and optionally ``spatial [..., H, W, C]``;
leading axes are arbitrary. Outputs: logits ``[..., A]`` (or ``[..., heads, A]`` for a
multi-discrete actor such as the planner, one head per tax bracket) and a value ``[...]``.
"""
from __future__ import annotations

from typing import Callable, Sequence

import flax.linen as nn
import jax.numpy as jnp

from rlkit.initializers import orthogonal


class DenseStack(nn.Module):
    """Dense layers with ``activation`` after each (orthogonal ``sqrt(2)`` init, zero bias)."""

    features: Sequence[int]
    activation: Callable = nn.relu

    @nn.compact
    def __call__(self, x):
        x = jnp.asarray(x, jnp.float32)
        for width in self.features:
            x = self.activation(nn.Dense(width, kernel_init=orthogonal(), bias_init=nn.initializers.zeros,
                                         param_dtype=jnp.float32, dtype=jnp.float32)(x))
        return x


class ConvEncoder(nn.Module):
    """3x3 stride-2 ReLU convolutions, flattened; works on any leading axes of ``[..., H, W, C]``."""

    features: Sequence[int] = (16, 32)

    @nn.compact
    def __call__(self, x):
        x = jnp.asarray(x, jnp.float32)
        lead = x.shape[:-3]
        x = x.reshape((-1,) + x.shape[-3:])
        for width in self.features:
            x = nn.Conv(width, (3, 3), strides=(2, 2), padding="SAME", kernel_init=orthogonal(),
                        param_dtype=jnp.float32, dtype=jnp.float32)(x)
            x = nn.relu(x)
        return x.reshape(lead + (-1,))


class Encoder(nn.Module):
    """Flat features, concatenated with the conv encoding of ``spatial`` when present."""

    conv_features: Sequence[int] = (16, 32)

    @nn.compact
    def __call__(self, obs):
        x = jnp.asarray(obs["features"], jnp.float32)
        if "spatial" in obs and len(self.conv_features):
            x = jnp.concatenate([x, ConvEncoder(tuple(self.conv_features))(obs["spatial"])], axis=-1)
        return x


class Tower(nn.Module):
    """Encoder, dense ReLU stack, LayerNorm, linear head of width ``out``."""

    out: int
    hidden: Sequence[int] = (128, 128)
    conv_features: Sequence[int] = (16, 32)
    activation: Callable = nn.relu
    head_scale: float = 1.0
    layer_norm: bool = True

    @nn.compact
    def __call__(self, obs):
        x = Encoder(tuple(self.conv_features))(obs)
        x = DenseStack(tuple(self.hidden), self.activation)(x)
        if self.layer_norm:
            x = nn.LayerNorm(param_dtype=jnp.float32, dtype=jnp.float32)(x)
        return nn.Dense(self.out, kernel_init=orthogonal(self.head_scale), bias_init=nn.initializers.zeros,
                        param_dtype=jnp.float32, dtype=jnp.float32)(x)


class EconomyActorCritic(nn.Module):
    """Separate policy and value networks (two :class:`Tower` s, as ``vf_share_layers: false``)."""

    n_actions: int
    heads: int = 0                      # 0: one categorical; k >= 1: k independent categoricals
    hidden: Sequence[int] = (128, 128)
    conv_features: Sequence[int] = (16, 32)
    activation: Callable = nn.relu
    layer_norm: bool = True

    @nn.compact
    def __call__(self, obs):
        width = self.n_actions * max(self.heads, 1)
        logits = Tower(width, self.hidden, self.conv_features, self.activation, 0.01, self.layer_norm,
                       name="policy")(obs)
        if self.heads:
            logits = logits.reshape(logits.shape[:-1] + (self.heads, self.n_actions))
        value = Tower(1, self.hidden, self.conv_features, self.activation, 1.0, self.layer_norm, name="value")(obs)
        return logits, value[..., 0]
