"""Optional Salesforce Foundation (``ai-economist``) oracle for the economist benchmarks.

Foundation is not a dependency (spec §5.4): its pinned requirements do not install on Python 3.11.
When it is importable here, or ``FOUNDATION_PYTHON`` names an interpreter that can import it
(``pip install --no-deps ai-economist==1.7.1`` plus ``numpy scipy lz4 GPUtil pycryptodome`` in a
separate virtual environment), the benchmarks time its environments in a subprocess; otherwise they
skip it with a message.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DEFAULT_VENVS = (Path("/work/foundation-venv/bin/python"),)


def foundation_python() -> str | None:
    """An interpreter that imports ``ai_economist``, or ``None``."""
    candidates = [os.environ.get("FOUNDATION_PYTHON"), sys.executable] + [str(p) for p in DEFAULT_VENVS]
    for exe in candidates:
        if not exe or not Path(exe).exists():
            continue
        probe = subprocess.run([exe, "-c", "import ai_economist.foundation"], capture_output=True, timeout=120)
        if probe.returncode == 0:
            return exe
    return None


def run_snippet(code: str, timeout: int = 900) -> dict | None:
    """Run ``code`` (which prints one JSON line last) under Foundation's interpreter."""
    exe = foundation_python()
    if exe is None:
        print("Foundation (ai-economist) is not installed: skipping the Foundation comparison "
              "(see experiments/bench/_foundation.py for the optional install).")
        return None
    out = subprocess.run([exe, "-c", code], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        print(f"Foundation run failed, skipping it: {out.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])
