"""The shared pair-scoring network: one MLP applied to every (vehicle, order) pair (spec §1.5).

The paper's ``Vanilla(28)``: MLP 28 -> 128 -> 128 -> 1 with LeakyReLU(0.01), 20,353 parameters,
on the concatenation ``[vehicle (8 + 5C), order (5)]`` of each pair; a row softmax over the open
orders turns a vehicle's logits into its policy. The first layer is computed as a sum of a
vehicle part, an order part and an optional pair part (``W [x_v; x_o; x_vo] + b = W_v x_v +
W_o x_o + W_vo x_vo + b``): the same function and parameter count as a dense layer on the
concatenation, without materialising ``[V, No, 28]`` inputs (fleets of 1000 vehicles).

Pair features [design]: ``"paper"`` uses none (28 inputs); ``"eta"`` adds the pickup ETA / 60
from the platform's travel-time table (29 inputs), which the paper's network has to infer from
coordinates; it makes small CPU runs learn in a few hundred episodes.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

FEATURE_SETS = ("paper", "eta")


class PairScorer(nn.Module):
    """Logits ``[V, No]`` from ``vehicle [V, Fv]``, ``order [No, Fo]``, ``pair [V, No, Fp]``."""

    hidden: Sequence[int] = (128, 128)
    negative_slope: float = 0.01

    @nn.compact
    def __call__(self, vehicle: jax.Array, order: jax.Array, pair: jax.Array | None = None) -> jax.Array:
        act = lambda x: nn.leaky_relu(x, self.negative_slope)
        dense = lambda width, name, bias=True: nn.Dense(width, use_bias=bias, name=name,
                                                        dtype=jnp.float32, param_dtype=jnp.float32)
        width = self.hidden[0]
        h = (dense(width, "vehicle_in")(jnp.asarray(vehicle, jnp.float32))[..., :, None, :]
             + dense(width, "order_in", bias=False)(jnp.asarray(order, jnp.float32))[..., None, :, :])
        if pair is not None:
            h = h + dense(width, "pair_in", bias=False)(jnp.asarray(pair, jnp.float32))
        h = act(h)
        for i, w in enumerate(self.hidden[1:]):
            h = act(dense(w, f"hidden_{i}")(h))
        return dense(1, "out")(h)[..., 0]


def pair_inputs(features: str, vehicle_zone: jax.Array, order_pickup: jax.Array,
                travel_time: jax.Array) -> jax.Array | None:
    """The pair part of the input: ``None`` for ``"paper"``, ``[..., V, No, 1]`` pickup ETA / 60
    for ``"eta"`` (``vehicle_zone [..., V]``, ``order_pickup [..., No]``)."""
    if features == "paper":
        return None
    eta = travel_time[vehicle_zone[..., :, None], order_pickup[..., None, :]]
    return (eta.astype(jnp.float32) / 60.0)[..., None]


def count_parameters(params) -> int:
    return sum(int(x.size) for x in jax.tree_util.tree_leaves(params))
