"""GRPO adapted to order dispatch (Zhao & Li 2025, spec ospo.md §3): group-normalised rewards
accumulated into a per-vehicle reward-to-go (``grpo_rtg_code``, as released), or the literal
group-relative reward-to-go (``grpo_rtg_group``) [design]. The reward-to-go is cut at the
episode end: the "bounded time horizon" bias that OSPO removes. Same loss and defaults as OSPO
(:mod:`agents.ridesharing.ospo`), except the advantage and its episode-level normalisation.
"""
from __future__ import annotations

from agents.ridesharing.ospo import OSPOParams
from rlkit.agent import hparams, static


@hparams
class GRPOParams(OSPOParams):
    advantage: str = static("grpo_rtg_code")
    norm_scope: str = static("episode")
    label: str = static("GRPO")
