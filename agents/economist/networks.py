"""Actor-critic networks of the two-level learner (spec §3.1), float32 flax.

Foundation's ``keras_conv_lstm``: an optional spatial encoder (two 3x3 stride-2 ReLU convolutions,
16 then 32 filters) whose flattened output is concatenated with the flat observations, two dense
ReLU layers, LayerNorm, an LSTM and linear policy / value heads, with separate policy and value
networks. [design] Here the LSTM is left out (:class:`EconomyActorCritic` is feed-forward): the
one-step economy's agents and planner each decide once per episode, so there is no memory to carry.
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
import jax
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


ORDINAL_MIN_SCALE = 1e-3


def ordinal_logits(location: jax.Array, log_scale: jax.Array, n_actions: int) -> jax.Array:
    """Logits of a discretised Gaussian over ordered actions ``0..n-1``: ``-((x_j - mu)/sigma)^2 / 2``
    with ``x_j = j / (n - 1)``, ``mu = sigmoid(location)``, ``sigma = exp(log_scale)`` (>= 1e-3)."""
    x = jnp.linspace(0.0, 1.0, n_actions)
    mu = jax.nn.sigmoid(location)[..., None]
    sigma = jnp.maximum(jnp.exp(log_scale), ORDINAL_MIN_SCALE)[..., None]
    return -0.5 * ((x - mu) / sigma) ** 2


class EconomyActorCritic(nn.Module):
    """Separate policy and value networks (two :class:`Tower` s, as ``vf_share_layers: false``).

    ``head="categorical"``: free logits per action (Foundation). ``head="ordinal"`` [design]: for an
    ordered action such as hours of labor, the logits of a discretised Gaussian whose location and
    scale the policy tower outputs (:func:`ordinal_logits`); still a categorical over the same
    actions (masks, PPO ratios unchanged), but neighbouring hours share statistical strength.
    """

    n_actions: int
    heads: int = 0                      # 0: one categorical; k >= 1: k independent categoricals
    hidden: Sequence[int] = (128, 128)
    conv_features: Sequence[int] = (16, 32)
    activation: Callable = nn.relu
    layer_norm: bool = True
    head: str = "categorical"
    ordinal_init_scale: float = 0.3

    @nn.compact
    def __call__(self, obs):
        k = max(self.heads, 1)
        if self.head == "ordinal":
            out = Tower(2 * k, self.hidden, self.conv_features, self.activation, 0.01, self.layer_norm,
                        name="policy")(obs)
            out = out.reshape(out.shape[:-1] + (k, 2))
            logits = ordinal_logits(out[..., 0], out[..., 1] + jnp.log(self.ordinal_init_scale), self.n_actions)
            if not self.heads:
                logits = logits[..., 0, :]
        else:
            logits = Tower(self.n_actions * k, self.hidden, self.conv_features, self.activation, 0.01,
                           self.layer_norm, name="policy")(obs)
            if self.heads:
                logits = logits.reshape(logits.shape[:-1] + (self.heads, self.n_actions))
        value = Tower(1, self.hidden, self.conv_features, self.activation, 1.0, self.layer_norm, name="value")(obs)
        return logits, value[..., 0]
