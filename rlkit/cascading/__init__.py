"""Cascading MDPs (Du, Srikant & Chen, ICLR 2024): item lists, the BestPerm and exhaustive oracles,
the exact model and exact planning. Shared by ``envs/cascading`` (the simulator and its exact
model) and ``agents/cascading`` (the learners), which must not import each other."""
from rlkit.cascading.lists import (PAD, cascade_value, cascade_value_box, click_distribution,
                                   enumerate_lists, gather_items, list_length, num_lists)
from rlkit.cascading.model import CascadingModel, check_cascading_model, make_cascading_model
from rlkit.cascading.oracles import (ORACLES, TIE_TOL, OracleResult, best_perm, exhaustive_search,
                                     get_oracle, lists_to_numpy, rank_order)
from rlkit.cascading.space import ItemListSpace
from rlkit.cascading.planning import (CascadingValues, atomic_list_tables, cascading_value_iteration,
                                      evaluate_lists, item_weights, lists_value)

__all__ = [
    "PAD", "cascade_value", "cascade_value_box", "click_distribution", "enumerate_lists",
    "gather_items", "list_length", "num_lists", "CascadingModel", "check_cascading_model",
    "make_cascading_model", "ORACLES", "TIE_TOL", "OracleResult", "best_perm", "exhaustive_search",
    "get_oracle", "lists_to_numpy", "rank_order", "CascadingValues", "atomic_list_tables",
    "cascading_value_iteration", "evaluate_lists", "item_weights", "lists_value", "ItemListSpace",
]
