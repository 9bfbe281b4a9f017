"""Gather-Trade-Build (spec §2) in pure JAX: layout, market, rules, observations, env, config."""
from envs.economy.gtb.config import GTBConfig
from envs.economy.gtb.env import GatherTradeBuild
from envs.economy.gtb.state import GTBParams, GTBState

__all__ = ["GTBConfig", "GatherTradeBuild", "GTBParams", "GTBState"]
