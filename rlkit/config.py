"""Experiment configs: frozen dataclass trees, dotted overrides, validation before any compile.

An experiment config is an :class:`ExperimentConfig`: the env config, the agent's hyper-parameter
dataclass (which is also the agent's config, see :mod:`rlkit.agent`), optional baseline agents,
the trainer shape and the run settings. Overrides are dotted keys, ``{"agent.bonus_scale": 0.5}``
or ``--set agent.bonus_scale=0.5`` on the command line: the same dict that ``wandb.config``
delivers in a sweep. A bad key or value raises :class:`ConfigError` naming it and what is allowed.
"""
from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml


class ConfigError(ValueError):
    """A config, override or input that is not allowed; the message names it and the options."""


# ---------------------------------------------------------------------------------------------
# The pieces of an experiment config
# ---------------------------------------------------------------------------------------------
class EnvConfig:
    """Base class of env configs (frozen dataclasses).

    ``make_env()`` builds the env; ``make_params(key)`` the env params. ``make_params`` is called
    once per run with a per-seed instance key when ``instance_per_seed`` is true (a different random
    problem instance per seed, e.g. the StepMix paper's 10 random MDPs), else once with a fixed key.
    """

    instance_per_seed: bool = False

    def make_env(self):
        raise NotImplementedError(f"{type(self).__name__} must implement make_env()")

    def make_params(self, key):
        return self.make_env().default_params()

    def validate(self) -> None:
        """Raise :class:`ConfigError` on a bad field."""


@dataclass(frozen=True)
class RunConfig:
    """How an experiment is executed (not what it computes).

    Attributes:
      seeds: number of seeds, run as one vmapped (and device-sharded) batch.
      seed: base seed; seed ``i`` of the batch uses ``fold_in(PRNGKey(seed), i)``.
      chunks: the run is cut into this many jitted chunks, with logging, progress and a checkpoint
        between chunks (1 = a single call).
      checkpoint: save the run state at chunk boundaries (enables ``rlkit run --resume``).
      out_dir: parent folder of run folders.
      wandb_mode: ``auto`` (default: online when a wandb API key is configured, else offline, so
        nothing needs a server), ``offline``, ``online`` or ``disabled``. ``WANDB_MODE`` in the
        environment overrides it (tests set ``WANDB_MODE=disabled``).
      wandb_project: wandb project name.
      plots: write PNG plots into the run folder.
      progress: show a progress bar on the console.
      plot_metrics: metrics plotted against the iteration (``regret`` is plotted cumulated).
    """

    seeds: int = 4
    seed: int = 0
    chunks: int = 10
    checkpoint: bool = True
    out_dir: str = "runs"
    wandb_mode: str = "auto"
    wandb_project: str = "rlkit"
    plots: bool = True
    progress: bool = True
    plot_metrics: tuple[str, ...] = ("return", "regret")

    def validate(self) -> None:
        if not isinstance(self.seeds, int) or self.seeds < 1:
            raise ConfigError(f"run.seeds must be an integer >= 1, got {self.seeds!r}")
        if not isinstance(self.chunks, int) or self.chunks < 1:
            raise ConfigError(f"run.chunks must be an integer >= 1, got {self.chunks!r}")
        if self.wandb_mode not in ("auto", "offline", "online", "disabled"):
            raise ConfigError(f"run.wandb_mode must be one of 'auto', 'offline', 'online', "
                              f"'disabled'; got {self.wandb_mode!r}")


@dataclass(frozen=True)
class ExperimentConfig:
    """A whole experiment (see the module docstring).

    ``baselines`` maps a label to another agent's hyper-parameters, trained the same way on the
    same env and seeds, for comparison tables and plots.
    """

    name: str
    env: Any
    agent: Any
    train: Any
    run: RunConfig = field(default_factory=RunConfig)
    baselines: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def agents(self) -> dict[str, Any]:
        """All agents of the experiment by label: the main agent first, then the baselines."""
        label = getattr(self.agent, "label", None) or type(self.agent).__name__.replace("Params", "")
        return {label: self.agent, **dict(self.baselines)}


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------
def validate(cfg: Any, path: str = "") -> None:
    """Call ``validate()`` on every dataclass node of the tree (concrete values only)."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        for f in dataclasses.fields(cfg):
            validate(getattr(cfg, f.name), f"{path}{f.name}.")
        check = getattr(cfg, "validate", None)
        if callable(check):
            try:
                check()
            except ConfigError as err:
                prefix = path.rstrip(".")
                msg = str(err)
                raise ConfigError(msg if not prefix or msg.startswith(prefix) else f"{prefix}: {msg}") from None
    elif isinstance(cfg, Mapping):
        for k, v in cfg.items():
            validate(v, f"{path}{k}.")


# ---------------------------------------------------------------------------------------------
# Dotted overrides
# ---------------------------------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """Parse a command-line value: YAML scalars and lists (``0.1``, ``true``, ``[1, 2]``, ``abc``)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """``["agent.lr=0.1", ...]`` -> ``{"agent.lr": 0.1}``."""
    out = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value (e.g. agent.lr=0.001)")
        key, value = item.split("=", 1)
        out[key.strip()] = parse_value(value.strip())
    return out


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def coerce(value: Any, tp: Any, key: str) -> Any:
    """Convert ``value`` to the annotated type ``tp`` or raise a :class:`ConfigError`."""
    if tp is Any or tp is None or isinstance(tp, str):
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(value, arg, key)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(f"{key}: {value!r} is not a {' or '.join(_type_name(a) for a in args)}")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{key} must be one of {list(args)}, got {value!r}")
        return value
    if origin in (tuple, list):
        if isinstance(value, (str, int, float)):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return tuple(coerce(v, args[0], f"{key}[{i}]") for i, v in enumerate(value))
        if origin is tuple and args:
            if len(args) != len(value):
                raise ConfigError(f"{key} must have {len(args)} entries, got {len(value)}")
            return tuple(coerce(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(args, value)))
        return type(value)(value) if origin is list else tuple(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            raise ConfigError(f"{key} must be one of {[m.value for m in tp]}, got {value!r}") from None
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return int(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    return value


def _field_types(node: Any) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(type(node))
    except Exception:  # unresolved forward references: fall back to no coercion
        hints = {}
    return {f.name: hints.get(f.name, Any) for f in dataclasses.fields(node)}


def _set(node: Any, parts: list[str], value: Any, full_key: str) -> Any:
    here = full_key[: len(full_key) - len(".".join(parts))].rstrip(".") or "the config"
    name, rest = parts[0], parts[1:]
    if isinstance(node, Mapping):
        if name not in node:
            raise ConfigError(f"unknown key {full_key!r}: {here} has no entry {name!r}; "
                              f"allowed: {sorted(node)}")
        child = node[name]
        new = _set(child, rest, value, full_key) if rest else value
        out = dict(node)
        out[name] = new
        return out
    if not (dataclasses.is_dataclass(node) and not isinstance(node, type)):
        raise ConfigError(f"unknown key {full_key!r}: {here} is a value, not a section")
    types_ = _field_types(node)
    if name not in types_:
        raise ConfigError(f"unknown key {full_key!r}: {here} ({type(node).__name__}) has no field "
                          f"{name!r}; allowed: {sorted(types_)}")
    if rest:
        new = _set(getattr(node, name), rest, value, full_key)
    else:
        new = coerce(value, types_[name], full_key)
    return dataclasses.replace(node, **{name: new})


def apply_overrides(cfg: Any, overrides: Mapping[str, Any]) -> Any:
    """Return ``cfg`` with dotted-key overrides applied and validated.

    Keys name fields through the tree (``agent.bonus_scale``, ``run.seeds``,
    ``baselines.ucbvi.bonus_scale``); values are coerced to the field's annotated type.
    """
    for key, value in overrides.items():
        if not key or any(not p for p in key.split(".")):
            raise ConfigError(f"bad override key {key!r}")
        cfg = _set(cfg, key.split("."), value, key)
    validate(cfg)
    return cfg


def flatten(cfg: Any, prefix: str = "") -> dict[str, Any]:
    """The dotted-key view of a config tree (what is logged as the wandb config)."""
    out: dict[str, Any] = {}
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        items = [(f.name, getattr(cfg, f.name)) for f in dataclasses.fields(cfg)]
    elif isinstance(cfg, Mapping):
        items = list(cfg.items())
    else:
        return {prefix.rstrip("."): cfg}
    for k, v in items:
        if (dataclasses.is_dataclass(v) and not isinstance(v, type)) or isinstance(v, Mapping):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def to_jsonable(cfg: Any) -> Any:
    """A JSON-friendly nested dict of the config, with each dataclass's type name."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        out = {"_type": type(cfg).__name__}
        for f in dataclasses.fields(cfg):
            out[f.name] = to_jsonable(getattr(cfg, f.name))
        return out
    if isinstance(cfg, Mapping):
        return {str(k): to_jsonable(v) for k, v in cfg.items()}
    if isinstance(cfg, (list, tuple)):
        return [to_jsonable(v) for v in cfg]
    if isinstance(cfg, (str, int, float, bool)) or cfg is None:
        return cfg
    try:
        import numpy as np
        arr = np.asarray(cfg)
        return arr.tolist()
    except Exception:
        return repr(cfg)


def dumps(cfg: Any) -> str:
    return json.dumps(to_jsonable(cfg), indent=2, sort_keys=False)
