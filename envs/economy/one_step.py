"""The one-step economy (Foundation ``one-step-economy``, spec §1.1-1.4) as a pure-JAX multi-agent env.

Two steps per episode. Step 1: the planner sets the bracket rates (the agents can only NO-OP,
Foundation's ``mask_first_step``). Step 2: every agent picks its hours ``l in 0..100`` (action 0 is
the NO-OP, i.e. 0 hours), earns ``z = l * skill``, taxes are collected on ``z`` and the revenue is
paid back as an equal lump sum at the end of that same step (the tax component runs after the
labor component, spec §1.1 gotcha). Rewards are changes in utility (agents) and in social welfare
(planner), so the step-2 rewards add up to the terminal values minus those at reset.

Pytrees (the planner is one more named entry, DESIGN.md):

- observation ``{"agents": {"features": [N, 3 + B], "action_mask": [N, 101]},
  "planner": {"features": [4 + B + N], "action_mask": [B, 1 + R]}}``; agent features are
  ``[skill / max_skill_multiplier, is_tax_step, is_labor_step, rates...]``, planner features
  ``[sum(coin)/N/1000, equality, is_tax_step, is_labor_step, rates..., sorted incomes / 100]``;
- action ``{"agents": int [N], "planner": int [B]}``; planner choice ``k >= 1`` sets grid rate
  ``k - 1``, ``0`` keeps the current rate;
- reward ``{"agents": [N], "planner": []}``.

[design] deviations from Foundation: at the tax step the planner's "no change" choice is masked
(it always states every rate; in Foundation it duplicates rate index 0 here); the observation
omits Foundation's always-zero income-history fields. ``tax_model="fixed"`` plays fixed rates
(free market, US federal, a Saez schedule) and ignores the planner.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs.economy import taxes, welfare
from envs.economy.skills import pareto_skill_ladder, validate_skills
from envs.economy.tax_schedule import TaxScheduleSettings
from rlkit.config import ConfigError, EnvConfig
from rlkit.env import Env, EnvSpec
from rlkit.spaces import Box, Dict, MultiDiscrete

TAX_STEP, LABOR_STEP, EPISODE_LENGTH = 0, 1, 2
TAX_MODELS = TaxScheduleSettings.TAX_MODELS


@struct.dataclass
class OneStepParams:
    """Env parameters (float fields are leaves, so many economies vmap over them)."""

    skills: jax.Array            # [N], ascending in Foundation's ladder
    cutoffs: jax.Array           # [B] bracket lower edges
    rate_grid: jax.Array         # [R] the planner's discrete rates
    fixed_rates: jax.Array       # [B] rates played when tax_model == "fixed"
    labor_cost: jax.Array        # kappa
    labor_exponent: jax.Array    # delta
    isoelastic_eta: jax.Array    # eta
    equality_weight: jax.Array   # w = 1 - mixing_weight_gini_vs_coin
    skill_scale: jax.Array       # divides skills in the observation
    max_labor: int = struct.field(pytree_node=False, default=100)
    utility: str = struct.field(pytree_node=False, default="coin_minus_labor_cost")
    swf: str = struct.field(pytree_node=False, default="inv_income_weighted_utility")
    tax_model: str = struct.field(pytree_node=False, default="planner")
    foundation_gini: bool = struct.field(pytree_node=False, default=False)

    @property
    def n_agents(self) -> int:
        return self.skills.shape[-1]

    @property
    def n_brackets(self) -> int:
        return self.cutoffs.shape[-1]

    @property
    def n_rates(self) -> int:
        return self.rate_grid.shape[-1]


@struct.dataclass
class OneStepState:
    time: jax.Array
    rates: jax.Array     # [B] current marginal rates
    labor: jax.Array     # [N] hours
    coin: jax.Array      # [N] post-tax coin
    income: jax.Array    # [N] pre-tax income ("production")
    utility: jax.Array   # [N] utility at the previous step (rewards are differences)
    welfare: jax.Array   # social welfare at the previous step


# ---------------------------------------------------------------------------------------------
# The rules as pure functions (shared with the exact model)
# ---------------------------------------------------------------------------------------------
def settle(params: OneStepParams, rates: jax.Array, labor: jax.Array) -> dict:
    """The end of step 2 for a labor profile [N]: income, taxes, lump sum, utilities, welfare."""
    income = labor * params.skills
    coin, paid, lump_sum = taxes.collect_and_redistribute(income, income, params.cutoffs, rates)
    return _accounts(params, labor, income, coin) | {"tax_paid": paid, "lump_sum": lump_sum}


def _accounts(params: OneStepParams, labor, income, coin) -> dict:
    u = welfare.utility(params.utility, coin, labor, params.labor_cost, params.labor_exponent,
                        params.isoelastic_eta)
    w = welfare.social_welfare(params.swf, coin=coin, income=income, utilities=u,
                               equality_weight=params.equality_weight,
                               foundation_gini=params.foundation_gini)
    return {"income": income, "coin": coin, "utility": u, "welfare": w,
            "equality": welfare.equality(coin, params.foundation_gini),
            "productivity": welfare.productivity(coin)}


class OneStepEconomy(Env):
    """See the module docstring. ``OneStepEconomyConfig`` builds validated params."""

    def default_params(self) -> OneStepParams:
        return OneStepEconomyConfig().make_params(None)

    def reset_env(self, key, params: OneStepParams):
        n, b = params.n_agents, params.n_brackets
        zeros = jnp.zeros(n, jnp.float64)
        start = _accounts(params, zeros, zeros, zeros)
        state = OneStepState(time=jnp.int32(0), rates=jnp.zeros(b, jnp.float64), labor=zeros,
                             coin=zeros, income=zeros, utility=start["utility"], welfare=start["welfare"])
        return self.observation(state, params), state

    def step_env(self, key, state: OneStepState, action, params: OneStepParams):
        tax_step = state.time == TAX_STEP
        labor_step = state.time == LABOR_STEP
        rates = jnp.where(tax_step, self._new_rates(state, action["planner"], params), state.rates)
        hours = jnp.clip(jnp.asarray(action["agents"]), 0, params.max_labor).astype(jnp.float64)
        labor = jnp.where(labor_step, hours, state.labor)
        out = settle(params, rates, labor)
        coin = jnp.where(labor_step, out["coin"], state.coin)
        income = jnp.where(labor_step, out["income"], state.income)
        acc = _accounts(params, labor, income, coin)
        time = state.time + 1
        next_state = OneStepState(time=time, rates=rates, labor=labor, coin=coin, income=income,
                                  utility=acc["utility"], welfare=acc["welfare"])
        reward = {"agents": acc["utility"] - state.utility, "planner": acc["welfare"] - state.welfare}
        terminated = time >= EPISODE_LENGTH
        end = labor_step.astype(jnp.float64)
        info = {
            "social_welfare": end * acc["welfare"],
            "equality": end * acc["equality"],
            "productivity": end * acc["productivity"],
            "eq_times_productivity": end * acc["equality"] * acc["productivity"] / params.n_agents,
            "tax_revenue": end * jnp.sum(out["tax_paid"]),
            "mean_rate": end * jnp.mean(rates),
            "labor": end * labor,
        }
        return self.observation(next_state, params), next_state, reward, terminated, info

    def _new_rates(self, state, planner_action, params):
        if params.tax_model == "fixed":
            return params.fixed_rates
        choice = jnp.asarray(planner_action)
        chosen = params.rate_grid[jnp.clip(choice - 1, 0, params.n_rates - 1)]
        return jnp.where(choice == 0, state.rates, chosen)

    def observation(self, state: OneStepState, params: OneStepParams) -> dict:
        n, b, r = params.n_agents, params.n_brackets, params.n_rates
        phase = jnp.stack([state.time == TAX_STEP, state.time == LABOR_STEP]).astype(jnp.float32)
        rates = state.rates.astype(jnp.float32)
        skill = (params.skills / params.skill_scale).astype(jnp.float32)
        agent_features = jnp.concatenate(
            [skill[:, None], jnp.broadcast_to(phase, (n, 2)), jnp.broadcast_to(rates, (n, b))], axis=1)
        labor_ok = jnp.arange(params.max_labor + 1) == 0
        agent_mask = jnp.broadcast_to(labor_ok | (state.time == LABOR_STEP), (n, params.max_labor + 1))
        eq = welfare.equality(state.coin, params.foundation_gini)
        planner_features = jnp.concatenate([
            jnp.stack([jnp.sum(state.coin) / n / 1000.0, eq]).astype(jnp.float32), phase, rates,
            (jnp.sort(state.income) / 100.0).astype(jnp.float32)])
        setting = (state.time == TAX_STEP) & (params.tax_model == "planner")
        row = jnp.where(setting, jnp.arange(r + 1) > 0, jnp.arange(r + 1) == 0)
        return {"agents": {"features": agent_features, "action_mask": agent_mask},
                "planner": {"features": planner_features, "action_mask": jnp.broadcast_to(row, (b, r + 1))}}

    def spec(self, params: OneStepParams) -> EnvSpec:
        from envs.economy.one_step_model import OneStepModel

        n, b, r = params.n_agents, params.n_brackets, params.n_rates
        a = params.max_labor + 1
        obs_space = Dict({
            "agents": Dict({"features": Box(-np.inf, np.inf, (n, 3 + b)),
                            "action_mask": Box(0, 1, (n, a), jnp.bool_)}),
            "planner": Dict({"features": Box(-np.inf, np.inf, (4 + b + n,)),
                             "action_mask": Box(0, 1, (b, r + 1), jnp.bool_)}),
        })
        act_space = Dict({"agents": MultiDiscrete((a,) * n), "planner": MultiDiscrete((r + 1,) * b)})
        return EnvSpec(
            observation_space=obs_space, action_space=act_space, horizon=EPISODE_LENGTH, n_agents=n,
            sizes={"N": n, "B": b, "R": r, "labor_actions": a, "episode_length": EPISODE_LENGTH,
                   "tax_period": EPISODE_LENGTH},
            metric_keys=("social_welfare", "equality", "productivity", "eq_times_productivity",
                         "tax_revenue", "mean_rate"),
            known={"rate_grid": params.rate_grid, "cutoffs": params.cutoffs},
            model=OneStepModel.from_params(params))


# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OneStepEconomyConfig(TaxScheduleSettings, EnvConfig):
    """The one-step economy's settings (spec §7 "build meanwhile" defaults: N = 4, kappa = 0.012,
    delta = 2, inverse-income-weighted utility, the 5% rate grid, US-2018 brackets).

    ``skills`` overrides the Pareto ladder (``skill_seed``, ``pareto_param``,
    ``payment_max_skill_multiplier``). ``tax_model``: ``planner`` (the planner's grid choices),
    ``fixed`` (``fixed_rates``), ``us-federal`` (the 2018 rates) or ``free-market`` (no tax).
    ``bracket_spacing``: ``us-federal``, ``linear``, ``log``, ``flat`` (one bracket) or ``custom``
    (``cutoffs``).
    """

    n_agents: int = 4
    skills: tuple[float, ...] = ()
    skill_seed: int = 0
    pareto_param: float = 4.0
    payment_max_skill_multiplier: float = 3.0
    utility: str = "coin_minus_labor_cost"
    labor_cost: float = 0.012
    labor_exponent: float = 2.0
    isoelastic_eta: float = 0.23
    swf: str = "inv_income_weighted_utility"
    mixing_weight_gini_vs_coin: float = 0.0
    foundation_gini: bool = False
    max_labor: int = 100

    def make_env(self) -> OneStepEconomy:
        return OneStepEconomy()

    def skill_values(self) -> np.ndarray:
        if self.skills:
            return validate_skills(self.skills)
        return pareto_skill_ladder(self.n_agents, self.payment_max_skill_multiplier,
                                   self.pareto_param, self.skill_seed)

    def validate(self) -> None:
        if not isinstance(self.n_agents, int) or self.n_agents < 2:
            raise ConfigError(f"n_agents must be an integer >= 2, got {self.n_agents!r}")
        if self.skills and len(self.skills) != self.n_agents:
            raise ConfigError(f"skills has {len(self.skills)} entries but n_agents is {self.n_agents}")
        self.skill_values()
        welfare.validate_utility(self.utility, self.labor_exponent, self.isoelastic_eta, self.labor_cost)
        welfare.validate_welfare(self.swf)
        if not 0 <= self.mixing_weight_gini_vs_coin <= 1:
            raise ConfigError(f"mixing_weight_gini_vs_coin must be in [0, 1], got {self.mixing_weight_gini_vs_coin}")
        if not isinstance(self.max_labor, int) or self.max_labor < 1:
            raise ConfigError(f"max_labor must be an integer >= 1, got {self.max_labor!r}")
        self.validate_tax_schedule()

    def make_params(self, key: Any = None) -> OneStepParams:
        self.validate()
        cutoffs = self.bracket_table()
        f64 = lambda x: jnp.asarray(x, jnp.float64)  # noqa: E731
        return OneStepParams(
            skills=f64(self.skill_values()), cutoffs=f64(cutoffs),
            rate_grid=f64(self.rate_table()),
            fixed_rates=f64(self.played_rates(cutoffs.size)), labor_cost=f64(self.labor_cost),
            labor_exponent=f64(self.labor_exponent), isoelastic_eta=f64(self.isoelastic_eta),
            equality_weight=f64(1.0 - self.mixing_weight_gini_vs_coin),
            skill_scale=f64(self.payment_max_skill_multiplier), max_labor=self.max_labor,
            utility=self.utility, swf=self.swf,
            tax_model="planner" if self.tax_model == "planner" else "fixed",
            foundation_gini=self.foundation_gini)
