"""Cascading RL agents (Du, Srikant & Chen, ICLR 2024): CascadingVI, CascadingVI-Oracle,
CascadingVI-Bonus, AdaptVI and CascadingBPI.

The oracles and exact planning (BestPerm, exhaustive search, cascading value iteration, policy
evaluation) live in :mod:`rlkit.cascading`, because the env's exact model needs them too and
``agents`` and ``envs`` must not import each other; they are re-exported here.
"""
from agents.cascading.adapt_vi import AdaptVI, AdaptVIParams
from agents.cascading.bpi import CascadingBPI, CascadingBPIParams
from agents.cascading.cascading_vi import (CascadingVI, CascadingVIBonusParams, CascadingVIOracleParams,
                                           CascadingVIParams)
from rlkit.cascading import (best_perm, cascading_value_iteration, evaluate_lists, exhaustive_search,
                             lists_value)

__all__ = [
    "AdaptVI", "AdaptVIParams", "CascadingBPI", "CascadingBPIParams", "CascadingVI",
    "CascadingVIBonusParams", "CascadingVIOracleParams", "CascadingVIParams", "best_perm",
    "cascading_value_iteration", "evaluate_lists", "exhaustive_search", "lists_value",
]
