"""The one-step economy's exact model: agents' best responses by enumeration, the exact welfare of
any bracket schedule, and the welfare-maximising schedule on the planner's rate grid (spec §1.6).

Agent ``i`` with hours ``l`` earns ``z = s_i l`` and ends with coin
``c_i = z - T(z) + (T(z) + sum_{j != i} T(z_j)) / N``: it gets back its own ``1/N`` share of its
tax (``own_share=True``, the game the env defines). ``own_share=False`` is the atomistic variant
(each agent ignores its share), used only for the textbook comparison.

- Quasi-linear utility: other agents' hours enter ``c_i`` additively, so the best response is a
  dominant strategy: ``argmax_l z - (1 - 1/N) T(z) - kappa l^delta`` over the integer hours
  ``0..max_labor`` (exact, kink-aware; ties go to fewer hours).
- Isoelastic utility: the others' taxes matter; the Nash profile is found by Gauss-Seidel
  best-response sweeps (``nash_sweeps``), each best response exact over the integer hours.
- The optimum over schedules: brute force over all ``R^B`` grid schedules when there are at most
  ``MAX_ENUMERATED`` of them, else coordinate ascent from the best flat schedule (a numerical
  search, documented as such in the result).
"""
from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs.economy import saez, taxes
from envs.economy.one_step import OneStepParams, settle

MAX_ENUMERATED = 20_000
COORDINATE_SWEEPS = 4


@struct.dataclass
class OneStepModel:
    params: OneStepParams
    own_share: bool = struct.field(pytree_node=False, default=True)
    nash_sweeps: int = struct.field(pytree_node=False, default=30)

    @classmethod
    def from_params(cls, params: OneStepParams, own_share: bool = True) -> "OneStepModel":
        return cls(params=params, own_share=own_share)

    # --- best responses ----------------------------------------------------------------------
    def hours(self) -> jax.Array:
        return jnp.arange(self.params.max_labor + 1, dtype=jnp.float64)

    def _share(self) -> float:
        return 1.0 / self.params.n_agents if self.own_share else 0.0

    def quasi_linear_best_response(self, rates: jax.Array) -> jax.Array:
        """Dominant-strategy hours [N] under quasi-linear utility (enumerated)."""
        p = self.params
        h = self.hours()
        z = p.skills[:, None] * h[None, :]
        kept = z - (1.0 - self._share()) * taxes.taxes_due(z, p.cutoffs, rates)
        objective = kept - p.labor_cost * jnp.power(h, p.labor_exponent)[None, :]
        return h[jnp.argmax(objective, axis=1)]

    def agent_best_response(self, i: int | jax.Array, labor: jax.Array, rates: jax.Array) -> jax.Array:
        """Agent ``i``'s exact best hours given the others' ``labor`` (any utility)."""
        p = self.params
        h = self.hours()
        n = p.n_agents
        profiles = jnp.broadcast_to(labor, (h.shape[0], n)).at[:, i].set(h)
        outcomes = jax.vmap(lambda lab: settle(p, rates, lab))(profiles)
        coin_i = outcomes["coin"][:, i]
        if not self.own_share:  # atomistic: the agent ignores its own share of its tax
            coin_i = coin_i - outcomes["tax_paid"][:, i] / n
        u = outcomes["utility"][:, i] if self.own_share else _utility_of(p, coin_i, h)
        return h[jnp.argmax(u)]

    def best_response(self, rates: jax.Array) -> jax.Array:
        """The equilibrium hours [N] (dominant strategy, or Nash by best-response sweeps)."""
        start = self.quasi_linear_best_response(rates)
        if self.params.utility == "coin_minus_labor_cost":
            return start

        def sweep(_, labor):
            def one(i, lab):
                return lab.at[i].set(self.agent_best_response(i, lab, rates))
            return jax.lax.fori_loop(0, self.params.n_agents, one, labor)

        return jax.lax.fori_loop(0, self.nash_sweeps, sweep, jnp.zeros_like(start))

    # --- welfare -------------------------------------------------------------------------------
    def outcome(self, rates: jax.Array, labor: jax.Array | None = None) -> dict:
        """Incomes, coin, utilities, welfare, equality, productivity of ``labor`` (default: the
        best responses) under ``rates``."""
        labor = self.best_response(rates) if labor is None else labor
        return settle(self.params, rates, labor) | {"labor": labor}

    def welfare(self, rates: jax.Array) -> jax.Array:
        """Exact social welfare of a schedule when agents best-respond."""
        return self.outcome(rates)["welfare"]

    def schedule_rates(self, indices: jax.Array) -> jax.Array:
        """Rates of grid indices [B] (index ``k`` is ``rate_grid[k]``; no "no change" here)."""
        return self.params.rate_grid[indices]

    def schedule_welfare(self, indices: jax.Array) -> jax.Array:
        return self.welfare(self.schedule_rates(indices))

    def flat_welfare(self) -> jax.Array:
        """Welfare of every flat schedule (the same grid rate in every bracket), [R]."""
        b = self.params.n_brackets
        return jax.vmap(lambda r: self.welfare(jnp.full(b, r)))(self.params.rate_grid)

    # --- the optimum on the grid --------------------------------------------------------------
    def num_schedules(self) -> int:
        return self.params.n_rates ** self.params.n_brackets

    def all_schedules(self) -> np.ndarray:
        """Every grid schedule as indices ``[R^B, B]`` (host side; only when enumerable)."""
        r, b = self.params.n_rates, self.params.n_brackets
        return np.array(list(itertools.product(range(r), repeat=b)), np.int32).reshape(-1, b)

    def optimal_schedule(self) -> tuple[jax.Array, jax.Array]:
        """``(indices [B], welfare)`` of the best grid schedule: brute force when at most
        ``MAX_ENUMERATED`` schedules, else coordinate ascent from the best flat schedule."""
        if self.num_schedules() <= MAX_ENUMERATED:
            grid = jnp.asarray(self.all_schedules())
            values = jax.vmap(self.schedule_welfare)(grid)
            best = jnp.argmax(values)
            return grid[best], values[best]
        return self._coordinate_ascent()

    def _coordinate_ascent(self) -> tuple[jax.Array, jax.Array]:
        b, r = self.params.n_brackets, self.params.n_rates
        start = jnp.full(b, jnp.argmax(self.flat_welfare()), jnp.int32)

        def bracket(k, idx):
            trials = jnp.broadcast_to(idx, (r, b)).at[:, k].set(jnp.arange(r, dtype=jnp.int32))
            values = jax.vmap(self.schedule_welfare)(trials)
            return trials[jnp.argmax(values)]

        def sweep(_, idx):
            return jax.lax.fori_loop(0, b, bracket, idx)

        best = jax.lax.fori_loop(0, COORDINATE_SWEEPS, sweep, start)
        return best, self.schedule_welfare(best)

    def saez_schedule(self, elasticity=None, iterations: int = 50, damping: float = 0.5,
                      weight_kind: str = "inverse_income") -> jax.Array:
        """The Saez schedule of this economy: a fixed point of "rates = Saez formula applied to the
        incomes agents earn when best-responding to the rates", found by damped iteration from
        no tax. ``elasticity`` defaults to the true ``1/(delta - 1)`` of quasi-linear utility."""
        p = self.params
        e = 1.0 / (p.labor_exponent - 1.0) if elasticity is None else elasticity
        rate_max = jnp.max(p.rate_grid)

        def body(_, rates):
            incomes = self.outcome(rates)["income"]
            target = saez.saez_schedule(incomes, p.cutoffs, e, weight_kind=weight_kind,
                                        rate_min=jnp.min(p.rate_grid), rate_max=rate_max)
            return (1.0 - damping) * rates + damping * target

        return jax.lax.fori_loop(0, iterations, body, jnp.zeros(p.n_brackets, jnp.float64))

    def optimal_value(self) -> jax.Array:
        """``max`` over grid schedules of the exact welfare (the trainer's ``V*``)."""
        return self.optimal_schedule()[1]


def _utility_of(params: OneStepParams, coin, labor):
    from envs.economy import welfare
    return welfare.utility(params.utility, coin, labor, params.labor_cost, params.labor_exponent,
                           params.isoelastic_eta)
