"""``CascadingMDP``: the cascading MDP of Du, Srikant & Chen (ICLR 2024) as an rlkit env.

Observation ``[h, s]`` (int32, ``h`` the 0-based step). Action: an item list, an int array ``[m]``
of 1..m distinct items padded with -1 (:class:`rlkit.cascading.ItemListSpace`). One step follows
spec §1.2: the user examines the items in order, item ``A_i`` attracts (is clicked) with
probability ``q(s, A_i)`` independently; the first click ends the examination, pays
``r(s, A_i)`` and moves to ``s' ~ p(.|s, A_i)``; without a click the no-click item ``a_bot`` pays 0
and ``s' ~ p(.|s, a_bot)``. The episode terminates after ``H`` steps.

Cascading semi-bandit feedback (spec §1.1) is in ``info``:

- ``click_pos``: position 0..m-1 of the clicked item, or -1 when nothing was clicked; the agent
  observed the attraction outcome of exactly the positions ``0..click_pos`` (all of the list when
  -1), and nothing after the click;
- ``clicked_item``: the clicked item, or ``N`` for ``a_bot``;
- ``clicks``: 1.0 for a click, else 0.0 (an additive metric: clicks per rollout).

A list that is not valid (repeated items, no item) is not checked inside ``jit``: agents must
produce valid lists (``ItemListSpace.contains`` checks one). The exact model is exposed in the
spec, so the trainer logs exact values and pseudo-regret.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from rlkit import spaces
from rlkit.cascading import CascadingModel, ItemListSpace, gather_items
from rlkit.env import Env, EnvSpec
from rlkit.tabular import cumulative, sample_cdf


@struct.dataclass
class CascadingParams:
    model: CascadingModel
    P_cdf: jax.Array   # [S, N + 1, S] cumulative next-state tables (float32)
    mu_cdf: jax.Array  # [S]
    rewards_known: bool = struct.field(pytree_node=False, default=True)


@struct.dataclass
class CascadingState:
    s: jax.Array
    h: jax.Array


def cascading_params(model: CascadingModel, rewards_known: bool = True) -> CascadingParams:
    """Params of :class:`CascadingMDP` for a model (precomputes the sampling tables).

    ``rewards_known`` puts the reward table ``r[S, N]`` in ``spec.known["r"]`` (the paper's theory
    setting treats rewards as known [unconfirmed]; both settings are supported [design]).
    """
    return CascadingParams(model, cumulative(model.P).astype(jnp.float32),
                           cumulative(model.mu).astype(jnp.float32), rewards_known)


def cascade_step(key: jax.Array, q_s: jax.Array, action: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Simulate the user's examination of one list (spec §1.2): ``(click_pos, clicked)``.

    ``q_s`` ``[N]`` attraction probabilities in the current state; ``click_pos`` is -1 when no
    item attracted the user.
    """
    q_l, valid = gather_items(q_s, action)
    attracted = valid & (jax.random.uniform(key, action.shape, q_l.dtype) < q_l)
    clicked = jnp.any(attracted)
    return jnp.where(clicked, jnp.argmax(attracted), -1).astype(jnp.int32), clicked


class CascadingMDP(Env):
    """See the module docstring. ``default_model`` is used by ``default_params()``."""

    def __init__(self, default_model: CascadingModel | None = None, rewards_known: bool = True):
        self.default_model = default_model
        self.rewards_known = rewards_known

    def default_params(self) -> CascadingParams:
        if self.default_model is None:
            raise ValueError("CascadingMDP() has no default model: pass params built with "
                             "envs.cascading.cascading_params(model)")
        return cascading_params(self.default_model, self.rewards_known)

    def reset_env(self, key, params: CascadingParams):
        state = CascadingState(sample_cdf(key, params.mu_cdf), jnp.int32(0))
        return jnp.stack([state.h, state.s]), state

    def step_env(self, key, state: CascadingState, action, params: CascadingParams):
        model = params.model
        k_click, k_next = jax.random.split(key)
        action = jnp.asarray(action, jnp.int32)
        pos, clicked = cascade_step(k_click, model.q[state.s], action)
        item = jnp.where(clicked, action[jnp.maximum(pos, 0)], model.N)
        reward = jnp.where(clicked, model.r[state.s, jnp.minimum(item, model.N - 1)], 0.0)
        s_next = sample_cdf(k_next, params.P_cdf[state.s, item])
        h_next = state.h + 1
        info = {"click_pos": pos, "clicked_item": item.astype(jnp.int32),
                "clicks": clicked.astype(jnp.float64)}
        return (jnp.stack([h_next, s_next]), CascadingState(s_next, h_next), reward,
                h_next >= model.H, info)

    def spec(self, params: CascadingParams) -> EnvSpec:
        model = params.model
        return EnvSpec(
            observation_space=spaces.Box(0, max(model.H, model.S), (2,), jnp.int32),
            action_space=ItemListSpace(model.N, model.m),
            horizon=model.H,
            sizes={"H": model.H, "S": model.S, "N": model.N, "m": model.m},
            metric_keys=("clicks",),
            known={"r": model.r} if params.rewards_known else {},
            model=model,
        )
