"""Test configuration: wandb disabled, float64 on, fixtures path, a per-test run folder."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("WANDB_SILENT", "true")

import pytest  # noqa: E402

import rlkit  # noqa: E402,F401  (enables float64)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"   # a copy of ../shared/fixtures (see its README.md)


@pytest.fixture
def fixtures_dir() -> Path:
    """The test fixtures (BRIDGE MDPs with upstream reference outputs)."""
    return FIXTURES


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return tmp_path / "runs"

