"""Shared helpers of the benchmarks: timing, the result line, the environment header."""
from __future__ import annotations

import json
import os
import platform
import time
from typing import Any, Callable

import jax


def header(name: str) -> None:
    print(f"benchmark {name}: jax {jax.__version__} on {jax.devices()[0].platform} "
          f"({len(jax.devices())} device(s)), {os.cpu_count()} CPU cores, python {platform.python_version()}")


def timed(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, Any]:
    """Best wall time of ``repeats`` calls of ``fn`` (blocking on JAX results)."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = jax.block_until_ready(fn())
        best = min(best, time.perf_counter() - t0)
    return best, out


def throughput_table(rows: list[tuple[str, float]], unit: str = "env steps/s") -> None:
    """Print ``(implementation, rate)`` rows as an aligned table."""
    width = max(len(name) for name, _ in rows) + 4
    print(f"\n{'implementation':<{width}}{unit:>16}")
    for name, rate in rows:
        print(f"{name:<{width}}{rate:>16,.0f}")


def result_line(name: str, ratios: dict[str, float], targets: dict[str, float], extra: dict | None = None) -> str:
    passed = all(ratios[k] >= v for k, v in targets.items())
    obj = {"bench": name, "ratios": {k: round(float(v), 3) for k, v in ratios.items()},
           "targets": targets, "passed": bool(passed)}
    if extra:
        obj.update(extra)
    return json.dumps(obj)
