"""UCBVI (``agents/ucbvi.py``) with the same choice of union bound as the conservative agents.

The comparisons of the paper's plots (UCBVI vs StepMix vs EpsMix) need the same bonus for all:
``episodes_bound = K > 0`` gives the spec's fixed-``K`` log term
``L = 2 (S ln 2 + ln(S A H K / delta))`` (spec §2.2 step 1), ``0`` the toolkit's anytime term,
with which this is exactly ``agents.ucbvi.UCBVI``.
"""
from __future__ import annotations

from agents.conservative.common import check_episodes_bound
from agents.ucbvi import UCBVI, UCBVIParams
from rlkit.agent import hparams, static
from rlkit.tabular.conservative import union_bound_episodes


class BoundedUCBVI(UCBVI):
    name = "ucbvi"

    def plan(self, counts, rewards, episodes, hp):
        return super().plan(counts, rewards, union_bound_episodes(episodes, hp.episodes_bound), hp)


@hparams
class BoundedUCBVIParams(UCBVIParams):
    """:class:`agents.ucbvi.UCBVIParams` plus ``episodes_bound`` (see the module docstring)."""

    episodes_bound: float = 0.0
    label: str = static("UCBVI")

    def make_agent(self):
        return BoundedUCBVI()

    def validate(self):
        super().validate()
        check_episodes_bound(self.episodes_bound)
