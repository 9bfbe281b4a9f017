"""StepMix test helpers.

- When tests marked ``stepmix_runs`` are selected, the memoised fast-mode runs of the theory
  checks start computing on background threads as soon as collection ends
  (:func:`theory_checks.stepmix_common.prefetch_fast`), so that their compiles overlap with the
  unit tests; the tests then read the results (waiting for any still being computed).
- ``STEPMIX_CPU_REPORT=1`` prints the CPU (process) time of each test, a load-independent view of
  the test budget on a shared machine.
"""
from __future__ import annotations

import os
import threading
import time

import pytest

def pytest_configure(config):
    config.addinivalue_line("markers", "stepmix_runs: reads the fast-mode runs of the StepMix "
                                       "checks (computed in the background once collected)")


def pytest_collection_modifyitems(session, config, items):
    if any(item.get_closest_marker("stepmix_runs") for item in items):
        from theory_checks.stepmix_common import prefetch_fast
        threading.Thread(target=prefetch_fast, name="stepmix-prefetch", daemon=True).start()

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
