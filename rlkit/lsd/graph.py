"""The deterministic graph of reachable joint LSD states (spec §5.1, §5.2).

Joint states are BFS-enumerated from an initial state with every action, stored sorted by an
integer code (mixed radix ``2m`` over arms), with the successor table ``nxt[S, k]``. The graph
depends only on ``(k, m, s0)``, never on the payoffs, so it is built once (numpy, cached) and
reused as a constant by the exact oracles and by the planners of the learners.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from rlkit.config import ConfigError
from rlkit.lsd.model import check_init_state, check_m, rested_state, state_index, transition

MAX_STATES = 20_000_000


def encode(tau: Any, m: int, xp: Any = jnp) -> Any:
    """Integer code of joint states ``tau[..., k]``: ``sum_i index(tau_i) (2m)^i`` (int64)."""
    k = tau.shape[-1]
    weights = xp.asarray([(2 * m) ** i for i in range(k)], dtype=xp.int64)
    return xp.sum(state_index(tau, m, xp).astype(xp.int64) * weights, axis=-1)


@dataclass(frozen=True, eq=False)
class StateGraph:
    """Reachable joint states from ``states[start]``, sorted by :func:`encode`.

    Attributes:
      states: ``[S, k]`` int32 joint states.
      codes: ``[S]`` int64 codes, ascending (look a state up with ``searchsorted``).
      nxt: ``[S, k]`` int32, ``nxt[s, j]`` = index of the state after playing ``j`` in ``s``.
      start: index of the initial state.
    """

    k: int
    m: int
    states: np.ndarray
    codes: np.ndarray
    nxt: np.ndarray
    start: int

    @property
    def size(self) -> int:
        return int(self.states.shape[0])

    @property
    def layout(self) -> np.ndarray:
        """``[S, k]`` column of each arm's state in ``mu[k, 2m]``."""
        return state_index(self.states, self.m, np).astype(np.int32)

    def rewards(self, mu: Any) -> np.ndarray:
        """``rew[s, j] = mu_j(s_j)``, the expected payoff of each action in each state (numpy)."""
        mu = np.asarray(mu, np.float64)
        return mu[np.arange(self.k)[None, :], self.layout]

    def index_of(self, tau: Any) -> int:
        """Index of a joint state; raises ``KeyError`` if it is not in the graph."""
        code = int(encode(np.asarray(tau)[None], self.m, np)[0])
        i = int(np.searchsorted(self.codes, code))
        if i >= self.size or self.codes[i] != code:
            raise KeyError(f"state {list(np.asarray(tau))} is not reachable in this graph")
        return i


def _check_code_range(k: int, m: int) -> None:
    if k * math.log2(2 * m) >= 62:
        raise ConfigError(f"joint states of k = {k} arms with m = {m} do not fit a 63-bit code "
                          f"((2m)^k = {(2 * m) ** k:.3g}); use the LP bound instead of exact DP")


@functools.lru_cache(maxsize=64)
def _build(k: int, m: int, s0: tuple[int, ...], max_states: int) -> StateGraph:
    start = np.asarray(s0, np.int32)
    seen = encode(start[None], m, np)
    chunks = [start[None]]
    frontier = start[None]
    actions = np.arange(k)[None, :]
    total = 1
    while frontier.shape[0]:
        succ = transition(frontier[:, None, :], actions, m, np).reshape(-1, k)
        codes, first = np.unique(encode(succ, m, np), return_index=True)
        new = ~np.isin(codes, seen, assume_unique=True)
        frontier = succ[first[new]]
        total += frontier.shape[0]
        if total > max_states:
            raise ConfigError(f"more than {max_states} reachable joint states for k = {k}, m = {m} "
                              f"(formula: {reachable_count(k, m)} from the rested state); exact DP "
                              f"is out of reach, use the LP bound")
        seen = np.union1d(seen, codes[new])
        chunks.append(frontier)
    states = np.concatenate(chunks).astype(np.int32)
    codes = encode(states, m, np)
    order = np.argsort(codes)
    states, codes = states[order], codes[order]
    succ = transition(states[:, None, :], actions, m, np)
    nxt = np.searchsorted(codes, encode(succ, m, np)).astype(np.int32)
    start_index = int(np.searchsorted(codes, encode(start[None], m, np)[0]))
    for arr in (states, codes, nxt):
        arr.setflags(write=False)
    return StateGraph(k, m, states, codes, nxt, start_index)


def reachable_graph(k: int, m: int, s0: Any = None, max_states: int = MAX_STATES) -> StateGraph:
    """BFS over the joint states reachable from ``s0`` (default: every arm rested at ``+m``).

    Cached per ``(k, m, s0)``; raises :class:`ConfigError` beyond ``max_states`` states.
    """
    m = check_m(m)
    if isinstance(k, bool) or int(k) < 1:
        raise ConfigError(f"the number of arms k must be >= 1, got {k!r}")
    k = int(k)
    _check_code_range(k, m)
    s0 = rested_state(k, m) if s0 is None else check_init_state(s0, k, m)
    return _build(k, m, tuple(int(x) for x in s0), int(max_states))


def reachable_count(k: int, m: int) -> int:
    """Closed form of the number of joint states reachable from the rested state (spec §5.2):

    ``|R| = 1 + k + k sum_{l=1}^{m-1} [1 + (k-1) sum_{j=0}^{min(k-2, m-1-l)} C(k-2, j) (m-1-l)!/(m-1-l-j)!]``.

    After round 1 exactly one arm is negative (at ``-l``); the arm played before it has idle count
    exactly ``l`` when ``l < m``; earlier-switched arms have distinct idle counts in ``(l, m)`` or
    are saturated at ``m``.
    """
    if k == 1:
        return 1 + m  # +m, then -1..-m
    total = 1 + k
    for l in range(1, m):
        inner = sum(math.comb(k - 2, j) * math.perm(m - 1 - l, j)
                    for j in range(0, min(k - 2, m - 1 - l) + 1))
        total += k * (1 + (k - 1) * inner)
    return total
