"""Baseline: always play the known baseline policy ``pi^b`` (the comparison line of the paper's
plots). It reads the baseline like the other conservative agents (hyper-parameters or the env's
``known["baseline"]``, one per instance), never learns, and reports the same metrics
(``rho = 0``, ``certificate = V^b``). For one fixed instance, ``agents.baselines.TabularPolicy``
with ``policy = pi^b`` plays the same policy.
"""
from __future__ import annotations

import jax.numpy as jnp

from agents.conservative.common import ConservativeAgent, ConservativeParams, Context
from rlkit.agent import hparams


class Baseline(ConservativeAgent):
    name = "baseline"

    def decide(self, ctx: Context, hp):
        return jnp.float64(0), ctx.baseline_lower

    def update(self, key, state, batch, hp):
        """Nothing to learn: the policy stays ``pi^b``."""
        return state, {}


@hparams
class BaselineParams(ConservativeParams):
    def make_agent(self):
        return Baseline()
