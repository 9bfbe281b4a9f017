"""The AI Economist's economies (Zheng et al. 2021/2022): the one-step economy and Gather-Trade-
Build as pure-JAX multi-agent envs, with bracket taxes, social welfare functions and the Saez
formula. See docs/economist.md."""
from envs.economy.one_step import (OneStepEconomy, OneStepEconomyConfig, OneStepParams, OneStepState,
                                   settle)
from envs.economy.one_step_model import OneStepModel

__all__ = ["OneStepEconomy", "OneStepEconomyConfig", "OneStepParams", "OneStepState", "settle",
           "OneStepModel"]
