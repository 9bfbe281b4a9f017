"""Settings of Gather-Trade-Build (defaults: the paper's 4-agent Open-Quadrant configuration,
spec §2: 25x25, 20 wood + 20 stone tiles, 1000 steps, 10 tax periods of 100 steps, US-2018
brackets with a 5% rate grid, build payment ``10 x`` the skill ladder, isoelastic utility with
``eta = 0.23`` and ``kappa = 0.21``, equality x productivity as the planner's objective)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from envs.economy import welfare
from envs.economy.gtb.env import GatherTradeBuild
from envs.economy.gtb.layout import quadrant_layout
from envs.economy.gtb.state import TAX_FIXED, TAX_PLANNER, TAX_SAEZ, GTBParams
from envs.economy.skills import build_payment_ladder, gather_bonus_ladder, validate_skills
from envs.economy.tax_schedule import TaxScheduleSettings
from rlkit.config import ConfigError, EnvConfig

TAX_MODELS = TaxScheduleSettings.TAX_MODELS + ("saez",)


@dataclass(frozen=True)
class GTBConfig(TaxScheduleSettings, EnvConfig):
    """See the module docstring. ``build_payments`` / ``gather_bonus`` override the skill ladders
    (one value per skill rank); agents are randomly assigned to skill ranks (and their start
    tiles) at every reset when ``permute_agents``."""

    TAX_MODELS = TAX_MODELS

    height: int = 25
    width: int = 25
    n_agents: int = 4
    n_wood: int = 20
    n_stone: int = 20
    layout_seed: int = 0
    episode_length: int = 1000
    period: int = 100
    build_payment: float = 10.0
    payment_max_skill_multiplier: float = 3.0
    build_payments: tuple[float, ...] = ()
    gather_bonus: tuple[float, ...] = ()
    skill_seed: int = 1
    resource_regen_prob: float = 0.01
    build_labor: float = 10.0
    move_labor: float = 1.0
    collect_labor: float = 1.0
    order_labor: float = 0.25
    max_bid_ask: int = 10
    max_num_orders: int = 5
    order_duration: int = 50
    energy_cost: float = 0.21
    isoelastic_eta: float = 0.23
    swf: str = "coin_eq_times_productivity"
    mixing_weight_gini_vs_coin: float = 0.0
    saez_elasticity: float = 0.5
    obs_radius: int = 5
    starting_coin: float = 0.0
    permute_agents: bool = True
    foundation_gini: bool = False

    def make_env(self) -> GatherTradeBuild:
        return GatherTradeBuild()

    def layout(self):
        return quadrant_layout(self.height, self.width, self.n_agents, self.n_wood, self.n_stone, self.layout_seed)

    def payments(self) -> np.ndarray:
        if self.build_payments:
            if len(self.build_payments) != self.n_agents:
                raise ConfigError(f"build_payments has {len(self.build_payments)} entries, n_agents is {self.n_agents}")
            return validate_skills(self.build_payments, "build_payments")
        if not self.build_payment > 0:
            raise ConfigError(f"build_payment must be > 0, got {self.build_payment}")
        return build_payment_ladder(self.n_agents, self.build_payment, self.payment_max_skill_multiplier,
                                    self.skill_seed)

    def bonuses(self) -> np.ndarray:
        if self.gather_bonus:
            b = np.asarray(self.gather_bonus, np.float64)
            if b.shape != (self.n_agents,) or np.any(~np.isfinite(b)) or np.any(b < 0) or np.any(b > 1):
                raise ConfigError(f"gather_bonus needs {self.n_agents} probabilities in [0, 1] (no negative "
                                  f"skill), got {list(self.gather_bonus)}")
            return b
        return gather_bonus_ladder(self.n_agents, self.skill_seed)

    def validate(self) -> None:
        for name in ("n_agents", "episode_length", "period", "max_bid_ask", "max_num_orders",
                     "order_duration", "obs_radius"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < (2 if name == "n_agents" else 1):
                raise ConfigError(f"{name} must be an integer >= {2 if name == 'n_agents' else 1}, got {v!r}")
        if self.period > self.episode_length:
            raise ConfigError(f"period ({self.period}) must not exceed episode_length ({self.episode_length})")
        self.layout()
        self.payments()
        self.bonuses()
        if not 0 <= self.resource_regen_prob <= 1:
            raise ConfigError(f"resource_regen_prob must be in [0, 1], got {self.resource_regen_prob}")
        for name in ("build_labor", "move_labor", "collect_labor", "order_labor", "starting_coin", "saez_elasticity"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        welfare.validate_utility("isoelastic_coin_minus_labor", isoelastic_eta=self.isoelastic_eta,
                                 labor_cost=self.energy_cost)
        welfare.validate_welfare(self.swf)
        if not 0 <= self.mixing_weight_gini_vs_coin <= 1:
            raise ConfigError(f"mixing_weight_gini_vs_coin must be in [0, 1], got {self.mixing_weight_gini_vs_coin}")
        self.validate_tax_schedule()

    def make_params(self, key: Any = None) -> GTBParams:
        self.validate()
        lay = self.layout()
        cutoffs = self.bracket_table()
        f64 = lambda x: jnp.asarray(x, jnp.float64)  # noqa: E731
        mode = {"planner": TAX_PLANNER, "saez": TAX_SAEZ}.get(self.tax_model, TAX_FIXED)
        return GTBParams(
            water=jnp.asarray(lay.water), wood_source=jnp.asarray(lay.wood_source),
            stone_source=jnp.asarray(lay.stone_source), starts=jnp.asarray(lay.starts, jnp.int32),
            build_payment=f64(self.payments()), gather_bonus=f64(self.bonuses()), cutoffs=f64(cutoffs),
            rate_grid=f64(self.rate_table()),
            fixed_rates=f64(self.played_rates(cutoffs.size)), resource_regen_prob=f64(self.resource_regen_prob),
            build_labor=f64(self.build_labor), move_labor=f64(self.move_labor),
            collect_labor=f64(self.collect_labor), order_labor=f64(self.order_labor),
            energy_cost=f64(self.energy_cost), isoelastic_eta=f64(self.isoelastic_eta),
            equality_weight=f64(1.0 - self.mixing_weight_gini_vs_coin),
            saez_elasticity=f64(self.saez_elasticity), starting_coin=f64(self.starting_coin),
            order_duration=jnp.int32(self.order_duration), episode_length=self.episode_length,
            period=self.period, max_bid_ask=self.max_bid_ask, max_num_orders=self.max_num_orders,
            obs_radius=self.obs_radius, tax_mode=jnp.int32(mode), swf=self.swf,
            permute_agents=self.permute_agents, foundation_gini=self.foundation_gini)
