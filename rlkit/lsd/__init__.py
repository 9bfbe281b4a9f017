"""The last-switch-dependent (LSD) bandit toolkit shared by ``envs/lsd.py``, ``agents/lsd`` and
the LSD theory checks (the env and the agents may not import each other, so the model they share
lives here, as the tabular model lives in :mod:`rlkit.tabular`).

- :mod:`rlkit.lsd.model`: state layout, transitions, payoff lookups, recharging mapping,
  validation (``ConfigError``) and the monotonicity assumptions.
- :mod:`rlkit.lsd.graph`: BFS over reachable joint states and the closed-form count.
- :mod:`rlkit.lsd.dp`: exact finite-horizon DP over the reachable states, vectorised in JAX.
"""
from rlkit.lsd.dp import (optimal_plan, optimal_value, policy_table, rollout_means, state_rewards,
                          value_sequence)
from rlkit.lsd.graph import StateGraph, encode, reachable_count, reachable_graph
from rlkit.lsd.model import (MONOTONE_VARIANTS, arm_means, check_init_state, check_m, check_mu,
                             delay_state, expected_reward, index_state, is_monotone,
                             monotone_violation, recharging_mu, rested_state, sequence_means,
                             state_index, transition)

__all__ = [
    "optimal_plan", "optimal_value", "policy_table", "rollout_means", "state_rewards",
    "value_sequence", "StateGraph", "encode", "reachable_count", "reachable_graph",
    "MONOTONE_VARIANTS", "arm_means", "check_init_state", "check_m", "check_mu", "delay_state",
    "expected_reward", "index_state", "is_monotone", "monotone_violation", "recharging_mu",
    "rested_state", "sequence_means", "state_index", "transition",
]
