"""The core theory checks: UCB1 and UCBVI pass, their negative controls fail."""
from __future__ import annotations

import numpy as np

from rlkit.checks import CheckReport, format_report, registered
from theory_checks import core
from theory_checks.stats import fit_rates, growth_exponent, growth_ratio


def test_stats_recognise_log_sqrt_and_linear_growth():
    t = np.arange(1, 10_001, dtype=float)
    for curve, name, exponent in ((np.log(t), "log", 0.0), (np.sqrt(t), "sqrt", 0.5), (t, "linear", 1.0)):
        cum = np.stack([curve, curve])
        fits = fit_rates(cum, 10)
        assert min(fits, key=fits.get) == name
        if name != "log":
            assert abs(growth_exponent(cum, 10_000) - exponent) < 1e-9
    lin = np.stack([t, t])
    assert abs(growth_ratio(lin, 100, 1000, 10_000) - 10.0) < 1e-9


def _assert_rows(rows):
    assert rows
    for row in rows:
        assert row.ok, row
    assert any(not row.expect for row in rows), "a check needs a negative control"
    assert any(row.expect for row in rows)


def test_ucb1_passes_and_controls_fail():
    _assert_rows(core.ucb1_rows(full=False))


def test_ucbvi_passes_and_no_bonus_control_fails():
    rows = core.ucbvi_rows(full=False)
    _assert_rows(rows)


def test_core_checks_are_registered_and_report_formats():
    names = {c.name for c in registered("core")}
    assert {"ucb1_bound", "ucbvi_order"} <= names
    report = CheckReport(rows=[])
    assert "ALL CHECKS HOLD" in format_report(report)
