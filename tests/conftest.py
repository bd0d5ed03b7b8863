"""Shared fixtures: paths to the bundled example and test articles, and one set of
loaded models per test session (loading costs seconds; using them is cheap)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from newsloom.pipeline import Resources

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
DATA = Path(__file__).resolve().parent / "data"


def load_script(name: str) -> ModuleType:
    """`scripts/NAME.py` as a module (the scripts are not a package; one import per session)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
