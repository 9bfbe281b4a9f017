"""The core's theorems as checks: UCB1's finite-time bound and UCBVI's sqrt(K) regret order.

- UCB1 (Auer, Cesa-Bianchi & Fischer 2002, Thm 1): ``E[R_T] <= 8 sum ln T / D_i + (1 + pi^2/3)
  sum D_i``, checked as mean + 3 s.e. of the pseudo-regret at every horizon, together with the
  growth ratio over decades (about 1 for log regret, 10 for linear; frameworks spec §5). Greedy
  (c = 0) and uniform play are negative controls that must fail.
- UCBVI (Azar, Osband & Munos 2017, Thm 1: regret of order sqrt(K) up to log factors): the
  growth exponent ``log(R(K) / R(K/10)) / log 10`` of the exact pseudo-regret on random MDPs
  with unknown rewards, with the valid bonus (c = 1). The no-bonus (c = 0) agent is the negative
  control: it locks onto early choices and its regret grows linearly.
"""
from __future__ import annotations

import jax
import numpy as np

from agents.baselines import UniformRandomParams
from agents.ucb1 import UCB1Params
from agents.ucbvi import UCBVIParams
from envs.bandits import Bandit, ucb1_bound
from rlkit import tabular
from rlkit.batch import train_seeds
from rlkit.checks import CheckRow, register
from rlkit.trainer import TrainConfig
from theory_checks.stats import cumulative_regret, growth_exponent, growth_ratio, regret_at

BANDIT_MEANS = (0.9, 0.8, 0.7, 0.5)
UCB1_RATIO_MAX = 3.0       # sqrt(10) = 3.16 would already be polynomial growth; log gives ~1
UCBVI_EXPONENT_MAX = 0.7   # sqrt(K) gives 0.5 (plus log factors and burn-in); linear gives 1.0


def ucb1_rows(full: bool) -> list[CheckRow]:
    T = 100_000 if full else 10_000
    seeds = 1000 if full else 200
    horizons = [T // 100, T // 10, T]
    env = Bandit(BANDIT_MEANS)
    agents = [("UCB1 (c=2)", UCB1Params(2.0), True), ("greedy (c=0)", UCB1Params(0.0), False),
              ("uniform", UniformRandomParams(), False)]
    rows = []
    for label, hp, expect in agents:
        metrics = train_seeds(env, hp, TrainConfig(num_iterations=T), seeds)
        cum = cumulative_regret(metrics["regret"])
        at = regret_at(cum, horizons)
        bounds = [ucb1_bound(BANDIT_MEANS, t) for t in horizons]
        bound_ok = all(m.upper(3.0) <= b for m, b in zip(at, bounds))
        ratio = growth_ratio(cum, *horizons)
        passed = bound_ok and ratio <= UCB1_RATIO_MAX
        rows.append(CheckRow(
            check="ucb1 regret bound + log growth", instance=f"Bernoulli{BANDIT_MEANS}, {label}, {seeds} seeds",
            target=f"R(T)+3se <= {bounds[-1]:.0f} at T={T} (and T/10, T/100); growth ratio <= {UCB1_RATIO_MAX}",
            measured=f"R(T)={at[-1]}; ratio {ratio:.2f}", passed=passed, expect=expect))
    return rows


@register("core", "ucb1_bound")
def ucb1_check(full: bool = False) -> list[CheckRow]:
    """UCB1 below the Auer et al. (2002) Thm 1 bound with log growth; greedy and uniform fail."""
    return ucb1_rows(full)


def ucbvi_rows(full: bool) -> list[CheckRow]:
    S, A, H = (5, 5, 3) if full else (3, 3, 3)
    K = 100_000 if full else 20_000
    seeds = 32 if full else 16
    env = tabular.TabularMDP(rewards_known=False)
    keys = jax.random.split(jax.random.PRNGKey(3), seeds)
    params = jax.vmap(lambda k: tabular.tabular_params(tabular.random_mdp(k, S, A, H)))(keys)
    rows = []
    for label, hp, expect in [("UCBVI (c=1, valid bonus)", UCBVIParams(bonus_scale=1.0), True),
                              ("no bonus (c=0)", UCBVIParams(bonus_scale=0.0), False)]:
        metrics = train_seeds(env, hp, TrainConfig(num_iterations=K, rollout_len=H), seeds,
                              params, params_batched=True)
        cum = cumulative_regret(metrics["regret"])
        exponent = growth_exponent(cum, K)
        rows.append(CheckRow(
            check="ucbvi sqrt(K) regret order",
            instance=f"random MDP S={S} A={A} H={H}, unknown rewards, {label}, {seeds} seeds",
            target=f"log10 R(K)/R(K/10) <= {UCBVI_EXPONENT_MAX} at K={K}",
            measured=f"exponent {exponent:.2f}; R(K)={cum[:, -1].mean():.0f}",
            passed=bool(exponent <= UCBVI_EXPONENT_MAX and np.all(np.isfinite(cum))), expect=expect))
    return rows


@register("core", "ucbvi_order")
def ucbvi_check(full: bool = False) -> list[CheckRow]:
    """UCBVI's pseudo-regret grows like sqrt(K); the no-bonus control grows linearly."""
    return ucbvi_rows(full)
