"""Env configs for tabular MDPs (the env itself is :class:`rlkit.tabular.TabularMDP`)."""
from __future__ import annotations

from dataclasses import dataclass

import jax

from rlkit.config import ConfigError, EnvConfig
from rlkit.tabular import (TOY_TEXT, TabularMDP, combination_lock, from_gymnasium, random_mdp,
                           river_swim, tabular_params)


@dataclass(frozen=True)
class RandomMDPConfig(EnvConfig):
    """The StepMix paper's random MDPs (Dirichlet kernels, U[0,1] rewards).

    ``instance_seed = None`` draws a different MDP for every run seed (the paper's "10 trials");
    an integer fixes one MDP for all seeds.
    """

    S: int = 5
    A: int = 5
    H: int = 3
    instance_seed: int | None = None

    @property
    def instance_per_seed(self) -> bool:
        return self.instance_seed is None

    def make_env(self):
        return TabularMDP()

    def make_params(self, key):
        if self.instance_seed is not None:
            key = jax.random.PRNGKey(self.instance_seed)
        return tabular_params(random_mdp(key, self.S, self.A, self.H))

    def validate(self):
        for name in ("S", "A", "H"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class RiverSwimConfig(EnvConfig):
    S: int = 6
    H: int = 20

    def make_env(self):
        return TabularMDP(river_swim(self.S, self.H))

    def make_params(self, key):
        return self.make_env().default_params()


@dataclass(frozen=True)
class CombinationLockConfig(EnvConfig):
    H: int = 5
    A: int = 3
    lock_seed: int = 0

    def make_env(self):
        return TabularMDP(combination_lock(self.H, self.A, key=jax.random.PRNGKey(self.lock_seed)))

    def make_params(self, key):
        return self.make_env().default_params()


@dataclass(frozen=True)
class ToyTextConfig(EnvConfig):
    """A gymnasium toy-text env imported as an exact tabular MDP with horizon ``H``."""

    env_id: str = "FrozenLake-v1"
    H: int = 50
    is_slippery: bool = True

    def make_env(self):
        kwargs = {"is_slippery": self.is_slippery} if self.env_id.startswith(("FrozenLake", "CliffWalking")) else {}
        return TabularMDP(from_gymnasium(self.env_id, self.H, **kwargs))

    def make_params(self, key):
        return self.make_env().default_params()

    def validate(self):
        if self.env_id not in TOY_TEXT:
            raise ConfigError(f"env_id must be one of {list(TOY_TEXT)}, got {self.env_id!r}")
        if self.H < 1:
            raise ConfigError(f"H must be >= 1, got {self.H}")
