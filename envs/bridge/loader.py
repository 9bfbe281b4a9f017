"""Loading and validating BRIDGE-format MDPs (Laidlaw, Russell & Dragan, NeurIPS 2023).

A BRIDGE MDP file (``consolidated.npz``) holds ``transitions`` (int64 ``[S, A]``: next state, or
-1 for "episode ends") and ``rewards`` (float32 ``[S, A]``); state 0 is the initial state; other
arrays (screens, serialized states) are ignored. The horizon is not stored: it is the number
before ``_fs`` in the MDP's name (``freeway_10_fs30`` -> 10), 100 for MiniGrid MDPs, or given.

:func:`load_bridge` validates the arrays (a bad file raises :class:`rlkit.ConfigError` naming the
array and the offending index) and appends an absorbing zero-reward terminal state at index ``S``
(upstream ``load_mdp``; sqirl spec §3.2).
"""
from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rlkit.config import ConfigError
from rlkit.sparse_mdp import SparseMDP, deterministic_mdp

REQUIRED = ("transitions", "rewards")
_HORIZON_PATTERN = re.compile(r"_(\d+)_fs\d+")
MINIGRID_HORIZON = 100


@dataclass(frozen=True)
class BridgeMDP:
    """A deterministic BRIDGE MDP with its terminal state appended.

    ``transitions[S + 1, A]`` (int64; the terminal ``S`` maps to itself), ``rewards[S + 1, A]``
    (float64; 0 at the terminal), ``horizon`` ``H``; the start state is 0.
    """

    name: str
    transitions: np.ndarray
    rewards: np.ndarray
    horizon: int

    @property
    def num_states(self) -> int:
        """States including the appended terminal."""
        return self.transitions.shape[0]

    @property
    def num_actions(self) -> int:
        return self.transitions.shape[1]

    @property
    def terminal(self) -> int:
        return self.num_states - 1

    def model(self, horizon: int | None = None) -> SparseMDP:
        """The exact deterministic model (a :class:`rlkit.sparse_mdp.SparseMDP` with ``K = 1``)."""
        terminal = np.zeros(self.num_states, bool)
        terminal[self.terminal] = True
        return deterministic_mdp(self.transitions, self.rewards, horizon or self.horizon, 0, terminal)


def horizon_from_name(name: str) -> int | None:
    """The horizon encoded in a BRIDGE MDP name: ``{game}_{H}_fs{frameskip}`` -> ``H``; MiniGrid
    MDPs -> 100; otherwise ``None``."""
    match = _HORIZON_PATTERN.search(name)
    if match:
        return int(match.group(1))
    if "MiniGrid" in name:
        return MINIGRID_HORIZON
    return None


def validate_arrays(transitions: np.ndarray, rewards: np.ndarray, source: str = "MDP") -> None:
    """Raise :class:`ConfigError` unless ``transitions``/``rewards`` form a BRIDGE MDP."""
    transitions = np.asarray(transitions)
    rewards = np.asarray(rewards)
    if not np.issubdtype(transitions.dtype, np.integer):
        raise ConfigError(f"{source}: array 'transitions' must have an integer dtype (int64: next "
                          f"state, -1 = terminal), got dtype {transitions.dtype}")
    if not np.issubdtype(rewards.dtype, np.floating):
        raise ConfigError(f"{source}: array 'rewards' must have a floating dtype (float32), got "
                          f"dtype {rewards.dtype}")
    if transitions.ndim != 2 or 0 in transitions.shape:
        raise ConfigError(f"{source}: array 'transitions' must have shape [S, A] with S, A >= 1, "
                          f"got shape {transitions.shape}")
    if rewards.shape != transitions.shape:
        raise ConfigError(f"{source}: array 'rewards' must have the shape of 'transitions' "
                          f"{transitions.shape}, got {rewards.shape}")
    S = transitions.shape[0]
    bad = np.argwhere((transitions < -1) | (transitions >= S))
    if bad.size:
        s, a = (int(i) for i in bad[0])
        raise ConfigError(f"{source}: transitions[{s}, {a}] = {int(transitions[s, a])} is not a "
                          f"state: allowed values are -1 (terminal) and 0..{S - 1}")
    bad = np.argwhere(~np.isfinite(rewards))
    if bad.size:
        s, a = (int(i) for i in bad[0])
        raise ConfigError(f"{source}: rewards[{s}, {a}] = {rewards[s, a]} is not finite")


def from_arrays(transitions, rewards, horizon: int, name: str = "MDP") -> BridgeMDP:
    """Validate BRIDGE arrays (``-1`` = terminal) and append the absorbing terminal state."""
    validate_arrays(transitions, rewards, name)
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ConfigError(f"{name}: horizon must be an integer >= 1, got {horizon!r}")
    transitions = np.asarray(transitions, np.int64)
    rewards = np.asarray(rewards).astype(np.float64)   # float32 on disk, float64 for analysis
    S, A = transitions.shape
    full_t = np.concatenate([np.where(transitions == -1, S, transitions), np.full((1, A), S)], 0)
    full_r = np.concatenate([rewards, np.zeros((1, A))], 0)
    return BridgeMDP(name, full_t, full_r, int(horizon))


def mdp_name(path: Path) -> str:
    """The MDP's name: the file stem, or the folder name for generic stems (``consolidated``,
    ``mdp``) as in the BRIDGE layout ``<name>/consolidated.npz``."""
    stem = path.stem
    if stem in ("consolidated", "mdp") and path.parent.name:
        return path.parent.name
    return stem


def read_npz(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The raw ``transitions`` and ``rewards`` arrays of a BRIDGE ``.npz`` file (validated)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file (expected a BRIDGE .npz with arrays "
                          f"'transitions' and 'rewards')")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in REQUIRED if k not in data.files]
            if missing:
                raise ConfigError(
                    f"{path}: missing array {missing[0]!r}; a BRIDGE MDP needs 'transitions' "
                    f"(int [S, A], -1 = terminal) and 'rewards' (float [S, A]); found "
                    f"{sorted(data.files)}")
            transitions, rewards = data["transitions"], data["rewards"]
    except ConfigError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ConfigError(f"{path}: not a readable .npz file ({type(err).__name__}: {err})") from None
    validate_arrays(transitions, rewards, str(path))
    return transitions, rewards


def load_bridge(path: str | Path, horizon: int | None = None) -> BridgeMDP:
    """Load a BRIDGE ``.npz`` (see the module docstring); ``horizon`` defaults to the name's."""
    path = Path(path)
    transitions, rewards = read_npz(path)
    name = mdp_name(path)
    if horizon is None:
        horizon = horizon_from_name(name)
        if horizon is None:
            raise ConfigError(f"{path}: the horizon is not stored in BRIDGE files and the name "
                              f"{name!r} does not encode one (pattern <game>_<H>_fs<k>); give it "
                              f"explicitly (e.g. --horizon 30)")
    return from_arrays(transitions, rewards, horizon, name)


def array_sha256(array: np.ndarray, dtype: str) -> str:
    """sha256 of an array's bytes in ``dtype`` (e.g. ``'<i8'``), as listed in sqirl spec §6.2."""
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.dtype(dtype)).tobytes()).hexdigest()


def save_bridge(path: str | Path, mdp: BridgeMDP) -> Path:
    """Write ``mdp`` in the BRIDGE format (terminal state removed again, -1 for terminal)."""
    path = Path(path)
    S = mdp.terminal
    t = mdp.transitions[:S].copy()
    t[t == S] = -1
    np.savez(path, transitions=t.astype(np.int64), rewards=mdp.rewards[:S].astype(np.float32))
    return path
