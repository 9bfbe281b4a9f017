"""Logging at chunk boundaries: wandb (offline by default), a JSON-lines metrics file, console.

Nothing here runs inside jitted or vmapped code: the runner calls ``log`` with host arrays after
each jitted chunk (frameworks spec §10: no per-step host callbacks).
"""
from __future__ import annotations

import json
import math
import netrc
import os
from pathlib import Path
from typing import Any, Mapping

WANDB_MODES = ("auto", "offline", "online", "disabled")


def wandb_configured() -> bool:
    """True when the user has configured a wandb API key (env var or ~/.netrc)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        path = os.path.expanduser("~/.netrc")
        if os.path.exists(path):
            hosts = netrc.netrc(path).hosts
            return any("wandb" in host for host in hosts)
    except (OSError, netrc.NetrcParseError):
        pass
    return False


def resolve_wandb_mode(mode: str) -> str:
    """``WANDB_MODE`` in the environment wins; ``auto`` is online when wandb is configured, else
    offline (no server or network needed)."""
    env_mode = os.environ.get("WANDB_MODE")
    if env_mode in ("offline", "online", "disabled", "dryrun"):
        return "offline" if env_mode == "dryrun" else env_mode
    if mode == "auto":
        return "online" if wandb_configured() else "offline"
    return mode


def _jsonable(value: Any) -> Any:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return v if math.isfinite(v) else None


class Logger:
    """Fans metrics out to a JSONL file and (optionally) one wandb run."""

    def __init__(self, run_dir: Path | None, name: str, config: Mapping[str, Any],
                 wandb_mode: str = "auto", project: str = "rlkit", group: str | None = None,
                 job_type: str | None = None, resume_id: str | None = None,
                 existing_run: Any = None):
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.mode = resolve_wandb_mode(wandb_mode)
        self._file = None
        if self.run_dir is not None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._file = open(self.run_dir / "metrics.jsonl", "a")
        self.wandb_run = existing_run
        self._owns_run = existing_run is None
        if existing_run is None and self.mode != "disabled":
            os.environ.setdefault("WANDB_SILENT", "true")
            import wandb
            kwargs = dict(project=project, name=name, config=dict(config), mode=self.mode,
                          group=group, job_type=job_type, reinit="finish_previous")
            if self.run_dir is not None:
                kwargs["dir"] = str(self.run_dir)
            if resume_id:
                kwargs.update(id=resume_id, resume="allow")
            self.wandb_run = wandb.init(**kwargs)

    @property
    def wandb_id(self) -> str | None:
        return None if self.wandb_run is None else self.wandb_run.id

    @property
    def wandb_dir(self) -> str | None:
        return None if self.wandb_run is None else self.wandb_run.dir

    def log(self, metrics: Mapping[str, Any], step: int) -> None:
        row = {k: _jsonable(v) for k, v in metrics.items()}
        if self._file is not None:
            self._file.write(json.dumps({"step": int(step), **row}) + "\n")
        if self.wandb_run is not None:
            self.wandb_run.log({k: v for k, v in row.items() if v is not None}, step=int(step))

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def finish(self, summary: Mapping[str, Any] | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.wandb_run is not None:
            for k, v in (summary or {}).items():
                self.wandb_run.summary[k] = _jsonable(v)
            if self._owns_run:
                self.wandb_run.finish()
            self.wandb_run = None
