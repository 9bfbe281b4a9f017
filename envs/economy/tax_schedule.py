"""The tax-schedule settings that every economy config shares (the one-step economy and
Gather-Trade-Build): bracket spacing and cutoffs, the planner's rate grid, and the rates a
non-planner ``tax_model`` plays (Foundation's ``PeriodicBracketTax`` options, spec §1.3)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envs.economy import taxes
from rlkit.config import ConfigError


@dataclass(frozen=True)
class TaxScheduleSettings:
    """Mixed into an economy's env config; the config names its allowed models in ``TAX_MODELS``.

    ``tax_model``: ``planner`` (the planner's grid choices), ``fixed`` (``fixed_rates``: one rate,
    or one per bracket), ``us-federal`` (the 2018 rates), ``free-market`` (no tax), and whatever
    else the env adds (GTB: ``saez``). ``bracket_spacing``: ``us-federal``, ``linear``, ``log``,
    ``flat`` (one bracket) or ``custom`` (``cutoffs``).
    """

    TAX_MODELS = ("planner", "fixed", "us-federal", "free-market")

    bracket_spacing: str = "us-federal"
    cutoffs: tuple[float, ...] = ()
    usd_scaling: float = 1000.0
    n_brackets: int = 5
    top_bracket_cutoff: float = 100.0
    rate_min: float = 0.0
    rate_max: float = 1.0
    rate_disc: float = 0.05
    tax_model: str = "planner"
    fixed_rates: tuple[float, ...] = ()

    def bracket_table(self) -> np.ndarray:
        """The bracket cutoffs (``taxes.bracket_cutoffs``)."""
        return taxes.bracket_cutoffs(self.bracket_spacing, self.usd_scaling, self.n_brackets,
                                     self.top_bracket_cutoff, self.cutoffs)

    def rate_table(self) -> np.ndarray:
        """The planner's discrete rates (``taxes.rate_grid``)."""
        return taxes.rate_grid(self.rate_min, self.rate_max, self.rate_disc)

    def played_rates(self, n_brackets: int) -> np.ndarray:
        """The rates of a non-planner tax model (zeros for models that choose rates as they go)."""
        if self.tax_model == "us-federal":
            if self.bracket_spacing != "us-federal":
                raise ConfigError("tax_model 'us-federal' needs bracket_spacing 'us-federal'")
            return np.asarray(taxes.US_FEDERAL_2018_RATES)
        if self.tax_model == "fixed":
            rates = np.asarray(self.fixed_rates, np.float64)
            if rates.size == 1:
                rates = np.full(n_brackets, rates[0])
            taxes.validate_rates(rates, n_brackets, "fixed_rates")
            return rates
        return np.zeros(n_brackets)

    def validate_tax_schedule(self) -> None:
        """Concrete-value checks of the settings above; raises ``ConfigError`` naming the field."""
        if self.tax_model not in self.TAX_MODELS:
            raise ConfigError(f"unknown tax_model {self.tax_model!r}; allowed: {list(self.TAX_MODELS)}")
        if self.tax_model == "fixed" and not self.fixed_rates:
            raise ConfigError("tax_model 'fixed' needs fixed_rates (one rate, or one per bracket)")
        self.rate_table()
        self.played_rates(self.bracket_table().size)
