"""Registries of experiments, theory checks and extra commands, discovered through entry points.

``rlkit`` imports no algorithm, env or experiment: packages declare entry points in
``pyproject.toml``:

- ``[project.entry-points."rlkit.experiments"]``: a package whose modules define ``config()``
  (and optionally ``report(result)`` or ``main(cfg, args)``); each module is an experiment named
  after it.
- ``[project.entry-points."rlkit.checks"]``: a package whose modules register theory checks with
  :func:`rlkit.checks.register` on import.
- ``[project.entry-points."rlkit.commands"]``: ``name = "module:function"``, a command-line
  subcommand ``function(argv: list[str]) -> int``.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Callable

from rlkit.config import ConfigError


@dataclass(frozen=True)
class Experiment:
    name: str
    module: ModuleType

    def config(self) -> Any:
        return self.module.config()

    @property
    def report(self) -> Callable | None:
        return getattr(self.module, "report", None)

    @property
    def main(self) -> Callable | None:
        return getattr(self.module, "main", None)

    @property
    def description(self) -> str:
        doc = (self.module.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


def _walk(package: ModuleType) -> list[ModuleType]:
    modules = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.rsplit(".", 1)[-1].startswith("_") or ".bench" in info.name:
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def experiments() -> dict[str, Experiment]:
    """All registered experiments by name (modules defining ``config()``)."""
    found: dict[str, Experiment] = {}
    for ep in entry_points(group="rlkit.experiments"):
        package = ep.load()
        for module in _walk(package):
            if callable(getattr(module, "config", None)) and hasattr(module, "__file__"):
                name = module.__name__.rsplit(".", 1)[-1]
                if module is package:
                    continue
                found[name] = Experiment(name, module)
    return dict(sorted(found.items()))


def get_experiment(name: str) -> Experiment:
    found = experiments()
    if name not in found:
        raise ConfigError(f"unknown experiment {name!r}; available: {', '.join(found) or '(none)'}")
    return found[name]


def load_checks() -> None:
    """Import every module of the registered check packages (they register on import)."""
    for ep in entry_points(group="rlkit.checks"):
        _walk(ep.load())


def commands() -> dict[str, Callable[[list[str]], int]]:
    return {ep.name: ep.load() for ep in entry_points(group="rlkit.commands")}
