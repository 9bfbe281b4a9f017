"""The LSD env config: a named or random instance, validated before any compile."""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from rlkit.config import ConfigError, EnvConfig
from rlkit.lsd import check_init_state, check_m, check_mu, recharging_mu
from envs.lsd.env import NOISE, LSDBandit, LSDParams, make_params
from envs.lsd.instances import LAFORGUE, random_general, random_monotone

INSTANCES = ("random_monotone", "random_monotone_weak", "random_general", "laforgue1", "laforgue2",
             "custom", "recharging")
INITS = ("rested", "delay1")


@dataclass(frozen=True)
class LSDConfig(EnvConfig):
    """An LSD bandit instance.

    Attributes:
      instance: ``random_monotone`` (strong variant), ``random_monotone_weak``,
        ``random_general`` (seeded by ``instance_seed``), ``laforgue1``/``laforgue2`` (spec §4),
        ``custom`` (``mu`` given) or ``recharging`` (``recharging`` = ``r[k, delta_max]`` given).
      k, m: arms and state cap for the random instances (ignored by the others).
      mu: ``[k][2m]`` payoffs for ``custom``; recharging: ``[k][delta_max]`` for ``recharging``.
      init: ``rested`` (every arm at ``+m``), ``delay1`` (every arm at ``-1``, Laforgue's start),
        or one integer state per arm. Laforgue's instances ignore ``rested`` and start at delay 1.
      horizon: rounds ``T`` per episode.
      benchmark: ``dp`` (exact optimal plan: the trainer's ``regret`` is the pseudo-regret
        against ``OPT_T``) or ``none``.
      full_information: reveal ``mu`` to the agents (planners and Oracle Greedy need it).
    """

    instance: str = "random_monotone"
    k: int = 3
    m: int = 3
    mu: tuple[tuple[float, ...], ...] | None = None
    recharging: tuple[tuple[float, ...], ...] | None = None
    init: str | tuple[int, ...] = "rested"
    horizon: int = 1000
    noise: str = "bernoulli"
    sigma: float = 0.1
    benchmark: str = "dp"
    full_information: bool = True
    instance_seed: int = 0

    def payoffs(self) -> tuple[np.ndarray, np.ndarray | None]:
        """``(mu, init_state)`` of the instance (``init_state`` None = from ``init``)."""
        if self.instance in LAFORGUE:
            inst = LAFORGUE[self.instance]()
            return inst.mu, (inst.init_state if self.init == "rested" else None)
        if self.instance == "custom":
            if self.mu is None:
                raise ConfigError("instance 'custom' needs mu: one row of 2m payoffs per arm")
            return check_mu(self.mu), None
        if self.instance == "recharging":
            if self.recharging is None:
                raise ConfigError("instance 'recharging' needs recharging: one row r_i(1..delta_max) per arm")
            return check_mu(recharging_mu(self.recharging)), None
        rng = np.random.default_rng(self.instance_seed)
        if self.instance == "random_general":
            return random_general(rng, self.k, self.m), None
        variant = "weak" if self.instance == "random_monotone_weak" else "strong"
        return random_monotone(rng, self.k, self.m, variant), None

    def init_state(self, mu: np.ndarray) -> np.ndarray | None:
        k, m = mu.shape[0], mu.shape[1] // 2
        if isinstance(self.init, str):
            if self.init == "rested":
                return None
            if self.init == "delay1":
                return -np.ones(k, np.int32)
            raise ConfigError(f"init must be one of {list(INITS)} or one state per arm, got {self.init!r}")
        return check_init_state(np.asarray(self.init), k, m)

    def make_env(self) -> LSDBandit:
        return LSDBandit(self.make_params(None))

    def make_params(self, key=None) -> LSDParams:
        """The instance's params (the key is unused: ``instance_seed`` fixes random instances).
        Cached per config, since the ``dp`` benchmark solves the instance exactly."""
        return _params(self)

    def validate(self) -> None:
        if self.instance not in INSTANCES:
            raise ConfigError(f"instance must be one of {list(INSTANCES)}, got {self.instance!r}")
        if self.instance.startswith("random"):
            check_m(self.m)
            if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
                raise ConfigError(f"k must be an integer >= 1, got {self.k!r}")
        if self.noise not in NOISE:
            raise ConfigError(f"noise must be one of {list(NOISE)}, got {self.noise!r}")
        if self.benchmark not in ("dp", "none"):
            raise ConfigError(f"benchmark must be 'dp' or 'none', got {self.benchmark!r}")
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int) or self.horizon < 1:
            raise ConfigError(f"horizon must be an integer >= 1, got {self.horizon!r}")
        mu, _ = self.payoffs()
        self.init_state(mu)


@functools.lru_cache(maxsize=16)
def _params(cfg: LSDConfig) -> LSDParams:
    mu, init = cfg.payoffs()
    explicit = cfg.init_state(mu)
    init = explicit if explicit is not None else init
    return make_params(mu, init, cfg.horizon, cfg.benchmark, cfg.noise, cfg.sigma, cfg.full_information)
