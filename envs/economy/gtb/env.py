"""Gather-Trade-Build (Zheng et al. 2021; Foundation ``layout_from_file/simple_wood_and_stone``,
spec §2) as a pure-JAX, vmappable multi-agent env.

One step, in Foundation's component order: the planner's rates are set on the first step of each
tax period; agents build (1 wood + 1 stone -> a house and ``build_payment`` coin), place market
orders which are matched and expired (:mod:`envs.economy.gtb.market`), move and gather (in a random
agent order, then collect the resource on their tile); empty source tiles regrow; on the last step
of a period taxes are collected on the period's income and redistributed as an equal lump sum.
Agents' rewards are changes of the isoelastic utility ``(c^(1-eta) - 1)/(1 - eta) - kappa l`` of
their coin endowment ``c`` (inventory + escrow) and labor ``l``; the planner's reward is the change
of the social welfare function (default ``coin_eq_times_productivity``).

Pytrees (DESIGN.md): observation ``{"agents": {"spatial", "features", "action_mask"}, "planner":
{"features", "action_mask"}}`` (:mod:`envs.economy.gtb.observe`), action ``{"agents": [N],
"planner": [B]}``, reward ``{"agents": [N], "planner": []}``. ``info["labor_cost"]`` is each agent's
``kappa * (labor increase)`` this step (the learner's labor-cost warm-up re-weights it).

Tax models: ``planner`` (its grid choices), ``fixed`` (``fixed_rates``: free market, US federal) and
``saez`` (rates from the Saez formula applied to the incomes of the finished periods of this
episode with a fixed elasticity; no tax in the first period) [design: Foundation keeps a
cross-episode buffer of 500 incomes and estimates the elasticity].
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from envs.economy import saez, welfare
from envs.economy.gtb import market, observe, rules
from envs.economy.gtb.market import OrderBook
from envs.economy.gtb.state import COIN, N_RESOURCES, TAX_PLANNER, TAX_SAEZ, GTBParams, GTBState
from rlkit.env import Env, EnvSpec
from rlkit.spaces import Box, Dict, MultiDiscrete


class GatherTradeBuild(Env):
    """See the module docstring; build params with ``GTBConfig.make_params``."""

    def default_params(self) -> GTBParams:
        from envs.economy.gtb.config import GTBConfig
        return GTBConfig().make_params()

    # --- reset ---------------------------------------------------------------------------------
    def reset_env(self, key, params: GTBParams):
        n = params.n_agents
        rank = jax.random.permutation(key, n) if params.permute_agents else jnp.arange(n)
        inventory = jnp.zeros((n, 3), jnp.float64).at[:, COIN].set(params.starting_coin)
        zeros = jnp.zeros(n, jnp.float64)
        coin = inventory[:, COIN]
        u = welfare.isoelastic_utility(coin, zeros, params.isoelastic_eta, params.energy_cost)
        state = GTBState(
            time=jnp.int32(0), wood=params.wood_source.astype(jnp.int32),
            stone=params.stone_source.astype(jnp.int32),
            house_owner=jnp.full(params.water.shape, -1, jnp.int32), pos=params.starts[rank],
            inventory=inventory, escrow=jnp.zeros((n, 3), jnp.float64), labor=zeros, rank=rank,
            book=OrderBook.empty(N_RESOURCES, n, params.max_num_orders), next_seq=jnp.int32(0),
            rates=jnp.zeros(params.n_brackets, jnp.float64), last_coin=coin, last_income=zeros,
            last_marginal=zeros, income_history=jnp.zeros((params.n_periods, n), jnp.float64),
            periods_done=jnp.int32(0), utility=u, welfare=self._welfare(coin, u, params),
            houses=jnp.zeros(n, jnp.int32), tax_paid=zeros)
        return observe.observe(state, params), state

    @staticmethod
    def _welfare(coin, utilities, params: GTBParams):
        return welfare.social_welfare(params.swf, coin=coin, income=coin, utilities=utilities,
                                      equality_weight=params.equality_weight,
                                      foundation_gini=params.foundation_gini)

    # --- step ----------------------------------------------------------------------------------
    def new_rates(self, state: GTBState, planner_action, params: GTBParams) -> jax.Array:
        """The rates of a new tax period: the planner's grid choices (0 keeps a bracket's rate),
        ``fixed_rates``, or the Saez schedule of the incomes of this episode's finished periods
        (no tax before the first period has finished), by ``params.tax_mode``."""
        n = params.n_agents
        seen = (jnp.arange(params.n_periods) < state.periods_done)[:, None]
        mask = jnp.broadcast_to(seen, (params.n_periods, n)).ravel()
        saez_rates = saez.saez_schedule(state.income_history.ravel(), params.cutoffs,
                                        params.saez_elasticity, mask=mask,
                                        rate_min=jnp.min(params.rate_grid), rate_max=jnp.max(params.rate_grid))
        saez_rates = jnp.where(state.periods_done > 0, saez_rates, 0.0)
        choice = jnp.asarray(planner_action)
        chosen = params.rate_grid[jnp.clip(choice - 1, 0, params.n_rates - 1)]
        planner = jnp.where(choice == 0, state.rates, chosen)
        return jnp.where(params.tax_mode == TAX_PLANNER, planner,
                         jnp.where(params.tax_mode == TAX_SAEZ, saez_rates, params.fixed_rates))

    def step_env(self, key, state: GTBState, action, params: GTBParams):
        k_order, k_gather, k_regen = jax.random.split(key, 3)
        n = params.n_agents
        t = state.time
        before_labor, before_coin = state.labor, rules.coin_endowment(state)
        first_day = (t % params.period) == 0
        last_day = ((t % params.period) == params.period - 1) | (t + 1 >= params.episode_length)
        state = state.replace(rates=jnp.where(first_day, self.new_rates(state, action["planner"], params),
                                              state.rates))
        act = rules.decode(jnp.asarray(action["agents"]), params)
        order = jax.random.permutation(k_order, n)

        # build
        state, built = rules.build(state, act["build"], params.build_payment[state.rank], params)
        # trade
        book, inv, esc, placed, seq = market.place_orders(
            state.book, state.inventory, state.escrow, act["resource"], act["is_bid"], act["price"],
            act["order"], order, t, state.next_seq)
        book, inv, esc, trade = market.match(book, inv, esc)
        book, inv, esc = market.expire(book, inv, esc, t, params.order_duration)
        state = state.replace(book=book, inventory=inv, escrow=esc, next_seq=seq,
                              labor=state.labor + placed * params.order_labor)
        # move and gather; regrow
        state, moves = rules.move_and_gather(k_gather, state, act["move"], act["direction"],
                                             params.gather_bonus[state.rank], order, params)
        state = rules.regenerate(k_regen, state, params)
        # taxes
        taxed, tax = rules.enact_taxes(state, params)
        state = jax.tree_util.tree_map(lambda a, b: jnp.where(last_day, a, b), taxed, state)
        state = state.replace(time=t + 1)

        coin = rules.coin_endowment(state)
        u = welfare.isoelastic_utility(coin, state.labor, params.isoelastic_eta, params.energy_cost)
        w = self._welfare(coin, u, params)
        reward = {"agents": u - state.utility, "planner": w - state.welfare}
        state = state.replace(utility=u, welfare=w)
        terminated = state.time >= params.episode_length
        end = terminated.astype(jnp.float64)
        eq = welfare.equality(coin, params.foundation_gini)
        info = {
            "labor_cost": params.energy_cost * (state.labor - before_labor),
            "houses_built": jnp.sum(built).astype(jnp.float64),
            "trades": jnp.sum(trade["trades"]).astype(jnp.float64),
            "gathered": jnp.sum(moves["gathered"]),
            "built": built.astype(jnp.float64), "orders_placed": placed.astype(jnp.float64),
            "moved": moves["moved"].astype(jnp.float64), "collected": moves["collected"].astype(jnp.float64),
            "gathered_units": moves["gathered"], "tax_enacted": last_day.astype(jnp.float64),
            "tax_revenue": jnp.where(last_day, jnp.sum(tax["tax_paid"]), 0.0),
            "coin_change": jnp.sum(coin) - jnp.sum(before_coin),
            "social_welfare": end * w, "equality": end * eq, "productivity": end * jnp.sum(coin),
            "eq_times_productivity": end * eq * jnp.sum(coin), "coin": end * coin,
            "labor": end * state.labor,
        }
        return observe.observe(state, params), state, reward, terminated, info

    # --- spec ----------------------------------------------------------------------------------
    def spec(self, params: GTBParams) -> EnvSpec:
        n, b, r = params.n_agents, params.n_brackets, params.n_rates
        side = 2 * params.obs_radius + 1
        f_agent = 28 + b + n
        obs_space = Dict({
            "agents": Dict({"spatial": Box(0, np.inf, (n, side, side, observe.N_CHANNELS)),
                            "features": Box(-np.inf, np.inf, (n, f_agent)),
                            "action_mask": Box(0, 1, (n, params.n_actions), jnp.bool_)}),
            "planner": Dict({"features": Box(-np.inf, np.inf, (7 * n + b + 6,)),
                             "action_mask": Box(0, 1, (b, r + 1), jnp.bool_)}),
        })
        act_space = Dict({"agents": MultiDiscrete((params.n_actions,) * n),
                          "planner": MultiDiscrete((r + 1,) * b)})
        return EnvSpec(
            observation_space=obs_space, action_space=act_space, horizon=params.episode_length,
            n_agents=n, sizes={"N": n, "B": b, "R": r, "episode_length": params.episode_length,
                               "tax_period": params.period, "n_actions": params.n_actions},
            metric_keys=("social_welfare", "equality", "productivity", "eq_times_productivity",
                         "houses_built", "trades", "gathered", "tax_revenue"),
            known={"rate_grid": params.rate_grid, "cutoffs": params.cutoffs})
