"""StepMix test helpers.

- Order: within ``tests/stepmix`` the tests that do not read the checks' runs (units, configs,
  bad input) run first, and the first StepMix test starts the memoised fast-mode runs of the
  theory checks on background threads (:func:`theory_checks.stepmix_common.prefetch_fast`), so
  their compiles overlap with those tests; the tests marked ``stepmix_runs`` then read the
  results (waiting for any still being computed). Nothing starts before the first StepMix test,
  so other families' tests in the same session never share the CPU with these runs.
- At the end of the session the background runs are joined (never an exit mid-compile).
- ``STEPMIX_CPU_REPORT=1`` prints the CPU (process) time of each test, a load-independent view of
  the test budget on a shared machine.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line("markers", "stepmix_runs: reads the fast-mode runs of the StepMix "
                                       "checks (computed in the background from the first StepMix test)")


def _ours(item) -> bool:
    return HERE in Path(item.path).resolve().parents


def pytest_collection_modifyitems(session, config, items):
    """Stable reorder of the StepMix items only: those without ``stepmix_runs`` first."""
    slots = [i for i, item in enumerate(items) if _ours(item)]
    ours = [items[i] for i in slots]
    ordered = ([it for it in ours if not it.get_closest_marker("stepmix_runs")]
               + [it for it in ours if it.get_closest_marker("stepmix_runs")])
    for i, item in zip(slots, ordered):
        items[i] = item


@pytest.fixture(scope="session", autouse=True)
def _stepmix_background_runs(request):
    """Start the checks' runs in the background if any selected test reads them."""
    if any(item.get_closest_marker("stepmix_runs") for item in request.session.items):
        from theory_checks.stepmix_common import join_prefetch, prefetch_fast
        prefetch_fast(wait=False)
        yield
        join_prefetch()
    else:
        yield


_CPU: dict[str, float] = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    t0 = time.process_time()
    yield
    _CPU[item.nodeid] = time.process_time() - t0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    t0 = time.process_time()
    yield
    _CPU[item.nodeid + " (setup)"] = time.process_time() - t0


def pytest_terminal_summary(terminalreporter):
    if not os.environ.get("STEPMIX_CPU_REPORT") or not _CPU:
        return
    terminalreporter.write_line(f"CPU seconds per test (total {sum(_CPU.values()):.1f}):")
    for name, seconds in sorted(_CPU.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.5:
            terminalreporter.write_line(f"  {seconds:7.2f}  {name}")
