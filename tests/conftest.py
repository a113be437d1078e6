"""Shared fixtures: the fixed build date and the repository's paths."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)


@pytest.fixture
def today() -> date:
    return TODAY


@pytest.fixture
def root() -> Path:
    return ROOT
