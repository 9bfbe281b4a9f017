"""Switch, the no-mixing control (spec ``specs/stepmix.md`` §8, §11 test 14): play the optimistic
policy ``pi_bar_k`` for the whole episode when its Policy-Eva bound ``LCB_clip(pi_bar_k)`` clears
``(1 - alpha) V^b``, else the baseline.

Switch is StepMix with ``m = 0`` bisection steps: the only candidate is then ``rho = 1``, whose
certificate is ``CERT(1) = max(LCB_lin(pi_bar), LCB_clip(pi_bar)) = LCB_clip(pi_bar)`` (clipping at
0 in every backup only raises values), so ``rho_k = 1`` exactly when ``LCB_clip(pi_bar_k) >= gamma``
and ``rho_k = 0`` otherwise. It is as safe as StepMix, but with a deterministic baseline it never
visits the actions the baseline avoids, so the bound never tightens and it stays on the baseline
(linear regret): the negative control that shows mixing is necessary.
"""
from __future__ import annotations

from agents.conservative.stepmix import StepMix, StepMixParams
from rlkit.agent import hparams
from rlkit.config import ConfigError


@hparams
class SwitchParams(StepMixParams):
    """:class:`StepMixParams` with ``bisection_steps = 0`` (see the module docstring)."""

    bisection_steps: int = 0

    def make_agent(self):
        return StepMix()

    def validate(self):
        super().validate()
        if self.bisection_steps != 0:
            raise ConfigError(f"Switch has no bisection: bisection_steps must be 0, got {self.bisection_steps}")
