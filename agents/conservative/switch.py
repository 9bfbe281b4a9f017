"""Switch, the no-mixing control (spec ``specs/stepmix.md`` §8, §11 test 14): play the optimistic
policy ``pi_bar_k`` for the whole episode when its Policy-Eva bound ``LCB_clip(pi_bar_k)`` clears
``(1 - alpha) V^b``, else the baseline.

It is as safe as StepMix, but with a deterministic baseline it never visits the actions the
baseline avoids, so the bound never tightens and it stays stuck on the baseline (linear regret):
the negative control that shows mixing is necessary.
"""
from __future__ import annotations

import jax.numpy as jnp

from agents.conservative.common import ConservativeAgent, ConservativeParams, Context
from rlkit.agent import hparams
from rlkit.tabular.conservative import policy_lower_value, switch_rho


class Switch(ConservativeAgent):
    name = "switch"

    def decide(self, ctx: Context, hp):
        plan = ctx.plan
        lower = policy_lower_value(plan.P_hat, plan.rewards, plan.bonus, ctx.optimistic, ctx.mu,
                                   clip=True)
        rho = switch_rho(lower, ctx.threshold)
        return rho, jnp.where(rho > 0, lower, ctx.baseline_lower)


@hparams
class SwitchParams(ConservativeParams):
    def make_agent(self):
        return Switch()
