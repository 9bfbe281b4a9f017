"""The tabular toolkit: exact models, a sampling env, planning, counts, bonuses, generators."""
from rlkit.tabular.bonuses import (bernstein_bonus, hoeffding_bonus, inverse_sqrt_visits, l1_bonus,
                                   l1_log_term, steps_left_span)
from rlkit.tabular.empirical import (Counts, add_transitions, empirical_kernel, empirical_rewards,
                                     next_value_variance, zero_counts)
from rlkit.tabular.env import TabularMDP, TabularParams, TabularState, tabular_params
from rlkit.tabular.generators import combination_lock, random_mdp, river_swim
from rlkit.tabular.model import TabularModel, check_model, cumulative, make_model, sample_cdf
from rlkit.tabular.planning import (Values, count_expectation, deterministic_policy, evaluate_policy,
                                    greedy_actions,
                                    occupancy, optimal_policy, optimistic_values,
                                    pessimistic_policy_value, policy_value, value_iteration)
from rlkit.tabular.optimism import BONUS_KINDS, OptimisticPlan, optimistic_plan
from rlkit.tabular.sampling import Episodes, sample_episodes
from rlkit.tabular.toy_text import TOY_TEXT, from_gymnasium, tables_from_gymnasium

__all__ = [
    "bernstein_bonus", "hoeffding_bonus", "inverse_sqrt_visits", "l1_bonus", "l1_log_term", "steps_left_span",
    "Counts", "add_transitions", "empirical_kernel", "empirical_rewards", "next_value_variance",
    "zero_counts", "TabularMDP", "TabularParams", "TabularState", "tabular_params",
    "combination_lock", "random_mdp", "river_swim", "TabularModel", "check_model", "cumulative",
    "make_model", "sample_cdf", "Values", "count_expectation", "deterministic_policy",
    "evaluate_policy",
    "greedy_actions", "occupancy", "optimal_policy", "optimistic_values",
    "pessimistic_policy_value", "policy_value", "value_iteration", "TOY_TEXT", "from_gymnasium",
    "tables_from_gymnasium", "BONUS_KINDS", "OptimisticPlan", "optimistic_plan",
    "Episodes", "sample_episodes",
]
