"""Small synthetic BRIDGE-format MDPs with known answers: the combination lock of sqirl spec §7.6.

``lock(d, A, c)`` has horizon ``H = d`` and states ``0..d-1`` (0 = the root):

- root: action 0 -> lock state 1 (reward 0); action 1 -> terminal with reward ``c``; others ->
  terminal with reward 0;
- lock state ``l``: action 0 -> ``l + 1`` (reward 0), or terminal with reward 1 when ``l = d - 1``;
  others -> terminal with reward 0.

So ``V* = 1`` and ``Q^j(root, a0) = A^-(d - j)``: the minimal k of k-QVI-solvability is
``min{j : A^-(d-j) > c}`` (the greedy action on ``Q^j`` at the root is the decoy 1 below it).
"""
from __future__ import annotations

import numpy as np

from envs.bridge.loader import BridgeMDP, from_arrays
from rlkit.config import ConfigError


def lock(d: int, A: int, c: float) -> BridgeMDP:
    """The combination lock ``lock(d, A, c)`` (see the module docstring)."""
    if d < 2 or A < 2 or not 0 <= c < 1:
        raise ConfigError(f"lock(d, A, c) needs d >= 2, A >= 2 and 0 <= c < 1; got d={d}, A={A}, c={c}")
    transitions = np.full((d, A), -1, np.int64)
    rewards = np.zeros((d, A), np.float32)
    for state in range(d):
        transitions[state, 0] = state + 1 if state < d - 1 else -1
    rewards[d - 1, 0] = 1.0
    rewards[0, 1] = c
    return from_arrays(transitions, rewards, d, f"lock_d{d}_A{A}_c{c:g}")


def lock_min_k(d: int, A: int, c: float) -> int:
    """The theory's minimal k for ``lock(d, A, c)``: ``min{j >= 1 : A^-(d - j) > c}``."""
    return next(j for j in range(1, d + 1) if float(A) ** -(d - j) > c)
