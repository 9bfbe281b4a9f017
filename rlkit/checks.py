"""The theory-check registry and result type behind ``rlkit verify``.

A check is a function ``check(full: bool) -> list[CheckRow]`` registered with
``@register(family, name)``. Each row compares a measured quantity with the bound or target of a
theorem on one instance; ``expect`` says whether the row should pass (the guarantee) or fail (a
negative control: an algorithm without the guarantee must fail the same test). A check holds when
every row's verdict matches its expectation.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

FAMILIES = ("core", "stepmix", "lsd", "cascading", "sqirl", "ridesharing", "economist")


@dataclass(frozen=True)
class CheckRow:
    check: str
    instance: str
    target: str
    measured: str
    passed: bool
    expect: bool = True   # False for a negative control, which must fail

    @property
    def ok(self) -> bool:
        return self.passed == self.expect

    @property
    def verdict(self) -> str:
        word = "pass" if self.passed else "FAIL"
        if not self.expect:
            word += " (control: must fail)"
        return word


@dataclass(frozen=True)
class Check:
    family: str
    name: str
    fn: Callable[[bool], list[CheckRow]]
    description: str = ""


_REGISTRY: dict[str, Check] = {}


def register(family: str, name: str | None = None) -> Callable:
    """Decorator: register ``fn(full: bool) -> list[CheckRow]`` as a theory check."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: {FAMILIES}")

    def deco(fn):
        check_name = name or fn.__name__
        doc = (fn.__doc__ or "").strip().splitlines()
        _REGISTRY[f"{family}.{check_name}"] = Check(family, check_name, fn, doc[0] if doc else "")
        return fn

    return deco


def registered(family: str | None = None) -> list[Check]:
    from rlkit.registry import load_checks
    load_checks()
    return [c for c in _REGISTRY.values() if family is None or c.family == family]


@dataclass
class CheckReport:
    rows: list[tuple[Check, CheckRow]] = field(default_factory=list)
    errors: list[tuple[Check, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and all(row.ok for _, row in self.rows)


def run_checks(family: str | None = None, full: bool = False, echo: Callable[[str], None] | None = None
               ) -> CheckReport:
    """Run the registered checks of ``family`` (all when ``None``)."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(FAMILIES)}")
    report = CheckReport()
    t0 = time.perf_counter()
    for check in registered(family):
        if echo:
            echo(f"running {check.family}.{check.name} ...")
        try:
            for row in check.fn(full):
                report.rows.append((check, row))
        except Exception as err:  # a crashing check is a failed check, reported with its reason
            report.errors.append((check, f"{type(err).__name__}: {err}"))
    report.seconds = time.perf_counter() - t0
    return report


def format_report(report: CheckReport) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="rlkit verify")
    for col in ("family", "check", "instance", "bound / target", "measured", "verdict", "ok"):
        table.add_column(col)
    for check, row in report.rows:
        table.add_row(check.family, row.check, row.instance, row.target, row.measured, row.verdict,
                      "yes" if row.ok else "NO")
    for check, err in report.errors:
        table.add_row(check.family, check.name, "-", "-", err, "error", "NO")
    console = Console(width=200, record=True, force_terminal=False)
    with console.capture() as cap:
        console.print(table)
    n_ok = sum(row.ok for _, row in report.rows)
    summary = (f"{n_ok}/{len(report.rows)} rows as expected, {len(report.errors)} errors, "
               f"{report.seconds:.1f} s: {'ALL CHECKS HOLD' if report.ok else 'SOME CHECKS FAILED'}")
    return cap.get() + summary
