"""BRIDGE MDPs (Laidlaw et al.): loader with validation, sticky actions, gridworld enumeration,
the env, and an env config.

``source`` strings name an MDP (:func:`resolve`):

- a path to a BRIDGE ``.npz`` file (horizon from its name, or ``horizon``);
- the name of a shipped fixture (``freeway_10_fs30``, ``maze_easy_l0_30_fs1``), looked up in
  ``$RLKIT_BRIDGE_FIXTURES``, ``tests/fixtures/bridge`` and ``../shared/fixtures/bridge``;
- ``lock:d:A:c``: the combination lock of sqirl spec §7.6;
- ``grid:NAME``: one of rlkit's MiniGrid-style worlds (:data:`gridworlds.LAYOUTS`);
- ``minigrid:ENV_ID``: a ``minigrid`` env enumerated locally (optional package).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from envs.bridge.env import (BridgeEnv, BridgeParams, BridgeState, OneHotEncoder, OneHotObservation,
                             bridge_params)
from envs.bridge.generators import lock, lock_min_k
from envs.bridge.gridworlds import (LAYOUTS, MINIGRID_WORLDS, enumerate_mdp, gridworld, local_gridworlds,
                                   minigrid_available, minigrid_mdp)
from envs.bridge.loader import (BridgeMDP, array_sha256, from_arrays, horizon_from_name, load_bridge,
                                read_npz, save_bridge, validate_arrays)
from envs.bridge.sticky import sticky_mdp
from rlkit.config import ConfigError, EnvConfig

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_NAMES = ("freeway_10_fs30", "maze_easy_l0_30_fs1")


def fixture_dirs() -> list[Path]:
    """Where shipped BRIDGE fixtures are looked up (first hit wins)."""
    dirs = []
    if os.environ.get("RLKIT_BRIDGE_FIXTURES"):
        dirs.append(Path(os.environ["RLKIT_BRIDGE_FIXTURES"]))
    dirs += [ROOT / "tests" / "fixtures" / "bridge", ROOT.parent / "shared" / "fixtures" / "bridge"]
    return dirs


def fixture_path(name: str) -> Path:
    for d in fixture_dirs():
        path = d / name / "mdp.npz"
        if path.is_file():
            return path
    raise ConfigError(f"BRIDGE fixture {name!r} not found in {[str(d) for d in fixture_dirs()]}")


def resolve(source: str, horizon: int | None = None) -> BridgeMDP:
    """The MDP named by ``source`` (see the module docstring)."""
    if source.startswith("lock:"):
        try:
            d, A, c = source.split(":")[1:]
            return lock(int(d), int(A), float(c))
        except ValueError:
            raise ConfigError(f"bad lock source {source!r}: use lock:d:A:c, e.g. lock:4:2:0.3") from None
    if source.startswith("grid:"):
        return gridworld(source[5:], horizon)
    if source.startswith("minigrid:"):
        return minigrid_mdp(source[9:], horizon or 100)
    if source in FIXTURE_NAMES or not source.endswith(".npz"):
        if Path(source).is_dir():
            return load_bridge(Path(source) / "mdp.npz", horizon)
        return load_bridge(fixture_path(source), horizon)
    return load_bridge(source, horizon)


@dataclass(frozen=True)
class BridgeConfig(EnvConfig):
    """A BRIDGE MDP env: ``source`` (see :func:`resolve`), sticky probability, observations.

    ``one_hot``: float32 one-hot observations (for network agents), with the time step when
    ``one_hot_time``. ``observe_prev_action``: with sticky actions, observe the augmented state.
    """

    source: str = "freeway_10_fs30"
    horizon: int | None = None
    sticky: float = 0.25
    observe_prev_action: bool = True
    one_hot: bool = False
    one_hot_time: bool = True

    def mdp(self) -> BridgeMDP:
        return resolve(self.source, self.horizon)

    def make_env(self):
        env = BridgeEnv(self.mdp(), self.sticky, self.observe_prev_action)
        return OneHotObservation(env, self.one_hot_time) if self.one_hot else env

    def make_params(self, key):
        return bridge_params(self.mdp(), self.sticky, self.observe_prev_action, self.horizon)

    def validate(self):
        if not 0.0 <= self.sticky < 1.0:
            raise ConfigError(f"sticky must be in [0, 1), got {self.sticky}")
        if self.horizon is not None and self.horizon < 1:
            raise ConfigError(f"horizon must be >= 1, got {self.horizon}")


__all__ = [
    "BridgeEnv", "BridgeParams", "BridgeState", "OneHotEncoder", "OneHotObservation",
    "bridge_params", "lock", "lock_min_k", "LAYOUTS", "MINIGRID_WORLDS", "local_gridworlds", "enumerate_mdp", "gridworld",
    "minigrid_available", "minigrid_mdp", "BridgeMDP", "array_sha256", "from_arrays",
    "horizon_from_name", "load_bridge", "read_npz", "save_bridge", "validate_arrays", "sticky_mdp",
    "fixture_dirs", "fixture_path", "resolve", "BridgeConfig", "FIXTURE_NAMES",
]
