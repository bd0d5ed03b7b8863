"""Shared fixtures: paths to the bundled example and test articles, and one set of
loaded models per test session (loading costs seconds; using them is cheap)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def resources() -> Resources:
    """Models loaded once for the whole test session."""
    from newsloom.pipeline import Resources

    return Resources()
