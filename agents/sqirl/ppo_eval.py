"""PPO with exact evaluation of its deterministic (argmax) policy, for the SQIRL comparison.

The core's :class:`agents.ppo.PPO` unchanged, plus ``evaluate``: the greedy action of the policy
network on every ``(h, s)`` observation of the model, valued exactly (upstream evaluates PPO with
deterministic episodes; sqirl spec §1.3).
"""
from __future__ import annotations

import jax.numpy as jnp

from agents.ppo import PPO, PPOParams
from agents.sqirl.common import exact_actions_value, observation_table
from rlkit.agent import hparams


class EvaluatedPPO(PPO):
    name = "ppo"

    def evaluate(self, state, hp, model):
        logits, _ = self._net(state, hp).apply(state.params, observation_table(model))
        return {"value": exact_actions_value(model, jnp.argmax(logits, -1), logits.shape[-1])}


@hparams
class EvaluatedPPOParams(PPOParams):
    """:class:`agents.ppo.PPOParams` (same fields) for :class:`EvaluatedPPO`."""

    def make_agent(self):
        return EvaluatedPPO()
