"""LSD instance generators (spec §7) and Laforgue et al.'s two experiment instances (spec §4).

Payoff tables use the layout of :func:`rlkit.lsd.state_index` (``mu[i]`` of length ``2m``,
columns ``-m..-1, +1..+m``).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rlkit.config import ConfigError
from rlkit.lsd import check_m, delay_state, recharging_mu


def random_general(rng: np.random.Generator, k: int, m: int) -> np.ndarray:
    """``rand_general(k, m)``: every ``mu_i(tau)`` i.i.d. ``U[0, 1]`` (no structure)."""
    return rng.uniform(0.0, 1.0, size=(k, 2 * check_m(m)))


def random_monotone(rng: np.random.Generator, k: int, m: int, variant: str = "strong") -> np.ndarray:
    """``rand_monotone(k, m)``: sorted ``U[0, 1]`` payoffs (spec §7).

    ``strong``: each row sorted along ``-m..-1, +1..+m`` (strong assumption of spec §1.4);
    ``weak``: the satiated half and the rested half sorted separately (weak assumption).
    """
    mu = random_general(rng, k, m)
    if variant == "strong":
        return np.sort(mu, axis=1)
    if variant == "weak":
        return np.concatenate([np.sort(mu[:, :m], axis=1), np.sort(mu[:, m:], axis=1)], axis=1)
    raise ConfigError(f"monotone variant must be 'strong' or 'weak', got {variant!r}")


class Instance(NamedTuple):
    """An LSD instance: payoffs ``mu[k, 2m]``, initial state, and the paper's block lengths."""

    name: str
    mu: np.ndarray
    init_state: np.ndarray
    horizons: tuple[int, ...]
    combucb_block: int
    isi_block: int


def laforgue_experiment1() -> Instance:
    """Experiment 1 of Laforgue et al. (``gen_M_trickCSBOG(k=5, d=10, pos=3)``, spec §4).

    Delay model with delays clipped at 9 (``m = 8``), all arms starting at delay 1: arms 0, 3, 4
    pay 0.15; arm 1 pays 0.95 at delay 3 and 0 otherwise (the "spike"); arm 2 pays 0.14, except
    0.16 at delay 6 and 0.96 at delays >= 9. Horizons 3600 (code) and 5112 (paper); CombUCB1
    blocks of 3, ISI-CombUCB1 blocks of 4.
    """
    delta_max, k, spike = 9, 5, 3
    r = np.full((k, delta_max), 0.15)
    r[1] = 0.0
    r[1, spike - 1] = 0.95
    r[2] = 0.14
    r[2, 2 * spike - 1] = 0.16
    r[2, 3 * spike - 1:] = 0.96
    return Instance("laforgue1", recharging_mu(r), delay_state(np.ones(k, int)), (3600, 5112), 3, 4)


def laforgue_experiment2() -> Instance:
    """Experiment 2 of Laforgue et al. (``gen_M_trickOG(k=2, d=11, pos=2)``, spec §4).

    Delay model with delays clipped at 10 (``m = 9``), both arms starting at delay 1: arm 0 pays
    0.05; arm 1 pays 0.06 at delay 1 and 0.95 at delays >= 2. Alternating is optimal (0.5 per
    round); Oracle Greedy replays arm 1 for 0.06 per round. Horizons 3300 (code) and 5060
    (paper); CombUCB1 blocks of 10, ISI-CombUCB1 blocks of 11.
    """
    delta_max, k = 10, 2
    r = np.zeros((k, delta_max))
    r[0] = 0.05
    r[1, 0] = 0.06
    r[1, 1:] = 0.95
    return Instance("laforgue2", recharging_mu(r), delay_state(np.ones(k, int)), (3300, 5060), 10, 11)


LAFORGUE = {"laforgue1": laforgue_experiment1, "laforgue2": laforgue_experiment2}


def pad_states(mu: np.ndarray, m_to: int) -> np.ndarray:
    """The same instance with state cap ``m_to >= m`` (exact: payoffs are constant beyond the cap,
    so the padded states repeat ``mu(-m)`` and ``mu(+m)`` and every action sequence pays the
    same). Lets instances of different ``m`` share one compiled program."""
    mu = np.asarray(mu, np.float64)
    m = mu.shape[1] // 2
    if m_to < m:
        raise ConfigError(f"cannot pad m = {m} down to {m_to}")
    extra = m_to - m
    return np.concatenate([np.repeat(mu[:, :1], extra, 1), mu, np.repeat(mu[:, -1:], extra, 1)], 1)


def pad_state(init_state: np.ndarray, m: int, m_to: int) -> np.ndarray:
    """An initial state under :func:`pad_states`: a saturated ``+-m`` becomes ``+-m_to``."""
    tau = np.asarray(init_state, np.int32)
    return np.where(np.abs(tau) == m, np.sign(tau) * m_to, tau).astype(np.int32)
