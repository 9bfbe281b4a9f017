"""Last-switch-dependent (LSD) bandits (spec ``specs/lsd_bandits.md``): the env, its pytree
params (many instances in one ``vmap``), the recharging special case, instance generators and
Laforgue et al.'s experiment instances."""
from envs.lsd.config import INSTANCES, LSDConfig
from envs.lsd.env import (LSDBandit, LSDParams, LSDState, dp_benchmark, make_params,
                          recharging_params)
from envs.lsd.instances import (LAFORGUE, Instance, laforgue_experiment1, laforgue_experiment2,
                                pad_state, pad_states, random_general, random_monotone)

__all__ = [
    "INSTANCES", "LSDConfig", "LSDBandit", "LSDParams", "LSDState", "dp_benchmark", "make_params",
    "recharging_params", "LAFORGUE", "Instance", "laforgue_experiment1", "laforgue_experiment2",
    "random_general", "random_monotone", "pad_state", "pad_states",
]
