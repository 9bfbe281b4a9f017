"""StepMix (Li, Huang, Shen & Yang, ICML 2023, "Algorithm 1: The StepMix Algorithm"; spec
``specs/stepmix.md`` §2).

In episode ``k`` StepMix plays, at every step ``h`` and state ``s``, the per-step mixture

    pi_k,h(.|s) = rho_k pi_bar_k,h(.|s) + (1 - rho_k) pi^b_h(.|s)

of the optimistic UCBVI policy ``pi_bar_k`` and the baseline. [design] ``rho_k`` is the largest
coefficient (found by bisection, ``bisection_steps`` halvings) whose certificate ``CERT(rho)``
(:func:`rlkit.tabular.conservative.mixture_certificate`: Policy-Eva lower bounds with the
``(1 - rho)^H`` baseline correction) clears ``(1 - alpha) V^b``. The paper's exact Policy-Eva
formula and search are unconfirmed (spec §12, points 1-2); this is the spec's provably safe design:
``rho_k`` is 0 (the baseline) or certified, so the episode-wise constraint holds on the good event.
"""
from __future__ import annotations

import jax.numpy as jnp

from agents.conservative.common import ConservativeAgent, ConservativeParams, Context
from rlkit.agent import hparams
from rlkit.config import ConfigError
from rlkit.tabular.conservative import bisect_largest_feasible, mixture_certificate


class StepMix(ConservativeAgent):
    name = "stepmix"

    def certificate_fn(self, ctx: Context):
        """``rho -> CERT(rho)`` for this episode (spec §2.2 step 4)."""
        plan = ctx.plan

        def certificate(rho):
            return mixture_certificate(plan.P_hat, plan.rewards, plan.bonus, ctx.optimistic,
                                       ctx.baseline, rho, ctx.mu, ctx.baseline_lower,
                                       ctx.baseline_linear)
        return certificate

    def decide(self, ctx: Context, hp):
        """``rho = 1`` if ``CERT(1) >= gamma``, else bisection (spec §2.2 step 5)."""
        steps = jnp.asarray(hp.bisection_steps).astype(jnp.int32)
        return bisect_largest_feasible(self.certificate_fn(ctx), ctx.threshold, steps,
                                       at_zero=ctx.baseline_lower)


@hparams
class StepMixParams(ConservativeParams):
    """:class:`ConservativeParams` plus ``bisection_steps`` (``m`` of spec §2.2 step 5; a leaf,
    so StepMix and its ``m = 0`` special case Switch share one compiled program)."""

    bisection_steps: int = 12

    def make_agent(self):
        return StepMix()

    def validate(self):
        super().validate()
        steps = self.bisection_steps
        if isinstance(steps, bool) or not float(steps).is_integer() or not 0 <= steps <= 52:
            raise ConfigError(f"bisection_steps must be an integer in 0..52, got {steps!r}")
