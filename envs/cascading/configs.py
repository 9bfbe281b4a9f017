"""Env configs of the cascading family: synthetic instances and MovieLens-format data."""
from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

from envs.cascading.env import CascadingMDP, cascading_params
from envs.cascading.generators import random_cascading_model, random_cascading_model_np
from envs.cascading.movielens import MovieLensInstance, movielens_model, write_synthetic_ratings
from rlkit.config import ConfigError, EnvConfig


def _check_sizes(S: int, N: int, m: int, H: int) -> None:
    for name, value in (("S", S), ("N", N), ("m", m), ("H", H)):
        if not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
    if m > N:
        raise ConfigError(f"list length m = {m} exceeds the number of items N = {N}; need 1 <= m <= N")


@dataclass(frozen=True)
class SyntheticCascadingConfig(EnvConfig):
    """Random cascading MDPs (spec T8): ``q ~ U(q_low, q_high)``, ``r ~ U(0, 1)``,
    Dirichlet(``dirichlet``) transitions. ``instance_seed``: one fixed instance (numpy draw);
    ``None``: one instance per run seed (JAX draw under vmap)."""

    S: int = 3
    N: int = 5
    m: int = 2
    H: int = 3
    q_low: float = 0.05
    q_high: float = 0.6
    dirichlet: float = 1.0
    rewards_known: bool = True
    instance_seed: int | None = 0

    @property
    def instance_per_seed(self) -> bool:
        return self.instance_seed is None

    def make_env(self):
        return CascadingMDP(rewards_known=self.rewards_known)

    def make_params(self, key):
        if self.instance_seed is not None:
            model = self.model()
        else:
            model = random_cascading_model(key, self.S, self.N, self.m, self.H, self.q_low,
                                           self.q_high, self.dirichlet)
        return cascading_params(model, self.rewards_known)

    def model(self):
        """The fixed instance of ``instance_seed`` (numpy draw; see :mod:`envs.cascading.generators`)."""
        seed = 0 if self.instance_seed is None else self.instance_seed
        return random_cascading_model_np(seed, self.S, self.N, self.m, self.H, self.q_low,
                                         self.q_high, self.dirichlet)

    def validate(self):
        _check_sizes(self.S, self.N, self.m, self.H)
        if not 0.0 <= self.q_low <= self.q_high <= 1.0:
            raise ConfigError(f"attraction range must satisfy 0 <= q_low <= q_high <= 1 (probabilities), "
                              f"got q_low={self.q_low}, q_high={self.q_high}")
        if not self.dirichlet > 0:
            raise ConfigError(f"dirichlet concentration must be > 0, got {self.dirichlet}")


def synthetic_ratings_path(seed: int = 0) -> Path:
    """A MovieLens-style ratings file generated once per seed in the temp folder (no download)."""
    path = Path(tempfile.gettempdir()) / "rlkit-cascading" / f"synthetic-u-{seed}.data"
    if not path.exists():
        tmp = path.with_suffix(f".{id(path)}.tmp")
        write_synthetic_ratings(tmp, seed=seed)
        tmp.replace(path)
    return path


@functools.lru_cache(maxsize=16)
def _load(path: str, S: int, N: int, m: int, H: int, like_threshold: float, drift: float,
          rating_scale: tuple[float, float]) -> MovieLensInstance:
    return movielens_model(path, S, N, m, H, like_threshold=like_threshold, drift=drift,
                           rating_scale=rating_scale)


@dataclass(frozen=True)
class MovieLensCascadingConfig(EnvConfig):
    """The paper's MovieLens setting (spec §5.1; construction of §5.4, see
    :mod:`envs.cascading.movielens`). ``path`` is a ratings file (ml-100k ``u.data`` or alike);
    empty: a synthetic MovieLens-style file generated with ``synthetic_seed``."""

    path: str = ""
    S: int = 20
    N: int = 10
    m: int = 3
    H: int = 3
    like_threshold: float = 4.0
    drift: float = 0.5
    rating_low: float = 1.0
    rating_high: float = 5.0
    rewards_known: bool = True
    synthetic_seed: int = 0

    def instance(self) -> MovieLensInstance:
        path = self.path or str(synthetic_ratings_path(self.synthetic_seed))
        return _load(path, self.S, self.N, self.m, self.H, self.like_threshold, self.drift,
                     (self.rating_low, self.rating_high))

    def make_env(self):
        return CascadingMDP(self.instance().model, rewards_known=self.rewards_known)

    def make_params(self, key):
        return cascading_params(self.instance().model, self.rewards_known)

    def validate(self):
        _check_sizes(self.S, self.N, self.m, self.H)
        self.instance()   # file errors (missing columns, unknown ids, ...) surface before any compile
